// Stop means stop: every path on which the loop lets go of a run whose agent may
// still be working ends with that agent stopped (T3 turn `interrupted`, workflow
// run `cancelled`) and no further push from the scripted agent, over the real
// HTTP emulators. A stop that fails is owed and sent again; an agent waiting
// for a person is left open, and the progress comment says why.

import { describe, expect, it } from "vitest";
import {
  inFlightIssue,
  LABELS,
  LOOP_LOGIN,
  readyIssue,
  REPO,
  startLoop,
  stopLoopsAfterEach,
  tickWorld,
  type Loop,
} from "../../__fixtures__/ticks.js";
import type { WatchedRun } from "../../src/ticks/watch.js";

stopLoopsAfterEach();

const WEB = "acme/web";

function runOf(report: { runs: WatchedRun[] }, number = 1, repo = REPO): WatchedRun {
  const run = report.runs.find((r) => r.number === number && r.repo === repo);
  if (!run) throw new Error(`the watch tick did not report ${repo}#${number}`);
  return run;
}

/** Watch ticks, each after a world tick, until #number's run leaves `wait`. */
async function untilLetGo(loop: Loop, number = 1, limit = 12): Promise<WatchedRun> {
  for (let i = 0; i < limit; i++) {
    loop.advance();
    const run = (await loop.watch()).runs.find((r) => r.number === number);
    if (run && run.action !== "wait") return run;
  }
  throw new Error(`#${number} was still waiting after ${limit} ticks`);
}

/** Pushes the scripted agent made for the issue. */
function pushes(loop: Loop, number = 1, repo = REPO): number {
  return loop.sandbox.world.agent.journal.filter(
    (e) => e.issue?.repo === repo && e.issue.number === number && (e.event === "push" || e.event === "pull-request"),
  ).length;
}

function progress(loop: Loop, number = 1, repo = REPO): string {
  return loop.progressComments(number, repo)[0]?.body ?? "";
}

// The agent would push after 9 ticks (90 minutes), past max-run-minutes (60): a stall.
const slowPush = [{ act: "push" as const, afterTicks: 9 }];

describe("escalation for a stall (max-run-minutes)", () => {
  it("interrupts the T3 turn, stops the session, and the agent never pushes", async () => {
    const loop = await startLoop(tickWorld({ issues: [inFlightIssue(1, { agent: slowPush })] }));
    const run = await untilLetGo(loop);
    expect(run.action).toBe("escalate-prepush");
    expect(loop.t3Commands()).toEqual(expect.arrayContaining(["thread.turn.interrupt", "thread.session.stop"]));
    expect(loop.thread(1)?.latestTurn?.state).toBe("interrupted");
    expect(loop.thread(1)?.session?.status).toBe("stopped");
    // T3 stops at once: the stop is read back and confirmed in the same tick, with its time.
    expect(run.reason).toContain("agent stopped at");
    expect(loop.record(1)?.stop).toMatchObject({
      reason: "escalated",
      state: "stopped",
      stoppedAt: loop.now().toISOString(),
    });
    expect(progress(loop)).toContain("agent stopped at");
    expect(loop.labels(1)).toContain(LABELS.human);
    expect(loop.labels(1)).not.toContain(LABELS.inProgress);
    expect(loop.doorbells()).toEqual([`needs-human ${REPO}#1`]);

    loop.advance(10);
    expect(pushes(loop)).toBe(0);
    expect(loop.doorbells()).toEqual([`needs-human ${REPO}#1`]);
  });

  it("sends each stop command once: a later tick with the stop confirmed sends nothing more", async () => {
    const loop = await startLoop(tickWorld({ issues: [inFlightIssue(1, { agent: slowPush })] }));
    await untilLetGo(loop);
    loop.advance();
    await loop.watch();
    loop.advance();
    await loop.watch();
    expect(loop.t3Commands().filter((t) => t === "thread.turn.interrupt" || t === "thread.session.stop")).toEqual([
      "thread.turn.interrupt",
      "thread.session.stop",
    ]);
  });
});

