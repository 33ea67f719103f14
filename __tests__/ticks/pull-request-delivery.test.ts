// Delivery by pull request, end to end: the prompt names the run's branch,
// the scripted agent pushes there and opens a pull request, and the watch
// tick judges CI on the pull request's head. On green the run is done and the
// issue stays open for the pull request's merge to close; a fork's look-alike
// pull request or a push to the default branch never counts for the run.

import { describe, expect, it } from "vitest";
import {
  LABELS,
  readyIssue,
  REPO,
  roundsUntil,
  startLoop,
  stopLoopsAfterEach,
  tickWorld,
  type IssueInput,
  type Loop,
} from "../../__fixtures__/ticks.js";
import { runIdFor } from "../../src/core/run-record.js";

stopLoopsAfterEach();

const RUN_ID = runIdFor(REPO, 1, 1);

const startPullRequestWorld = (issue: IssueInput) =>
  startLoop(tickWorld({ inputs: { delivery: "pull-request" }, issues: [issue] }));

function pullRequests(loop: Loop) {
  return loop.sandbox.world.store.repo(REPO)?.pullRequests ?? [];
}

describe("delivery: pull-request", () => {
  it("asks the agent for a pull request from the run's branch", async () => {
    const loop = await startPullRequestWorld(readyIssue(1, { agent: "run-forever" }));
    const { poll } = await loop.round();
    expect(poll.failures).toEqual([]);
    expect(loop.userMessages(1)[0]).toContain(`new branch named exactly \`${RUN_ID}\``);
  });

  it("a green pull request finishes the run: lock off, done rung, the issue left open for the merge", async () => {
    const loop = await startPullRequestWorld(readyIssue(1, { agent: "pull-request", ci: ["green"] }));
    await loop.round();
    const rounds = await roundsUntil(loop, (r) => r.watch.runs.some((w) => w.action === "close"), 6);
    const [pull] = pullRequests(loop);
    const head = loop.sandbox.world.store.repo(REPO)?.branches.get(RUN_ID);
    expect(rounds.at(-1)?.watch.runs).toMatchObject([{ action: "close", sha: head, ci: "green" }]);
    expect(loop.issue(1).state).toBe("open");
    expect(loop.labels(1)).not.toContain(LABELS.inProgress);
    expect(loop.labels(1)).not.toContain(LABELS.ready);
    expect(loop.record(1)).toMatchObject({ phase: "closed", pushedSha: head });
    expect(loop.doorbells()).toEqual([`done ${REPO}#1`]);
    const body = loop.progressComments(1)[0]?.body ?? "";
    expect(body).toContain(`to pull request [#${pull?.number}](https://github.com/${REPO}/pull/${pull?.number})`);
    expect(body).toContain("merging it closes the issue");

    // The finished run is not watched again, and its issue is not dispatched again.
    const quiet = await loop.round();
    expect(quiet.watch.runs).toEqual([]);
    expect(quiet.poll.dispatched).toEqual([]);
  });

  it("red CI fixes forward on the same pull request; its new head going green finishes the run", async () => {
    const loop = await startPullRequestWorld(
      readyIssue(1, { agent: ["pull-request", "pull-request"], ci: [{ result: "red", failing: ["test"] }, "green"] }),
    );
    await loop.round();
    const rounds = await roundsUntil(loop, (r) => r.watch.runs.some((w) => w.action === "close"), 10);
    const actions = rounds.flatMap((r) => r.watch.runs.map((w) => w.action));
    expect(actions.filter((a) => a === "fix-forward")).toHaveLength(1);
    expect(pullRequests(loop)).toHaveLength(1);
    const head = loop.sandbox.world.store.repo(REPO)?.branches.get(RUN_ID);
    expect(loop.record(1)).toMatchObject({ phase: "closed", fixForwards: 1, pushedSha: head });
    expect(loop.userMessages(1)[1]).toContain("push a new commit on top of");
  });

  it("merged and the issue closed before the watch saw green (an auto-merge): still done", async () => {
    const loop = await startPullRequestWorld(readyIssue(1, { agent: "pull-request", ci: ["green"] }));
    await loop.round();
    const store = loop.sandbox.world.store;
    for (let tick = 0; tick < 6 && pullRequests(loop).length === 0; tick++) loop.advance();
    loop.advance(); // CI goes green...
    const [pull] = pullRequests(loop);
    store.closePullRequest(REPO, pull?.number ?? 0, "merged"); // ...and the merge closes the issue
    store.closeIssue(REPO, 1, "maya");
    const watch = await loop.watch();
    expect(watch.runs).toMatchObject([{ action: "close", ci: "green" }]);
    expect(loop.record(1)).toMatchObject({ phase: "closed" });
    expect(loop.labels(1)).not.toContain(LABELS.inProgress);
    expect(loop.doorbells()).toEqual([`done ${REPO}#1`]);
  });

  it("auto-merged with its branch deleted before the watch saw it: done, on the pull request's real head", async () => {
    const loop = await startPullRequestWorld(readyIssue(1, { agent: "pull-request", ci: ["green"] }));
    await loop.round();
    const store = loop.sandbox.world.store;
    for (let tick = 0; tick < 6 && pullRequests(loop).length === 0; tick++) loop.advance();
    loop.advance(); // CI goes green, and the auto-merge merges and deletes the branch at once
    const head = store.repo(REPO)?.branches.get(RUN_ID);
    const [pull] = pullRequests(loop);
    store.mergePullRequest(REPO, pull?.number ?? 0, { by: "maya", deleteBranch: true });
    expect(store.repo(REPO)?.branches.has(RUN_ID)).toBe(false);
    expect(loop.issue(1).state).toBe("closed"); // `Closes #1` in its description
    const watch = await loop.watch();
    expect(watch.runs).toMatchObject([{ action: "close", ci: "green", sha: head }]);
    expect(loop.record(1)).toMatchObject({ phase: "closed", pushedSha: head });
    expect(loop.labels(1)).not.toContain(LABELS.inProgress);
    expect(loop.doorbells()).toEqual([`done ${REPO}#1`]);
  });

  it("a fork's pull request from a branch of the same name never counts, however green", async () => {
    const loop = await startPullRequestWorld(readyIssue(1, { agent: "run-forever" }));
    await loop.round();
    loop.advance(); // the look-alike comes after the dispatch, as a real one would
    const store = loop.sandbox.world.store;
    store.createRepo({ owner: "mallory", name: "api" });
    store.createBranch("mallory/api", RUN_ID, store.repo("mallory/api")?.branches.get("main") ?? "");
    const evil = store.pushCommit("mallory/api", "Looks done\n\nRefs acme/api#1", "mallory", { branch: RUN_ID });
    store.addCheckRun(REPO, { headSha: evil.sha, name: "test", conclusion: "success" });
    store.openPullRequest(REPO, { author: "mallory", title: "Done", headBranch: RUN_ID, headRepo: "mallory/api" });
    const watch = await loop.watch();
    expect(watch.runs).toMatchObject([{ action: "wait", sha: null }]);
    expect(loop.record(1)).toMatchObject({ phase: "dispatched", pushedSha: null });
  });

  it("a push to the default branch is not the pull request asked for: the stopped agent goes to a human", async () => {
    const loop = await startPullRequestWorld(readyIssue(1, { agent: "push", ci: ["green"] }));
    await loop.round();
    const rounds = await roundsUntil(loop, (r) => r.watch.runs.some((w) => w.action !== "wait"), 6);
    expect(rounds.at(-1)?.watch.runs).toMatchObject([{ action: "escalate-prepush" }]);
    expect(loop.labels(1)).toContain(LABELS.human);
  });
});
