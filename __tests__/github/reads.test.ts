// The GitHub adapter's reads over real HTTP against the emulator.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createGitHubClient, type GitHubClient } from "../../src/github/client.js";
import { readPollFacts } from "../../src/github/poll-reads.js";
import { readWatchFacts } from "../../src/github/watch-reads.js";
import { startGitHubEmulator, type GitHubEmulator } from "../../src/sandbox/github/server.js";
import { GitHubStore } from "../../src/sandbox/github/store.js";

const LABELS = { ready: "ready-for-agent", inProgress: "agent-in-progress" };
const T0 = new Date("2026-03-02T09:00:00Z");

let store: GitHubStore;
let emulator: GitHubEmulator;
let client: GitHubClient;

beforeEach(async () => {
  let now = T0.getTime();
  store = new GitHubStore({ now: () => new Date((now += 1000)) });
  store.addToken("app-token", { login: "afk-app[bot]", reach: "all" });
  emulator = await startGitHubEmulator({ store });
  client = createGitHubClient({ token: "app-token", apiUrl: emulator.url, pacing: "none", retryUnitMs: 1 });
});
afterEach(() => emulator.stop());

function seedRepo(name: string, ready: number) {
  store.createRepo({ owner: "acme", name });
  store.addCollaborator(`acme/${name}`, "maya", "maintain");
  for (let i = 0; i < ready; i++) {
    const issue = store.createIssue(`acme/${name}`, { author: "maya", title: `task ${i}`, body: "do it" });
    store.applyLabel(`acme/${name}`, issue.number, LABELS.ready, "maya");
  }
}

describe("poll facts", () => {
  it("reads the ready set with its label applier and the lock, for several repos in one query", async () => {
    seedRepo("api", 2);
    seedRepo("web", 1);
    const locked = store.createIssue("acme/web", { author: "maya", title: "running" });
    store.applyLabel("acme/web", locked.number, LABELS.inProgress, "afk-app[bot]");
    const facts = await readPollFacts(client, ["acme/api", "acme/web"], LABELS);
    expect(facts.viewer).toBe("afk-app[bot]");
    const api = facts.repos.find((r) => r.repo === "acme/api");
    expect(api?.error).toBeNull();
    expect(api?.ready.map((i) => i.number)).toEqual([1, 2]);
    expect(api?.ready[0]?.readyLabeled?.by).toEqual({ login: "maya", isBot: false });
    expect(facts.repos.find((r) => r.repo === "acme/web")?.locked).toEqual([locked.number]);
    expect(client.counts.graphql).toBe(1);
  });
});

describe("watch facts", () => {
  it("reads in-progress issues with marker comments by any author and referenced commits", async () => {
    seedRepo("api", 0);
    const issue = store.createIssue("acme/api", { author: "maya", title: "running" });
    store.applyLabel("acme/api", issue.number, LABELS.inProgress, "afk-app[bot]");
    store.addComment("acme/api", issue.number, "<!-- afk-loop:run v1 AAAA -->", "afk-app[bot]");
    store.addComment("acme/api", issue.number, "<!-- afk-loop:run v1 BBBB -->", "mallory");
    store.addComment("acme/api", issue.number, "plain chatter", "maya");
    const commit = store.pushCommit("acme/api", `Fix\n\nRefs #${issue.number}`, "agent");
    const facts = await readWatchFacts(client, ["acme/api"], {
      inProgress: LABELS.inProgress,
      owed: "afk-doorbell-owed",
      human: "ready-for-human",
      awaiting: "afk-awaiting-review",
    });
    const run = facts.repos[0]?.runs[0];
    expect(run?.number).toBe(issue.number);
    expect(run?.open).toBe(true);
    expect(run?.markerComments.map((c) => c.author?.login)).toEqual(["afk-app[bot]", "mallory"]);
    expect(run?.references.map((r) => r.sha)).toEqual([commit.sha]);
    expect(facts.repos[0]?.defaultBranch).toBe("main");
  });

  it("a repository the token cannot see gets its own error and the others are still served", async () => {
    seedRepo("api", 1);
    store.createRepo({ owner: "secret", name: "vault", private: true });
    store.addToken("narrow", { login: "narrow-app[bot]", reach: ["acme/api"] });
    const narrow = createGitHubClient({ token: "narrow", apiUrl: emulator.url, pacing: "none", retryUnitMs: 1 });
    const facts = await readPollFacts(narrow, ["acme/api", "secret/vault"], LABELS);
    expect(facts.repos.find((r) => r.repo === "secret/vault")?.error).toMatch(/not found|cannot see/);
    expect(facts.repos.find((r) => r.repo === "acme/api")?.ready).toHaveLength(1);
  });
});

describe("pagination", () => {
  it("pages only the connections that came back full, past 100 issues, and only for the repo that needs it", async () => {
    seedRepo("big", 120);
    seedRepo("small", 2);
    for (let i = 0; i < 25; i++) {
      const issue = store.createIssue("acme/small", { author: "maya", title: `running ${i}` });
      store.applyLabel("acme/small", issue.number, LABELS.inProgress, "afk-app[bot]");
    }
    const facts = await readPollFacts(client, ["acme/big", "acme/small"], LABELS);
    const big = facts.repos.find((r) => r.repo === "acme/big");
    const small = facts.repos.find((r) => r.repo === "acme/small");
    expect(big?.ready).toHaveLength(120);
    expect(new Set(big?.ready.map((i) => i.number)).size).toBe(120);
    expect(small?.ready).toHaveLength(2);
    expect(small?.locked).toHaveLength(25);
    // 120 ready issues at 30 a page: four rounds; the small repo's locks need a second page, folded into round two.
    expect(client.counts.graphql).toBe(4);
  });
});

describe("readWatchFacts without pull-request delivery", () => {
  it("leaves the awaiting-review connection out of the query: fewer points, no awaiting runs", async () => {
    seedRepo("api", 1);
    const labels = { inProgress: LABELS.inProgress, owed: "afk-doorbell-owed", human: "ready-for-human" };
    const before = client.counts.graphqlPoints;
    const withAwaiting = await readWatchFacts(client, ["acme/api"], { ...labels, awaiting: "afk-awaiting-review" });
    const following = client.counts.graphqlPoints - before;
    const push = await readWatchFacts(client, ["acme/api"], { ...labels, awaiting: null });
    const withoutFollowing = client.counts.graphqlPoints - before - following;
    expect(withAwaiting.repos[0]?.error).toBeNull();
    expect(push.repos[0]?.error).toBeNull();
    expect(push.repos[0]?.awaiting).toEqual([]);
    expect(withoutFollowing).toBeLessThan(following);
  });
});
