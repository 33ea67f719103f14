// The emulator's test knobs and lifecycle: latency, fault rules (status, reset,
// delay, hang; by route, method and request index), primary and secondary
// rate-limit replies as GitHub and plugin-throttling see them, the request log,
// clean start/stop on random ports, and the load speed of a large world.
import { throttling } from "@octokit/plugin-throttling";
import { getOctokit } from "@actions/github";
import { afterEach, describe, expect, it } from "vitest";
import { octokitFor, smallWorld, TOKENS } from "../../../__fixtures__/sandbox-github.js";
import { startGitHubEmulator, type EmulatorOptions, type GitHubEmulator } from "../../../src/sandbox/github/server.js";
import { GitHubStore } from "../../../src/sandbox/github/store.js";

const api = { owner: "acme", repo: "api" } as const;
const running: GitHubEmulator[] = [];

async function start(options: Partial<EmulatorOptions> = {}): Promise<GitHubEmulator> {
  const emulator = await startGitHubEmulator({ store: smallWorld().store, ...options });
  running.push(emulator);
  return emulator;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.stop()));
});

const get = (emulator: GitHubEmulator, path: string, init: Omit<RequestInit, "headers"> = {}): Promise<Response> =>
  fetch(`${emulator.url}${path}`, { ...init, headers: { authorization: `token ${TOKENS.pat}` } });

describe("latency", () => {
  it("delays every request by the configured time, and can be changed live", async () => {
    const emulator = await start({ latencyMs: 120 });
    const started = performance.now();
    await get(emulator, "/rate_limit");
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
    // Changed live, checked without a sub-second stopwatch: a long latency outlasts a short client timeout.
    emulator.setLatency(1500);
    await expect(get(emulator, "/rate_limit", { signal: AbortSignal.timeout(300) })).rejects.toThrow();
    emulator.setLatency(0);
    expect((await get(emulator, "/rate_limit")).status).toBe(200);
  });
});

