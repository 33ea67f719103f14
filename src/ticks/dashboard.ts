// The dashboard step: run once per run by the step that writes the job summary
// (the poll step, holding the watch step's findings), when `dashboard: true`.
// Reads the labelled issues (one request), picks the loop's own dashboard,
// merges this run's findings into its record, renders it, and writes only
// when the text changed: at most one write per run (two on first use when the
// token's label is dropped). A dry run reads and renders but never writes.
// Decides nothing itself: picking, merging and rendering are pure (report/).

import { assertNever } from "../core/assert-never.js";
import { describeError } from "./context.js";
import type { TickContext } from "./context.js";
import type { PollReport } from "./poll.js";
import type { WatchReport } from "./watch.js";
import { createDashboardIssue, editDashboardIssue, listDashboardCandidates } from "../github/dashboard.js";
import { githubStatus } from "../github/errors.js";
import { decodeDashboardRecord, mergeDashboardRecord, pickDashboardIssue } from "../report/dashboard-record.js";
import { DASHBOARD_TITLE, finishedThisTick, renderDashboard, startedThisTick } from "../report/dashboard.js";
import type { ReportModel } from "../report/model.js";

export interface DashboardResult {
  repo: string;
  /** What happened to the issue (`would-*` in a dry run). */
  action: "created" | "updated" | "unchanged" | "would-create" | "would-update" | "skipped" | "failed";
  number: number | null;
  url: string | null;
  /** Why the record started afresh, when it was corrupt. */
  corrupt: string | null;
  /** Why the dashboard was skipped or failed. */
  problem: string | null;
}

export async function updateDashboard(
  ctx: Pick<TickContext, "config" | "github" | "now">,
  input: { model: ReportModel; watch: WatchReport | null; poll: PollReport | null; identity: string | null },
): Promise<DashboardResult> {
  const repo = ctx.config.dashboard.repo ?? "";
  const result: DashboardResult = { repo, action: "skipped", number: null, url: null, corrupt: null, problem: null };
  if (input.identity === null) {
    // Without the loop's login a look-alike could not be told from the real one.
    return { ...result, problem: "could not tell which login the loop writes as; set loop-identity" };
  }
  const now = ctx.now().toISOString();
  try {
    const found = pickDashboardIssue(await listDashboardCandidates(ctx.github, repo), input.identity);
    const decoded = decodeDashboardRecord(found?.body ?? "", now);
    const record = mergeDashboardRecord(
      decoded.record,
      { started: startedThisTick(input.poll), finished: finishedThisTick(input.watch) },
      now,
    );
    const body = renderDashboard({
      model: input.model,
      record,
      now,
      maxFixForwards: ctx.config.limits.fixForwardAttempts,
    });
    const corrupt = decoded.state === "corrupt" ? decoded.problem : null;
    const base = { ...result, number: found?.number ?? null, url: found?.url ?? null, corrupt };
    if (found !== null && found.body === body) return { ...base, action: "unchanged" };
    if (ctx.config.dryRun) return { ...base, action: found === null ? "would-create" : "would-update" };
    if (found === null) {
      const created = await createDashboardIssue(ctx.github, repo, DASHBOARD_TITLE, body);
      return { ...base, action: "created", number: created.number, url: created.url };
    }
    await editDashboardIssue(ctx.github, repo, found.number, body);
    return { ...base, action: "updated" };
  } catch (error) {
    const status = githubStatus(error);
    return {
      ...result,
      action: "failed",
      problem: `${describeError(error)}${status === null ? "" : ` (HTTP ${status})`}`,
    };
  }
}

/** One line for the job summary. */
export function dashboardNote(r: DashboardResult): string {
  const where = r.number === null ? `in ${r.repo}` : `${r.repo}#${r.number}`;
  const corrupt =
    r.corrupt === null ? "" : ` Its record could not be read (${r.corrupt}), so it started afresh from this run.`;
  switch (r.action) {
    case "created":
      return `Dashboard: created ${where}.${corrupt}`;
    case "updated":
      return `Dashboard: updated ${where}.${corrupt}`;
    case "unchanged":
      return `Dashboard: ${where} unchanged, not written.${corrupt}`;
    case "would-create":
      return `Dashboard: dry run, would create it ${where}.${corrupt}`;
    case "would-update":
      return `Dashboard: dry run, would update ${where}.${corrupt}`;
    case "skipped":
      return `Dashboard: skipped: ${r.problem ?? "no reason"}.`;
    case "failed":
      return `Dashboard: ⚠️ could not be updated ${where}: ${r.problem ?? "unknown error"}.`;
    default:
      return assertNever(r.action);
  }
}