describe("a stop that fails is owed and retried", () => {
  it("records the stop as owed with failure stage stop, keeps the lock, then succeeds on the next tick", async () => {
    const loop = await startLoop(tickWorld({ issues: [inFlightIssue(1, { agent: slowPush })] }));
    loop.sandbox.t3.addFault({ route: "dispatch", commandType: "thread.turn.interrupt", kind: "status", status: 503 });
    let report = await loop.watch();
    for (let i = 0; i < 12 && !report.failures.some((f) => f.stage === "stop"); i++) {
      loop.advance();
      report = await loop.watch();
    }
    expect(report.failures).toMatchObject([{ issue: 1, stage: "stop" }]);
    expect(loop.record(1)?.stop).toMatchObject({ state: "owed" });
    expect(progress(loop)).toContain("agent stop owed");
    expect(loop.labels(1)).toContain(LABELS.inProgress);
    expect(loop.thread(1)?.latestTurn?.state).toBe("running");

    loop.sandbox.t3.clearFaults();
    loop.advance();
    expect((await loop.watch()).failures).toEqual([]);
    expect(loop.thread(1)?.latestTurn?.state).toBe("interrupted");
    expect(loop.record(1)?.stop?.state).toBe("stopped");
    expect(loop.labels(1)).not.toContain(LABELS.inProgress);
    expect(pushes(loop)).toBe(0);
  });
});

describe("an agent waiting for a person is left open", () => {
  it("escalates without stopping, and the progress comment says the session was left open and why", async () => {
    const loop = await startLoop(tickWorld({ issues: [inFlightIssue(1, { agent: "needs-input" })] }));
    expect((await untilLetGo(loop)).action).toBe("escalate-prepush");
    expect(loop.t3Commands()).not.toContain("thread.session.stop");
    expect(loop.record(1)?.stop).toMatchObject({ state: "left-open" });
    expect(progress(loop)).toContain("session left open");
    expect(loop.labels(1)).not.toContain(LABELS.inProgress);
  });
});

describe("the issue closed under a running agent (issue 9, item 3)", () => {
  it("stops the agent before anything starts beside it, and takes the ready label off", async () => {
    const loop = await startLoop(
      tickWorld({ issues: [inFlightIssue(1, { agent: slowPush }), readyIssue(2, { agent: slowPush })] }),
    );
    loop.sandbox.world.store.closeIssue(REPO, 1, "maya");
    loop.advance();
    const watch = await loop.watch();
    expect(runOf(watch).action).toBe("release");
    // max-per-repo 1: the agent is stopped (and the stop confirmed) before the lock comes off.
    expect(loop.thread(1)?.latestTurn?.state).toBe("interrupted");
    expect(loop.record(1)?.stop?.state).toBe("stopped");
    expect(loop.labels(1)).not.toContain(LABELS.ready);
    expect(loop.labels(1)).not.toContain(LABELS.inProgress);
    const poll = await loop.poll();
    expect(poll.dispatched.map((d) => d.number)).toEqual([2]);
    loop.advance(10);
    expect(pushes(loop, 1)).toBe(0);
  });

  it("reopening the issue never restarts work by itself, and the attempt counted", async () => {
    const loop = await startLoop(tickWorld({ issues: [inFlightIssue(1, { agent: slowPush })] }));
    loop.sandbox.world.store.closeIssue(REPO, 1, "maya");
    loop.advance();
    await loop.round();
    loop.advance();
    await loop.round();
    loop.sandbox.world.store.reopenIssue(REPO, 1, "maya");
    loop.advance();
    const after = await loop.round();
    expect(after.poll.dispatched).toEqual([]);
    expect(loop.threadsFor(1)).toHaveLength(1);

    // A trusted person applying the ready label again starts attempt 2.
    loop.sandbox.world.store.applyLabel(REPO, 1, LABELS.ready, "bob");
    loop.advance();
    const again = await loop.round();
    expect(again.poll.dispatched).toMatchObject([{ number: 1, attempt: 2 }]);
  });
});

