import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  anAgent,
  aRunRecord,
  aRunState,
  CI_GREEN,
  CI_NONE,
  CI_PENDING,
  ciRed,
  NEW_SHA,
  pushedAt,
  RED_SHA,
  RUN_LIMITS,
  RUN_T0,
  runMinute,
} from "../../__fixtures__/core.js";
import { RECORD_LIMITS, RunRecordSchema, type RunRecord } from "../../src/core/run-record.js";
import { encodeRunRecord } from "../../src/core/record-codec.js";
import {
  ACTION_KINDS,
  nextAction,
  type Action,
  type ActionKind,
  type RunState,
  type StateMachineConfig,
} from "../../src/core/state-machine.js";
import {
  applyAction,
  DISPATCH_REFUSAL_LIMIT,
  refusedDispatch,
  doorbellFor,
  markDoorbellDelivered,
} from "../../src/core/apply-action.js";
import {
  AGENT_STATES,
  CI_STATES,
  DOORBELL_KINDS,
  RUN_PHASES,
  type CiVerdict,
  type DoorbellKind,
} from "../../src/core/types.js";

type StateOverrides = Parameters<typeof aRunState>[0];

function decide(overrides: StateOverrides, config: StateMachineConfig = RUN_LIMITS): Action {
  return nextAction(aRunState(overrides), config);
}

function withLimits(
  limits: Partial<StateMachineConfig["limits"]>,
  noCi: StateMachineConfig["noCi"] = "escalate",
): StateMachineConfig {
  return { noCi, limits: { ...RUN_LIMITS.limits, ...limits } };
}

/** A push at minute 20 whose CI is red on `names`; now is minute 30. */
function redPush(...names: string[]): StateOverrides {
  return { pushed: pushedAt(20), ci: ciRed(...names), now: runMinute(30) };
}

// The defaults (RUN_LIMITS): fix-forward 3 attempts within 120 minutes of the
// first red, same failure limit 2, max run 90 minutes, CI timeout 60 minutes,
// lease until minute 15.

describe("§5 row 1: pushed and CI green closes", () => {
  it("closes on green, naming the commit", () => {
    expect(decide({ pushed: pushedAt(20), ci: CI_GREEN })).toMatchObject({ kind: "close", sha: RED_SHA });
  });

  it("closes on green through deploy and rollout (the verdict already includes every configured stage)", () => {
    expect(decide({ pushed: pushedAt(20), ci: { ...CI_GREEN, stage: "rollout" } })).toMatchObject({ kind: "close" });
  });

  it.each(AGENT_STATES)("closes whatever the agent is doing (%s): a green push wins", (state) => {
    expect(decide({ pushed: pushedAt(20), ci: CI_GREEN, agent: anAgent(state) }).kind).toBe("close");
  });

  it("closes even after the fix-forward budget is spent", () => {
    expect(
      decide({
        pushed: pushedAt(20, NEW_SHA),
        ci: CI_GREEN,
        record: { fixForwards: 3, pushedSha: RED_SHA, lastAction: "fix-forward" },
      }).kind,
    ).toBe("close");
  });
});

describe("§5 row 2: the same failure after N fix-forwards in a row freezes", () => {
  const sameTwice = {
    lastFailureSignature: "test",
    sameFailureStreak: 2,
    fixForwards: 2,
    firstRedAt: RUN_T0,
    pushedSha: RED_SHA,
    lastAction: "fix-forward" as const,
  };

  it("freezes when the signature matches and the streak has reached the limit", () => {
    expect(decide({ ...redPush("test"), pushed: pushedAt(20, NEW_SHA), record: sameTwice })).toMatchObject({
      kind: "freeze",
      cause: "same-failure",
      sha: NEW_SHA,
      signature: "test",
    });
  });

  it("the reason says the same checks failed again, and which", () => {
    const action = decide({ ...redPush("test"), pushed: pushedAt(20, NEW_SHA), record: sameTwice });
    expect(action.reason).toContain("same checks");
    expect(action.reason).toContain("test");
  });

  it("one below the limit still fixes forward", () => {
    expect(
      decide({ ...redPush("test"), pushed: pushedAt(20, NEW_SHA), record: { ...sameTwice, sameFailureStreak: 1 } })
        .kind,
    ).toBe("fix-forward");
  });

  it("a different signature with the same streak fixes forward", () => {
    expect(decide({ ...redPush("lint"), pushed: pushedAt(20, NEW_SHA), record: sameTwice }).kind).toBe("fix-forward");
  });

  it("a superset of the failing checks is a different signature", () => {
    expect(decide({ ...redPush("lint", "test"), pushed: pushedAt(20, NEW_SHA), record: sameTwice }).kind).toBe(
      "fix-forward",
    );
  });

  it("with a limit of 1, the first repeat freezes", () => {
    const action = decide(
      {
        ...redPush("test"),
        pushed: pushedAt(20, NEW_SHA),
        record: { ...sameTwice, sameFailureStreak: 1, fixForwards: 1 },
      },
      withLimits({ sameFailureLimit: 1 }),
    );
    expect(action).toMatchObject({ kind: "freeze", cause: "same-failure" });
  });

  it("is checked before the budget: a repeat with budget left still freezes", () => {
    expect(
      decide(
        { ...redPush("test"), pushed: pushedAt(20, NEW_SHA), record: sameTwice },
        withLimits({ fixForwardAttempts: 20 }),
      ).kind,
    ).toBe("freeze");
  });
});

