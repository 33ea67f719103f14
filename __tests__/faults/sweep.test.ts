// The fault sweep (issue 6): a full lifecycle (dispatch, push, red,
// fix-forward, green, close; an escalation; skips; doorbells) run once
// without faults to learn every request it makes, then again with one
// failure injected at request k, for every k, GitHub and T3 separately, and
// with the process dying at every claim/dispatch/record boundary. After
// recovery rounds without faults the judge checks the promises of docs/design.md §3,
// §6 and §9. `npm test` runs a reduced sweep (a sample of the points, one
// fault kind per point in turn); `npm run test:faults` (AFK_FAULTS=full) runs
// every point with every kind (CI runs it nightly and on every push to main).
// A second world, delivery by pull request (dispatch, pull request, a review
// round, merges), is swept the same way by the same judge.
//
// What each mode asserts, per family of points: no invariant broke; every
// point struck (none "missed": a point whose request never came tested
// nothing); no issue ended otherwise than without faults ("diverged"); and a
// doorbell rang twice under one delivery id only after a point marked
// `ringsAgain` (the record write after a successful ring failing).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runIdFor } from "../../src/core/run-record.js";
import { deterministicId, threadIdFor } from "../../src/executors/t3.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/world/sandbox.js";
import {
  checkInvariants,
  crashAt,
  driveRounds,
  githubFault,
  GITHUB_FAULT_KINDS,
  LIFECYCLE_OUTCOMES,
  LIFECYCLE_ROUNDS,
  LOOP_LOGIN,
  PULL_REQUEST_LIFECYCLE,
  PUSH_LIFECYCLE,
  type Lifecycle,
  describeTally,
  newTally,
  outcomesOf,
  repeatedDoorbells,
  ringsBeforeRequests,
  runPoint,
  tallyPoint,
  t3Fault,
  T3_FAULT_KINDS,
  type FaultPoint,
  type PointResult,
  type RoundOutcome,
  type SweepTally,
} from "../../__fixtures__/faults.js";

const FULL = process.env.AFK_FAULTS === "full";
/** Reduced mode: every STRIDE-th request index, and every STRIDE-th write boundary. */
const STRIDE = 4;
/** Fault points run side by side. */
const CONCURRENCY = 3;

interface Baseline {
  /**
   * Every GitHub request, in order; `afterRing` marks the first request after a doorbell
   * rang (the write that records the doorbell delivered).
   */
  github: { method: string; path: string; mutation: boolean; afterRing: boolean }[];
  t3: { route: string; commandType: string | null }[];
}

/** What the fault-free lifecycle left, read before any test below changes the shared sandbox. */
interface Finished {
  outcomes: Record<string, string>;
  invariants: string[];
  repeats: string[];
  doorbellKinds: string[];
}

let sandbox: Sandbox;
let rounds: RoundOutcome[];
let baseline: Baseline;
let finished: Finished;

/** Drives a lifecycle fault-free, one round past its end, and learns its requests (the fault points). */
async function learn(
  lifecycle: Lifecycle,
): Promise<{ sandbox: Sandbox; rounds: RoundOutcome[]; baseline: Baseline | undefined }> {
  const sandbox = await startSandbox(lifecycle.world());
  const rings = ringsBeforeRequests(sandbox);
  let baseline: Baseline | undefined;
  // The faulted rounds are the lifecycle's; what the quiet round after it asks is no fault point.
  const rounds = await driveRounds(sandbox, 1, lifecycle.rounds + 1, {
    beforeRound: () => lifecycle.people?.(sandbox),
    afterRound: (round) => {
      if (round !== lifecycle.rounds) return;
      baseline = {
        github: sandbox.github.log.entries.map((e, i) => ({
          method: e.method,
          path: e.path,
          mutation: e.mutation,
          afterRing: i > 0 && (rings[i] ?? 0) > (rings[i - 1] ?? 0),
        })),
        t3: sandbox.t3.log.map((r) => ({ route: r.route, commandType: r.commandType })),
      };
    },
  });
  return { sandbox, rounds, baseline };
}

