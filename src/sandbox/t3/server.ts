// The T3 Code orchestration API emulator (docs/design.md §8) on node:http, bound to
// 127.0.0.1 on a free port: bearer tokens with scopes (401/403 with a JSON
// `code`), `POST /api/orchestration/dispatch` (400 with an empty body on any
// schema failure, 500 on a business-rule failure, `{sequence}` on success or
// replay), `GET /api/orchestration/snapshot` and the per-thread read
// `GET /api/orchestration/threads/{threadId}` (`{snapshotSequence, thread}`, or
// T3's JSON 404 `thread_not_found`), which `threadRoute` can take away to play
// an older T3 that lacks it. Adds the knobs tests need:
// latency, fault rules, a request log. Never decides what an agent does
// (the scripted world listens for turn starts) and never outlives stop().

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Clock } from "../clock.js";
import { CommandSchema } from "./commands.js";
import { takeFault, type T3Fault, type T3FaultRule, type T3RequestRecord, type T3Route } from "./faults.js";
import { T3State, type TurnListener } from "./state.js";

export const T3_SCOPES = ["orchestration:read", "orchestration:operate"] as const;
type T3Scope = (typeof T3_SCOPES)[number];

const DISPATCH_PATH = "/api/orchestration/dispatch";
const SNAPSHOT_PATH = "/api/orchestration/snapshot";
const THREAD_PATH = /^\/api\/orchestration\/threads\/([^/]+)$/;
/** Far above any prompt the loop sends; a runaway client gets 413, not an out-of-memory emulator. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

export interface T3EmulatorOptions {
  /** Bearer token -> its scopes. */
  tokens: Readonly<Record<string, readonly string[]>>;
  clock: Clock;
  /** Real (wall-clock) delay before each answer. */
  latencyMs?: number;
  faults?: readonly T3FaultRule[];
  onTurnStart?: TurnListener;
  /** A state prepared by a world (seeded projects and threads); default: an empty one on `clock`. */
  state?: T3State;
  /**
   * The per-thread read route. `served` (default): as current T3. An older T3 (v0.0.27) has no such
   * route and its catch-all answers instead: `404` is its plain-text "Not Found" (no web app
   * bundled), `spa` its web app's index.html with 200 (T3's `GET *` static fallback).
   */
  threadRoute?: "served" | "404" | "spa";
}

export interface T3Emulator {
  url: string;
  state: T3State;
  /** Every request, in arrival order; entries are completed as answers go out. */
  log: readonly T3RequestRecord[];
  addFault(rule: T3FaultRule): void;
  clearFaults(): void;
  stop(): Promise<void>;
}

interface Reply {
  status: number;
  body: string;
  contentType?: string;
  replayed?: boolean;
}

