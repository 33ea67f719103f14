// Pushed-commit facts and the CI verdict over real HTTP against the emulator.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { judgeCommit } from "../../src/ci/verdict.js";
import { createGitHubClient, type GitHubClient } from "../../src/github/client.js";
import { readCommitFacts } from "../../src/github/commits.js";
import { startGitHubEmulator, type GitHubEmulator } from "../../src/sandbox/github/server.js";
import { GitHubStore } from "../../src/sandbox/github/store.js";

const T0 = new Date("2026-03-02T09:00:00Z");
const SINCE = "2026-03-02T08:00:00Z";
let store: GitHubStore;
let emulator: GitHubEmulator;
let client: GitHubClient;

beforeEach(async () => {
  let now = T0.getTime();
  store = new GitHubStore({ now: () => new Date((now += 1000)) });
  store.addToken("app-token", { login: "afk-app[bot]", reach: "all" });
  store.createRepo({ owner: "acme", name: "api" });
  emulator = await startGitHubEmulator({ store });
  client = createGitHubClient({ token: "app-token", apiUrl: emulator.url, pacing: "none", retryUnitMs: 1 });
});
afterEach(() => emulator.stop());

async function judge(sha: string, options: { environment?: string; ownRun?: number } = {}) {
  const [facts] = await readCommitFacts(
    client,
    [{ repo: "acme/api", shas: [sha], since: SINCE }],
    options.environment ?? null,
  );
  const commit = facts?.commits[0];
  if (!facts || !commit) throw new Error("no answer");
  return judgeCommit({
    repo: "acme/api",
    commit,
    deployments: facts.deployments,
    rollout: null,
    ownWorkflowRunId: options.ownRun ?? null,
  });
}

describe("the pushed commit", () => {
  it("is on the default branch only when the branch history has it", async () => {
    const onMain = store.pushCommit("acme/api", "Fix\n\nRefs #1", "agent");
    store.createBranch("acme/api", "side", onMain.sha);
    const onSide = store.pushCommit("acme/api", "Side\n\nRefs #1", "agent", { branch: "side" });
    const [facts] = await readCommitFacts(
      client,
      [{ repo: "acme/api", shas: [onMain.sha, onSide.sha], since: SINCE }],
      null,
    );
    expect(facts?.commits.map((c) => [c.sha, c.onDefaultBranch])).toEqual([
      [onMain.sha, true],
      [onSide.sha, false],
    ]);
  });
});

describe("the pushed commit on a busy default branch", () => {
  it("is still found past the first page of history, by one compare call per unseen candidate", async () => {
    const agents = store.pushCommit("acme/api", "Fix\n\nRefs #1", "agent");
    for (let i = 0; i < 120; i++) store.pushCommit("acme/api", `Someone else's change ${i}`, "bob");
    store.createBranch("acme/api", "side", agents.sha);
    const onSide = store.pushCommit("acme/api", "Side\n\nRefs #1", "agent", { branch: "side" });
    const before = emulator.log.entries.length;
    const [facts] = await readCommitFacts(
      client,
      [{ repo: "acme/api", shas: [agents.sha, onSide.sha], since: SINCE }],
      null,
    );
    expect(facts?.commits.map((c) => [c.sha, c.onDefaultBranch])).toEqual([
      [agents.sha, true],
      [onSide.sha, false],
    ]);
    expect(emulator.log.entries.slice(before).map((e) => e.route)).toEqual([
      "POST /graphql",
      "GET /repos/{owner}/{repo}/compare/{basehead}",
      "GET /repos/{owner}/{repo}/compare/{basehead}",
    ]);
  });

  it("a compare GitHub refuses is that repository's error, not a guess", async () => {
    const agents = store.pushCommit("acme/api", "Fix\n\nRefs #1", "agent");
    for (let i = 0; i < 101; i++) store.pushCommit("acme/api", `Someone else's change ${i}`, "bob");
    emulator.faults.add({
      route: "GET /repos/{owner}/{repo}/compare/{basehead}",
      action: { kind: "status", status: 403 },
    });
    const [facts] = await readCommitFacts(client, [{ repo: "acme/api", shas: [agents.sha], since: SINCE }], null);
    expect(facts?.commits).toEqual([]);
    expect(facts?.error).toMatch(/^could not compare a pushed commit with main: /);
  });

  it("counts a commit whose committer clock ran a few minutes behind the dispatch", async () => {
    const skewed = store.pushCommit("acme/api", "Fix\n\nRefs #1", "agent", {
      at: new Date(Date.parse(SINCE) - 5 * 60_000),
    });
    const [facts] = await readCommitFacts(client, [{ repo: "acme/api", shas: [skewed.sha], since: SINCE }], null);
    expect(facts?.commits[0]?.onDefaultBranch).toBe(true);
  });
});

