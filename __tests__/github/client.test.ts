// The GitHub client over real HTTP against the emulator: what it counts, how it
// waits out rate limits and retries reads, that a non-idempotent write is sent
// once, that the sandbox pacing does not space writes, and that the token never
// reaches a log line or an error message.
import { inspect } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createGitHubClient, NO_RETRY, type GitHubClient, type GitHubClientOptions } from "../../src/github/client.js";
import { githubStatus, RequestError } from "../../src/github/errors.js";
import { startGitHubEmulator, type GitHubEmulator } from "../../src/sandbox/github/server.js";
import { GitHubStore } from "../../src/sandbox/github/store.js";

const TOKEN = "ghs_clientTestSecretToken0123456789";
const OTHER_TOKEN = "ghs_wrongTokenAlsoSecret9876543210";
const ISSUE_ROUTE = "GET /repos/{owner}/{repo}/issues/{issue_number}";
const COMMENTS_ROUTE = "POST /repos/{owner}/{repo}/issues/{issue_number}/comments";
const LABELS_ROUTE = "POST /repos/{owner}/{repo}/issues/{issue_number}/labels";

let store: GitHubStore;
let emulator: GitHubEmulator;
let issue: number;
/** Everything the client logged and every error it raised, in this test. */
let logLines: string[];
let errors: unknown[];

beforeEach(async () => {
  let now = Date.parse("2026-03-02T09:00:00Z");
  store = new GitHubStore({ now: () => new Date((now += 1000)) });
  store.addToken(TOKEN, { login: "afk-app[bot]", reach: "all" });
  store.createRepo({ owner: "acme", name: "api" });
  issue = store.createIssue("acme/api", { author: "maya", title: "x" }).number;
  emulator = await startGitHubEmulator({ store });
  logLines = [];
  errors = [];
});
afterEach(async () => {
  await emulator.stop();
  // Every scenario here doubles as a leak check: not in a log line, not anywhere in an error.
  for (const text of [...logLines, ...errors.map((e) => `${String(e)}\n${inspect(e, { depth: 8 })}`)]) {
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(OTHER_TOKEN);
  }
});

function client(options: Partial<GitHubClientOptions> = {}): GitHubClient {
  return createGitHubClient({
    token: TOKEN,
    apiUrl: emulator.url,
    pacing: "none",
    retryUnitMs: 1,
    log: (line) => logLines.push(line),
    ...options,
  });
}

/** Awaits the promise expecting a rejection, and keeps the error for the leak check. */
async function failure(promise: Promise<unknown>): Promise<{ status?: number; message: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error === undefined) throw new Error("expected a failure");
  errors.push(error);
  return error as { status?: number; message: string };
}

const readIssue = (c: GitHubClient) => c.octokit.rest.issues.get({ owner: "acme", repo: "api", issue_number: issue });
const attempts = (route: string) => emulator.log.entries.filter((e) => e.route === route);

describe("counts", () => {
  it("counts REST and GraphQL attempts, and writes (REST non-GET and GraphQL mutations)", async () => {
    const c = client();
    await readIssue(c);
    await c.octokit.rest.issues.addLabels({ owner: "acme", repo: "api", issue_number: issue, labels: ["x"] });
    await c.octokit.graphql("query { viewer { login } }");
    // The emulator validates and charges mutations but serves none: the attempt still counts.
    await failure(
      c.octokit.graphql('mutation { addComment(input: {subjectId: "I_1", body: "hi"}) { clientMutationId } }'),
    );
    expect(c.counts).toMatchObject({ rest: 2, graphql: 2, writes: 2, logical: 4 });
    expect(emulator.log.counts()).toMatchObject({ rest: 2, graphql: 2, writes: 2 });
  });

  it("counts one logical request and every attempt when a read is retried", async () => {
    emulator.faults.add({ route: ISSUE_ROUTE, times: 2, action: { kind: "status", status: 502 } });
    const c = client();
    await readIssue(c);
    expect(c.counts).toMatchObject({ rest: 3, logical: 1 });
    expect(attempts(ISSUE_ROUTE).map((e) => e.status)).toEqual([502, 502, 200]);
  });

  it("keeps the lowest rate limit remaining seen per resource, from the reply headers", async () => {
    const c = client();
    await readIssue(c);
    await readIssue(c);
    await readIssue(c);
    await c.octokit.graphql("query { viewer { login } }");
    expect(c.counts.rateLimitRemaining).toEqual({ core: 4997, graphql: 5000 - emulator.log.counts().points });
  });

  it("adds the GraphQL points a reply reports through spendPoints", async () => {
    const c = client();
    for (let i = 0; i < 2; i++) {
      const data = await c.octokit.graphql<{ rateLimit: { cost: number } }>(
        "query { rateLimit { cost } viewer { login } }",
      );
      c.spendPoints(data.rateLimit.cost);
    }
    expect(c.counts.graphqlPoints).toBe(emulator.log.counts().points);
    expect(c.counts.graphqlPoints).toBeGreaterThan(0);
  });
});