beforeAll(async () => {
  const learnt = await learn(PUSH_LIFECYCLE);
  sandbox = learnt.sandbox;
  rounds = learnt.rounds;
  if (!learnt.baseline) throw new Error("the lifecycle ended before its last round");
  baseline = learnt.baseline;
  // The judge's tests below break promises in this sandbox; what held is read once, here.
  finished = {
    outcomes: outcomesOf(sandbox, rounds),
    invariants: checkInvariants(sandbox, rounds),
    repeats: repeatedDoorbells(sandbox),
    doorbellKinds: sandbox.doorbells.deliveries.map((d) => (d.body as { kind: string }).kind).sort(),
  };
});
afterAll(() => sandbox.stop());

describe("the lifecycle without faults", () => {
  it(`closes three issues, escalates one and skips two with reasons, all within ${LIFECYCLE_ROUNDS} rounds`, () => {
    expect(finished.outcomes).toEqual(LIFECYCLE_OUTCOMES);
    // No tick crashed: a round whose tick threw would be survived by the drive, not by the action.
    expect(rounds.length).toBe(LIFECYCLE_ROUNDS + 1);
    expect(rounds.map((r) => r.crashed)).toEqual(rounds.map(() => null));
    const last = rounds.at(-1);
    // The last round is quiet: the lifecycle was over.
    expect(last?.watch?.runs).toEqual([]);
    expect(last?.poll?.dispatched).toEqual([]);
    expect(rounds.flatMap((r) => [...(r.watch?.failures ?? []), ...(r.poll?.failures ?? [])])).toEqual([]);
  });

  it("fixes forward twice and rings each terminal doorbell once: the invariants hold", () => {
    const actions = rounds.flatMap((r) => r.watch?.runs.map((w) => `${w.repo}#${w.number} ${w.action}`) ?? []);
    expect(actions.filter((a) => a.endsWith("fix-forward"))).toEqual([
      "acme/docs#1 fix-forward",
      "acme/api#2 fix-forward",
    ]);
    expect(finished.doorbellKinds).toEqual(["done", "done", "done", "needs-human"]);
    expect(finished.invariants).toEqual([]);
    expect(finished.repeats).toEqual([]);
  });

  it("makes a known number of requests to each service (the sweep's fault points)", () => {
    console.log(
      `fault sweep: a full lifecycle makes ${baseline.github.length} GitHub requests ` +
        `(${baseline.github.filter((r) => r.mutation).length} writes) and ${baseline.t3.length} T3 requests ` +
        `(${baseline.t3.filter((r) => r.route === "dispatch").length} commands)`,
    );
    expect(baseline.github.length).toBeGreaterThan(40);
    expect(baseline.t3.filter((r) => r.route === "dispatch").length).toBeGreaterThanOrEqual(10);
    // Each of the four doorbells is followed by the write that records it delivered.
    expect(baseline.github.filter((r) => r.afterRing).map((r) => r.mutation)).toEqual([true, true, true, true]);
  });
});

