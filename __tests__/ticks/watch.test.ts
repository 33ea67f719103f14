// The watch tick against the emulators, one small world per row of docs/design.md §5:
// what the issue's labels, state and single progress comment say afterwards,
// what the executor was sent, and which doorbells rang. Claims left by a
// crashed poll, owed doorbells and the quiet tick are here too. Every world is
// one issue already dispatched (or claimed) in acme/api; see
// __fixtures__/ticks.ts for the defaults.

import { describe, expect, it } from "vitest";
import {
  inFlightIssue,
  LABELS,
  readyIssue,
  REPO,
  startLoop,
  stopLoopsAfterEach,
  tickWorld,
  watchUntilAction,
  type Loop,
} from "../../__fixtures__/ticks.js";
import { renderMarkdown } from "../../src/report/render.js";
import type { WatchedRun } from "../../src/ticks/watch.js";

stopLoopsAfterEach();

function runOf(report: { runs: WatchedRun[] }, number = 1): WatchedRun {
  const run = report.runs.find((r) => r.number === number);
  if (!run) throw new Error(`the watch tick did not report #${number}`);
  return run;
}

/** Watch ticks, each after a world tick, until the run leaves `wait`; returns that run. */
async function firstAction(loop: Loop, number = 1): Promise<WatchedRun> {
  return runOf(await watchUntilAction(loop, number), number);
}

describe("CI green on the pushed commit", () => {
  it("closes the issue as completed and takes off the in-progress and ready labels", async () => {
    const loop = await startLoop(tickWorld({ issues: [inFlightIssue(1)] }));
    expect((await firstAction(loop)).action).toBe("close");
    expect(loop.issue(1)).toMatchObject({ state: "closed", stateReason: "completed" });
    expect(loop.labels(1)).not.toContain(LABELS.inProgress);
    expect(loop.labels(1)).not.toContain(LABELS.ready);
  });

  it("rings the done doorbell once, and not again on later ticks", async () => {
    const loop = await startLoop(tickWorld({ issues: [inFlightIssue(1)] }));
    await firstAction(loop);
    loop.advance();
    await loop.watch();
    expect(loop.doorbells()).toEqual([`done ${REPO}#1`]);
  });
});

describe("CI red, fix-forward budget left", () => {
  const world = () =>
    tickWorld({ issues: [inFlightIssue(1, { agent: ["push", "push"], ci: [{ result: "red", failing: ["test"] }] })] });

  it("sends a corrective turn naming the failing check on the same T3 thread", async () => {
    const loop = await startLoop(world());
    expect((await firstAction(loop)).action).toBe("fix-forward");
    expect(loop.threadsFor(1)).toHaveLength(1);
    const messages = loop.thread(1)?.messages.filter((m) => m.role === "user") ?? [];
    expect(messages).toHaveLength(2);
    expect(messages[1]?.text).toContain("test");
  });

  it("keeps the lock, counts the fix-forward in the record and rings nothing", async () => {
    const loop = await startLoop(world());
    await firstAction(loop);
    expect(loop.labels(1)).toContain(LABELS.inProgress);
    expect(loop.record(1)).toMatchObject({ phase: "dispatched", fixForwards: 1, lastFailureSignature: "test" });
    expect(loop.doorbells()).toEqual([]);
  });
});