describe("rate limits", () => {
  it("waits out a secondary rate limit (403 with retry-after) on a read, then the read succeeds", async () => {
    emulator.faults.add({
      route: ISSUE_ROUTE,
      times: 1,
      action: { kind: "secondary-rate-limit", retryAfterSeconds: 3 },
    });
    const c = client({ retryUnitMs: 50 });
    const started = Date.now();
    const { data } = await readIssue(c);
    expect(data.number).toBe(issue);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140); // 3 s of retry-after at 50 ms a second
    expect(attempts(ISSUE_ROUTE).map((e) => e.status)).toEqual([403, 200]);
    expect(logLines.some((l) => l.includes("secondary rate limit"))).toBe(true);
  });

  it("waits until past x-ratelimit-reset after a primary rate-limit reply, then the read succeeds", async () => {
    // Pin the emulator's rate-limit clock to a whole second so the reset it announces is known exactly.
    const pinned = Math.floor(Date.now() / 1000) * 1000;
    const reset = pinned / 1000 + 1;
    await emulator.stop();
    emulator = await startGitHubEmulator({ store, rateLimitClock: () => pinned });
    emulator.faults.add({ route: ISSUE_ROUTE, times: 1, action: { kind: "primary-rate-limit", resetInSeconds: 1 } });
    // Real seconds: the wait is computed from the wall clock against the reset time.
    const { data } = await readIssue(client({ retryUnitMs: 1000 }));
    expect(data.number).toBe(issue);
    expect(Date.now()).toBeGreaterThanOrEqual(reset * 1000);
    expect(attempts(ISSUE_ROUTE).map((e) => e.status)).toEqual([403, 200]);
    expect(logLines.some((l) => l.includes("rate limit reached"))).toBe(true);
  });

  it("gives up on a read that stays rate-limited after the allowed retries", async () => {
    emulator.faults.add({ route: ISSUE_ROUTE, action: { kind: "secondary-rate-limit", retryAfterSeconds: 1 } });
    const error = await failure(readIssue(client({ maxRetries: 2 })));
    expect(error.status).toBe(403);
    expect(attempts(ISSUE_ROUTE)).toHaveLength(3);
  });
});

