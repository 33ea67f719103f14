// The GitHub client: @octokit/core with the REST methods, pagination,
// throttling and retry plugins (not @actions/github, which bundles a second
// HTTP stack the action never uses), and a request accountant that counts
// every HTTP attempt.
// Owns retry and pacing policy: reads are retried on 5xx and resets; writes
// are retried only when repeating them cannot duplicate anything.
// Must never log the token, and never retry a non-idempotent write.

import { Octokit as OctokitCore } from "@octokit/core";
import { paginateRest } from "@octokit/plugin-paginate-rest";
import { restEndpointMethods } from "@octokit/plugin-rest-endpoint-methods";
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import Bottleneck from "bottleneck/light.js";
import { RequestError } from "./errors.js";

// What @actions/github's getOctokit built, minus its proxy-aware HTTP client: Octokit's own fetch.
const LoopOctokit = OctokitCore.plugin(restEndpointMethods, paginateRest, throttling, retry);
type Octokit = InstanceType<typeof LoopOctokit>;

export interface RequestCounts {
  /** HTTP attempts to REST routes, retries included. */
  rest: number;
  /** HTTP attempts to /graphql, retries included. */
  graphql: number;
  /** GraphQL points spent, as GitHub reported them (`rateLimit.cost`). */
  graphqlPoints: number;
  /** HTTP attempts that change state (REST non-GET, GraphQL mutations). */
  writes: number;
  /** Requests the code made; attempts beyond these were retries after a failure or a rate-limit reply. */
  logical: number;
  /** The lowest `x-ratelimit-remaining` seen this tick, per resource. */
  rateLimitRemaining: Record<string, number>;
}

export interface GitHubClientOptions {
  token: string;
  /** REST base URL; GraphQL is derived from it as Octokit does (`/graphql`, or `/api/graphql` on GHES). */
  apiUrl: string;
  /**
   * `github`: GitHub's pacing for writes (one at a time, 1 s apart; 3 s for
   * notification-triggering ones), which production must honour.
   * `none`: no pacing, for the sandbox's emulator.
   */
  pacing?: "github" | "none";
  /** Milliseconds per second of `retry-after` and backoff; 1000 in production, small in the sandbox. */
  retryUnitMs?: number;
  /** How many times a limited or failed request is tried again. */
  maxRetries?: number;
  /** Milliseconds without a complete answer before a request counts as failed (and a read is retried). */
  requestTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface GitHubClient {
  octokit: Octokit;
  counts: RequestCounts;
  /** Record the points a GraphQL response reported (the reads ask for `rateLimit { cost }`). */
  spendPoints(points: number): void;
}

/** A hung connection must not hold the tick past its budget; GitHub itself gives up on a request after 10 s. */
const REQUEST_TIMEOUT_MS = 30_000;

export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const unit = options.retryUnitMs ?? 1000;
  const timeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const maxRetries = options.maxRetries ?? 3;
  const log = options.log ?? (() => undefined);
  const counts: RequestCounts = {
    rest: 0,
    graphql: 0,
    graphqlPoints: 0,
    writes: 0,
    logical: 0,
    rateLimitRemaining: {},
  };

  // Counting in fetch sees every attempt the plugins make, which is what GitHub bills.
  const countingFetch: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    const method = (init?.method ?? "GET").toUpperCase();
    const isGraphql = url.pathname.endsWith("/graphql");
    if (isGraphql) counts.graphql++;
    else counts.rest++;
    const write = method !== "GET" && method !== "HEAD";
    if (isGraphql ? isMutation(init?.body) : write) counts.writes++;
    const timeout = AbortSignal.timeout(timeoutMs);
    let response: Response;
    try {
      response = await fetch(input, {
        ...init,
        // fetch would replay a redirected POST as a GET (to a transferred issue, say) and Octokit
        // would call that a success: a write is never redirected; the hook below reports it.
        ...(write ? { redirect: "manual" as const } : {}),
        signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout,
      });
    } catch (error) {
      if (!timeout.aborted) throw error;
      // Octokit turns this into a retryable failure; the message says what happened, never with the token.
      throw new Error(`GitHub gave no answer to ${method} ${url.pathname} within ${timeoutMs} ms`, { cause: error });
    }
    const resource = response.headers.get("x-ratelimit-resource");
    const remaining = Number(response.headers.get("x-ratelimit-remaining") ?? NaN);
    if (resource !== null && Number.isFinite(remaining)) {
      counts.rateLimitRemaining[resource] = Math.min(counts.rateLimitRemaining[resource] ?? Infinity, remaining);
    }
    return response;
  };

  const unpaced = () => new Bottleneck.Group({ maxConcurrent: 10, minTime: 0 });
  const pacing = options.pacing === "none" ? { write: unpaced(), notifications: unpaced() } : {};

  const octokit = new LoopOctokit({
    auth: options.token,
    userAgent: "afk-loop",
    baseUrl: options.apiUrl,
    // No `retries` here: a default `request.retries` makes plugin-retry repeat every failure,
    // 404s and 422s included; the retry plugin's own `retries` covers only retryable ones.
    request: { fetch: countingFetch },
    log: { debug: () => undefined, info: () => undefined, warn: (m: string) => log(m), error: (m: string) => log(m) },
    retry: { retryAfterBaseValue: unit, retries: maxRetries },
    throttle: {
      ...pacing,
      retryAfterBaseValue: unit,
      onRateLimit: (retryAfter, request, _octokit, retryCount) => {
        log(`rate limit reached on ${request.method} ${request.url}; waiting ${retryAfter}s (retry ${retryCount + 1})`);
        return retryCount < maxRetries;
      },
      onSecondaryRateLimit: (retryAfter, request, _octokit, retryCount) => {
        log(
          `secondary rate limit on ${request.method} ${request.url}; waiting ${retryAfter}s (retry ${retryCount + 1})`,
        );
        return retryCount < maxRetries;
      },
    },
  });

  // Registered after the plugins, so it sees each request once, outside their retries.
  octokit.hook.before("request", () => {
    counts.logical++;
  });
  // A write answered with a redirect did not happen (GitHub moves a transferred issue's URLs).
  octokit.hook.after("request", (response, request) => {
    const status: number = response.status;
    if (status < 300 || status >= 400) return;
    const to = response.headers.location ?? "elsewhere";
    throw new RequestError(
      `GitHub answered ${status} to ${request.method} ${request.url}: moved to ${to}; nothing was written`,
      status,
      { request, response },
    );
  });

  return {
    octokit,
    counts,
    spendPoints(points) {
      counts.graphqlPoints += points;
    },
  };
}

function isMutation(body: unknown): boolean {
  if (typeof body !== "string") return false;
  try {
    const { query } = JSON.parse(body) as { query?: unknown };
    return typeof query === "string" && /^\s*mutation\b/.test(query);
  } catch {
    return false;
  }
}

/** Options for one write that must not be repeated blindly (creating a comment, dispatching a workflow). */
export const NO_RETRY = { request: { retries: 0 } } as const;