describe("fault rules", () => {
  it("answers a status with GitHub's body, by route, a limited number of times", async () => {
    const emulator = await start({
      faults: [
        { route: "GET /repos/{owner}/{repo}/issues/{issue_number}", times: 1, action: { kind: "status", status: 502 } },
      ],
    });
    const failed = await get(emulator, "/repos/acme/api/issues/1");
    expect(failed.status).toBe(502);
    expect(await failed.json()).toEqual({
      message: "Server Error",
      documentation_url: "https://docs.github.com/rest",
      status: "502",
    });
    expect((await get(emulator, "/repos/acme/api/issues/1")).status).toBe(200);
    expect((await get(emulator, "/repos/acme/api/issues")).status).toBe(200);
  });

  it("matches by request index and by method", async () => {
    const emulator = await start();
    emulator.faults.add({ index: 1, action: { kind: "status", status: 500 } });
    emulator.faults.add({ method: "POST", route: /labels$/, action: { kind: "status", status: 503 } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await get(emulator, "/repos/acme/api/issues/1/labels")).status);
    const post = await get(emulator, "/repos/acme/api/issues/1/labels", {
      method: "POST",
      body: JSON.stringify({ labels: ["x"] }),
    });
    expect([...statuses, post.status]).toEqual([200, 500, 200, 503]);
  });

  it("resets the connection", async () => {
    const emulator = await start({ faults: [{ route: "/rate_limit", action: { kind: "reset" } }] });
    await expect(get(emulator, "/rate_limit")).rejects.toThrow();
    expect(emulator.log.entries).toMatchObject([{ route: "GET /rate_limit", status: 0 }]);
  });

  it("delays one reply, then answers normally", async () => {
    const emulator = await start({ faults: [{ times: 1, action: { kind: "delay", ms: 150 } }] });
    const started = performance.now();
    expect((await get(emulator, "/rate_limit")).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("hangs until the client gives up, and still stops cleanly", async () => {
    const emulator = await start({ faults: [{ action: { kind: "hang" } }] });
    await expect(get(emulator, "/rate_limit", { signal: AbortSignal.timeout(100) })).rejects.toThrow();
    const started = performance.now();
    await emulator.stop();
    // A stop that waited on the open request would take as long as the hang (forever); 2 s is far from both.
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe("rate limits", () => {
  it("replies to a secondary limit with 403, retry-after and GitHub's message", async () => {
    const emulator = await start({
      faults: [{ times: 1, action: { kind: "secondary-rate-limit", retryAfterSeconds: 7 } }],
    });
    const response = await get(emulator, "/repos/acme/api/issues");
    expect(response.status).toBe(403);
    expect(response.headers.get("retry-after")).toBe("7");
    const body = (await response.json()) as { message: string; documentation_url: string };
    expect(body.message).toMatch(/^You have exceeded a secondary rate limit\./);
    expect(body.documentation_url).toContain("secondary-rate-limits");
  });

  it("is recognised and waited out by plugin-throttling", async () => {
    const emulator = await start({
      faults: [{ times: 1, action: { kind: "secondary-rate-limit", status: 429, retryAfterSeconds: 1 } }],
    });
    const waits: number[] = [];
    const client = getOctokit(
      TOKENS.pat,
      {
        baseUrl: emulator.url,
        throttle: {
          onRateLimit: () => false,
          onSecondaryRateLimit: (retryAfter: number) => {
            waits.push(retryAfter);
            return true;
          },
        },
      },
      throttling,
    );
    const { status } = await client.rest.issues.get({ ...api, issue_number: 1 });
    expect(status).toBe(200);
    expect(waits).toEqual([1]);
    expect(emulator.log.entries.map((e) => e.status)).toEqual([429, 200]);
  });

  it("replies to a primary limit with remaining 0 and a reset time", async () => {
    const emulator = await start({
      faults: [{ times: 1, action: { kind: "primary-rate-limit", status: 429, resetInSeconds: 30 } }],
    });
    const response = await get(emulator, "/repos/acme/api/issues");
    expect(response.status).toBe(429);
    expect(response.headers.get("x-ratelimit-remaining")).toBe("0");
    const reset = Number(response.headers.get("x-ratelimit-reset"));
    expect(reset - Date.now() / 1000).toBeGreaterThan(25);
    expect(((await response.json()) as { message: string }).message).toMatch(/^API rate limit exceeded/);
  });

  it("runs out of primary budget for real, per token, and keeps /rate_limit free", async () => {
    const emulator = await start({ limits: { core: 2 } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await get(emulator, "/repos/acme/api/issues")).status);
    expect(statuses).toEqual([200, 200, 403]);
    const limit = await get(emulator, "/rate_limit");
    expect(limit.status).toBe(200);
    expect(limit.headers.get("x-ratelimit-remaining")).toBe("0");
    const other = await fetch(`${emulator.url}/repos/acme/api/issues`, {
      headers: { authorization: `token ${TOKENS.app}` },
    });
    expect(other.status).toBe(200);
  });

  it("applies GitHub's content-creation limit when asked", async () => {
    const emulator = await start({ writesPerMinute: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const response = await get(emulator, "/repos/acme/api/issues/1/comments", {
        method: "POST",
        body: JSON.stringify({ body: `c${i}` }),
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([201, 201, 403]);
  });
});

describe("request log", () => {
  it("records templated routes, statuses, writes and GraphQL cost, and resets", async () => {
    const emulator = await start();
    const client = octokitFor(TOKENS.pat, emulator.url);
    await client.rest.issues.listForRepo(api);
    await client.rest.issues.addLabels({ ...api, issue_number: 1, labels: ["x"] });
    await client.graphql(
      `query { repository(owner: "acme", name: "api") { issues(first: 100) { nodes { number } } } }`,
    );
    await client.rest.issues.get({ ...api, issue_number: 404 }).catch(() => undefined);
    expect(
      emulator.log.entries.map(({ index, route, status, mutation, graphqlCost }) => ({
        index,
        route,
        status,
        mutation,
        graphqlCost,
      })),
    ).toEqual([
      { index: 0, route: "GET /repos/{owner}/{repo}/issues", status: 200, mutation: false, graphqlCost: undefined },
      {
        index: 1,
        route: "POST /repos/{owner}/{repo}/issues/{issue_number}/labels",
        status: 200,
        mutation: true,
        graphqlCost: undefined,
      },
      { index: 2, route: "POST /graphql", status: 200, mutation: false, graphqlCost: 1 },
      {
        index: 3,
        route: "GET /repos/{owner}/{repo}/issues/{issue_number}",
        status: 404,
        mutation: false,
        graphqlCost: undefined,
      },
    ]);
    expect(emulator.log.entries[0]).toMatchObject({ path: "/repos/acme/api/issues", at: "2026-03-01T12:05:00Z" });
    expect(emulator.log.counts()).toEqual({ total: 4, rest: 3, graphql: 1, points: 1, writes: 1 });
    emulator.log.reset();
    expect(emulator.log.counts().total).toBe(0);
    await client.rest.rateLimit.get();
    expect(emulator.log.entries[0]?.index).toBe(4);
  });
});

describe("lifecycle", () => {
  it("listens on a random free port on 127.0.0.1 and stops with keep-alive sockets open", async () => {
    const [a, b] = await Promise.all([start(), start()]);
    expect(a.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(a.url).not.toBe(b.url);
    const handlesBefore = process.getActiveResourcesInfo().filter((r) => r.startsWith("TCP")).length;
    const emulator = await startGitHubEmulator({ store: smallWorld().store });
    const client = octokitFor(TOKENS.pat, emulator.url);
    await client.rest.issues.get({ ...api, issue_number: 1 });
    const started = performance.now();
    await emulator.stop();
    // A stop that waited on the open request would take as long as the hang (forever); 2 s is far from both.
    expect(performance.now() - started).toBeLessThan(2000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(process.getActiveResourcesInfo().filter((r) => r.startsWith("TCP")).length).toBeLessThanOrEqual(
      handlesBefore,
    );
    await expect(fetch(`${emulator.url}/rate_limit`)).rejects.toThrow();
  });

  it("builds a 200-repo x 20-issue world and serves it", async () => {
    const store = new GitHubStore();
    store.addToken("t", { login: "maintainer", reach: "all" });
    for (let r = 0; r < 200; r++) {
      const repo = store.createRepo({ owner: "fleet", name: `repo-${r}` });
      store.addCollaborator(repo.fullName, "maintainer", "maintain");
      for (let i = 1; i <= 20; i++) {
        store.createIssue(repo.fullName, { author: "maintainer", title: `issue ${i}`, body: "Blocked by #1" });
        store.applyLabel(repo.fullName, i, "ready-for-agent", "maintainer");
      }
    }
    const emulator = await startGitHubEmulator({ store });
    running.push(emulator);
    const { data } = await octokitFor("t", emulator.url).rest.issues.listForRepo({ owner: "fleet", repo: "repo-199" });
    expect(data).toHaveLength(20);
  });
});
