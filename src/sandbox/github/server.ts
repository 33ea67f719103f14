// The GitHub emulator over HTTP: node:http on 127.0.0.1 (a free port), serving
// the REST routes and `POST /graphql` the loop uses, to an unmodified Octokit.
// Owns the request pipeline, in GitHub's order: latency, injected faults,
// authentication (401), reach (404 for a repo the token cannot see), primary and
// optional secondary rate limits, the handler, GitHub's headers on every reply,
// and the request log. Never holds state of its own beyond counters: the
// store is the world.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { components } from "@octokit/openapi-types";
import { Faults, type FaultAction, type FaultRule } from "./faults.js";
import { prepare, run } from "./graphql/endpoint.js";
import {
  badCredentials,
  GitHubHttpError,
  notAccessible,
  notFound,
  primaryRateLimit,
  requiresAuth,
  secondaryRateLimit,
  statusError,
} from "./http-error.js";
import { RateLimiter, type BucketState, type Limits, type Resource } from "./rate-limit.js";
import { RequestLog } from "./request-log.js";
import { actionsRoutes } from "./rest/actions.js";
import { ciRoutes } from "./rest/ci.js";
import { issueRoutes } from "./rest/issues.js";
import { metaRoutes } from "./rest/meta.js";
import { Renderer } from "./rest/render.js";
import { repoRoutes } from "./rest/repos.js";
import { matchRoute, type Reply, type RestContext, type Route } from "./rest/router.js";
import { timelineRoutes } from "./rest/timeline.js";
import { iso, StoreError, type GitHubStore, type TokenGrant } from "./store.js";

export interface EmulatorOptions {
  store: GitHubStore;
  /** Added to every request before anything else happens. */
  latencyMs?: number;
  faults?: FaultRule[];
  /** Hourly primary limits for tokens that set none (GitHub's PAT/App default: 5,000). */
  limits?: Partial<Limits>;
  /** GitHub's content-creation limit (about 80 writes a minute); off unless set. */
  writesPerMinute?: number;
  /** Clock for rate-limit windows; the wall clock, because clients compare `x-ratelimit-reset` with it. */
  rateLimitClock?: () => number;
}

export interface GitHubEmulator {
  /** Octokit's `baseUrl`. */
  url: string;
  graphqlUrl: string;
  store: GitHubStore;
  log: RequestLog;
  faults: Faults;
  setLatency(ms: number): void;
  stop(): Promise<void>;
}

const REPO_ROUTES: readonly Route[] = [...issueRoutes, ...timelineRoutes, ...repoRoutes, ...ciRoutes, ...actionsRoutes];

/** Every REST route served, as "METHOD /templated/path" (the contract test walks this list). */
export function restRouteNames(): string[] {
  const meta = metaRoutes(() => {
    throw new Error("route names only");
  });
  return [...REPO_ROUTES, ...meta].map((r) => `${r.method} ${r.template}`);
}

const DEFAULT_LIMITS: Limits = { core: 5000, graphql: 5000 };
const ANONYMOUS_LIMIT = 60;
const WRITE_METHODS = new Set(["POST", "PATCH", "PUT", "DELETE"]);

interface Caller {
  grant: TokenGrant;
  limits: Limits;
}