describe("the judge catches each broken promise", () => {
  // Each case breaks one invariant in the finished lifecycle's state, through the emulators.
  // The breaks add up in the shared sandbox, so each case checks only for its own line.
  const store = () => sandbox.world.store;

  it("a second progress comment by the loop", () => {
    store().addComment("acme/api", 1, "<!-- afk-loop:run v1 e30= -->", LOOP_LOGIN);
    expect(checkInvariants(sandbox, rounds)).toContain("acme/api#1: 2 progress comments");
  });

  it("a second agent thread for one issue", () => {
    const state = sandbox.t3.state;
    const thread = state.thread(threadIdFor(runIdFor("acme/docs", 1, 1)));
    const applied = state.apply({
      type: "thread.create",
      commandId: deterministicId("judge:thread"),
      threadId: deterministicId("judge:thread-id"),
      projectId: thread?.projectId ?? "",
      title: "acme/docs#1: a second agent",
      modelSelection: { instanceId: "claudeAgent", model: "m" },
      runtimeMode: "full-access",
      interactionMode: "default",
      branch: null,
      worktreePath: null,
      createdAt: new Date().toISOString(),
    });
    expect(applied.ok).toBe(true);
    expect(checkInvariants(sandbox, rounds)).toContain("acme/docs#1: 2 agent threads");
  });

  it("one turn's message sent twice", () => {
    const threadId = threadIdFor(runIdFor("acme/api", 2, 1));
    const first = sandbox.t3.state.thread(threadId)?.messages.find((m) => m.role === "user");
    sandbox.t3.state.apply({
      type: "thread.turn.start",
      commandId: deterministicId("judge:turn"),
      threadId,
      message: { messageId: first?.id ?? "", role: "user", text: "again", attachments: [] },
      runtimeMode: "full-access",
      interactionMode: "default",
      createdAt: new Date().toISOString(),
    });
    expect(checkInvariants(sandbox, rounds)).toContain("acme/api#2: a turn's message was sent twice");
  });

  it("a lock left on an issue whose run is over", () => {
    store().applyLabel("acme/web", 1, "agent-in-progress", LOOP_LOGIN);
    expect(checkInvariants(sandbox, rounds)).toContain(
      "acme/web#1: carries agent-in-progress but its run is escalated",
    );
  });

  it("a lock left on an issue the loop closed", () => {
    store().applyLabel("acme/api", 1, "agent-in-progress", LOOP_LOGIN);
    expect(checkInvariants(sandbox, rounds)).toContain("acme/api#1: closed with agent-in-progress still on");
  });

  it("a doorbell delivered twice (two deliveries with different ids)", async () => {
    const body = sandbox.doorbells.deliveries.find((d) => (d.body as { kind: string }).kind === "needs-human")?.body;
    await fetch(sandbox.doorbellUrl, { method: "POST", body: JSON.stringify({ ...(body as object), id: "other" }) });
    expect(checkInvariants(sandbox, rounds)).toContain("acme/web#1 needs-human doorbell delivered 2 times");
  });

  it("a doorbell rung again under its delivery id: a repeat, not a second delivery", async () => {
    const body = sandbox.doorbells.deliveries.find((d) => (d.body as { kind: string }).kind === "done")?.body as {
      repo: string;
      issue: number;
    };
    await fetch(sandbox.doorbellUrl, { method: "POST", body: JSON.stringify(body) });
    expect(repeatedDoorbells(sandbox)).toContain(`${body.repo}#${body.issue} done rang 2 times`);
    expect(checkInvariants(sandbox, rounds).filter((v) => v.startsWith(`${body.repo}#${body.issue} done`))).toEqual([]);
  });

  it("an agent still at work on a run the loop let go of, with no stop owed", () => {
    const threadId = threadIdFor(runIdFor("acme/web", 1, 1));
    const applied = sandbox.t3.state.apply({
      type: "thread.turn.start",
      commandId: deterministicId("judge:unstopped"),
      threadId,
      message: { messageId: deterministicId("judge:unstopped-message"), role: "user", text: "go on", attachments: [] },
      runtimeMode: "full-access",
      interactionMode: "default",
      createdAt: new Date().toISOString(),
    });
    expect(applied.ok).toBe(true);
    expect(checkInvariants(sandbox, rounds)).toContain(
      "acme/web#1: an agent still at work after its run was escalated, with no stop owed",
    );
  });

  it("a ready issue neither dispatched nor skipped", () => {
    expect(checkInvariants(sandbox, [])).toContain(
      "acme/docs#2: ready but neither dispatched nor skipped with a reason",
    );
  });
});

/** Reduced mode takes every STRIDE-th point, starting at a different offset per family so they interleave. */
function sample<T>(items: readonly T[], offset: number): T[] {
  return FULL ? [...items] : items.filter((_, i) => i % STRIDE === offset % STRIDE);
}

