// The rollout probe over a real local HTTP server: what each answer means
// (DESIGN: 2xx naming the sha is rolled out, 5xx is red, anything else is
// "not yet"), its timeout, and reading the body as UTF-8 across chunks.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeRollout, readText, rolloutUrl } from "../../src/ci/rollout-probe.js";

const SHA = "c0ffee".padEnd(40, "0");

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const handlers = new Map<string, Handler>();
let base = "";
const server = createServer((req, res) => {
  const handler = handlers.get(req.url ?? "/");
  if (handler) handler(req, res);
  else res.writeHead(404).end("no such route");
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function route(path: string, handler: Handler): string {
  handlers.set(path, handler);
  return `${base}${path}`;
}

describe("probeRollout", () => {
  it("a 2xx whose body names the pushed commit: rolled out", async () => {
    const url = route("/version-ok", (_, res) => res.writeHead(200).end(JSON.stringify({ sha: SHA })));
    expect(await probeRollout(url, SHA, 2000)).toEqual({ ok: true, detail: null, url });
  });

  it("a 2xx that names another commit: not yet", async () => {
    const url = route("/version-old", (_, res) => res.writeHead(200).end(`{"sha":"${"1".repeat(40)}"}`));
    expect(await probeRollout(url, SHA, 2000)).toEqual({
      ok: null,
      detail: "does not report the pushed commit yet",
      url,
    });
  });

  it("a 5xx: the deployed service is broken (red)", async () => {
    const url = route("/version-5xx", (_, res) => res.writeHead(503).end(SHA));
    expect(await probeRollout(url, SHA, 2000)).toEqual({ ok: false, detail: "answered HTTP 503", url });
  });

  it("a 4xx: not yet, even if the body names the commit", async () => {
    const url = route("/version-4xx", (_, res) => res.writeHead(404).end(SHA));
    expect(await probeRollout(url, SHA, 2000)).toEqual({ ok: null, detail: "answered HTTP 404", url });
  });

  it("no answer within the timeout: not yet, saying so", async () => {
    const url = route("/version-hang", () => undefined);
    expect(await probeRollout(url, SHA, 200)).toEqual({ ok: null, detail: "timed out after 200 ms", url });
  });

  it("nothing listening: not yet, unreachable", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/version`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect(await probeRollout(url, SHA, 2000)).toEqual({ ok: null, detail: "unreachable", url });
  });

  it("the sha after the first 64 KiB of an endless body is not read", async () => {
    const url = route("/version-long", (_, res) => {
      res.writeHead(200);
      res.write("x".repeat(200 * 1024));
      res.end(SHA);
    });
    expect((await probeRollout(url, SHA, 2000)).ok).toBeNull();
  });

  it("a body sent in pieces, with a multi-byte character split between them, names the commit", async () => {
    const url = route("/version-chunked", (_, res) => {
      const bytes = Buffer.from(`{"name":"café ☕","sha":"${SHA}"}`, "utf8");
      const split = bytes.indexOf(Buffer.from("☕", "utf8")) + 1;
      res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
      res.write(bytes.subarray(0, split));
      setTimeout(() => res.end(bytes.subarray(split)), 20);
    });
    expect(await probeRollout(url, SHA, 2000)).toEqual({ ok: true, detail: null, url });
  });
});

describe("readText", () => {
  // A stream that yields each part as its own chunk.
  const chunks = (...parts: Uint8Array[]): AsyncIterable<Uint8Array> => Readable.from(parts, { objectMode: true });

  it("decodes a multi-byte character split across chunks", async () => {
    const bytes = Buffer.from("v1 ☕ é 🚀 done", "utf8");
    // Split inside each multi-byte character: the 3-byte ☕, the 2-byte é and the 4-byte 🚀.
    const cuts = [bytes.indexOf(0xe2) + 1, bytes.indexOf(0xc3) + 1, bytes.indexOf(0xf0) + 2];
    const parts = [0, ...cuts, bytes.length]
      .slice(1)
      .map((end, i, ends) => bytes.subarray(i === 0 ? 0 : ends[i - 1], end));
    expect(parts).toHaveLength(4);
    expect(await readText(chunks(...parts), 1024)).toBe("v1 ☕ é 🚀 done");
  });

  it("stops reading once past the byte limit", async () => {
    const part = new Uint8Array(100).fill(0x61);
    expect((await readText(chunks(part, part, part, part), 150)).length).toBe(200);
  });
});

describe("rolloutUrl", () => {
  it("fills {sha}, {owner} and {repo}, encoded", () => {
    expect(
      rolloutUrl("https://x.test/{owner}/{repo}/v?sha={sha}&o={owner}", { sha: SHA, owner: "a b", repo: "r/x" }),
    ).toBe(`https://x.test/a%20b/r%2Fx/v?sha=${SHA}&o=a%20b`);
  });
});
