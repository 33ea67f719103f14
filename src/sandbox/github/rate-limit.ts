// GitHub's primary rate limit, per token (keyed by its grant) and per resource: REST calls spend
// `core` one at a time, GraphQL queries spend `graphql` points. Windows are an
// hour on the wall clock, because clients (plugin-throttling) compare
// `x-ratelimit-reset` with Date.now(). Owns the arithmetic and the headers;
// never decides to refuse (the server does, when `remaining` is 0).

export type Resource = "core" | "graphql";

export interface Limits {
  core: number;
  graphql: number;
}

export interface BucketState {
  limit: number;
  used: number;
  remaining: number;
  /** Epoch seconds. */
  reset: number;
}

const WINDOW_SECONDS = 3600;

export class RateLimiter {
  private readonly buckets = new Map<Resource, WeakMap<object, { used: number; reset: number }>>();

  constructor(private readonly clock: () => number = Date.now) {}

  state(key: object, resource: Resource, limits: Limits): BucketState {
    const bucket = this.bucket(key, resource);
    const limit = limits[resource];
    return { limit, used: bucket.used, remaining: Math.max(0, limit - bucket.used), reset: bucket.reset };
  }

  spend(key: object, resource: Resource, points: number): void {
    this.bucket(key, resource).used += points;
  }

  headers(resource: Resource, state: BucketState): Record<string, string> {
    return {
      "x-ratelimit-limit": String(state.limit),
      "x-ratelimit-remaining": String(state.remaining),
      "x-ratelimit-used": String(state.used),
      "x-ratelimit-reset": String(state.reset),
      "x-ratelimit-resource": resource,
    };
  }

  private bucket(key: object, resource: Resource): { used: number; reset: number } {
    let perKey = this.buckets.get(resource);
    if (!perKey) {
      perKey = new WeakMap();
      this.buckets.set(resource, perKey);
    }
    const nowSeconds = Math.floor(this.clock() / 1000);
    const existing = perKey.get(key);
    if (existing && existing.reset > nowSeconds) return existing;
    const fresh = { used: 0, reset: nowSeconds + WINDOW_SECONDS };
    perKey.set(key, fresh);
    return fresh;
  }
}