describe("§5 row 3: red with budget left fixes forward", () => {
  it("the first red fixes forward, naming the failing checks and their links", () => {
    const action = decide(redPush("test", "lint"));
    expect(action).toEqual({
      kind: "fix-forward",
      sha: RED_SHA,
      failing: ciRed("lint", "test").failing,
      signature: "lint, test",
      attempt: 1,
      reason: expect.stringContaining("lint, test") as unknown,
    });
  });

  it("the last attempt in the budget is still sent (attempts < max)", () => {
    expect(decide({ ...redPush("test"), record: { fixForwards: 2, firstRedAt: runMinute(0) } })).toMatchObject({
      kind: "fix-forward",
      attempt: 3,
    });
  });

  it("just inside the time budget fixes forward", () => {
    expect(
      decide({ ...redPush("test"), now: runMinute(119.99), record: { fixForwards: 1, firstRedAt: RUN_T0 } }).kind,
    ).toBe("fix-forward");
  });

  it("a red push from long ago still gets a first fix-forward: the clock starts at the first red seen", () => {
    expect(decide({ ...redPush("test"), now: runMinute(1000) }).kind).toBe("fix-forward");
  });

  it("fixes forward even while the agent says it needs input (row 3 comes before the pre-push rows)", () => {
    expect(decide({ ...redPush("test"), agent: anAgent("needs-input") }).kind).toBe("fix-forward");
  });
});

describe("§5 row 4: red with the budget spent freezes", () => {
  it("freezes when every attempt is used, and says so", () => {
    const action = decide({ ...redPush("test"), record: { fixForwards: 3, firstRedAt: RUN_T0 } });
    expect(action).toMatchObject({ kind: "freeze", cause: "attempts-spent", signature: "test" });
    expect(action.reason).toContain("3 of 3");
  });

  it("freezes exactly at the time budget, and says so", () => {
    const action = decide({ ...redPush("test"), now: runMinute(120), record: { fixForwards: 1, firstRedAt: RUN_T0 } });
    expect(action).toMatchObject({ kind: "freeze", cause: "time-spent" });
    expect(action.reason).toContain("120 minutes");
  });

  it("with no fix-forwards allowed, the first red freezes", () => {
    expect(decide(redPush("test"), withLimits({ fixForwardAttempts: 0 }))).toMatchObject({
      kind: "freeze",
      cause: "attempts-spent",
    });
  });

  it("an unreadable first-red time counts as time up, never as more budget", () => {
    const state = aRunState({ ...redPush("test"), record: { fixForwards: 1 } });
    const corrupt: RunState = { ...state, record: { ...state.record, firstRedAt: "not a time" } };
    expect(nextAction(corrupt, RUN_LIMITS)).toMatchObject({ kind: "freeze", cause: "time-spent" });
  });
});

describe("§7: already red on the parent freezes instead of spending fix-forwards", () => {
  it("freezes with budget left, saying the parent was already red", () => {
    const action = decide({ ...redPush("test"), parentAlreadyRed: true });
    expect(action).toMatchObject({ kind: "freeze", cause: "parent-red", signature: "test" });
    expect(action.reason).toContain("parent");
  });

  it("a green push is closed whatever the parent was", () => {
    expect(decide({ pushed: pushedAt(20), ci: CI_GREEN, parentAlreadyRed: true }).kind).toBe("close");
  });
});

describe("a fix-forward needs the agent's run", () => {
  it("red with budget left but the executor has lost the run escalates as lost", () => {
    expect(decide({ ...redPush("test"), agent: anAgent("missing") }).kind).toBe("escalate-lost");
  });

  it("with the budget spent it freezes rather than reporting the loss", () => {
    expect(
      decide({ ...redPush("test"), agent: anAgent("missing"), record: { fixForwards: 3, firstRedAt: RUN_T0 } }).kind,
    ).toBe("freeze");
  });
});

describe("after a fix-forward: the red commit is not an answer to it", () => {
  const sent = {
    fixForwards: 1,
    firstRedAt: runMinute(20),
    pushedSha: RED_SHA,
    lastAction: "fix-forward" as const,
    lastFailureSignature: "test",
    sameFailureStreak: 1,
    turnStartedAt: runMinute(30),
  };

  it("waits for the agent's fix instead of sending another fix-forward for the same commit", () => {
    expect(decide({ ...redPush("test"), now: runMinute(40), record: sent })).toMatchObject({ kind: "wait" });
  });

  it("a new red push gets the next fix-forward", () => {
    expect(
      decide({ ...redPush("test"), pushed: pushedAt(45, NEW_SHA), now: runMinute(50), record: sent }),
    ).toMatchObject({ kind: "fix-forward", sha: NEW_SHA, attempt: 2 });
  });

  it("a new push with CI pending waits", () => {
    expect(decide({ pushed: pushedAt(45, NEW_SHA), ci: CI_PENDING, now: runMinute(50), record: sent }).kind).toBe(
      "wait",
    );
  });

  it("the agent stopping without pushing a fix escalates", () => {
    const action = decide({ ...redPush("test"), now: runMinute(40), agent: anAgent("idle"), record: sent });
    expect(action).toMatchObject({ kind: "escalate-prepush", cause: "stopped" });
    expect(action.reason).toContain("without pushing a fix");
  });

  it("the fix turn stalls on the max-run clock, counted from the turn's start", () => {
    expect(decide({ ...redPush("test"), now: runMinute(30 + 89), record: sent }).kind).toBe("wait");
    expect(decide({ ...redPush("test"), now: runMinute(30 + 90), record: sent })).toMatchObject({
      kind: "escalate-prepush",
      cause: "stalled",
    });
  });

  it("a re-run that turns the red commit green closes without waiting for a fix", () => {
    expect(decide({ pushed: pushedAt(20), ci: CI_GREEN, now: runMinute(40), record: sent }).kind).toBe("close");
  });
});