describe("a run's pull request", () => {
  it("is read by its head branch, with the head commit's date and CI, in the same query as the commits", async () => {
    const base = store.repo("acme/api")?.branches.get("main") ?? "";
    store.createBranch("acme/api", "afk-run-1", base);
    const head = store.pushCommit("acme/api", "Fix\n\nRefs #1", "agent", { branch: "afk-run-1" });
    store.addCheckRun("acme/api", { headSha: head.sha, name: "test", conclusion: "failure" });
    const pull = store.openPullRequest("acme/api", { author: "agent", title: "Fix", headBranch: "afk-run-1" });
    const before = emulator.log.entries.length;
    const [facts] = await readCommitFacts(
      client,
      [{ repo: "acme/api", shas: [], since: SINCE, branches: ["afk-run-1", "afk-other"] }],
      null,
    );
    expect(emulator.log.entries.length - before).toBe(1);
    expect(facts?.pullRequests.get("afk-other")).toEqual([]);
    const [found] = facts?.pullRequests.get("afk-run-1") ?? [];
    expect(found).toMatchObject({
      number: pull.number,
      url: `https://github.com/acme/api/pull/${pull.number}`,
      crossRepository: false,
      head: { sha: head.sha, committedAt: head.date, onDefaultBranch: false, parent: { sha: base } },
    });
    expect(found?.head?.checks?.checkRuns.map((r) => [r.name, r.conclusion])).toEqual([["test", "failure"]]);
  });

  it("from a fork's branch of the same name is told apart; a merged one is read, a closed one is not", async () => {
    store.createRepo({ owner: "mallory", name: "api" });
    const forkBase = store.repo("mallory/api")?.branches.get("main") ?? "";
    store.createBranch("mallory/api", "afk-run-1", forkBase);
    store.pushCommit("mallory/api", "Evil\n\nRefs acme/api#1", "mallory", { branch: "afk-run-1" });
    store.openPullRequest("acme/api", {
      author: "mallory",
      title: "Evil",
      headBranch: "afk-run-1",
      headRepo: "mallory/api",
    });
    const base = store.repo("acme/api")?.branches.get("main") ?? "";
    store.createBranch("acme/api", "afk-run-1", base);
    store.pushCommit("acme/api", "Old\n\nRefs #1", "agent", { branch: "afk-run-1" });
    const closed = store.openPullRequest("acme/api", { author: "agent", title: "Old", headBranch: "afk-run-1" });
    store.closePullRequest("acme/api", closed.number);
    const merged = store.openPullRequest("acme/api", { author: "agent", title: "New", headBranch: "afk-run-1" });
    store.closePullRequest("acme/api", merged.number, "merged");
    const [facts] = await readCommitFacts(
      client,
      [{ repo: "acme/api", shas: [], since: SINCE, branches: ["afk-run-1"] }],
      null,
    );
    expect(facts?.pullRequests.get("afk-run-1")?.map((p) => [p.number, p.crossRepository])).toEqual([
      [merged.number, false],
      [merged.number - 2, true],
    ]);
  });
});

describe("a run's pull request by number (awaiting review)", () => {
  it("merged with its branch deleted: state, merge time and the real head with its CI, by headRefOid", async () => {
    const base = store.repo("acme/api")?.branches.get("main") ?? "";
    store.createBranch("acme/api", "afk-run-1", base);
    const head = store.pushCommit("acme/api", "Fix\n\nRefs #1\nAFK-Run: afk-run-1", "agent", { branch: "afk-run-1" });
    store.addCheckRun("acme/api", { headSha: head.sha, name: "test", conclusion: "success" });
    const pull = store.openPullRequest("acme/api", { author: "agent", title: "Fix", headBranch: "afk-run-1" });
    store.mergePullRequest("acme/api", pull.number, { by: "maya", deleteBranch: true });
    const [facts] = await readCommitFacts(
      client,
      [{ repo: "acme/api", shas: [], since: SINCE, pulls: [pull.number] }],
      null,
    );
    const found = facts?.pullsByNumber.get(pull.number);
    expect(found).toMatchObject({ state: "merged", headSha: head.sha, head: { sha: head.sha, message: head.message } });
    expect(found?.mergedAt).not.toBeNull();
    expect(found?.head?.checks?.checkRuns.map((r) => r.conclusion)).toEqual(["success"]);
  });

  it("reads reviews with their states, authors (a bot marked as one) and inline comments, oldest first", async () => {
    const base = store.repo("acme/api")?.branches.get("main") ?? "";
    store.createBranch("acme/api", "afk-run-1", base);
    store.pushCommit("acme/api", "Fix\n\nRefs #1", "agent", { branch: "afk-run-1" });
    const pull = store.openPullRequest("acme/api", { author: "agent", title: "Fix", headBranch: "afk-run-1" });
    store.addReview("acme/api", pull.number, {
      author: "maya",
      state: "CHANGES_REQUESTED",
      body: "Rename it",
      comments: [{ path: "src/a.ts", line: 2, body: "here" }],
    });
    store.addReview("acme/api", pull.number, { author: "helper[bot]", state: "COMMENTED", body: "lgtm?" });
    const [facts] = await readCommitFacts(
      client,
      [{ repo: "acme/api", shas: [], since: SINCE, pulls: [pull.number] }],
      null,
    );
    expect(facts?.pullsByNumber.get(pull.number)?.reviews).toEqual([
      {
        author: { login: "maya", isBot: false },
        state: "changes_requested",
        body: "Rename it",
        submittedAt: expect.any(String) as string,
        comments: [{ path: "src/a.ts", line: 2, body: "here" }],
      },
      {
        author: { login: "helper[bot]", isBot: true },
        state: "commented",
        body: "lgtm?",
        submittedAt: expect.any(String) as string,
        comments: [],
      },
    ]);
    expect(facts?.pullsByNumber.get(pull.number)?.state).toBe("open");
  });
});