export async function startT3Emulator(options: T3EmulatorOptions): Promise<T3Emulator> {
  const { clock } = options;
  const state = options.state ?? new T3State(clock);
  const unsubscribe = options.onTurnStart ? state.onTurnStart(options.onTurnStart) : () => false;
  // Copies: a rule's `times` is spent here, never in the caller's objects.
  const faults: T3FaultRule[] = (options.faults ?? []).map((rule) => ({ ...rule }));
  const log: T3RequestRecord[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let received = 0;

  const delay = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const index = received++;
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const threadMatch = THREAD_PATH.exec(path);
    const route: T3Route =
      path === DISPATCH_PATH
        ? "dispatch"
        : path === SNAPSHOT_PATH
          ? "snapshot"
          : threadMatch && (options.threadRoute ?? "served") === "served"
            ? "thread"
            : "other";
    const record: T3RequestRecord = {
      index,
      at: clock.now().toISOString(),
      method: req.method ?? "GET",
      path,
      route,
      commandType: null,
      commandId: null,
      status: null,
      fault: null,
      replayed: false,
      bytes: 0,
    };
    log.push(record);

    const body = await readBody(req);
    const json = body === null ? undefined : parseJson(body);
    if (route === "dispatch" && isObject(json)) {
      record.commandType = typeof json.type === "string" ? json.type : null;
      record.commandId = typeof json.commandId === "string" ? json.commandId : null;
    }
    if (options.latencyMs) await delay(options.latencyMs);

    const fault = takeFault(faults, { index, route, commandType: record.commandType });
    if (fault && !fault.afterApply) return perform(fault, res, record);
    const reply: Reply = body === null ? { status: 413, body: "" } : answer(req, route, json, threadMatch?.[1]);
    record.replayed = reply.replayed === true;
    if (fault) return perform(fault, res, record);
    record.status = reply.status;
    record.bytes = Buffer.byteLength(reply.body);
    send(res, reply);
  }

  function answer(req: IncomingMessage, route: T3Route, json: unknown, threadSegment?: string): Reply {
    const method = req.method ?? "GET";
    if (route === "other") {
      // T3's catch-all `GET *` serves the web app; only a server without one answers 404.
      if (threadSegment !== undefined && options.threadRoute === "spa" && method === "GET") {
        return { status: 200, body: SPA_INDEX, contentType: "text/html; charset=utf-8" };
      }
      if (threadSegment !== undefined && options.threadRoute === "404") {
        return { status: 404, body: "Not Found", contentType: "text/plain" };
      }
      return jsonReply(404, { code: "not_found", message: "No such route." });
    }
    const wanted = route === "dispatch" ? "POST" : "GET";
    if (method !== wanted) return jsonReply(405, { code: "method_not_allowed", message: `Use ${wanted}.` });

    const token = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "")?.[1];
    const scopes = token === undefined ? undefined : options.tokens[token];
    if (scopes === undefined) {
      return jsonReply(401, { code: "unauthorized", message: "A valid bearer token is required." });
    }
    const scope: T3Scope = route === "dispatch" ? "orchestration:operate" : "orchestration:read";
    if (!scopes.includes(scope)) {
      return jsonReply(403, { code: "insufficient_scope", message: `The token lacks the ${scope} scope.` });
    }

    if (route === "snapshot") return jsonReply(200, state.snapshot());
    if (route === "thread") return threadReply(state, threadSegment ?? "");
    const command = CommandSchema.safeParse(json);
    if (!command.success) return { status: 400, body: "" };
    const result = state.apply(command.data);
    if (!result.ok) return jsonReply(500, { code: "command_rejected", message: result.reason });
    return { ...jsonReply(200, { sequence: result.sequence }), replayed: result.replayed };
  }

  function perform(fault: T3Fault, res: ServerResponse, record: T3RequestRecord): void {
    record.fault = fault.kind;
    switch (fault.kind) {
      case "status":
        record.status = fault.status;
        return send(res, { status: fault.status, body: fault.body ?? "" });
      case "garbage":
        record.status = 200;
        return send(res, { status: 200, body: '{"sequence": 4\u0000 <<not json', contentType: "application/json" });
      case "html": {
        const status = fault.status ?? 502;
        record.status = status;
        const page = `<!DOCTYPE html><html><head><title>${status} Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>`;
        return send(res, { status, body: page, contentType: "text/html; charset=utf-8" });
      }
      case "hang":
        return;
      case "reset":
        res.socket?.destroy();
        return;
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent && !res.destroyed) send(res, { status: 500, body: "" });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    state,
    log,
    addFault: (rule) => faults.push({ ...rule }),
    clearFaults: () => faults.splice(0),
    stop: () =>
      new Promise<void>((resolve) => {
        unsubscribe();
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        // Keep-alive sockets and hung requests would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}

const SPA_INDEX = '<!doctype html><html><head><title>T3 Code</title></head><body><div id="root"></div></body></html>';

function threadReply(state: T3State, segment: string): Reply {
  let threadId: string;
  try {
    threadId = decodeURIComponent(segment);
  } catch {
    threadId = segment;
  }
  const detail = state.threadDetail(threadId);
  if (detail) return jsonReply(200, detail);
  // T3's EnvironmentResourceNotFoundError, as HttpApi encodes a tagged error.
  return jsonReply(404, {
    _tag: "EnvironmentResourceNotFoundError",
    code: "not_found",
    reason: "thread_not_found",
    traceId: "emulator-trace",
  });
}

function jsonReply(status: number, value: unknown): Reply {
  return { status, body: JSON.stringify(value), contentType: "application/json; charset=utf-8" };
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.destroyed) return;
  const headers: Record<string, string | number> = { "content-length": Buffer.byteLength(reply.body) };
  if (reply.contentType !== undefined) headers["content-type"] = reply.contentType;
  res.writeHead(reply.status, headers);
  res.end(reply.body);
}

/** The body as text; null when it is over the cap. */
async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
