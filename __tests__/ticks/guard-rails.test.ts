// The fleet's guard rails end to end, over the emulators on the virtual clock:
// each round is a scheduled run as the action runs it (watch, then the poll
// step: the dashboard opened for the guard rails, the poll, the dashboard
// written). Outcomes are read from the emulators' state (threads created,
// labels, the dashboard issue's body, doorbells delivered), not from the
// loop's own account alone.

import { describe, expect, it } from "vitest";
import {
  LOOP_LOGIN,
  readyIssue,
  REPO,
  startLoop,
  stopLoopsAfterEach,
  tickWorld,
  type Loop,
} from "../../__fixtures__/ticks.js";
import { DASHBOARD_LABEL, decodeDashboardRecord } from "../../src/report/dashboard-record.js";
import { buildReport, type ReportModel } from "../../src/report/model.js";
import { DashboardStep, progressCommentGuard, type DashboardResult } from "../../src/ticks/dashboard.js";
import { pollTick, type PollReport } from "../../src/ticks/poll.js";
import { watchTick, type WatchReport } from "../../src/ticks/watch.js";

stopLoopsAfterEach();

interface Run {
  watch: WatchReport;
  poll: PollReport;
  model: ReportModel;
  result: DashboardResult;
  notes: string[];
}

/** One scheduled run, as run-tick.ts runs the poll step: the dashboard hands the poll its guard rails. */
async function run(loop: Loop, beforeLastWrite?: () => () => void): Promise<Run> {
  loop.advance();
  const watch = await watchTick(loop.context());
  const ctx = loop.context();
  const step = new DashboardStep(ctx, watch);
  const poll = await pollTick(ctx, { guard: step.guard, reserve: step.reserve });
  const model = buildReport(
    {
      mode: "armed",
      dryRun: false,
      repos: [REPO],
      requests: null,
      executorRequests: null,
      now: ctx.now().toISOString(),
    },
    watch,
    poll,
  );
  const restore = beforeLastWrite?.();
  const result = await step.finish({ model, poll, identity: poll.identity });
  restore?.();
  return { watch, poll, model, result, notes: [...step.notes] };
}

function dashboard(loop: Loop) {
  const own = [...(loop.sandbox.world.store.repo(REPO)?.issues.values() ?? [])].filter(
    (i) => i.labels.includes(DASHBOARD_LABEL) && i.author === LOOP_LOGIN,
  );
  expect(own).toHaveLength(1);
  const [issue] = own;
  if (issue === undefined) throw new Error("no dashboard");
  return issue;
}

/** Someone ticks (or unticks) a box in the dashboard, in the browser: an edit of its body by them. */
function edit(loop: Loop, by: string, change: (body: string) => string): void {
  const issue = dashboard(loop);
  loop.sandbox.world.store.editIssue(REPO, issue.number, { body: change(issue.body) }, by);
}
const tickReset = (body: string) => body.replace("- [ ] Reset the breaker", "- [x] Reset the breaker");

/** Issues the loop ever started an agent on (threads in the T3 emulator), whatever happened next. */
function started(loop: Loop, numbers: readonly number[]): number[] {
  return numbers.filter((n) => loop.threadsFor(n).length > 0);
}

const ISSUES = [1, 2, 3, 4, 5];