describe("§5 row 5: pushed but no CI within ci-timeout", () => {
  it("waits for CI before the timeout", () => {
    expect(decide({ pushed: pushedAt(20), ci: CI_NONE, now: runMinute(20 + 59.99) }).kind).toBe("wait");
  });

  it("escalates exactly at the timeout with no-ci: escalate", () => {
    expect(decide({ pushed: pushedAt(20), ci: CI_NONE, now: runMinute(80) })).toMatchObject({
      kind: "escalate-no-ci",
      cause: "no-ci",
      sha: RED_SHA,
    });
  });

  it("closes exactly at the timeout with no-ci: close", () => {
    expect(decide({ pushed: pushedAt(20), ci: CI_NONE, now: runMinute(80) }, withLimits({}, "close"))).toMatchObject({
      kind: "close-no-ci",
      sha: RED_SHA,
    });
  });

  it("the timeout runs from the push, not the dispatch", () => {
    expect(decide({ pushed: pushedAt(50), ci: CI_NONE, now: runMinute(100) }).kind).toBe("wait");
  });

  it("CI stuck pending past the timeout escalates (document: stuck is not 'no CI')", () => {
    expect(decide({ pushed: pushedAt(20), ci: CI_PENDING, now: runMinute(80) })).toMatchObject({
      kind: "escalate-no-ci",
      cause: "ci-stuck",
    });
  });

  it("CI stuck pending is never closed, even with no-ci: close", () => {
    expect(decide({ pushed: pushedAt(20), ci: CI_PENDING, now: runMinute(80) }, withLimits({}, "close")).kind).toBe(
      "escalate-no-ci",
    );
  });

  it("a configured deploy stage that never reports is stuck, not 'no CI', even with no-ci: close", () => {
    const deployNone: CiVerdict = { ...CI_NONE, stage: "deploy" };
    expect(decide({ pushed: pushedAt(20), ci: deployNone, now: runMinute(80) }, withLimits({}, "close"))).toMatchObject(
      { kind: "escalate-no-ci", cause: "ci-stuck" },
    );
  });

  it("CI pending within the timeout waits", () => {
    expect(decide({ pushed: pushedAt(20), ci: CI_PENDING, now: runMinute(79) }).kind).toBe("wait");
  });

  it.each(["needs-input", "idle", "error", "interrupted", "missing"] as const)(
    "once pushed, CI drives: an agent that is %s does not escalate while CI runs",
    (state) => {
      expect(
        decide({ pushed: pushedAt(20), ci: CI_PENDING, now: runMinute(200), agent: anAgent(state) }).kind,
      ).not.toBe("escalate-prepush");
    },
  );
});

describe("§5 rows 6 to 8: not pushed, nobody at the keyboard", () => {
  it("an agent waiting on input or an approval escalates pre-push, with the detail", () => {
    const action = decide({ agent: anAgent("needs-input", "approve: rm -rf build") });
    expect(action).toMatchObject({ kind: "escalate-prepush", cause: "needs-input" });
    expect(action.reason).toContain("nobody is at the keyboard");
    expect(action.reason).toContain("approve: rm -rf build");
  });

  it.each(["idle", "interrupted", "error"] as const)(
    "an agent that is %s without a push escalates pre-push",
    (state) => {
      const action = decide({ agent: anAgent(state) });
      expect(action).toMatchObject({ kind: "escalate-prepush", cause: "stopped" });
      expect(action.reason).toContain(state);
    },
  );

  it("a long agent detail is clipped in the reason", () => {
    expect(decide({ agent: anAgent("error", "x".repeat(5000)) }).reason.length).toBeLessThan(400);
  });

  it("a running agent just under max-run-minutes waits", () => {
    expect(decide({ now: runMinute(89.99) }).kind).toBe("wait");
  });

  it("a running agent at max-run-minutes has stalled", () => {
    const action = decide({ now: runMinute(90) });
    expect(action).toMatchObject({ kind: "escalate-prepush", cause: "stalled" });
    expect(action.reason).toContain("90 minutes");
  });

  it("the stall clock runs from the latest turn when there is one", () => {
    expect(decide({ now: runMinute(100), record: { turnStartedAt: runMinute(30) } }).kind).toBe("wait");
  });

  it("without a turn start, the stall clock runs from the dispatch", () => {
    expect(decide({ now: runMinute(90), record: { turnStartedAt: null } }).kind).toBe("escalate-prepush");
    expect(decide({ now: runMinute(95), record: { turnStartedAt: null, dispatchedAt: runMinute(10) } }).kind).toBe(
      "wait",
    );
  });

  it("an agent in an unknown state is never read as fine: it stalls out too", () => {
    expect(decide({ agent: anAgent("unknown", "session: hibernating") }).kind).toBe("wait");
    expect(decide({ agent: anAgent("unknown"), now: runMinute(90) })).toMatchObject({
      kind: "escalate-prepush",
      cause: "stalled",
    });
  });
});

