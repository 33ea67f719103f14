// Delivery by pull request, end to end: the prompt names the run's branch,
// the scripted agent pushes there and opens a pull request, and the watch
// tick judges CI on the pull request's head. On green the run awaits review
// (the lock comes off); the merge makes it done, a close without merging
// hands it to a human. A fork's look-alike pull request or a push to the
// default branch never counts for the run. Review rounds: review.test.ts.

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
import { AWAITING_REVIEW_LABEL } from "../../src/core/labels.js";
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

  it("a green pull request awaits review: lock off, no doorbell yet; its merge makes the run done", async () => {
    const loop = await startPullRequestWorld(readyIssue(1, { agent: "pull-request", ci: ["green"] }));
    await loop.round();
    const rounds = await roundsUntil(loop, (r) => r.watch.runs.some((w) => w.action === "await-review"), 6);
    const [pull] = pullRequests(loop);
    const head = loop.sandbox.world.store.repo(REPO)?.branches.get(RUN_ID);
    expect(rounds.at(-1)?.watch.runs).toMatchObject([{ action: "await-review", sha: head, ci: "green" }]);
    expect(loop.issue(1).state).toBe("open");
    expect(loop.labels(1)).not.toContain(LABELS.inProgress);
    expect(loop.labels(1)).not.toContain(LABELS.ready);
    expect(loop.labels(1)).toContain(AWAITING_REVIEW_LABEL);
    expect(loop.record(1)).toMatchObject({ phase: "awaiting-review", pushedSha: head });
    expect(loop.doorbells()).toEqual([]);
    const body = loop.progressComments(1)[0]?.body ?? "";
    expect(body).toContain(`to pull request [#${pull?.number}](https://github.com/${REPO}/pull/${pull?.number})`);
    expect(body).toContain("awaiting review of the pull request");
    expect(body).toContain("- [x] Awaiting review");
    expect(body).toContain("- [ ] Merged");

    // Followed quietly while nobody reviews: no writes, and the issue is not dispatched again.
    const mark = loop.mark();
    const quiet = await loop.round();
    expect(quiet.watch.runs).toMatchObject([{ action: "wait", phase: "awaiting-review" }]);
    expect(quiet.poll.dispatched).toEqual([]);
    expect(loop.writesSince(mark)).toEqual([]);

    loop.sandbox.world.store.mergePullRequest(REPO, pull?.number ?? 0, { by: "maya" });
    const merged = await loop.watch();
    expect(merged.runs).toMatchObject([{ action: "close", sha: head }]);
    expect(loop.record(1)).toMatchObject({ phase: "closed", pushedSha: head, review: { pullRequest: pull?.number } });
    expect(loop.labels(1)).not.toContain(AWAITING_REVIEW_LABEL);
    expect(loop.doorbells()).toEqual([`done ${REPO}#1`]);
    expect(loop.progressComments(1)[0]?.body).toMatch(/- \[x\] Merged at /);
    expect((await loop.round()).watch.runs).toEqual([]);
  });

  it("a green pull request closed without merging goes to a human, with the reason", async () => {
    const loop = await startPullRequestWorld(readyIssue(1, { agent: "pull-request", ci: ["green"] }));
    await loop.round();
    await roundsUntil(loop, (r) => r.watch.runs.some((w) => w.action === "await-review"), 6);
    const [pull] = pullRequests(loop);
    loop.sandbox.world.store.closePullRequest(REPO, pull?.number ?? 0);
    const watch = await loop.watch();
    expect(watch.runs).toMatchObject([{ action: "escalate-review", phase: "escalated" }]);
    expect(watch.runs[0]?.reason).toContain(`pull request #${pull?.number} was closed without being merged`);
    expect(watch.handed.map((h) => h.number)).toEqual([1]);
    expect(loop.labels(1)).toContain(LABELS.human);
    expect(loop.labels(1)).not.toContain(AWAITING_REVIEW_LABEL);
    expect(loop.issue(1).state).toBe("open");
    expect(loop.doorbells()).toEqual([`needs-human ${REPO}#1`]);
  });

  it("a run awaiting review holds no lock: the repository takes its next issue meanwhile", async () => {
    const loop = await startPullRequestWorld(readyIssue(1, { agent: "pull-request", ci: ["green"] }));
    loop.sandbox.world.store.createIssue(REPO, { author: "maya", title: "Next", labels: [] });
    await loop.round();
    await roundsUntil(loop, (r) => r.watch.runs.some((w) => w.action === "await-review"), 6);
    loop.sandbox.world.store.applyLabel(REPO, 2, LABELS.ready, "maya");
    const { poll } = await loop.round();
    expect(poll.dispatched.map((d) => d.number)).toEqual([2]);
    expect(loop.record(1)).toMatchObject({ phase: "awaiting-review" });
  });

  it("red CI fixes forward on the same pull request; its new head going green awaits review", async () => {
    const loop = await startPullRequestWorld(
      readyIssue(1, { agent: ["pull-request", "pull-request"], ci: [{ result: "red", failing: ["test"] }, "green"] }),
    );
    await loop.round();
    const rounds = await roundsUntil(loop, (r) => r.watch.runs.some((w) => w.action === "await-review"), 10);
    const actions = rounds.flatMap((r) => r.watch.runs.map((w) => w.action));
    expect(actions.filter((a) => a === "fix-forward")).toHaveLength(1);
    expect(pullRequests(loop)).toHaveLength(1);
    const head = loop.sandbox.world.store.repo(REPO)?.branches.get(RUN_ID);
    expect(loop.record(1)).toMatchObject({ phase: "awaiting-review", fixForwards: 1, pushedSha: head });
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