/** Marks the point that fails (or dies before) GitHub request `index` if that is the write after a ring. */
function marked(point: FaultPoint, index: number, b: Baseline = baseline): FaultPoint {
  return b.github[index]?.afterRing === true ? { ...point, ringsAgain: true } : point;
}

function githubPoints(b: Baseline = baseline): FaultPoint[] {
  const indexes = b.github.map((_, i) => i);
  if (FULL) return indexes.flatMap((i) => GITHUB_FAULT_KINDS.map((kind) => marked(githubFault(i, kind), i, b)));
  return sample(indexes, 1).map((i, n) =>
    marked(githubFault(i, GITHUB_FAULT_KINDS[n % GITHUB_FAULT_KINDS.length] ?? "5xx"), i, b),
  );
}

function t3Points(b: Baseline = baseline): FaultPoint[] {
  const indexes = b.t3.map((_, i) => i);
  if (FULL) return indexes.flatMap((i) => T3_FAULT_KINDS.map((kind) => t3Fault(i, kind)));
  return sample(indexes, 2).map((i, n) => t3Fault(i, T3_FAULT_KINDS[n % T3_FAULT_KINDS.length] ?? "5xx"));
}

/** Every write boundary: before each GitHub write, and before and after each T3 command lands. */
function crashPoints(b: Baseline = baseline): FaultPoint[] {
  const github = b.github.flatMap((r, i) => (r.mutation ? [marked(crashAt({ github: i }), i, b)] : []));
  const t3 = b.t3.flatMap((r, i) =>
    r.route === "dispatch" ? [crashAt({ t3: i }), crashAt({ t3: i, afterApply: true })] : [],
  );
  return sample([...github, ...t3], 3);
}

async function sweep(name: string, points: FaultPoint[], lifecycle: Lifecycle = PUSH_LIFECYCLE): Promise<SweepTally> {
  const tally = newTally();
  // Each point has its own sandbox; a tick mostly waits on HTTP, so a few run side by side.
  const queue = [...points];
  const results: PointResult[] = [];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let point = queue.shift(); point !== undefined; point = queue.shift())
        results.push(await runPoint(point, lifecycle));
    }),
  );
  for (const result of results.sort(
    (a, b) => points.findIndex((p) => p.name === a.point) - points.findIndex((p) => p.name === b.point),
  ))
    tallyPoint(tally, result);
  console.log(describeTally(name, FULL ? "full" : "reduced", tally));
  for (const { point, doorbells, known } of tally.repeats) {
    console.log(`  ${point}: ${doorbells.join(", ")}${known ? "" : " (NOT a known case)"}`);
  }
  for (const { point, issues } of tally.diverged) console.log(`  ${point}: ${issues.join(", ")}`);
  for (const { point, violations } of tally.failures) console.log(`  ${point} BROKE: ${violations.join("; ")}`);
  return tally;
}

const TIMEOUT = FULL ? 3_600_000 : 120_000;

/** The sweep's promises for one family of points (see the header). */
function expectHeld(tally: SweepTally, points: readonly FaultPoint[]): void {
  expect(tally.failures).toEqual([]);
  expect(tally.missed).toBe(0);
  expect(tally.tried).toBe(points.length);
  expect(tally.diverged).toEqual([]);
  expect(tally.repeats.filter((r) => !r.known)).toEqual([]);
}