describe("executor: workflow", () => {
  const workflowWorld = (agent: typeof slowPush) =>
    tickWorld({
      inputs: { executor: "workflow", "workflow-file": "afk-agent.yml" },
      issues: [readyIssue(1, { agent })],
    });

  function agentRun(loop: Loop) {
    const run = loop.sandbox.world.store.repo(REPO)?.workflowRuns.find((r) => r.inputs.issue === "1");
    if (!run) throw new Error("no agent run");
    return run;
  }

  it("cancels the agent's workflow run on a stall, and the agent never pushes", async () => {
    const loop = await startLoop(workflowWorld(slowPush));
    await loop.round();
    expect((await untilLetGo(loop)).action).toBe("escalate-prepush");
    expect(agentRun(loop)).toMatchObject({ status: "completed", conclusion: "cancelled" });
    expect(loop.record(1)?.stop?.state).toBe("stopped");
    loop.advance(10);
    expect(pushes(loop)).toBe(0);
  });

  it("force-cancels a run whose cancel did not take within a lease", async () => {
    const loop = await startLoop(workflowWorld(slowPush));
    await loop.round();
    loop.sandbox.world.store.resistCancel(REPO, agentRun(loop).id);
    await untilLetGo(loop);
    expect(agentRun(loop).status).not.toBe("completed");
    expect(loop.record(1)?.stop).toMatchObject({ state: "requested", forced: false });
    // Still locked: the agent may still be working, so it keeps its repository's slot.
    expect(loop.labels(1)).toContain(LABELS.inProgress);
    const routes = () => loop.githubSince(0).map((e) => e.route);
    expect(routes()).toContain("POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel");
    for (let i = 0; i < 3 && agentRun(loop).status !== "completed"; i++) {
      loop.advance();
      await loop.watch();
    }
    expect(routes()).toContain("POST /repos/{owner}/{repo}/actions/runs/{run_id}/force-cancel");
    expect(agentRun(loop)).toMatchObject({ status: "completed", conclusion: "cancelled" });
    expect(loop.record(1)?.stop).toMatchObject({ forced: true, state: "stopped" });
    expect(loop.labels(1)).not.toContain(LABELS.inProgress);
  });
});

describe("human takeover from the issue", () => {
  it("a trusted person's human label: the next watch stops the agent, unlocks, records who, rings once", async () => {
    const loop = await startLoop(tickWorld({ issues: [inFlightIssue(1, { agent: slowPush })] }));
    loop.sandbox.world.store.applyLabel(REPO, 1, LABELS.human, "maya");
    loop.advance();
    const run = runOf(await loop.watch());
    expect(run.action).toBe("escalate-taken-over");
    expect(loop.thread(1)?.latestTurn?.state).toBe("interrupted");
    expect(loop.record(1)).toMatchObject({
      phase: "escalated",
      reason: "taken over by @maya",
      stop: { reason: "taken-over", state: "stopped" },
    });
    expect(progress(loop)).toContain("taken over by @");
    expect(loop.labels(1)).not.toContain(LABELS.inProgress);
    expect(loop.labels(1)).not.toContain(LABELS.ready);
    loop.advance();
    await loop.round();
    expect(loop.doorbells()).toEqual([`needs-human ${REPO}#1`]);
    loop.advance(10);
    expect(pushes(loop)).toBe(0);
  });

  it("an untrusted person's human label is ignored and reported; the agent keeps working", async () => {
    const loop = await startLoop(tickWorld({ issues: [inFlightIssue(1, { agent: slowPush })] }));
    loop.sandbox.world.store.applyLabel(REPO, 1, LABELS.human, "randall");
    loop.advance();
    const run = runOf(await loop.watch());
    expect(run.action).toBe("wait");
    expect(run.reason).toContain("@randall was ignored");
    expect(loop.thread(1)?.latestTurn?.state).toBe("running");
    expect(loop.record(1)?.phase).toBe("dispatched");
    expect(loop.labels(1)).toContain(LABELS.inProgress);
    expect(loop.doorbells()).toEqual([]);
  });
});