describe("retries", () => {
  it("retries a 502 on a read, and the read succeeds", async () => {
    emulator.faults.add({ route: ISSUE_ROUTE, times: 1, action: { kind: "status", status: 502 } });
    const { data } = await readIssue(client());
    expect(data.number).toBe(issue);
    expect(attempts(ISSUE_ROUTE).map((e) => e.status)).toEqual([502, 200]);
  });

  it("retries a read whose connection was reset, and the read succeeds", async () => {
    emulator.faults.add({ route: ISSUE_ROUTE, times: 1, action: { kind: "reset" } });
    const { data } = await readIssue(client());
    expect(data.number).toBe(issue);
    // 0 is the emulator's mark for a dropped connection.
    expect(attempts(ISSUE_ROUTE).map((e) => e.status)).toEqual([0, 200]);
  });

  it("does not retry a 404: it will not change by asking again", async () => {
    const error = await failure(client().octokit.rest.issues.get({ owner: "acme", repo: "api", issue_number: 999 }));
    expect(error.status).toBe(404);
    expect(emulator.log.entries).toHaveLength(1);
  });

  it("GitHub's refusals reach callers as RequestError, the one error githubStatus reads", async () => {
    const error = await failure(client().octokit.rest.issues.get({ owner: "acme", repo: "api", issue_number: 999 }));
    expect(error).toBeInstanceOf(RequestError);
    expect(githubStatus(error)).toBe(404);
  });

  it("a write answered with a redirect fails as a RequestError carrying the redirect's status", async () => {
    store.createRepo({ owner: "acme", name: "elsewhere" });
    store.transferIssue("acme/api", issue, "acme/elsewhere");
    const error = await failure(
      client().octokit.rest.issues.addLabels({ owner: "acme", repo: "api", issue_number: issue, labels: ["x"] }),
    );
    expect(error).toBeInstanceOf(RequestError);
    expect(githubStatus(error)).toBe(301);
    expect(error.message).toMatch(/moved to .*; nothing was written/);
  });

  it("surfaces a 502 on a non-idempotent write sent with NO_RETRY after exactly one attempt", async () => {
    emulator.faults.add({ route: COMMENTS_ROUTE, action: { kind: "status", status: 502 } });
    const c = client();
    const error = await failure(
      c.octokit.rest.issues.createComment({ owner: "acme", repo: "api", issue_number: issue, body: "hi", ...NO_RETRY }),
    );
    expect(error.status).toBe(502);
    expect(attempts(COMMENTS_ROUTE)).toHaveLength(1);
    expect(c.counts).toMatchObject({ rest: 1, writes: 1, logical: 1 });
  });

  it("retries a 502 on an idempotent write sent without NO_RETRY", async () => {
    emulator.faults.add({ route: LABELS_ROUTE, times: 1, action: { kind: "status", status: 502 } });
    await client().octokit.rest.issues.addLabels({ owner: "acme", repo: "api", issue_number: issue, labels: ["x"] });
    expect(attempts(LABELS_ROUTE).map((e) => e.status)).toEqual([502, 200]);
  });
});

describe("pacing", () => {
  it('with pacing "none", five writes are not spaced a second apart', async () => {
    const c = client();
    const started = Date.now();
    for (let i = 0; i < 5; i++) {
      await c.octokit.rest.issues.addLabels({ owner: "acme", repo: "api", issue_number: issue, labels: [`l${i}`] });
    }
    // Paced, five writes take at least 4 s (1 s apart); 2.5 s separates the two without a sub-second stopwatch.
    expect(Date.now() - started).toBeLessThan(2500);
    expect(c.counts.writes).toBe(5);
  });
});

describe("the token", () => {
  it("is not in the error for a refused token, nor in any log line", async () => {
    const error = await failure(readIssue(client({ token: OTHER_TOKEN })));
    expect(error.status).toBe(401);
    // The afterEach check covers this error and the log; make sure there was something to check.
    expect(inspect(error, { depth: 8 })).toContain("[REDACTED]");
  });

  it("is not in the log lines or errors of a run of rate limits, retries and failures", async () => {
    emulator.faults.add({
      route: ISSUE_ROUTE,
      times: 1,
      action: { kind: "secondary-rate-limit", retryAfterSeconds: 1 },
    });
    emulator.faults.add({ route: ISSUE_ROUTE, times: 1, action: { kind: "primary-rate-limit", resetInSeconds: 0 } });
    emulator.faults.add({ route: COMMENTS_ROUTE, action: { kind: "status", status: 503 } });
    const c = client();
    await readIssue(c);
    await failure(
      c.octokit.rest.issues.createComment({ owner: "acme", repo: "api", issue_number: issue, body: "hi", ...NO_RETRY }),
    );
    expect(logLines.length).toBeGreaterThanOrEqual(2);
    expect(errors).toHaveLength(1);
  });
});