describe("the sweep's verdict fails on what it counts", () => {
  // Synthetic results, so each outcome the sweep counts is shown to fail it without a sweep.
  const held = (point: string, more: Partial<PointResult> = {}): PointResult => ({
    point,
    struck: true,
    violations: [],
    diverged: [],
    repeats: [],
    ringsAgain: false,
    rounds: [],
    ...more,
  });
  const verdict = (results: PointResult[]) => {
    const tally = newTally();
    for (const result of results) tallyPoint(tally, result);
    const points = results.map((r) => ({ name: r.point, arm: () => ({ struck: () => r.struck }) }));
    return () => expectHeld(tally, points);
  };

  it("passes a family where every point struck and held", () => {
    expect(
      verdict([held("a"), held("b", { repeats: ["acme/api#1 done rang 2 times"], ringsAgain: true })]),
    ).not.toThrow();
  });

  it.each([
    ["a broken invariant", held("b", { violations: ["acme/api#1: 2 progress comments"] })],
    ["a point that never struck", held("b", { struck: false })],
    ["an issue that ended otherwise", held("b", { diverged: ["acme/api#1: escalated (fault-free: closed)"] })],
    ["a repeated ring at an unmarked point", held("b", { repeats: ["acme/api#1 done rang 2 times"] })],
  ])("fails on %s", (_, result) => {
    expect(verdict([held("a"), result])).toThrow();
  });
});

describe(`fault sweep (${FULL ? "full" : "reduced"})`, () => {
  it(
    "one GitHub request failing (5xx, reset, hang, secondary rate limit) breaks no invariant",
    async () => {
      const points = githubPoints();
      expectHeld(await sweep("GitHub failures", points), points);
    },
    TIMEOUT,
  );

  it(
    "one T3 request failing (5xx, 429, a reset or hang after T3 applied it) breaks no invariant",
    async () => {
      const points = t3Points();
      const tally = await sweep("T3 failures", points);
      expectHeld(tally, points);
      // T3 failing never costs a GitHub write, so no doorbell is ever rung twice.
      expect(tally.repeats).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    "the process dying at any claim, dispatch or record boundary breaks no invariant",
    async () => {
      const points = crashPoints();
      expectHeld(await sweep("crashes at write boundaries", points), points);
    },
    TIMEOUT,
  );
});

describe(`pull-request lifecycle world: fault sweep (${FULL ? "full" : "reduced"})`, () => {
  let pr: { sandbox: Sandbox; rounds: RoundOutcome[]; baseline: Baseline | undefined };
  beforeAll(async () => {
    pr = await learn(PULL_REQUEST_LIFECYCLE);
    await pr.sandbox.stop();
  });
  const prBaseline = (): Baseline => {
    if (!pr.baseline) throw new Error("the pull-request lifecycle ended before its last round");
    return pr.baseline;
  };

  it(`without faults: a review round, two merges, both done within ${PULL_REQUEST_LIFECYCLE.rounds} rounds`, () => {
    expect(outcomesOf(pr.sandbox, pr.rounds)).toEqual(PULL_REQUEST_LIFECYCLE.outcomes);
    expect(pr.rounds.map((r) => r.crashed)).toEqual(pr.rounds.map(() => null));
    const actions = pr.rounds.flatMap((r) => r.watch?.runs.map((w) => `${w.repo}#${w.number} ${w.action}`) ?? []);
    expect(actions.filter((a) => a.endsWith("review-turn"))).toEqual(["acme/api#1 review-turn"]);
    expect(actions.filter((a) => a.endsWith("close"))).toHaveLength(2);
    expect(pr.rounds.at(-1)?.watch?.runs).toEqual([]);
    expect(checkInvariants(pr.sandbox, pr.rounds)).toEqual([]);
    expect(repeatedDoorbells(pr.sandbox)).toEqual([]);
    console.log(
      `fault sweep (pull-request world): ${prBaseline().github.length} GitHub requests, ${prBaseline().t3.length} T3 requests`,
    );
  });

  it(
    "one GitHub request failing, one T3 request failing, or the process dying at a write boundary breaks no invariant",
    async () => {
      const b = prBaseline();
      for (const [name, points] of [
        ["GitHub failures", githubPoints(b)],
        ["T3 failures", t3Points(b)],
        ["crashes at write boundaries", crashPoints(b)],
      ] as const) {
        expectHeld(await sweep(`pull-request world: ${name}`, points, PULL_REQUEST_LIFECYCLE), points);
      }
    },
    TIMEOUT * 3,
  );
});