describe("emergency stop (kill switch stop)", () => {
  it("stops all 3 agents in 2 repos, hands each to a human with one doorbell, and dispatches nothing", async () => {
    const world = tickWorld({
      inputs: { allowlist: `${REPO},${WEB}`, "max-per-repo": 2 },
      issues: [inFlightIssue(1, { agent: slowPush }), inFlightIssue(2, { agent: slowPush }), readyIssue(3)],
      repos: [
        {
          repo: WEB,
          collaborators: { maya: "maintain", bob: "write" },
          issues: [inFlightIssue(7, { agent: slowPush })],
        },
      ],
    });
    const loop = await startLoop(world, { "kill-switch": "stop" });
    const { watch, poll } = await loop.round();
    expect(watch.runs.map((r) => r.action)).toEqual(Array(3).fill("escalate-emergency-stop"));
    expect(poll.dispatched).toEqual([]);
    expect(poll.note).toContain("emergency stop");
    for (const [number, repo] of [
      [1, REPO],
      [2, REPO],
      [7, WEB],
    ] as const) {
      expect(loop.thread(number, 1, repo)?.latestTurn?.state).toBe("interrupted");
      expect(loop.record(number, repo)).toMatchObject({ phase: "escalated", reason: "stopped by the kill switch" });
      expect(loop.labels(number, repo)).toContain(LABELS.human);
    }
    expect(loop.doorbells().sort()).toEqual(
      [`needs-human ${REPO}#1`, `needs-human ${REPO}#2`, `needs-human ${WEB}#7`].sort(),
    );
    loop.advance();
    await loop.round();
    expect(loop.doorbells()).toHaveLength(3);
    expect(pushes(loop, 1) + pushes(loop, 2) + pushes(loop, 7, WEB)).toBe(0);
  });
});

describe("a run whose record the loop can no longer read", () => {
  // The record is the loop's only memory of the thread, and a broken one is never trusted, so the
  // agent is found by the run ids the loop derives from the issue itself (attempt 1, 2, ...).
  let commentId = 0;
  function breakRecord(loop: Loop): void {
    const own = loop.progressComments(1)[0];
    if (!own) throw new Error("no progress comment");
    commentId = own.id;
    const v2 = `<!-- afk-loop:run v2 ${Buffer.from("{}").toString("base64")} -->`;
    loop.sandbox.world.store.updateComment(REPO, own.id, `### afk-loop\n\n${v2}`, LOOP_LOGIN);
  }
  const handover = (loop: Loop) => loop.issue(1).comments.find((c) => c.id === commentId)?.body ?? "";

  it("T3: hands the issue to a human and stops the agent it had started", async () => {
    const loop = await startLoop(tickWorld({ issues: [readyIssue(1, { agent: slowPush })] }));
    await loop.round();
    expect(loop.thread(1)?.latestTurn?.state).toBe("running");
    breakRecord(loop);
    loop.advance();
    const report = await loop.watch();
    const run = runOf(report);
    expect(run.action).toBe("escalate-bad-record");
    expect(report.failures).toEqual([]);
    expect(loop.thread(1)?.latestTurn?.state).toBe("interrupted");
    expect(loop.thread(1)?.session?.status).toBe("stopped");
    expect(run.reason).toContain("attempt 1's agent stopped");
    expect(handover(loop)).toContain("attempt 1's agent stopped");
    expect(loop.labels(1)).toContain(LABELS.human);
    loop.advance(10);
    expect(pushes(loop)).toBe(0);
  });

  it("workflow: cancels the agent's run", async () => {
    const loop = await startLoop(
      tickWorld({
        inputs: { executor: "workflow", "workflow-file": "afk-agent.yml" },
        issues: [readyIssue(1, { agent: slowPush })],
      }),
    );
    await loop.round();
    breakRecord(loop);
    loop.advance();
    const run = runOf(await loop.watch());
    expect(run.action).toBe("escalate-bad-record");
    const agentRun = loop.sandbox.world.store.repo(REPO)?.workflowRuns.find((r) => r.inputs.issue === "1");
    expect(agentRun).toMatchObject({ status: "completed", conclusion: "cancelled" });
    loop.advance(10);
    expect(pushes(loop)).toBe(0);
  });
});
