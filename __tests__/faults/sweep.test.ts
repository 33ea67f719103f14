// The fault sweep (issue 6): a full lifecycle (dispatch, push, red,
// fix-forward, green, close; an escalation; skips; doorbells) run once
// without faults to learn every request it makes, then again with one
// failure injected at request k, for every k, GitHub and T3 separately, and
// with the process dying at every claim/dispatch/record boundary. After
// recovery rounds without faults the judge checks the promises of DESIGN §3,
// §6 and §9. `npm test` runs a reduced sweep (a sample of the points, one
// fault kind per point in turn); `npm run test:faults` (AFK_FAULTS=full) runs
// every point with every kind.

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
  lifecycleWorld,
  LOOP_LOGIN,
  describeTally,
  newTally,
  outcomesOf,
  repeatedDoorbells,
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
  /** `METHOD path` of every GitHub request, in order. */
  github: { method: string; path: string; mutation: boolean }[];
  t3: { route: string; commandType: string | null }[];
}

let sandbox: Sandbox;
let rounds: RoundOutcome[];
let baseline: Baseline;

beforeAll(async () => {
  sandbox = await startSandbox(lifecycleWorld());
  // The faulted rounds are the lifecycle's; what the quiet round after it asks is no fault point.
  rounds = await driveRounds(sandbox, 1, LIFECYCLE_ROUNDS + 1, {
    afterRound: (round) => {
      if (round !== LIFECYCLE_ROUNDS) return;
      baseline = {
        github: sandbox.github.log.entries.map((e) => ({ method: e.method, path: e.path, mutation: e.mutation })),
        t3: sandbox.t3.log.map((r) => ({ route: r.route, commandType: r.commandType })),
      };
    },
  });
});
afterAll(() => sandbox.stop());

describe("the lifecycle without faults", () => {
  it(`closes three issues, escalates one and skips two with reasons, all within ${LIFECYCLE_ROUNDS} rounds`, () => {
    expect(outcomesOf(sandbox, rounds)).toEqual(LIFECYCLE_OUTCOMES);
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
    const kinds = sandbox.doorbells.deliveries.map((d) => (d.body as { kind: string }).kind).sort();
    expect(kinds).toEqual(["done", "done", "done", "needs-human"]);
    expect(checkInvariants(sandbox, rounds)).toEqual([]);
    expect(repeatedDoorbells(sandbox)).toEqual([]);
  });

  it("makes a known number of requests to each service (the sweep's fault points)", () => {
    console.log(
      `fault sweep: a full lifecycle makes ${baseline.github.length} GitHub requests ` +
        `(${baseline.github.filter((r) => r.mutation).length} writes) and ${baseline.t3.length} T3 requests ` +
        `(${baseline.t3.filter((r) => r.route === "dispatch").length} commands)`,
    );
    expect(baseline.github.length).toBeGreaterThan(40);
    expect(baseline.t3.filter((r) => r.route === "dispatch").length).toBeGreaterThanOrEqual(10);
  });
});

describe("the judge catches each broken promise", () => {
  // Each case breaks one invariant in the finished lifecycle's state, through the emulators.
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
    expect(repeatedDoorbells(sandbox)).toEqual([`${body.repo}#${body.issue} done rang 2 times`]);
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

function githubPoints(): FaultPoint[] {
  const indexes = baseline.github.map((_, i) => i);
  if (FULL) return indexes.flatMap((i) => GITHUB_FAULT_KINDS.map((kind) => githubFault(i, kind)));
  return sample(indexes, 1).map((i, n) => githubFault(i, GITHUB_FAULT_KINDS[n % GITHUB_FAULT_KINDS.length] ?? "5xx"));
}

function t3Points(): FaultPoint[] {
  const indexes = baseline.t3.map((_, i) => i);
  if (FULL) return indexes.flatMap((i) => T3_FAULT_KINDS.map((kind) => t3Fault(i, kind)));
  return sample(indexes, 2).map((i, n) => t3Fault(i, T3_FAULT_KINDS[n % T3_FAULT_KINDS.length] ?? "5xx"));
}

/** Every write boundary: before each GitHub write, and before and after each T3 command lands. */
function crashPoints(): FaultPoint[] {
  const github = baseline.github.flatMap((r, i) => (r.mutation ? [crashAt({ github: i })] : []));
  const t3 = baseline.t3.flatMap((r, i) =>
    r.route === "dispatch" ? [crashAt({ t3: i }), crashAt({ t3: i, afterApply: true })] : [],
  );
  return sample([...github, ...t3], 3);
}

async function sweep(name: string, points: FaultPoint[]): Promise<SweepTally> {
  const tally = newTally();
  // Each point has its own sandbox; a tick mostly waits on HTTP, so a few run side by side.
  const queue = [...points];
  const results: PointResult[] = [];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let point = queue.shift(); point !== undefined; point = queue.shift()) results.push(await runPoint(point));
    }),
  );
  for (const result of results.sort(
    (a, b) => points.findIndex((p) => p.name === a.point) - points.findIndex((p) => p.name === b.point),
  ))
    tallyPoint(tally, result);
  console.log(describeTally(name, FULL ? "full" : "reduced", tally));
  for (const { point, doorbells } of tally.repeats) console.log(`  ${point}: ${doorbells.join(", ")}`);
  for (const { point, issues } of tally.diverged) console.log(`  ${point}: ${issues.join(", ")}`);
  for (const { point, violations } of tally.failures) console.log(`  ${point} BROKE: ${violations.join("; ")}`);
  return tally;
}

const TIMEOUT = FULL ? 3_600_000 : 120_000;

describe(`fault sweep (${FULL ? "full" : "reduced"})`, () => {
  it(
    "one GitHub request failing (5xx, reset, hang, secondary rate limit) breaks no invariant",
    async () => {
      const tally = await sweep("GitHub failures", githubPoints());
      expect(tally.failures).toEqual([]);
      expect(tally.tried).toBeGreaterThan(0);
    },
    TIMEOUT,
  );

  it(
    "one T3 request failing (5xx, 429, a reset or hang after T3 applied it) breaks no invariant",
    async () => {
      const tally = await sweep("T3 failures", t3Points());
      expect(tally.failures).toEqual([]);
      // T3 failing never costs a GitHub write, so no doorbell is ever rung twice.
      expect(tally.repeats).toEqual([]);
      expect(tally.tried).toBeGreaterThan(0);
    },
    TIMEOUT,
  );

  it(
    "the process dying at any claim, dispatch or record boundary breaks no invariant",
    async () => {
      const tally = await sweep("crashes at write boundaries", crashPoints());
      expect(tally.failures).toEqual([]);
      expect(tally.tried).toBeGreaterThan(0);
    },
    TIMEOUT,
  );
});