describe("§5 row 9: the executor has no such run", () => {
  it("within the claim lease, waits (the executor may not show it yet)", () => {
    expect(decide({ agent: anAgent("missing"), now: runMinute(14.99) }).kind).toBe("wait");
  });

  it("at the end of the lease, escalates as lost", () => {
    const action = decide({ agent: anAgent("missing"), now: runMinute(15) });
    expect(action.kind).toBe("escalate-lost");
    expect(action.reason).toContain("thread-42");
  });
});

describe("§5 row 10: otherwise wait", () => {
  it("a running agent, nothing pushed, inside every limit", () => {
    expect(decide({})).toEqual({ kind: "wait", reason: "the agent is working" });
  });
});

describe("claimed: the process died between claim and record", () => {
  const claim = { phase: "claimed" as const, threadId: null, dispatchedAt: null, turnStartedAt: null };

  it.each(["running", "idle", "needs-input", "error", "interrupted", "unknown"] as const)(
    "adopts a run the executor has (%s), with the id the adapter found",
    (state) => {
      expect(decide({ record: claim, agent: anAgent(state), threadId: "thread-found" })).toMatchObject({
        kind: "adopt",
        threadId: "thread-found",
      });
    },
  );

  it("adopts even after the lease: the agent exists, so releasing would orphan it", () => {
    expect(decide({ record: claim, now: runMinute(500) }).kind).toBe("adopt");
  });

  it("adopts with the record's id when the adapter found none", () => {
    expect(decide({ record: { ...claim, threadId: "thread-rec" }, threadId: null })).toMatchObject({
      kind: "adopt",
      threadId: "thread-rec",
    });
  });

  it("waits while the executor has nothing and the lease runs", () => {
    expect(decide({ record: claim, agent: anAgent("missing"), now: runMinute(14) }).kind).toBe("wait");
  });

  it("releases the claim when the executor has nothing and the lease has expired", () => {
    expect(decide({ record: claim, agent: anAgent("missing"), now: runMinute(15) }).kind).toBe("release");
  });

  it("a claim never closes, fixes forward or escalates, whatever CI says", () => {
    expect(decide({ record: claim, pushed: pushedAt(5), ci: CI_GREEN }).kind).toBe("adopt");
  });
});

describe("the issue was closed while its run was in flight", () => {
  const CLOSED_REASON = "the issue was closed before the agent pushed anything; the loop stopped following it";

  it("before anything was pushed, the run is released, whatever the agent says", () => {
    expect(decide({ issueOpen: false })).toEqual({ kind: "release", reason: CLOSED_REASON });
    expect(decide({ issueOpen: false, agent: anAgent("needs-input") })).toEqual({
      kind: "release",
      reason: CLOSED_REASON,
    });
    expect(decide({ issueOpen: false, record: { phase: "claimed" } })).toEqual({
      kind: "release",
      reason: CLOSED_REASON,
    });
  });

  it("after a push, the run goes on to its CI verdict (a closing keyword or a merge closed it)", () => {
    expect(decide({ issueOpen: false, pushed: pushedAt(20), ci: CI_GREEN }).kind).toBe("close");
    expect(decide({ issueOpen: false, pushed: pushedAt(20), ci: CI_PENDING }).kind).toBe("wait");
    expect(decide({ issueOpen: false, ...redPush("test") }).kind).toBe("fix-forward");
  });

  it("a finished run on a closed issue (the loop closed it) still only rings what it owes", () => {
    const record = { phase: "closed" as const, doorbell: { kind: "done" as const, delivered: false } };
    expect(decide({ issueOpen: false, record }).kind).toBe("ring");
    expect(decide({ issueOpen: false, record: { ...record, doorbell: null } }).kind).toBe("wait");
  });

  it("releasing gives up the lock and owes no doorbell: a person closed it and knows", () => {
    const next = applyAction(aRunRecord(), { kind: "release", reason: CLOSED_REASON }, runMinute(30));
    expect(next).toMatchObject({ phase: "released", doorbell: null, reason: CLOSED_REASON });
  });
});

describe("terminal phases: nothing more, except an owed doorbell", () => {
  const terminal = ["closed", "escalated", "frozen", "released"] as const;

  it.each(terminal)("%s with no doorbell waits", (phase) => {
    expect(decide({ record: { phase }, pushed: pushedAt(5), ci: ciRed("test") }).kind).toBe("wait");
  });

  it.each(terminal.flatMap((phase) => DOORBELL_KINDS.map((kind) => [phase, kind] as const)))(
    "%s owing a %s doorbell rings it again",
    (phase, kind) => {
      expect(decide({ record: { phase, doorbell: { kind, delivered: false } } })).toMatchObject({
        kind: "ring",
        doorbell: kind,
      });
    },
  );

  it.each(terminal)("%s with the doorbell delivered waits", (phase) => {
    expect(decide({ record: { phase, doorbell: { kind: "done", delivered: true } } }).kind).toBe("wait");
  });

  it("a frozen run whose CI later went green stays frozen (the loop never un-freezes by itself)", () => {
    expect(
      decide({
        record: { phase: "frozen", doorbell: { kind: "frozen", delivered: true } },
        pushed: pushedAt(5),
        ci: CI_GREEN,
      }).kind,
    ).toBe("wait");
  });
});