describe("CI red, fix-forward budget spent", () => {
  it("freezes early when the same checks fail same-failure-limit fix-forwards in a row", async () => {
    const loop = await startLoop(
      tickWorld({
        inputs: { "fix-forward-attempts": 5, "same-failure-limit": 2 },
        issues: [inFlightIssue(1, { ci: { result: "red", failing: ["test"] } })],
      }),
    );
    const actions: string[] = [];
    // Bounded: a loop that never stopped fixing forward fails the assertion below, not the timeout.
    for (let i = 0; i < 6; i++) {
      const run = await firstAction(loop);
      actions.push(run.action);
      if (run.action !== "fix-forward") break;
    }
    expect(actions).toEqual(["fix-forward", "fix-forward", "freeze"]);
    expect(loop.record(1)).toMatchObject({ phase: "frozen", fixForwards: 2 });
    expect(loop.record(1)?.reason).toContain("same checks");
  });

  const spent = () =>
    tickWorld({
      inputs: { "fix-forward-attempts": 1 },
      issues: [
        inFlightIssue(1, {
          ci: [
            { result: "red", failing: ["build"] },
            { result: "red", failing: ["test"] },
          ],
        }),
      ],
    });

  it("freezes when the attempts are spent: ready-for-human and frozen on, ready and in-progress off, still open", async () => {
    const loop = await startLoop(spent());
    expect((await firstAction(loop)).action).toBe("fix-forward");
    expect((await firstAction(loop)).action).toBe("freeze");
    expect(loop.labels(1)).toEqual(expect.arrayContaining([LABELS.human, LABELS.frozen]));
    expect(loop.labels(1)).not.toContain(LABELS.ready);
    expect(loop.labels(1)).not.toContain(LABELS.inProgress);
    expect(loop.issue(1).state).toBe("open");
  });

  it("rings the frozen doorbell once when it freezes", async () => {
    const loop = await startLoop(spent());
    await firstAction(loop);
    await firstAction(loop);
    loop.advance();
    await loop.watch();
    expect(loop.doorbells()).toEqual([`frozen ${REPO}#1`]);
  });

  it("freezes at once, spending no turn, when the same checks were already red on someone else's parent commit", async () => {
    const loop = await startLoop(
      tickWorld({ issues: [inFlightIssue(1, { ci: { result: "red", failing: ["test"] } })] }),
    );
    const { store } = loop.sandbox.world;
    const broken = store.pushCommit(REPO, "Refactor the handlers", "maya");
    store.addCheckRun(REPO, { headSha: broken.sha, name: "test", conclusion: "failure" });
    const run = await firstAction(loop);
    expect(run.action).toBe("freeze");
    expect(run.reason).toContain("already red on the parent");
    expect(loop.userMessages(1)).toHaveLength(1);
  });

  it("freezes when fix-forward-minutes have passed since the first red", async () => {
    const loop = await startLoop(
      tickWorld({
        inputs: { "fix-forward-attempts": 5, "fix-forward-minutes": 15 },
        issues: [
          inFlightIssue(1, {
            ci: [
              { result: "red", failing: ["build"] },
              { result: "red", failing: ["test"] },
            ],
          }),
        ],
      }),
    );
    expect((await firstAction(loop)).action).toBe("fix-forward");
    const second = await firstAction(loop);
    expect(second.action).toBe("freeze");
    expect(loop.record(1)?.reason).toContain("time budget");
  });
});

describe("pushed, but no CI reports", () => {
  const world = (noCi: "escalate" | "close") =>
    tickWorld({ inputs: { "ci-timeout-minutes": 20, "no-ci": noCi }, issues: [inFlightIssue(1, { ci: "none" })] });

  it("escalates to a human after ci-timeout-minutes, ringing needs-human", async () => {
    const loop = await startLoop(world("escalate"));
    const run = await firstAction(loop);
    expect(run.action).toBe("escalate-no-ci");
    expect(loop.labels(1)).toContain(LABELS.human);
    expect(loop.labels(1)).not.toContain(LABELS.ready);
    expect(loop.issue(1).state).toBe("open");
    expect(loop.doorbells()).toEqual([`needs-human ${REPO}#1`]);
  });

  it("waits for CI until ci-timeout-minutes have passed since the push", async () => {
    const loop = await startLoop(world("escalate"));
    loop.advance(); // the agent pushes
    await loop.watch();
    const pushedAt = loop.now().getTime();
    await firstAction(loop);
    expect(loop.now().getTime() - pushedAt).toBeGreaterThanOrEqual(20 * 60_000);
  });

  it("closes the issue as completed instead with no-ci: close", async () => {
    const loop = await startLoop(world("close"));
    expect((await firstAction(loop)).action).toBe("close-no-ci");
    expect(loop.issue(1)).toMatchObject({ state: "closed", stateReason: "completed" });
    expect(loop.doorbells()).toEqual([`done ${REPO}#1`]);
  });
});

