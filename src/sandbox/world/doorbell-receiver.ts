// The sandbox's doorbell receiver: a node:http endpoint on 127.0.0.1 that the
// loop's generic webhook sink posts to, so a simulation can show which
// doorbells rang and a test can make deliveries fail. Records what arrived
// (on the virtual clock) and answers; never interprets a doorbell.

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { SIGNATURE_HEADER } from "../../notify/doorbell.js";
import type { Clock } from "../clock.js";

interface DoorbellDelivery {
  at: string;
  path: string;
  contentType: string | null;
  /** The HMAC signature header, when the webhook is signed. */
  signature: string | null;
  /** Parsed JSON, or the raw text when it is not JSON. */
  body: unknown;
  /** What the sink answered. */
  status: number;
}

export interface DoorbellReceiver {
  url: string;
  deliveries: readonly DoorbellDelivery[];
  /** Answer the next `count` deliveries with `status` (default 500), to exercise owed doorbells. */
  failNext(count: number, status?: number): void;
  stop(): Promise<void>;
}

export async function startDoorbellReceiver(clock: Clock): Promise<DoorbellReceiver> {
  const deliveries: DoorbellDelivery[] = [];
  let failures: { left: number; status: number } = { left: 0, status: 500 };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown = text;
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        // Not JSON: keep the text as it came.
      }
      const status = failures.left > 0 ? failures.status : 200;
      if (failures.left > 0) failures = { ...failures, left: failures.left - 1 };
      const signature = req.headers[SIGNATURE_HEADER];
      deliveries.push({
        at: clock.now().toISOString(),
        path: req.url ?? "/",
        contentType: req.headers["content-type"] ?? null,
        signature: typeof signature === "string" ? signature : null,
        body,
        status,
      });
      res.writeHead(status, { "content-length": 0 }).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/doorbell`,
    deliveries,
    failNext: (count, status = 500) => {
      failures = { left: count, status };
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
