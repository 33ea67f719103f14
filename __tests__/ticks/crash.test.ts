// A poll tick that dies part-way through claim → dispatch → record (docs/design.md §6),
// simulated by cutting the connection on the request at that point, then the
// scheduled rounds that follow. Whatever the crash point, later rounds must
// never start a second agent on the issue (one T3 thread, one prompt), never
// keep a claim's lock past its lease, and end with the issue dispatched to a
// working agent.

import { describe, expect, it } from "vitest";
import { LABELS, readyIssue, startLoop, stopLoopsAfterEach, tickWorld, type Loop } from "../../__fixtures__/ticks.js";

stopLoopsAfterEach();

const COMMENT_EDIT = "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}";
const LABEL_ADD = "POST /repos/{owner}/{repo}/issues/{issue_number}/labels";

/** acme/api#1, ready; its agent works until stopped, so a healthy run stays dispatched. */
const startWorld = () => startLoop(tickWorld({ issues: [readyIssue(1, { agent: "run-forever" })] }));

/** A first poll tick with the GitHub request `route` cut (every attempt, retries included). */
async function pollCutAt(loop: Loop, route: string): Promise<void> {
  const restore = loop.sandbox.github.faults.add({ route, action: { kind: "reset" } });
  const report = await loop.poll();
  restore();
  if (report.failures.length === 0) throw new Error(`the poll tick got past the cut at ${route}`);
}

interface Observed {
  threads: number;
  prompts: number;
  /** Rounds that ended with the lock held by a claim whose lease was over. */
  staleLocks: string[];
}

/** `rounds` scheduled runs (world tick, watch, poll), watching the invariants after each. */
async function later(loop: Loop, rounds: number): Promise<Observed> {
  const observed: Observed = { threads: 0, prompts: 0, staleLocks: [] };
  for (let i = 0; i < rounds; i++) {
    loop.advance();
    await loop.round();
    observed.threads = Math.max(observed.threads, loop.threadsFor(1).length);
    observed.prompts = Math.max(observed.prompts, loop.userMessages(1).length);
    const record = loop.record(1);
    const locked = loop.labels(1).includes(LABELS.inProgress);
    if (locked && record?.phase === "claimed" && loop.now() >= new Date(record.leaseExpiresAt)) {
      observed.staleLocks.push(loop.now().toISOString());
    }
  }
  return observed;
}

function expectDispatchedToOneAgent(loop: Loop, observed: Observed): void {
  expect(observed).toEqual({ threads: 1, prompts: 1, staleLocks: [] });
  expect(loop.record(1)).toMatchObject({ phase: "dispatched", attempt: 1 });
  expect(loop.labels(1)).toContain(LABELS.inProgress);
  expect(loop.progressComments(1)).toHaveLength(1);
  expect(loop.thread(1)?.latestTurn?.state).toBe("running");
}

describe("a poll tick that dies between claim and dispatch", () => {
  it("before the lock label: the next round dispatches the claimed attempt, once", async () => {
    const loop = await startWorld();
    await pollCutAt(loop, LABEL_ADD);
    expect(loop.record(1)?.phase).toBe("claimed");
    expect(loop.threadsFor(1)).toEqual([]);
    expectDispatchedToOneAgent(loop, await later(loop, 3));
  });

  it("with the lock on: the lock goes when the lease ends, and the issue is dispatched once", async () => {
    const loop = await startWorld();
    // The dispatch's first command is cut, and so is the write that would give the claim back.
    loop.sandbox.t3.addFault({ kind: "reset", route: "dispatch", commandType: "project.create", times: 1 });
    await pollCutAt(loop, COMMENT_EDIT);
    expect(loop.record(1)?.phase).toBe("claimed");
    expect(loop.labels(1)).toContain(LABELS.inProgress);
    expectDispatchedToOneAgent(loop, await later(loop, 4));
  });

  it("between the thread and its first turn: the agent still gets its prompt, once", async () => {
    const loop = await startWorld();
    loop.sandbox.t3.addFault({ kind: "reset", route: "dispatch", commandType: "thread.turn.start", times: 1 });
    await pollCutAt(loop, COMMENT_EDIT);
    expect(loop.thread(1)?.latestTurn).toBeNull();
    expectDispatchedToOneAgent(loop, await later(loop, 4));
  });
});

describe("a poll tick that dies between dispatch and record", () => {
  it("the next round adopts the thread instead of starting another", async () => {
    const loop = await startWorld();
    await pollCutAt(loop, COMMENT_EDIT);
    expect(loop.record(1)?.phase).toBe("claimed");
    expect(loop.userMessages(1)).toHaveLength(1);
    expectDispatchedToOneAgent(loop, await later(loop, 3));
    expect(loop.record(1)?.lastAction).toBe("adopt");
  });
});

describe("a dispatch whose reply was lost after T3 applied it", () => {
  it("never gets a second thread or prompt: whatever the next rounds do, T3 sees the same ids", async () => {
    const loop = await startWorld();
    loop.sandbox.t3.addFault({
      kind: "status",
      status: 500,
      route: "dispatch",
      commandType: "thread.turn.start",
      afterApply: true,
      times: 1,
    });
    const first = await loop.poll();
    expect(first.failures).toHaveLength(1);
    expectDispatchedToOneAgent(loop, await later(loop, 3));
  });

  it("a commit the agent pushed before the repeat dispatch still counts for the run", async () => {
    const loop = await startLoop(tickWorld({ issues: [readyIssue(1)] }));
    loop.sandbox.t3.addFault({
      kind: "status",
      status: 500,
      route: "dispatch",
      commandType: "thread.turn.start",
      afterApply: true,
      times: 1,
    });
    await loop.poll();
    const actions: string[] = [];
    for (let i = 0; i < 4 && loop.issue(1).state === "open"; i++) {
      loop.advance();
      const { watch } = await loop.round();
      actions.push(...watch.runs.map((r) => r.action));
    }
    expect(actions).toContain("close");
    expect(loop.issue(1).state).toBe("closed");
  });
});