describe("not pushed: escalate before push", () => {
  it.each([
    ["needs-input", "waiting for input"],
    ["needs-approval", "waiting for an approval"],
  ] as const)("an agent that asks (%s) is handed to a human before any push", async (act, detail) => {
    const loop = await startLoop(tickWorld({ issues: [inFlightIssue(1, { agent: act })] }));
    const run = await firstAction(loop);
    expect(run.action).toBe("escalate-prepush");
    expect(run.reason).toContain(detail);
    expect(run.sha).toBeNull();
    expect(loop.labels(1)).toContain(LABELS.human);
    expect(loop.labels(1)).not.toContain(LABELS.ready);
    expect(loop.labels(1)).not.toContain(LABELS.inProgress);
    expect(loop.doorbells()).toEqual([`needs-human ${REPO}#1`]);
  });

  it.each([
    ["idle", "idle"],
    ["error", "error"],
    ["interrupt", "interrupted"],
  ] as const)("an agent whose turn ends (%s) without a push is handed to a human", async (act, state) => {
    const loop = await startLoop(tickWorld({ issues: [inFlightIssue(1, { agent: act })] }));
    const run = await firstAction(loop);
    expect(run.action).toBe("escalate-prepush");
    expect(run.reason).toContain(`the agent stopped (${state}) without pushing`);
    expect(loop.record(1)).toMatchObject({ phase: "escalated", lastAction: "escalate-prepush" });
    expect(loop.labels(1)).toContain(LABELS.human);
    expect(loop.issue(1).state).toBe("open");
  });

  it("an agent still running past max-run-minutes without a push is escalated as stalled", async () => {
    const loop = await startLoop(
      tickWorld({ inputs: { "max-run-minutes": 20 }, issues: [inFlightIssue(1, { agent: "run-forever" })] }),
    );
    const dispatchedAt = Date.parse(loop.record(1)?.dispatchedAt ?? "");
    const run = await firstAction(loop);
    expect(run.action).toBe("escalate-prepush");
    expect(run.reason).toContain("limit 20 minutes");
    expect(loop.now().getTime() - dispatchedAt).toBeGreaterThanOrEqual(20 * 60_000);
    expect(loop.now().getTime() - dispatchedAt).toBeLessThan(30 * 60_000);
  });
});

describe("the executor lost the run", () => {
  it("a deleted T3 thread is escalated as lost once the lease is over", async () => {
    const loop = await startLoop(
      tickWorld({ issues: [inFlightIssue(1, { run: { since: "-20m", thread: "deleted" } })] }),
    );
    const run = runOf(await loop.watch());
    expect(run.action).toBe("escalate-lost");
    expect(loop.labels(1)).toContain(LABELS.human);
    expect(loop.labels(1)).not.toContain(LABELS.inProgress);
    expect(loop.doorbells()).toEqual([`needs-human ${REPO}#1`]);
  });

  it("a missing thread within the lease is waited for", async () => {
    const loop = await startLoop(
      tickWorld({ issues: [inFlightIssue(1, { run: { since: "-5m", thread: "missing" } })] }),
    );
    expect(runOf(await loop.watch()).action).toBe("wait");
    expect(loop.labels(1)).toContain(LABELS.inProgress);
  });
});