describe("delivery by pull request: review after green", () => {
  const PULL = {
    number: 7,
    url: "https://github.com/acme/api/pull/7",
    state: "open" as const,
    headSha: RED_SHA,
    headIsAgents: true,
    mergedAt: null,
  };
  const awaiting = { phase: "awaiting-review" as const, pushedSha: RED_SHA };
  const REVIEW = {
    author: { login: "maya", isBot: false },
    state: "changes_requested" as const,
    body: "Rename it",
    submittedAt: runMinute(40),
    comments: [],
  };

  it("green on its pull request: the run awaits review (no doorbell), not done", () => {
    const action = decide({ pushed: pushedAt(20), ci: CI_GREEN, pull: PULL, now: runMinute(30) });
    expect(action).toMatchObject({ kind: "await-review", sha: RED_SHA, pullRequest: 7 });
    const record = applyAction(aRunRecord(), action, runMinute(30));
    expect(record).toMatchObject({ phase: "awaiting-review", doorbell: null, review: { pullRequest: 7, rounds: 0 } });
    expect(record.review?.since).toBe(aRunRecord().dispatchedAt);
  });

  it("green ends a red spell: after a review turn, red is judged afresh by time and same-failure budgets", () => {
    const red = aRunRecord({
      fixForwards: 1,
      firstRedAt: runMinute(0),
      lastFailureSignature: "test",
      sameFailureStreak: 1,
    });
    const action = decide({ record: red, pushed: pushedAt(20), ci: CI_GREEN, pull: PULL, now: runMinute(30) });
    expect(applyAction(red, action, runMinute(30))).toMatchObject({
      fixForwards: 1,
      firstRedAt: null,
      lastFailureSignature: null,
      sameFailureStreak: 0,
    });
  });

  it("green and already merged (an auto-merge): done, with the merge recorded", () => {
    const merged = { ...PULL, state: "merged" as const, mergedAt: runMinute(25) };
    const action = decide({ pushed: pushedAt(20), ci: CI_GREEN, pull: merged, now: runMinute(30) });
    expect(action).toMatchObject({ kind: "close", merged: { pullRequest: 7 } });
    expect(applyAction(aRunRecord(), action, runMinute(30))).toMatchObject({
      phase: "closed",
      doorbell: { kind: "done", delivered: false },
      review: { pullRequest: 7, mergedAt: runMinute(25) },
    });
  });

  it("awaiting review: merged is done, closed unmerged goes to a human, trusted feedback is a review turn", () => {
    const record = { ...awaiting, review: { pullRequest: 7, rounds: 0, since: runMinute(10), mergedAt: null } };
    expect(decide({ record, pull: { ...PULL, state: "merged" } }).kind).toBe("close");
    expect(decide({ record, pull: { ...PULL, state: "closed" } })).toMatchObject({
      kind: "escalate-review",
      cause: "closed-unmerged",
    });
    const turn = decide({ record, pull: PULL, feedback: [REVIEW], now: runMinute(45) });
    expect(turn).toMatchObject({ kind: "review-turn", round: 1 });
    const after = applyAction(aRunRecord(record), turn, runMinute(45));
    expect(after).toMatchObject({
      phase: "dispatched",
      lastAction: "review-turn",
      turnStartedAt: runMinute(45),
      review: { rounds: 1, since: runMinute(40) },
    });
  });

  it("awaiting review with nothing read this tick waits; with nothing new, waits", () => {
    expect(decide({ record: awaiting }).kind).toBe("wait");
    expect(decide({ record: awaiting, pull: PULL, feedback: [] }).kind).toBe("wait");
  });

  it("after a review turn, the reviewed green head is not the agent's answer; a new push is", () => {
    const record = {
      phase: "dispatched" as const,
      pushedSha: RED_SHA,
      lastAction: "review-turn" as const,
      turnStartedAt: runMinute(45),
      review: { pullRequest: 7, rounds: 1, since: runMinute(40), mergedAt: null },
    };
    const same = { pushed: pushedAt(20), ci: CI_GREEN, pull: PULL, now: runMinute(50) };
    expect(decide({ record, ...same, agent: anAgent("running") }).kind).toBe("wait");
    expect(decide({ record, ...same, agent: anAgent("idle") }).kind).toBe("escalate-prepush");
    const answered = { pushed: { sha: NEW_SHA, at: runMinute(48) }, pull: { ...PULL, headSha: NEW_SHA } };
    expect(decide({ record, ...answered, ci: CI_PENDING, now: runMinute(50) }).kind).toBe("wait");
    expect(decide({ record, ...answered, ci: CI_GREEN, now: runMinute(50) })).toMatchObject({ kind: "await-review" });
  });

  it("merged while the agent was answering a review: done", () => {
    const record = { phase: "dispatched" as const, pushedSha: RED_SHA, lastAction: "review-turn" as const };
    const action = decide({ record, pushed: pushedAt(20), ci: CI_GREEN, pull: { ...PULL, state: "merged" } });
    expect(action).toMatchObject({ kind: "close", merged: { pullRequest: 7 } });
  });
});

