import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ARMED_BREAKER,
  DAY_MINUTES,
  advanceBreaker,
  dailyBudget,
  minuteOf,
  type BreakerState,
  type EndedRun,
  type RunEnding,
} from "../../src/core/guard-rails.js";

const T0 = Date.parse("2026-06-01T00:00:00Z");
const at = (minute: number) => new Date(T0 + minute * 60_000).toISOString();

// --- the daily budget ---------------------------------------------------------

describe("daily budget (property)", () => {
  // A fleet that wants `demand` dispatches at each tick and gets what the budget leaves.
  const ticks = fc.array(
    fc.record({ gap: fc.integer({ min: 0, max: 900 }), demand: fc.integer({ min: 0, max: 12 }) }),
    { maxLength: 60 },
  );

  it("never allows more than the budget in any 24-hour window", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 15 }), ticks, (limit, script) => {
        const starts: number[] = [];
        let minute = 0;
        for (const { gap, demand } of script) {
          minute += gap;
          const budget = dailyBudget(starts, limit, at(minute));
          const take = Math.min(demand, budget.left ?? demand);
          for (let i = 0; i < take; i++) starts.push(minuteOf(at(minute)));
        }
        // Every 24-hour window [s, s + 24 h) starting at a dispatch holds at most `limit` of them.
        for (const s of starts) {
          expect(starts.filter((t) => t >= s && t < s + DAY_MINUTES).length).toBeLessThanOrEqual(limit);
        }
      }),
    );
  });

  it("frees up exactly when it says: spent one minute before, one dispatch left at that time", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.integer({ min: 0, max: 3 * DAY_MINUTES }), { maxLength: 40 }),
        fc.integer({ min: 0, max: 3 * DAY_MINUTES }),
        (limit, raw, nowMinute) => {
          // Starts are in the past: a dispatch is recorded at the tick that made it.
          const starts = raw.filter((m) => m <= nowMinute).map((m) => minuteOf(at(m)));
          const budget = dailyBudget(starts, limit, at(nowMinute));
          expect(budget.used + (budget.left ?? 0)).toBeGreaterThanOrEqual(limit);
          if (budget.left !== 0) {
            expect(budget.freesAt).toBeNull();
            return;
          }
          const frees = minuteOf(budget.freesAt ?? "");
          expect(frees).toBeGreaterThan(minuteOf(at(nowMinute)));
          expect(dailyBudget(starts, limit, at(frees - T0 / 60_000 - 1)).left).toBe(0);
          expect(dailyBudget(starts, limit, at(frees - T0 / 60_000)).left).toBeGreaterThanOrEqual(1);
        },
      ),
    );
  });

  it("0 means no limit", () => {
    expect(dailyBudget([1, 2, 3], 0, at(10))).toMatchObject({ left: null, freesAt: null });
  });
});

// --- the circuit breaker ---------------------------------------------------------

const ending = fc.constantFrom<RunEnding>("done", "failed", "neutral");

function runs(endings: readonly RunEnding[]): EndedRun[] {
  return endings.map((e, i) => ({
    runId: `run-${i}`,
    repo: "acme/api",
    number: i + 1,
    url: null,
    outcome: e === "done" ? "done" : e === "failed" ? (i % 2 === 0 ? "escalated" : "frozen") : "escalated",
    ending: e,
  }));
}

/** Feeds the runs in batches of the given sizes (ticks), as the watch tick reports them. */
function feed(
  all: EndedRun[],
  batches: readonly number[],
  threshold: number,
): { state: BreakerState; trippedAfter: number | null } {
  let state = ARMED_BREAKER;
  let i = 0;
  let trippedAfter: number | null = null;
  for (const size of [...batches, all.length]) {
    if (i >= all.length) break;
    const batch = all.slice(i, i + Math.max(1, size));
    state = advanceBreaker(state, batch, threshold, at(i));
    i += batch.length;
    if (trippedAfter === null && state.tripped !== null) trippedAfter = i;
  }
  return { state, trippedAfter };
}

/** The index (1-based count of runs) at which the N-th consecutive failure since a done run ends. */
function expectedTrip(endings: readonly RunEnding[], threshold: number): number | null {
  let streak = 0;
  for (const [i, e] of endings.entries()) {
    if (e === "done") streak = 0;
    else if (e === "failed") streak++;
    if (streak === threshold) return i + 1;
  }
  return null;
}

describe("circuit breaker (property)", () => {
  it("trips exactly at the N-th consecutive failure, one run at a time", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(ending, { maxLength: 60 }), (threshold, endings) => {
        const { trippedAfter } = feed(
          runs(endings),
          endings.map(() => 1),
          threshold,
        );
        expect(trippedAfter).toBe(expectedTrip(endings, threshold));
      }),
    );
  });

  it("never trips while a done run is in the streak, however the runs are batched into ticks", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(ending, { maxLength: 60 }),
        fc.array(fc.integer({ min: 1, max: 6 }), { maxLength: 30 }),
        (threshold, endings, batches) => {
          const all = runs(endings);
          const { state } = feed(all, batches, threshold);
          const expected = expectedTrip(endings, threshold);
          expect(state.tripped !== null).toBe(expected !== null);
          if (state.tripped === null || expected === null) return;
          // The runs that tripped it are the N failures just before the trip, with no done run among or between them.
          const ids = state.tripped.runs.map((r) => Number(r.runId.slice(4)));
          expect(ids).toHaveLength(threshold);
          expect(ids.at(-1)).toBe(expected - 1);
          const first = ids[0] ?? 0;
          expect(endings.slice(first, expected).includes("done")).toBe(false);
          expect(ids.every((n) => endings[n] === "failed")).toBe(true);
        },
      ),
    );
  });

  it("stays tripped whatever ends later, and a run seen twice counts once", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(ending, { maxLength: 30 }), (threshold, later) => {
        const failures = runs(Array.from({ length: threshold }, () => "failed" as const));
        const tripped = advanceBreaker(ARMED_BREAKER, failures, threshold, at(0));
        expect(tripped.tripped).not.toBeNull();
        const after = advanceBreaker(
          tripped,
          runs(later).map((r) => ({ ...r, runId: `later-${r.runId}` })),
          threshold,
          at(1),
        );
        expect(after.tripped).toEqual(tripped.tripped);
        // Replaying the same runs (a tick re-run after a lost write) does not add to the streak.
        const once = advanceBreaker(ARMED_BREAKER, failures.slice(0, threshold - 1), threshold + 1, at(0));
        expect(advanceBreaker(once, failures.slice(0, threshold - 1), threshold + 1, at(1)).streak).toHaveLength(
          threshold - 1,
        );
      }),
    );
  });

  it("is off at 0", () => {
    const state = advanceBreaker(ARMED_BREAKER, runs(Array.from({ length: 30 }, () => "failed" as const)), 0, at(0));
    expect(state.tripped).toBeNull();
  });
});