describe("claims left by a poll tick that died", () => {
  /**
   * The poll claims (record + lock label), then dies before dispatching: T3
   * refuses the thread and the write that would give the claim back is cut.
   */
  async function claimWithoutDispatch(loop: Loop): Promise<void> {
    loop.sandbox.t3.addFault({ kind: "status", status: 500, route: "dispatch", commandType: "thread.create" });
    const cut = loop.sandbox.github.faults.add({
      route: "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}",
      action: { kind: "reset" },
    });
    const report = await loop.poll();
    cut();
    loop.sandbox.t3.clearFaults();
    if (report.failures.length !== 1 || loop.record(1)?.phase !== "claimed") throw new Error("the claim did not stick");
  }

  /** The poll claims and dispatches, then dies before recording the thread: the record write is cut. */
  async function dispatchWithoutRecord(loop: Loop): Promise<void> {
    const cut = loop.sandbox.github.faults.add({
      route: "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}",
      action: { kind: "reset" },
    });
    const report = await loop.poll();
    cut();
    if (report.failures.length !== 1 || loop.record(1)?.phase !== "claimed") throw new Error("the claim did not stick");
  }

  it("a claim past its lease with no thread is released: lock off, ready label kept", async () => {
    const loop = await startLoop(tickWorld({ issues: [readyIssue(1)] }));
    await claimWithoutDispatch(loop);
    expect(loop.labels(1)).toContain(LABELS.inProgress);
    loop.advance(2); // 20 minutes: the 15-minute lease is over
    const run = runOf(await loop.watch());
    expect(run.action).toBe("release");
    expect(loop.record(1)?.phase).toBe("released");
    expect(loop.labels(1)).not.toContain(LABELS.inProgress);
    expect(loop.labels(1)).toContain(LABELS.ready);
  });

  it("a claim with no thread is left alone while its lease runs", async () => {
    const loop = await startLoop(tickWorld({ issues: [readyIssue(1)] }));
    await claimWithoutDispatch(loop);
    loop.advance();
    expect(runOf(await loop.watch()).action).toBe("wait");
    expect(loop.record(1)?.phase).toBe("claimed");
    expect(loop.labels(1)).toContain(LABELS.inProgress);
  });

  it("a claim whose thread exists is adopted: the record gets the thread, the lock stays", async () => {
    const loop = await startLoop(tickWorld({ issues: [readyIssue(1, { agent: "run-forever" })] }));
    await dispatchWithoutRecord(loop);
    const run = runOf(await loop.watch());
    expect(run.action).toBe("adopt");
    expect(loop.record(1)).toMatchObject({ phase: "dispatched", threadId: loop.thread(1)?.id });
    expect(loop.labels(1)).toContain(LABELS.inProgress);
    expect(loop.userMessages(1)).toHaveLength(1);
  });
});