describe("doorbellFor", () => {
  // One action of each kind; typed by ActionKind, so a new kind does not compile until it is here.
  const RINGS: { [K in ActionKind]: [Extract<Action, { kind: K }>, DoorbellKind | null] } = {
    close: [{ kind: "close", sha: RED_SHA, reason: "" }, "done"],
    "close-no-ci": [{ kind: "close-no-ci", sha: RED_SHA, reason: "" }, "done"],
    freeze: [
      { kind: "freeze", cause: "attempts-spent", sha: RED_SHA, failing: [], signature: "t", reason: "" },
      "frozen",
    ],
    "escalate-prepush": [{ kind: "escalate-prepush", cause: "stalled", reason: "" }, "needs-human"],
    "escalate-no-ci": [{ kind: "escalate-no-ci", cause: "no-ci", sha: RED_SHA, reason: "" }, "needs-human"],
    "escalate-lost": [{ kind: "escalate-lost", reason: "" }, "needs-human"],
    "await-review": [{ kind: "await-review", sha: RED_SHA, pullRequest: 7, reason: "" }, null],
    "review-turn": [{ kind: "review-turn", sha: RED_SHA, pullRequest: 7, round: 1, reviews: [], reason: "" }, null],
    "escalate-review": [{ kind: "escalate-review", cause: "closed-unmerged", sha: RED_SHA, reason: "" }, "needs-human"],
    ring: [{ kind: "ring", doorbell: "frozen", reason: "" }, "frozen"],
    "fix-forward": [{ kind: "fix-forward", sha: RED_SHA, failing: [], signature: "t", attempt: 1, reason: "" }, null],
    adopt: [{ kind: "adopt", threadId: null, reason: "" }, null],
    release: [{ kind: "release", reason: "" }, null],
    wait: [{ kind: "wait", reason: "" }, null],
  };

  it.each<[Action, DoorbellKind | null]>(Object.values(RINGS))("%o rings %s", (action, expected) => {
    expect(doorbellFor(action)).toBe(expected);
  });
});

describe("applyAction: the bookkeeping each action implies", () => {
  const now = runMinute(30);

  it("close: closed, the commit, done owed", () => {
    const record = applyAction(aRunRecord(), { kind: "close", sha: RED_SHA, reason: "CI green" }, now);
    expect(record).toMatchObject({
      phase: "closed",
      pushedSha: RED_SHA,
      lastAction: "close",
      reason: "CI green",
      doorbell: { kind: "done", delivered: false },
    });
  });

  it("close-no-ci: closed, done owed", () => {
    expect(applyAction(aRunRecord(), { kind: "close-no-ci", sha: RED_SHA, reason: "no CI" }, now)).toMatchObject({
      phase: "closed",
      lastAction: "close-no-ci",
      doorbell: { kind: "done", delivered: false },
    });
  });

  it("the first fix-forward: count 1, red clock starts now, streak 1, new turn, still dispatched, no doorbell", () => {
    const action = nextAction(aRunState(redPush("test")), RUN_LIMITS);
    expect(applyAction(aRunRecord(), action, now)).toEqual({
      ...aRunRecord(),
      pushedSha: RED_SHA,
      fixForwards: 1,
      firstRedAt: now,
      lastFailureSignature: "test",
      sameFailureStreak: 1,
      turnStartedAt: now,
      lastAction: "fix-forward",
    });
  });

  it("a later fix-forward keeps the first red time and extends the streak on the same signature", () => {
    const before = aRunRecord({
      fixForwards: 1,
      firstRedAt: runMinute(5),
      lastFailureSignature: "test",
      sameFailureStreak: 1,
    });
    const after = applyAction(
      before,
      { kind: "fix-forward", sha: NEW_SHA, failing: [], signature: "test", attempt: 2, reason: "" },
      now,
    );
    expect(after).toMatchObject({ fixForwards: 2, firstRedAt: runMinute(5), sameFailureStreak: 2, pushedSha: NEW_SHA });
  });

  it("a fix-forward on a different signature restarts the streak at 1", () => {
    const before = aRunRecord({
      fixForwards: 1,
      firstRedAt: runMinute(5),
      lastFailureSignature: "test",
      sameFailureStreak: 1,
    });
    const after = applyAction(
      before,
      { kind: "fix-forward", sha: NEW_SHA, failing: [], signature: "lint", attempt: 2, reason: "" },
      now,
    );
    expect(after).toMatchObject({ sameFailureStreak: 1, lastFailureSignature: "lint" });
  });

  it("freeze: frozen, signature kept, first red set if unset, frozen owed", () => {
    const action: Action = {
      kind: "freeze",
      cause: "parent-red",
      sha: RED_SHA,
      failing: [],
      signature: "test",
      reason: "parent red",
    };
    expect(applyAction(aRunRecord(), action, now)).toMatchObject({
      phase: "frozen",
      firstRedAt: now,
      lastFailureSignature: "test",
      lastAction: "freeze",
      reason: "parent red",
      doorbell: { kind: "frozen", delivered: false },
    });
  });

  it.each<Action>([
    { kind: "escalate-prepush", cause: "needs-input", reason: "r" },
    { kind: "escalate-lost", reason: "r" },
    { kind: "escalate-no-ci", cause: "no-ci", sha: RED_SHA, reason: "r" },
  ])("$kind: escalated with the reason, needs-human owed", (action) => {
    expect(applyAction(aRunRecord(), action, now)).toMatchObject({
      phase: "escalated",
      lastAction: action.kind,
      reason: "r",
      doorbell: { kind: "needs-human", delivered: false },
    });
  });

  it("adopt: dispatched with the found id; the dispatch is dated to the claim, and so is the turn", () => {
    const claimed = aRunRecord({
      phase: "claimed",
      threadId: null,
      dispatchedAt: null,
      turnStartedAt: null,
      claimedAt: runMinute(1),
    });
    expect(applyAction(claimed, { kind: "adopt", threadId: "thread-found", reason: "" }, now)).toMatchObject({
      phase: "dispatched",
      threadId: "thread-found",
      dispatchedAt: runMinute(1),
      turnStartedAt: runMinute(1),
      lastAction: "adopt",
      doorbell: null,
    });
  });

  it("release: released, no doorbell", () => {
    const claimed = aRunRecord({ phase: "claimed", threadId: null });
    expect(applyAction(claimed, { kind: "release", reason: "lease expired" }, now)).toMatchObject({
      phase: "released",
      lastAction: "release",
      reason: "lease expired",
      doorbell: null,
    });
  });

  it("ring: the owed doorbell is now delivered, nothing else changes", () => {
    const owed = aRunRecord({ phase: "frozen", doorbell: { kind: "frozen", delivered: false } });
    expect(applyAction(owed, { kind: "ring", doorbell: "frozen", reason: "" }, now)).toEqual({
      ...owed,
      doorbell: { kind: "frozen", delivered: true },
    });
  });

  it("markDoorbellDelivered leaves a record that owes nothing as it is", () => {
    const record = aRunRecord();
    expect(markDoorbellDelivered(record)).toBe(record);
  });

  it("wait changes nothing, so a quiet tick has nothing to write", () => {
    const record = aRunRecord();
    expect(applyAction(record, { kind: "wait", reason: "the agent is working" }, now)).toBe(record);
  });

  it("a long reason is clipped to the record's bound and the record still encodes", () => {
    const record = applyAction(aRunRecord(), { kind: "escalate-lost", reason: "é".repeat(10_000) }, now);
    expect(record.reason?.length).toBeLessThanOrEqual(RECORD_LIMITS.reason);
    expect(() => encodeRunRecord(record)).not.toThrow();
  });
});