export async function startGitHubEmulator(options: EmulatorOptions): Promise<GitHubEmulator> {
  const { store } = options;
  const log = new RequestLog();
  const faults = new Faults();
  for (const rule of options.faults ?? []) faults.add(rule);
  const clock = options.rateLimitClock ?? Date.now;
  const limiter = new RateLimiter(clock);
  const writes = new WeakMap<TokenGrant, number[]>();
  let latencyMs = options.latencyMs ?? 0;
  let api = "";
  let render: Renderer | undefined;

  const rateLimitOverview = (ctx: RestContext): components["schemas"]["rate-limit-overview"] => {
    const caller = callerOf(ctx.grant);
    const core = limiter.state(caller.grant, "core", caller.limits);
    const graphql = limiter.state(caller.grant, "graphql", caller.limits);
    const idle = { limit: 30, used: 0, remaining: 30, reset: core.reset };
    const shape = (s: BucketState) => ({ limit: s.limit, used: s.used, remaining: s.remaining, reset: s.reset });
    return { resources: { core: shape(core), graphql: shape(graphql), search: idle }, rate: shape(core) };
  };
  const callerOf = (grant: TokenGrant): Caller => ({
    grant,
    limits: { ...DEFAULT_LIMITS, ...options.limits, ...stripUndefined(grant.limits) },
  });
  const routes: Route[] = [...REPO_ROUTES, ...metaRoutes(rateLimitOverview)];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const index = log.claimIndex();
    const method = (req.method ?? "GET").toUpperCase();
    const url = new URL(req.url ?? "/", api);
    const isGraphQL = url.pathname === "/graphql" && method === "POST";
    const matched = isGraphQL ? undefined : matchRoute(routes, method, url.pathname);
    const route = `${method} ${isGraphQL ? "/graphql" : (matched?.route.template ?? url.pathname)}`;
    const requestId = `${(0xc0de + index).toString(16).toUpperCase()}:${index.toString(16).toUpperCase()}:5E3A1B:6F7C2D:${Math.floor(
      clock() / 1000,
    )
      .toString(16)
      .toUpperCase()}`;
    const entry = { index, method, route, path: url.pathname, mutation: !isGraphQL && WRITE_METHODS.has(method) };
    const record = (status: number, graphqlCost?: number, mutation = entry.mutation): void =>
      log.record({
        ...entry,
        status,
        mutation,
        at: iso(store.now()),
        ...(graphqlCost === undefined ? {} : { graphqlCost }),
      });
    const send = (status: number, body: unknown, headers: Record<string, string>): void => {
      const payload = status === 204 || status === 304 || body === undefined ? "" : JSON.stringify(body);
      res.writeHead(status, {
        "content-type": "application/json; charset=utf-8",
        "x-github-api-version-selected": "2022-11-28",
        "x-github-media-type": "github.v3; format=json",
        "x-github-request-id": requestId,
        ...headers,
        ...(payload === "" ? {} : { "content-length": String(Buffer.byteLength(payload)) }),
      });
      res.end(payload);
    };
    const resource: Resource = isGraphQL ? "graphql" : "core";

    const raw = await readBody(req);
    if (latencyMs > 0) await sleep(latencyMs);

    // Faults come first: a real outage or throttle does not look at the token.
    let fault: FaultAction | undefined = faults.take({ index, method, route, path: url.pathname });
    if (fault?.kind === "delay") {
      await sleep(fault.ms);
      fault = undefined;
    }
    if (fault?.kind === "reset") {
      record(0);
      req.socket.destroy();
      return;
    }
    if (fault?.kind === "hang") {
      record(0);
      return;
    }

    const caller = authenticate(req.headers.authorization);
    const rateHeaders = (): Record<string, string> =>
      caller instanceof GitHubHttpError
        ? limiter.headers(resource, {
            limit: ANONYMOUS_LIMIT,
            used: 0,
            remaining: ANONYMOUS_LIMIT,
            reset: Math.floor(clock() / 1000) + 3600,
          })
        : limiter.headers(resource, limiter.state(caller.grant, resource, caller.limits));
    const fail = (error: GitHubHttpError, extraHeaders: Record<string, string> = {}): void => {
      send(error.status, error.body(), { ...rateHeaders(), ...error.headers, ...extraHeaders });
      record(error.status);
    };

    switch (fault?.kind) {
      case undefined:
        break;
      case "status":
        return fail(statusError(fault.status, fault.message), fault.headers);
      case "secondary-rate-limit":
        return fail(secondaryRateLimit(requestId, fault.status), {
          "retry-after": String(fault.retryAfterSeconds ?? 60),
        });
      case "primary-rate-limit": {
        const userId = caller instanceof GitHubHttpError ? 0 : store.ensureUser(caller.grant.login).id;
        return fail(primaryRateLimit(userId, requestId, fault.status), {
          "x-ratelimit-remaining": "0",
          "x-ratelimit-reset": String(Math.floor(clock() / 1000) + (fault.resetInSeconds ?? 60)),
        });
      }
    }
    if (caller instanceof GitHubHttpError) return fail(caller);

    let body: unknown;
    try {
      body = raw === "" ? undefined : JSON.parse(raw);
    } catch {
      return fail(new GitHubHttpError(400, "Problems parsing JSON"));
    }

    if (isGraphQL) return handleGraphQL(caller, body, send, record, fail);

    if (!matched) return fail(notFound());
    const isWrite = WRITE_METHODS.has(method);
    const free = matched.route.template === "/rate_limit";
    if (!free && limiter.state(caller.grant, "core", caller.limits).remaining === 0) {
      return fail(primaryRateLimit(store.ensureUser(caller.grant.login).id, requestId));
    }
    if (isWrite && overWriteBudget(caller.grant)) {
      return fail(secondaryRateLimit(requestId), { "retry-after": "60" });
    }
    try {
      const ctx: RestContext = {
        method,
        url,
        params: matched.params,
        body,
        store,
        render: renderer(),
        api,
        login: caller.grant.login,
        grant: caller.grant,
      };
      let reply: Reply;
      if (matched.route.scope === "repo") {
        const fullName = `${matched.params["owner"] ?? ""}/${matched.params["repo"] ?? ""}`;
        const repo = store.repo(fullName);
        if (!repo || !store.canReach(caller.grant, repo.fullName)) throw notFound();
        if (isWrite && caller.grant.readOnly === true) throw notAccessible();
        reply = matched.route.handler({ ...ctx, repo });
      } else {
        reply = matched.route.handler(ctx);
      }
      if (!free) limiter.spend(caller.grant, "core", 1);
      send(reply.status, reply.body, { ...rateHeaders(), ...reply.headers });
      record(reply.status);
    } catch (error) {
      if (!free) limiter.spend(caller.grant, "core", 1);
      fail(asHttpError(error));
    }
  }

  async function handleGraphQL(
    caller: Caller,
    body: unknown,
    send: (status: number, body: unknown, headers: Record<string, string>) => void,
    record: (status: number, graphqlCost?: number, mutation?: boolean) => void,
    fail: (error: GitHubHttpError) => void,
  ): Promise<void> {
    const prepared = prepare(body);
    const headers = (): Record<string, string> =>
      limiter.headers("graphql", limiter.state(caller.grant, "graphql", caller.limits));
    if (prepared.kind === "rejected") {
      send(prepared.status, prepared.body, headers());
      record(prepared.status, 0);
      return;
    }
    const before = limiter.state(caller.grant, "graphql", caller.limits);
    if (before.remaining < prepared.cost.cost) {
      // GitHub answers an exhausted GraphQL budget with 200 and a RATE_LIMITED error.
      const user = store.ensureUser(caller.grant.login);
      send(
        200,
        { errors: [{ type: "RATE_LIMITED", message: `API rate limit already exceeded for user ID ${user.id}.` }] },
        { ...headers(), "x-ratelimit-remaining": "0" },
      );
      record(200, 0, prepared.mutation);
      return;
    }
    if (prepared.mutation && caller.grant.readOnly === true) return fail(notAccessible());
    limiter.spend(caller.grant, "graphql", prepared.cost.cost);
    const after = limiter.state(caller.grant, "graphql", caller.limits);
    const result = await run(prepared, {
      store,
      grant: caller.grant,
      login: caller.grant.login,
      rateLimit: {
        cost: prepared.cost.cost,
        limit: after.limit,
        remaining: after.remaining,
        used: after.used,
        resetAt: iso(new Date(after.reset * 1000)),
        nodeCount: prepared.cost.nodeCount,
      },
    });
    send(200, result, headers());
    record(200, prepared.cost.cost, prepared.mutation);
  }

  function authenticate(header: string | undefined): Caller | GitHubHttpError {
    if (header === undefined || header.trim() === "") return requiresAuth();
    const match = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(header);
    const token = match?.[1];
    const grant = token === undefined ? undefined : store.grant(token);
    if (token === undefined || !grant) return badCredentials();
    return callerOf(grant);
  }

  function overWriteBudget(token: TokenGrant): boolean {
    if (options.writesPerMinute === undefined) return false;
    const now = clock();
    const recent = (writes.get(token) ?? []).filter((t) => t > now - 60_000);
    const over = recent.length >= options.writesPerMinute;
    if (!over) recent.push(now);
    writes.set(token, recent);
    return over;
  }

  function renderer(): Renderer {
    render ??= new Renderer(store, api);
    return render;
  }

  const sockets = new Set<Socket>();
  let stopped: Promise<void> | undefined;
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "application/json; charset=utf-8" });
        res.end(JSON.stringify({ message: "Server Error", emulator_error: String(error) }));
      }
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  api = `http://127.0.0.1:${port}`;

  return {
    url: api,
    graphqlUrl: `${api}/graphql`,
    store,
    log,
    faults,
    setLatency: (ms) => {
      latencyMs = ms;
    },
    stop: () => {
      // Idempotent: a test may stop early and its teardown stop again.
      stopped ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive and hung requests would otherwise hold the server open.
        for (const socket of sockets) socket.destroy();
      });
      return stopped;
    },
  };
}

function asHttpError(error: unknown): GitHubHttpError {
  if (error instanceof GitHubHttpError) return error;
  if (error instanceof StoreError) {
    if (error.kind === "not-found") return notFound();
    if (error.kind === "gone") return new GitHubHttpError(410, "This issue was deleted");
    return new GitHubHttpError(422, error.message);
  }
  return new GitHubHttpError(500, `Server Error: ${error instanceof Error ? error.message : String(error)}`);
}

function stripUndefined(limits: TokenGrant["limits"]): Partial<Limits> {
  const out: Partial<Limits> = {};
  if (limits?.core !== undefined) out.core = limits.core;
  if (limits?.graphql !== undefined) out.graphql = limits.graphql;
  return out;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