describe("circuit breaker", () => {
  async function trippedWorld() {
    const loop = await startLoop(
      tickWorld({
        issues: ISSUES.map((n) => readyIssue(n)),
        ci: { result: "red", failing: ["test"] },
        inputs: { "fix-forward-attempts": 0, "max-per-repo": 1 },
      }),
      { dashboard: "true", "dashboard-repo": REPO, "breaker-failures": "2" },
    );
    const runs: Run[] = [];
    for (let i = 0; i < 15 && !runs.some((r) => r.poll.skipped.some((s) => s.code === "breaker")); i++) {
      runs.push(await run(loop));
    }
    return { loop, runs };
  }

  it("trips after breaker-failures runs in a row end frozen, and starts nothing more", async () => {
    const { loop, runs } = await trippedWorld();
    const last = runs.at(-1);
    expect(last?.poll.skipped.map((s) => s.code)).toContain("breaker");
    expect(started(loop, ISSUES)).toHaveLength(2);
    expect(ISSUES.filter((n) => loop.labels(n).includes("frozen"))).toHaveLength(2);
    // The run it tripped in says why, at the top.
    expect(last?.model.headline.emoji).toBe("⛔");
    expect(last?.model.headline.text).toContain("Circuit breaker tripped");
    // Three more runs: nothing starts, the doorbell rang once.
    for (let i = 0; i < 3; i++) {
      const next = await run(loop);
      expect(next.poll.dispatched).toEqual([]);
    }
    expect(started(loop, ISSUES)).toHaveLength(2);
    expect(loop.doorbells().filter((d) => d.startsWith("breaker "))).toEqual([
      `breaker ${REPO}#${dashboard(loop).number}`,
    ]);
    // The dashboard shows what tripped it, with links to the runs, and the control to reset it.
    const body = dashboard(loop).body;
    expect(body).toContain("Circuit breaker tripped");
    for (const n of started(loop, ISSUES)) expect(body).toContain(`${REPO}#${n}`);
    expect(body).toContain("- [ ] Reset the breaker");
  });

  it("a hidden record broken by hand does not re-arm it: a record that cannot be read trips it (fail closed)", async () => {
    const { loop } = await trippedWorld();
    // Someone not trusted rewrites the hidden record, hoping a fresh one re-arms the breaker.
    edit(loop, "randall", (b) => b.replace(/(<!-- afk-loop:dashboard v1 )\S+/, "$1bm90LW91cnM="));
    const next = await run(loop);
    expect(next.poll.dispatched).toEqual([]);
    expect(next.poll.skipped.map((s) => s.code)).toContain("breaker");
    expect(next.model.headline.text).toContain("Circuit breaker tripped");
    expect(dashboard(loop).body).toContain("could not be read");
    expect(started(loop, ISSUES)).toHaveLength(2);
    // A trusted person who looked at it re-arms it.
    edit(loop, "maya", tickReset);
    const after = await run(loop);
    expect(after.poll.dispatched.length).toBeGreaterThan(0);
  });

  it("an untrusted person's tick of Reset does nothing and is reported", async () => {
    const { loop } = await trippedWorld();
    edit(loop, "randall", tickReset);
    const next = await run(loop);
    expect(next.poll.dispatched).toEqual([]);
    expect(next.notes.join("\n")).toMatch(/ignored \(Reset the breaker\): edited .* by @randall, not trusted/);
    // The loop unticks it with its next write: the tick is dropped, not kept for later.
    expect(dashboard(loop).body).toContain("- [ ] Reset the breaker");
    expect(started(loop, ISSUES)).toHaveLength(2);
  });

  it("an untrusted edit between a trusted tick and a trusted edit voids the tick", async () => {
    const { loop } = await trippedWorld();
    edit(loop, "maya", tickReset);
    edit(loop, "randall", (b) => `${b}\n`);
    edit(loop, "bob", (b) => b.replace(/\n$/, ""));
    const next = await run(loop);
    expect(next.poll.dispatched).toEqual([]);
    expect(next.notes.join("\n")).toContain("@randall");
    expect(started(loop, ISSUES)).toHaveLength(2);
  });

  it("a trusted person's Reset re-arms it: the next poll starts work again, and the dashboard says who", async () => {
    const { loop } = await trippedWorld();
    edit(loop, "maya", tickReset);
    const next = await run(loop);
    expect(next.notes.join("\n")).toContain("Dashboard control by @maya: reset the breaker");
    expect(next.poll.dispatched).toHaveLength(1);
    const body = dashboard(loop).body;
    expect(body).not.toContain("Circuit breaker tripped");
    expect(body).toMatch(/UTC: @\u200bmaya reset the breaker/);
    const record = decodeDashboardRecord(body, loop.now().toISOString());
    expect(record.record.guard?.tripped).toBeNull();
    // Applied once: the next run reads the loop's own write last and does nothing more.
    const after = await run(loop);
    expect(after.notes.filter((n) => n.includes("control"))).toEqual([]);
  });
});