describe("a run, tick by tick", () => {
  function tick(record: RunRecord, overrides: StateOverrides): { action: Action; record: RunRecord } {
    const state = aRunState({ ...overrides });
    const action = nextAction({ ...state, record }, RUN_LIMITS);
    return { action, record: applyAction(record, action, state.now) };
  }

  it("red, fix-forward, same red twice more: freezes on the same failure", () => {
    let record = aRunRecord();
    const steps: [StateOverrides, Action["kind"]][] = [
      [{ now: runMinute(10) }, "wait"],
      [{ pushed: pushedAt(15, "1".repeat(40)), ci: CI_PENDING, now: runMinute(20) }, "wait"],
      [{ pushed: pushedAt(15, "1".repeat(40)), ci: ciRed("test"), now: runMinute(30) }, "fix-forward"],
      [{ pushed: pushedAt(15, "1".repeat(40)), ci: ciRed("test"), now: runMinute(40) }, "wait"],
      [{ pushed: pushedAt(45, "2".repeat(40)), ci: ciRed("test"), now: runMinute(50) }, "fix-forward"],
      [{ pushed: pushedAt(55, "3".repeat(40)), ci: ciRed("test"), now: runMinute(60) }, "freeze"],
      [{ pushed: pushedAt(55, "3".repeat(40)), ci: ciRed("test"), now: runMinute(70) }, "ring"],
    ];
    for (const [overrides, expected] of steps) {
      const next = tick(record, overrides);
      expect(next.action.kind).toBe(expected);
      record = next.record;
    }
    expect(record).toMatchObject({
      phase: "frozen",
      fixForwards: 2,
      sameFailureStreak: 2,
      doorbell: { kind: "frozen", delivered: true },
    });
  });

  it("red, fix-forward, green: closes and owes done", () => {
    let record = aRunRecord();
    record = tick(record, { pushed: pushedAt(15), ci: ciRed("lint"), now: runMinute(30) }).record;
    const last = tick(record, { pushed: pushedAt(40, NEW_SHA), ci: CI_GREEN, now: runMinute(50) });
    expect(last.action.kind).toBe("close");
    expect(last.record).toMatchObject({
      phase: "closed",
      pushedSha: NEW_SHA,
      fixForwards: 1,
      doorbell: { kind: "done", delivered: false },
    });
  });
});