describe("the CI verdict", () => {
  it("is none when nothing reported on the commit", async () => {
    const sha = store.pushCommit("acme/api", "Fix", "agent").sha;
    expect((await judge(sha)).verdict.state).toBe("none");
  });

  it("is pending while a check runs", async () => {
    const sha = store.pushCommit("acme/api", "Fix", "agent").sha;
    store.addCheckRun("acme/api", { headSha: sha, name: "test", status: "in_progress" });
    expect((await judge(sha)).verdict.state).toBe("pending");
  });

  it("is red with the failing checks and their links, from check runs and legacy statuses", async () => {
    const sha = store.pushCommit("acme/api", "Fix", "agent").sha;
    store.addCheckRun("acme/api", {
      headSha: sha,
      name: "test",
      conclusion: "failure",
      detailsUrl: "https://ci.example/1",
    });
    store.addStatus("acme/api", { sha, state: "failure", context: "lint" });
    store.addCheckRun("acme/api", { headSha: sha, name: "build", conclusion: "success" });
    const { verdict } = await judge(sha);
    expect(verdict.state).toBe("red");
    expect(verdict.signature).toBe("lint, test");
    expect(verdict.failing).toContainEqual({ name: "test", url: "https://ci.example/1" });
  });

  it("is green when everything succeeded", async () => {
    const sha = store.pushCommit("acme/api", "Fix", "agent").sha;
    store.addCheckRun("acme/api", { headSha: sha, name: "test", conclusion: "success" });
    store.addStatus("acme/api", { sha, state: "success", context: "lint" });
    expect((await judge(sha)).verdict.state).toBe("green");
  });

  it("leaves out the loop's own workflow run, which would otherwise stay pending forever", async () => {
    const sha = store.pushCommit("acme/api", "Fix", "agent").sha;
    store.addCheckRun("acme/api", { headSha: sha, name: "test", conclusion: "success" });
    store.addCheckRun("acme/api", { headSha: sha, name: "afk-loop tick", status: "in_progress", workflowRunId: 777 });
    expect((await judge(sha)).verdict.state).toBe("pending");
    expect((await judge(sha, { ownRun: 777 })).verdict.state).toBe("green");
  });

  it("waits on the deploy stage, then fails on a failed deployment", async () => {
    const sha = store.pushCommit("acme/api", "Fix", "agent").sha;
    store.addCheckRun("acme/api", { headSha: sha, name: "test", conclusion: "success" });
    expect((await judge(sha, { environment: "production" })).verdict).toMatchObject({ state: "none", stage: "deploy" });
    const deployment = store.createDeployment("acme/api", { sha, environment: "production" });
    store.addDeploymentStatus("acme/api", deployment.id, { state: "failure" });
    expect((await judge(sha, { environment: "production" })).verdict).toMatchObject({ state: "red", stage: "deploy" });
  });

  it("says when the parent commit was already red on the same checks", async () => {
    const parent = store.pushCommit("acme/api", "Broke it", "human").sha;
    store.addCheckRun("acme/api", { headSha: parent, name: "test", conclusion: "failure" });
    const sha = store.pushCommit("acme/api", "Fix\n\nRefs #1", "agent").sha;
    store.addCheckRun("acme/api", { headSha: sha, name: "test", conclusion: "failure" });
    expect((await judge(sha)).parentAlreadyRed).toBe(true);
  });

  it("reads every run's commits for a repo in one request", async () => {
    const a = store.pushCommit("acme/api", "A", "agent").sha;
    const b = store.pushCommit("acme/api", "B", "agent").sha;
    const before = client.counts.graphql;
    await readCommitFacts(client, [{ repo: "acme/api", shas: [a, b], since: SINCE }], "production");
    expect(client.counts.graphql - before).toBe(1);
  });
});