describe("owed doorbells", () => {
  const world = () => tickWorld({ issues: [inFlightIssue(1, { agent: "idle" })] });

  it("a failed doorbell is owed: the transition stands and the issue carries afk-doorbell-owed", async () => {
    const loop = await startLoop(world());
    loop.sandbox.doorbells.failNext(1);
    const run = await firstAction(loop);
    expect(run.action).toBe("escalate-prepush");
    expect(run.doorbell?.failed).toHaveLength(1);
    expect(loop.record(1)).toMatchObject({ phase: "escalated", doorbell: { kind: "needs-human", delivered: false } });
    expect(loop.labels(1)).toEqual(expect.arrayContaining([LABELS.human, LABELS.owed]));
  });

  it("the next tick rings the owed doorbell once and takes the label off", async () => {
    const loop = await startLoop(world());
    loop.sandbox.doorbells.failNext(1);
    await firstAction(loop);
    loop.advance();
    expect(runOf(await loop.watch()).action).toBe("ring");
    loop.advance();
    await loop.watch();
    expect(loop.doorbells()).toEqual([`needs-human ${REPO}#1`]);
    expect(loop.record(1)?.doorbell).toEqual({ kind: "needs-human", delivered: true });
    expect(loop.labels(1)).not.toContain(LABELS.owed);
  });

  it("an owed doorbell that fails again stays owed, label and all", async () => {
    const loop = await startLoop(world());
    loop.sandbox.doorbells.failNext(2);
    await firstAction(loop);
    loop.advance();
    expect(runOf(await loop.watch()).action).toBe("ring");
    expect(loop.record(1)?.doorbell).toEqual({ kind: "needs-human", delivered: false });
    expect(loop.labels(1)).toContain(LABELS.owed);
  });

  it("the job summary shows the failed doorbell as owed", async () => {
    const loop = await startLoop(world());
    loop.sandbox.doorbells.failNext(1);
    const report = await watchUntilAction(loop, 1);
    const summary = renderMarkdown(
      { mode: "armed", dryRun: false, repos: [REPO], requests: null, executorRequests: null },
      report,
      null,
    );
    expect(summary).toMatch(/needs-human for acme\/api\\#1: .*failed.*owed/);
  });
});

describe("the progress comment and quiet ticks", () => {
  it("an issue keeps exactly one progress comment from dispatch through fix-forward to closing", async () => {
    const loop = await startLoop(
      tickWorld({
        issues: [readyIssue(1, { agent: ["push", "push"], ci: [{ result: "red", failing: ["test"] }, "green"] })],
      }),
    );
    const counts: number[] = [];
    const actions: string[] = [];
    for (let round = 0; round < 8 && loop.issue(1).state === "open"; round++) {
      if (round > 0) loop.advance();
      const { watch } = await loop.round();
      actions.push(...watch.runs.map((r) => r.action));
      counts.push(loop.progressComments(1).length);
    }
    expect(actions).toEqual(expect.arrayContaining(["fix-forward", "close"]));
    expect(loop.issue(1).state).toBe("closed");
    expect(new Set(counts)).toEqual(new Set([1]));
  });

  it("a tick in which nothing changed writes nothing to GitHub", async () => {
    const loop = await startLoop(tickWorld({ issues: [inFlightIssue(1, { agent: "run-forever" })] }));
    await loop.watch(); // may refresh the seeded comment once (it gains the thread link)
    loop.advance();
    const mark = loop.mark();
    const report = await loop.watch();
    expect(runOf(report).action).toBe("wait");
    expect(loop.githubSince(mark).length).toBeGreaterThan(0);
    expect(loop.writesSince(mark)).toEqual([]);
  });
});

describe("closed issues that still carry the lock", () => {
  it("closed by a person mid-run: the run is released, its agent stopped, then the lock comes off, with no doorbell", async () => {
    const loop = await startLoop(tickWorld({ issues: [inFlightIssue(1, { agent: "run-forever" })] }));
    loop.sandbox.world.store.closeIssue(REPO, 1, "maya");
    loop.advance();
    const run = runOf(await loop.watch());
    expect(run.action).toBe("release");
    expect(run.reason).toContain("closed before the agent pushed anything");
    expect(run.reason).toContain("agent stopped at");
    expect(loop.record(1)).toMatchObject({ phase: "released", doorbell: null, stop: { state: "stopped" } });
    expect(loop.labels(1)).not.toContain(LABELS.inProgress);
    expect(loop.doorbells()).toEqual([]);
    // Finished: the next tick has nothing to watch, and the closed issue is never dispatched.
    const next = await loop.round();
    expect(next.watch.runs).toEqual([]);
    expect(next.poll.dispatched).toEqual([]);
  });

  it("closed by the agent's own closing keyword at the push: the run still waits for CI, then is done", async () => {
    const loop = await startLoop(
      tickWorld({
        issues: [
          inFlightIssue(1, { agent: [{ act: "push", commitMessage: "Fix it\n\nFixes #{number}\nAFK-Run: {runId}" }] }),
        ],
      }),
    );
    const report = await watchUntilAction(loop, 1);
    expect(runOf(report)).toMatchObject({ action: "close", ci: "green" });
    expect(loop.issue(1).state).toBe("closed");
    expect(loop.record(1)?.phase).toBe("closed");
    expect(loop.labels(1)).not.toContain(LABELS.inProgress);
    expect(loop.doorbells()).toEqual([`done ${REPO}#1`]);
  });

  it("closed by the loop when the lock removal after it failed: the next tick takes the lock off", async () => {
    const loop = await startLoop(tickWorld({ issues: [inFlightIssue(1)] }));
    const cut = loop.sandbox.github.faults.add({
      route: new RegExp(`^DELETE /repos/${REPO}/issues/1/labels/${LABELS.inProgress}$`),
      action: { kind: "status", status: 403 },
    });
    let report = await loop.watch();
    for (let tick = 0; tick < 6 && loop.issue(1).state === "open"; tick++) {
      loop.advance();
      report = await loop.watch();
    }
    cut();
    expect(report.failures).toMatchObject([{ issue: 1, stage: "act" }]);
    expect(loop.issue(1).state).toBe("closed");
    expect(loop.labels(1)).toContain(LABELS.inProgress);

    const mark = loop.mark();
    const again = await loop.watch();
    expect(again.failures).toEqual([]);
    expect(loop.labels(1)).not.toContain(LABELS.inProgress);
    expect(loop.writesSince(mark).map((w) => w.route)).toEqual([
      "DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}",
    ]);
    expect(loop.doorbells()).toEqual([`done ${REPO}#1`]);
  });

  it("a closed issue someone else labelled is none of the loop's business, and not reported", async () => {
    const loop = await startLoop(tickWorld({ issues: [readyIssue(1)] }));
    loop.sandbox.world.store.applyLabel(REPO, 1, LABELS.inProgress, "maya");
    loop.sandbox.world.store.closeIssue(REPO, 1, "maya");
    const mark = loop.mark();
    expect((await loop.watch()).runs).toEqual([]);
    expect(loop.writesSince(mark)).toEqual([]);
  });
});

describe("Needs you (issue 11)", () => {
  const world = () =>
    tickWorld({
      issues: [
        inFlightIssue(1, { agent: "needs-input" }),
        // A person's own use of the human label: no record of the loop's, none of its business.
        readyIssue(2, { labels: [{ name: LABELS.human, by: "bob", at: "-1h" }] }),
      ],
    });

  it("lists an issue the loop hands over in the tick that hands it over", async () => {
    const loop = await startLoop(world());
    const report = await watchUntilAction(loop, 1);
    expect(report.handed).toEqual([
      expect.objectContaining({
        repo: REPO,
        number: 1,
        reason: expect.stringContaining("waiting for input") as string,
      }),
    ]);
  });

  it("keeps listing it on every later tick, read in the batched query at no extra request, and never a person's label", async () => {
    const loop = await startLoop(world());
    const handedAt = (await watchUntilAction(loop, 1)).handed[0]?.since;
    loop.advance();
    const mark = loop.mark();
    const later = await loop.watch();
    expect(later.handed.map((h) => `${h.repo}#${h.number}`)).toEqual([`${REPO}#1`]);
    expect(later.handed[0]).toMatchObject({ reason: expect.stringContaining("waiting for input") as string });
    // When the loop wrote its record: the handover, not this tick.
    expect(Date.parse(later.handed[0]?.since ?? "")).toBeLessThanOrEqual(Date.parse(handedAt ?? ""));
    expect(loop.githubSince(mark).map((e) => e.route)).toEqual(["POST /graphql"]);
  });

  it("drops it once a person takes the human label off", async () => {
    const loop = await startLoop(world());
    await watchUntilAction(loop, 1);
    loop.sandbox.world.store.removeLabel(REPO, 1, LABELS.human, "bob");
    loop.advance();
    expect((await loop.watch()).handed).toEqual([]);
  });
});