describe("total: every state gets an action, and its bookkeeping is a valid record", () => {
  const instant = fc.integer({ min: -200, max: 2000 }).map((m) => runMinute(m));
  const ci: fc.Arbitrary<CiVerdict> = fc.record({
    state: fc.constantFrom(...CI_STATES),
    stage: fc.constantFrom("build" as const, "deploy" as const, "rollout" as const),
    failing: fc.constantFrom([], ciRed("test").failing, ciRed("a", "b").failing),
    signature: fc.constantFrom(null, "test", "a, b"),
  });
  const state: fc.Arbitrary<RunState> = fc.record({
    record: fc
      .record({
        phase: fc.constantFrom(...RUN_PHASES),
        fixForwards: fc.integer({ min: 0, max: 5 }),
        sameFailureStreak: fc.integer({ min: 0, max: 5 }),
        lastFailureSignature: fc.constantFrom(null, "test", "a, b"),
        lastAction: fc.constantFrom(null, ...ACTION_KINDS),
        pushedSha: fc.constantFrom(null, RED_SHA, NEW_SHA),
        firstRedAt: fc.option(instant),
        turnStartedAt: fc.option(instant),
        dispatchedAt: fc.option(instant),
        threadId: fc.option(fc.constantFrom("t-1", "t-2")),
        doorbell: fc.option(fc.record({ kind: fc.constantFrom(...DOORBELL_KINDS), delivered: fc.boolean() })),
      })
      .map((overrides) => aRunRecord(overrides)),
    agent: fc.constantFrom(...AGENT_STATES).map((s) => anAgent(s)),
    threadId: fc.option(fc.constant("t-3")),
    pushed: fc.option(fc.record({ sha: fc.constantFrom(RED_SHA, NEW_SHA), at: instant })),
    ci,
    parentAlreadyRed: fc.boolean(),
    issueOpen: fc.boolean(),
    now: instant,
  });

  it("never throws, and applying the action yields a record the schema accepts", () => {
    fc.assert(
      fc.property(state, fc.constantFrom<StateMachineConfig["noCi"]>("escalate", "close"), (s, noCi) => {
        const action = nextAction(s, { ...RUN_LIMITS, noCi });
        expect(ACTION_KINDS).toContain(action.kind);
        expect(RunRecordSchema.safeParse(applyAction(s.record, action, s.now)).success).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("a terminal run only ever waits or rings", () => {
    fc.assert(
      fc.property(state, (s) => {
        if (s.record.phase === "dispatched" || s.record.phase === "claimed" || s.record.phase === "awaiting-review")
          return;
        expect(["wait", "ring"]).toContain(nextAction(s, RUN_LIMITS).kind);
      }),
    );
  });

  it("a doorbell is owed exactly when the action rings one", () => {
    // Both ways, and each way seen often enough to mean something.
    const seen = { rings: 0, silent: 0 };
    fc.assert(
      fc.property(state, (s) => {
        const action = nextAction(s, RUN_LIMITS);
        const kind = doorbellFor(action);
        if (action.kind === "ring") return;
        const after = applyAction(s.record, action, s.now).doorbell;
        if (kind !== null) {
          seen.rings++;
          expect(after).toEqual({ kind, delivered: false });
        } else {
          // An action that rings nothing owes no new doorbell (release clears one, in a state
          // the generator builds but a run never reaches: an in-flight record owing a doorbell).
          seen.silent++;
          expect(after === null || after === s.record.doorbell).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
    expect(seen.rings).toBeGreaterThan(50);
    expect(seen.silent).toBeGreaterThan(50);
  });

  it("a finished run rings exactly when its doorbell is owed and not yet delivered", () => {
    const seen = { owed: 0, settled: 0 };
    fc.assert(
      fc.property(state, (s) => {
        fc.pre(s.record.phase !== "dispatched" && s.record.phase !== "claimed" && s.record.phase !== "awaiting-review");
        const owed = s.record.doorbell !== null && !s.record.doorbell.delivered;
        if (owed) seen.owed++;
        else seen.settled++;
        expect(nextAction(s, RUN_LIMITS).kind === "ring").toBe(owed);
      }),
      { numRuns: 500 },
    );
    expect(seen.owed).toBeGreaterThan(20);
    expect(seen.settled).toBeGreaterThan(20);
  });
});

describe("a refused dispatch", () => {
  const claim = () => aRunRecord({ phase: "claimed", threadId: null, dispatchedAt: null, turnStartedAt: null });
  const now = runMinute(1);

  it("gives the claim back and counts the refusal while below the limit", () => {
    const next = refusedDispatch(claim(), "T3 said no (400)", now);
    expect(next).toMatchObject({ phase: "released", lastAction: "release", refusals: 1, doorbell: null });
    expect(next.reason).toMatch(/refused the dispatch 1 time of 3\): T3 said no \(400\)/);
  });

  it("counts on from the refusals an earlier tick recorded for the attempt", () => {
    expect(refusedDispatch({ ...claim(), refusals: 1 }, "no", now)).toMatchObject({ phase: "released", refusals: 2 });
  });

  it(`at ${DISPATCH_REFUSAL_LIMIT} refusals hands the issue to a human with the executor's message, doorbell owed`, () => {
    const next = refusedDispatch({ ...claim(), refusals: DISPATCH_REFUSAL_LIMIT - 1 }, "project archived", now);
    expect(next).toMatchObject({
      phase: "escalated",
      lastAction: "escalate-prepush",
      refusals: DISPATCH_REFUSAL_LIMIT,
      doorbell: { kind: "needs-human", delivered: false },
    });
    expect(next.reason).toMatch(/handed to a human: project archived$/);
  });

  it("a record without the field (written before it existed) reads as no refusals", () => {
    const { refusals: _none, ...old } = claim();
    expect(RunRecordSchema.safeParse(old).success).toBe(true);
    expect(refusedDispatch(old, "no", now).refusals).toBe(1);
  });
});
