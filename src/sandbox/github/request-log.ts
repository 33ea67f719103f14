// The emulator's request log: one entry per request received (including those a
// fault answered or dropped), with the counters tests and benchmarks assert on.
// Owns counting only; never changes a reply.

export interface LogEntry {
  /** 0-based order of arrival; fault rules match on it. */
  index: number;
  method: string;
  /** Templated, e.g. "GET /repos/{owner}/{repo}/issues"; the raw path when no route matched. */
  route: string;
  path: string;
  /** 0 when the connection was reset or the request left hanging. */
  status: number;
  /** GraphQL points charged (GitHub's formula), for `POST /graphql` only. */
  graphqlCost?: number;
  /** A REST write (POST, PATCH, PUT, DELETE) or a GraphQL mutation. */
  mutation: boolean;
  /** ISO time on the store's clock. */
  at: string;
}

export interface LogCounts {
  total: number;
  rest: number;
  graphql: number;
  /** GraphQL points charged. */
  points: number;
  writes: number;
}

export class RequestLog {
  private list: LogEntry[] = [];
  private nextIndex = 0;

  /** Reserves the next index at arrival, so concurrent requests keep their order. */
  claimIndex(): number {
    return this.nextIndex++;
  }

  record(entry: LogEntry): void {
    this.list.push(entry);
  }

  get entries(): readonly LogEntry[] {
    return this.list;
  }

  counts(): LogCounts {
    const counts: LogCounts = { total: 0, rest: 0, graphql: 0, points: 0, writes: 0 };
    for (const entry of this.list) {
      counts.total++;
      if (entry.graphqlCost === undefined && !entry.route.endsWith(" /graphql")) counts.rest++;
      else counts.graphql++;
      counts.points += entry.graphqlCost ?? 0;
      if (entry.mutation) counts.writes++;
    }
    return counts;
  }

  /** Forgets the entries; indexes keep counting so fault rules by index stay unambiguous. */
  reset(): void {
    this.list = [];
  }
}
