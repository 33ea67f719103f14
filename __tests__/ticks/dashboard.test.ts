// The dashboard issue end to end, over the emulators on the virtual clock:
// each round is a scheduled run (watch, poll, then the dashboard step, as the
// poll step runs it). Outcomes are read from the emulator's own state and
// request log: how many dashboard issues exist, who wrote them, which writes
// happened, never from the loop's own account alone.

import { describe, expect, it } from "vitest";
import {
  inFlightIssue,
  LOOP_LOGIN,
  readyIssue,
  REPO,
  startLoop,
  stopLoopsAfterEach,
  tickWorld,
  type Loop,
  type IssueInput,
} from "../../__fixtures__/ticks.js";
import {
  DASHBOARD_LABEL,
  DASHBOARD_MARKER_OPEN,
  decodeDashboardRecord,
  emptyRecord,
  encodeDashboardRecord,
} from "../../src/report/dashboard-record.js";
import { buildReport } from "../../src/report/model.js";
import { updateDashboard, type DashboardResult } from "../../src/ticks/dashboard.js";

stopLoopsAfterEach();

const DASHBOARD_INPUTS = { dashboard: "true", "dashboard-repo": REPO };

/** One scheduled run: a world tick passes, then watch, poll and the dashboard step. */
async function run(loop: Loop): Promise<{ result: DashboardResult; writes: string[]; requests: string[] }> {
  loop.advance();
  const round = await loop.round();
  const ctx = loop.context();
  const model = buildReport(
    {
      mode: "armed",
      dryRun: loop.config.dryRun,
      repos: [REPO],
      requests: null,
      executorRequests: null,
      now: ctx.now().toISOString(),
    },
    round.watch,
    round.poll,
  );
  const mark = loop.mark();
  const result = await updateDashboard(ctx, {
    model,
    watch: round.watch,
    poll: round.poll,
    identity: round.poll.identity,
  });
  return {
    result,
    writes: loop.writesSince(mark).map((e) => e.route),
    requests: loop.githubSince(mark).map((e) => e.route),
  };
}

function dashboards(loop: Loop) {
  return [...(loop.sandbox.world.store.repo(REPO)?.issues.values() ?? [])].filter((i) =>
    i.labels.includes(DASHBOARD_LABEL),
  );
}

function ownDashboard(loop: Loop) {
  const own = dashboards(loop).filter((i) => i.author === LOOP_LOGIN);
  expect(own).toHaveLength(1);
  const [dashboard] = own;
  if (dashboard === undefined) throw new Error("no dashboard");
  return dashboard;
}

/** A look-alike: the label and a valid marker, by a maintainer, not the loop. */
const lookAlike: IssueInput = {
  number: 50,
  title: "afk-loop dashboard",
  body: `## afk-loop dashboard\n\n${encodeDashboardRecord(emptyRecord("2026-03-02T08:00:00Z"))}\n`,
  author: "maya",
  labels: [{ name: DASHBOARD_LABEL, by: "maya", at: "-1h" }],
};

