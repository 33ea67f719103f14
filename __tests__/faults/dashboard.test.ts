// The fault sweep over the dashboard's reads and writes (issue 12): the
// lifecycle world with `dashboard: true`, run once without faults to learn
// which GitHub requests are the dashboard's (its list read, its create, its
// edits: the reservation before dispatches and the last write), then once per
// such request with a failure injected there. After recovery rounds the judge
// checks the lifecycle's invariants and the dashboard's own promises
// (checkDashboard): one dashboard, a record that reads, no start it missed
// and every verdict the watch reached counted once. Only the dashboard's
// requests are fault points here; the main sweep covers the rest.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkDashboard,
  checkInvariants,
  DASHBOARD_LIFECYCLE,
  dashboardLifecycleWorld,
  driveRounds,
  githubFault,
  GITHUB_FAULT_KINDS,
  LIFECYCLE_OUTCOMES,
  LIFECYCLE_ROUNDS,
  outcomesOf,
  runPoint,
  type RoundOutcome,
} from "../../__fixtures__/faults.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/world/sandbox.js";

const FULL = process.env.AFK_FAULTS === "full";

let sandbox: Sandbox;
let rounds: RoundOutcome[];
/** Indices of the fault-free run's GitHub requests that are the dashboard's. */
let points: { index: number; what: string }[];

beforeAll(async () => {
  sandbox = await startSandbox(dashboardLifecycleWorld());
  // The faulted rounds are the lifecycle's; what the quiet round after it asks is no fault point.
  let faultable = 0;
  rounds = await driveRounds(sandbox, 1, LIFECYCLE_ROUNDS + 1, {
    afterRound: (round) => {
      if (round === LIFECYCLE_ROUNDS) faultable = sandbox.github.log.entries.length;
    },
  });
  const dashboard = rounds.flatMap((r) => (r.dashboard?.number == null ? [] : [r.dashboard.number])).at(-1);
  points = sandbox.github.log.entries.flatMap((e, index) => {
    const mine =
      // The loop reads issues over GraphQL; its only REST list of issues is the dashboard's.
      (e.method === "GET" && e.path.split("?")[0] === "/repos/acme/api/issues") ||
      (e.method === "POST" && e.path === "/repos/acme/api/issues") ||
      (e.method === "PATCH" && e.path === `/repos/acme/api/issues/${dashboard ?? -1}`);
    return mine && index < faultable ? [{ index, what: `${e.method} ${e.path.split("?")[0] ?? ""}` }] : [];
  });
});
afterAll(() => sandbox.stop());

describe("the lifecycle with the dashboard, without faults", () => {
  it("ends as without the dashboard, and the dashboard counts every start and verdict", () => {
    // The dashboard is one more issue (acme/api#3), which the lifecycle's outcomes do not list.
    expect(outcomesOf(sandbox, rounds)).toMatchObject(LIFECYCLE_OUTCOMES);
    expect(checkInvariants(sandbox, rounds)).toEqual([]);
    expect(checkDashboard(sandbox, rounds)).toEqual([]);
    // Its reads, its create, and its edits (reservations before dispatches, the last writes).
    const kinds = new Set(points.map((p) => p.what.split(" ")[0]));
    expect([...kinds].sort()).toEqual(["GET", "PATCH", "POST"]);
  });
});

describe("one dashboard request failing", () => {
  it("never loses a start or a verdict, never makes a second dashboard, and the lifecycle ends the same", async () => {
    // Reduced: one fault kind per point in turn; AFK_FAULTS=full: every kind at every point.
    const tried = points.flatMap((p, i) =>
      FULL ? GITHUB_FAULT_KINDS.map((kind) => ({ ...p, kind })) : [{ ...p, kind: GITHUB_FAULT_KINDS[i % 4] ?? "5xx" }],
    );
    const failures: string[] = [];
    const queue = [...tried];
    // Three at a time, as the main sweep runs its points.
    await Promise.all(
      Array.from({ length: 3 }, async () => {
        for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
          const result = await runPoint(githubFault(p.index, p.kind), DASHBOARD_LIFECYCLE);
          if (!result.struck) failures.push(`${p.what} #${p.index} ${p.kind}: never struck`);
          const problems = [...result.violations, ...result.diverged];
          if (problems.length > 0) failures.push(`${p.what} #${p.index} ${p.kind}: ${problems.join("; ")}`);
        }
      }),
    );
    console.log(`dashboard fault sweep: ${tried.length} points tried, ${tried.length - failures.length} held`);
    expect(failures).toEqual([]);
  }, 600_000);
});