describe("daily budget", () => {
  it("never starts more than max-dispatches-per-day in 24 hours, and says when it frees up", async () => {
    const loop = await startLoop(
      tickWorld({ issues: ISSUES.map((n) => readyIssue(n)), inputs: { "max-per-repo": 1 } }),
      { dashboard: "true", "dashboard-repo": REPO, "max-dispatches-per-day": "2" },
    );
    const runs: Run[] = [];
    for (let i = 0; i < 10; i++) runs.push(await run(loop));
    expect(started(loop, ISSUES)).toHaveLength(2);
    const skip = runs.at(-1)?.poll.skipped.find((s) => s.code === "daily-budget");
    expect(skip?.reason).toMatch(/2 of 2 .* next one is allowed at \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(runs.at(-1)?.model.headline.text).toContain("Daily budget spent");
    // Ten runs over budget, one doorbell: it rings once a day.
    expect(loop.doorbells().filter((d) => d.startsWith("daily-budget "))).toHaveLength(1);
    // A day later the budget frees up again.
    loop.advance(6 * 24);
    await run(loop);
    await run(loop);
    expect(started(loop, ISSUES).length).toBeGreaterThan(2);
  });
});

describe("daily budget when the dashboard's writes fail", () => {
  const world = () =>
    startLoop(tickWorld({ issues: ISSUES.map((n) => readyIssue(n)), inputs: { "max-per-repo": 1 } }), {
      dashboard: "true",
      "dashboard-repo": REPO,
      "max-dispatches-per-day": "2",
    });
  const dashboardEdits = (loop: Loop) => new RegExp(`^PATCH /repos/${REPO}/issues/${dashboard(loop).number}$`);

  it("a last write that fails for good cannot let the fleet run past its budget: starts are recorded first", async () => {
    const loop = await world();
    await run(loop);
    // From now on every run's last write fails (after the client's retries); the reservations go through.
    const failLast = () =>
      loop.sandbox.github.faults.add({ route: dashboardEdits(loop), action: { kind: "status", status: 502 } });
    for (let i = 0; i < 10; i++) await run(loop, failLast);
    expect(started(loop, ISSUES)).toHaveLength(2);
  });

  it("a reservation that cannot be written starts nothing (fail closed)", async () => {
    const loop = await world();
    await run(loop);
    const before = started(loop, ISSUES).length;
    loop.sandbox.github.faults.add({ route: dashboardEdits(loop), action: { kind: "status", status: 502 } });
    for (let i = 0; i < 4; i++) {
      const next = await run(loop);
      expect(next.poll.dispatched).toEqual([]);
    }
    expect(started(loop, ISSUES)).toHaveLength(before);
  });
});

describe("Retry from the dashboard", () => {
  async function frozenWorld() {
    const loop = await startLoop(
      tickWorld({
        issues: [readyIssue(1, { ci: ["red", "green"] })],
        inputs: { "fix-forward-attempts": 0 },
      }),
      { dashboard: "true", "dashboard-repo": REPO, "breaker-failures": "0" },
    );
    for (let i = 0; i < 8 && !loop.labels(1).includes("frozen"); i++) await run(loop);
    expect(loop.labels(1)).toContain("frozen");
    await run(loop); // the dashboard now lists it under Needs you, with its Retry box
    return loop;
  }
  const tickRetry = (body: string) => body.replace("- [ ] Retry acme/api\\#1", "- [x] Retry acme/api\\#1");

  it("a trusted person's Retry starts attempt + 1, credited to them", async () => {
    const loop = await frozenWorld();
    expect(dashboard(loop).body).toContain("- [ ] Retry acme/api\\#1");
    edit(loop, "maya", tickRetry);
    const asked = await run(loop);
    expect(asked.notes.join("\n")).toContain("Dashboard control by @maya: retry acme/api#1");
    expect(loop.labels(1)).toContain("ready-for-agent");
    expect(loop.labels(1)).not.toContain("frozen");
    expect(loop.labels(1)).not.toContain("ready-for-human");
    const next = await run(loop);
    expect(next.poll.dispatched.map((d) => [d.number, d.attempt])).toEqual([[1, 2]]);
    expect(loop.thread(1, 2)).toBeDefined();
    // The run's record names who asked, and so does its progress comment.
    expect(loop.record(1)).toMatchObject({ attempt: 2, requestedBy: "maya" });
    expect(loop.progressComments(1)[0]?.body).toContain("Started by @\u200bmaya with Retry on the dashboard.");
  });

  it("is applied once even when the run's last write fails: the box is unticked as soon as it is applied", async () => {
    const loop = await frozenWorld();
    edit(loop, "maya", tickRetry);
    const route = new RegExp(`^PATCH /repos/${REPO}/issues/${dashboard(loop).number}$`);
    // The write that applies the control goes through; the run's last write then fails for good.
    let restore: (() => void) | null = null;
    const asked = await run(loop, () => {
      restore = loop.sandbox.github.faults.add({ route, action: { kind: "status", status: 502 } });
      return () => restore?.();
    });
    expect(asked.result.action).toBe("failed");
    expect(dashboard(loop).body).not.toContain("- [x] Retry");
    const next = await run(loop);
    expect(next.notes.filter((n) => n.includes("control"))).toEqual([]);
    expect(next.poll.dispatched.map((d) => [d.number, d.attempt])).toEqual([[1, 2]]);
  });

  it("an untrusted person's Retry does nothing and is reported", async () => {
    const loop = await frozenWorld();
    edit(loop, "randall", tickRetry);
    const asked = await run(loop);
    expect(asked.notes.join("\n")).toContain("@randall");
    expect(loop.labels(1)).toContain("frozen");
    await run(loop);
    expect(loop.thread(1, 2)).toBeUndefined();
  });

  it("the loop's own ready label with no request behind it is as untrusted as any bot's", async () => {
    const loop = await frozenWorld();
    // Another workflow sharing the loop's login, say: it relabels the frozen issue by itself.
    loop.sandbox.world.store.removeLabel(REPO, 1, "frozen", LOOP_LOGIN);
    loop.sandbox.world.store.removeLabel(REPO, 1, "ready-for-human", LOOP_LOGIN);
    loop.sandbox.world.store.applyLabel(REPO, 1, "ready-for-agent", LOOP_LOGIN);
    const next = await run(loop);
    expect(next.poll.skipped.map((s) => [s.number, s.code])).toEqual([[1, "untrusted-labeler"]]);
    expect(loop.thread(1, 2)).toBeUndefined();
  });
});

describe("Stop and hand to me, from the dashboard", () => {
  const slow = [{ act: "push" as const, afterTicks: 20 }];

  it("a trusted person's Stop is a takeover in their name: the agent is stopped", async () => {
    const loop = await startLoop(tickWorld({ issues: [readyIssue(1, { agent: slow })] }), {
      dashboard: "true",
      "dashboard-repo": REPO,
    });
    await run(loop);
    await run(loop);
    expect(dashboard(loop).body).toContain("- [ ] Stop acme/api\\#1 and hand it to me");
    edit(loop, "maya", (b) => b.replace("- [ ] Stop acme/api\\#1", "- [x] Stop acme/api\\#1"));
    const asked = await run(loop);
    expect(asked.notes.join("\n")).toContain("Dashboard control by @maya: stop acme/api#1");
    const next = await run(loop);
    expect(next.watch.runs.map((r) => r.action)).toEqual(["escalate-taken-over"]);
    expect(loop.thread(1)?.latestTurn?.state).toBe("interrupted");
    expect(loop.record(1)).toMatchObject({ phase: "escalated", reason: "taken over by @maya" });
    // A takeover is not a failure of the fleet: the breaker does not count it.
    const record = decodeDashboardRecord(dashboard(loop).body, loop.now().toISOString()).record;
    expect(record.guard?.streak ?? []).toEqual([]);
  });

  it("the loop's own human label with no request behind it takes nothing over", async () => {
    const loop = await startLoop(tickWorld({ issues: [readyIssue(1, { agent: slow })] }), {
      dashboard: "true",
      "dashboard-repo": REPO,
    });
    await run(loop);
    loop.sandbox.world.store.applyLabel(REPO, 1, "ready-for-human", LOOP_LOGIN);
    const next = await run(loop);
    expect(next.watch.runs.map((r) => r.action)).not.toContain("escalate-taken-over");
    expect(loop.thread(1)?.latestTurn?.state).toBe("running");
  });
});

describe("without the dashboard", () => {
  it("counts from the progress comments this run read, and the summary says so", async () => {
    const slow = [{ act: "push" as const, afterTicks: 20 }];
    const loop = await startLoop(
      tickWorld({ issues: [1, 2].map((n) => readyIssue(n, { agent: slow })), inputs: { "max-per-repo": 2 } }),
      { "max-dispatches-per-day": "1" },
    );
    const rounds = [];
    for (let i = 0; i < 2; i++) {
      loop.advance();
      const watch = await watchTick(loop.context());
      const ctx = loop.context();
      const poll = await pollTick(ctx, {
        guard: (identity) => Promise.resolve(progressCommentGuard(ctx, watch, identity)),
      });
      const meta = { mode: "armed" as const, dryRun: false, repos: [REPO], requests: null, executorRequests: null };
      rounds.push({ poll, model: buildReport({ ...meta, now: ctx.now().toISOString() }, watch, poll) });
    }
    expect(started(loop, [1, 2])).toEqual([1]);
    // A fleet-wide halt, like drain: every ready issue gets it, the one already running too.
    expect(rounds[1]?.poll.skipped.map((s) => [s.number, s.code])).toEqual([
      [1, "daily-budget"],
      [2, "daily-budget"],
    ]);
    expect(rounds[1]?.model.notes.join("\n")).toContain(
      "Guard rails without the dashboard: counted only from this run's reads",
    );
  });
});