describe("the dashboard issue", () => {
  it("is created once, edited only when its text changes, and its counts match the world", async () => {
    const loop = await startLoop(tickWorld({ issues: [inFlightIssue(1), readyIssue(2)] }), DASHBOARD_INPUTS);

    const first = await run(loop);
    expect(first.result.action).toBe("created");
    expect(first.writes).toEqual(["POST /repos/{owner}/{repo}/issues"]);
    expect(dashboards(loop)).toHaveLength(1);

    const results: DashboardResult[] = [first.result];
    let quiet: Awaited<ReturnType<typeof run>> | null = null;
    for (let i = 0; i < 12 && quiet === null; i++) {
      const next = await run(loop);
      results.push(next.result);
      // Every run writes at most twice (a run with verdicts records them first, issue 12), and only
      // edits of the one dashboard.
      expect(next.writes.length).toBeLessThanOrEqual(2);
      for (const w of next.writes) expect(w).toBe("PATCH /repos/{owner}/{repo}/issues/{issue_number}");
      if (next.result.action === "unchanged") quiet = next;
    }
    // Both issues closed green; then a run where nothing happened writes nothing.
    expect(loop.issue(1).state).toBe("closed");
    expect(loop.issue(2).state).toBe("closed");
    expect(quiet?.writes).toEqual([]);
    // What the README says a quiet run costs: one REST read.
    expect(quiet?.requests).toEqual(["GET /repos/{owner}/{repo}/issues"]);
    expect(results.filter((r) => r.action === "created")).toHaveLength(1);
    expect(dashboards(loop)).toHaveLength(1);

    const dashboard = ownDashboard(loop);
    const decoded = decodeDashboardRecord(dashboard.body, loop.now().toISOString());
    expect(decoded.state).toBe("read");
    // The world: #1 was dispatched before the loop's first run (seeded), #2 by the loop; both closed green.
    expect(decoded.record.events.filter(([k]) => k === "s")).toHaveLength(1);
    expect(decoded.record.events.filter(([k]) => k === "d")).toHaveLength(2);
    expect(decoded.record.finished.map((f) => [f.number, f.outcome, f.attempt])).toEqual([
      [2, "done", 1],
      [1, "done", 1],
    ]);
    expect(dashboard.body).toContain("### Last 7 days");
    expect(dashboard.body).toMatch(/\| 1 \| 2 \| 0 \| 0 \| \d+ min \|/);
    expect(dashboard.body).toContain("### Needs you (0)");
    expect(dashboard.body).toContain("### In flight (0)");
  });

  it("ignores a look-alike by someone else: the loop makes its own and never edits the other", async () => {
    const loop = await startLoop(tickWorld({ issues: [lookAlike, readyIssue(2)] }), DASHBOARD_INPUTS);
    const before = loop.issue(50).body;

    const first = await run(loop);
    expect(first.result.action).toBe("created");
    expect(first.result.number).not.toBe(50);
    await run(loop);

    expect(loop.issue(50).body).toBe(before);
    expect(ownDashboard(loop).number).toBe(first.result.number);
    expect(dashboards(loop)).toHaveLength(2);
  });

  it("survives a corrupt record: rebuilt from what the run reads, and the summary note says so", async () => {
    const loop = await startLoop(tickWorld({ issues: [readyIssue(2)] }), DASHBOARD_INPUTS);
    await run(loop);
    const dashboard = ownDashboard(loop);
    // Someone with write access mangles the hidden record.
    loop.sandbox.world.store.editIssue(
      REPO,
      dashboard.number,
      { body: dashboard.body.replace(/afk-loop:dashboard v1 \S+ -->/, "afk-loop:dashboard v1 !!not-base64 -->") },
      "maya",
    );

    const next = await run(loop);
    expect(next.result.action).toBe("updated");
    expect(next.result.corrupt).toMatch(/not base64/);
    expect(next.writes).toEqual(["PATCH /repos/{owner}/{repo}/issues/{issue_number}"]);
    const decoded = decodeDashboardRecord(ownDashboard(loop).body, loop.now().toISOString());
    expect(decoded.state).toBe("read");
    // Counting starts again now; the earlier dispatch is not guessed back in.
    expect(decoded.record.since).toBe(loop.now().toISOString());
    expect(decoded.record.events.filter(([k]) => k === "s")).toHaveLength(0);
    expect(dashboards(loop)).toHaveLength(1);
  });

  it("is never written in a dry run, which says what it would have done", async () => {
    const loop = await startLoop(tickWorld({ issues: [readyIssue(2)] }), { ...DASHBOARD_INPUTS, "dry-run": "true" });
    const first = await run(loop);
    expect(first.result.action).toBe("would-create");
    expect(first.writes).toEqual([]);
    expect(dashboards(loop)).toHaveLength(0);
    expect(DASHBOARD_MARKER_OPEN).toContain("afk-loop:dashboard v1");
  });
});
