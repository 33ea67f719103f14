// The dashboard step: run once per run by the step that writes the job summary
// (the poll step, holding the watch step's findings), when `dashboard: true`.
// Reads the labelled issues (one request), picks the loop's own dashboard,
// merges this run's findings into its record, renders it, and writes only
// when the text changed: at most one write per run (two on first use when the
// token's label is dropped). A dry run reads and renders but never writes.
// Before the poll it also hands the poll its guard rails (the breaker and the
// daily budget, from the record), applies the controls a trusted person ticked
// (read from the body's edit history, one GraphQL query, only when a box is
// ticked) and rings the breaker's doorbell once.
// Decides nothing itself: picking, merging, the guard rails and rendering are pure.

import { assertNever } from "../core/assert-never.js";
import {
  advanceBreaker,
  ARMED_BREAKER,
  controlAuthority,
  dailyBudget,
  DAY_MINUTES,
  editsSinceLoop,
  fleetGuard,
  minuteOf,
  resetBreaker,
  tickedControls,
  type Control,
  type ControlRequest,
  type FleetGuard,
  tripUnreadable,
} from "../core/guard-rails.js";
import type { IssueRef } from "../core/types.js";
import { describeError } from "./context.js";
import type { TickContext } from "./context.js";
import type { PollReport } from "./poll.js";
import type { WatchReport } from "./watch.js";
import {
  createDashboardIssue,
  editDashboardIssue,
  listDashboardCandidates,
  readDashboardEdits,
} from "../github/dashboard.js";
import { githubStatus } from "../github/errors.js";
import { RoleLookup } from "../github/lookups.js";
import { ROLE_LOOKUPS_PER_ISSUE } from "../core/policy.js";
import { ringAll } from "../notify/doorbell.js";
import {
  breakerOf,
  encodeDashboardRecord,
  releaseStarts,
  untickControls,
  withRecord,
  CONTROL_LOG_LINES,
  decodeDashboardRecord,
  guardOf,
  mergeDashboardRecord,
  pickDashboardIssue,
  startsOf,
  type DashboardCandidate,
  type DashboardRecord,
  type DecodedDashboard,
  type GuardState,
  withRequests,
} from "../report/dashboard-record.js";
import { DASHBOARD_TITLE, finishedThisTick, renderDashboard, startedThisTick } from "../report/dashboard.js";
import type { ReportModel } from "../report/model.js";
import { budgetLine } from "../report/guard-rails.js";

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

/** The dashboard as read at the start of the step, with this run's verdicts and controls applied. */
interface Opened {
  /** The dashboard as it now stands on GitHub (after this step's own early writes). */
  found: DashboardCandidate | null;
  decoded: DecodedDashboard;
  record: DashboardRecord;
  /** Starts recorded before the poll dispatched (reserve); the final write counts only the rest. */
  reserved: number;
  /** This step created the dashboard (on first use, with an early write). */
  created: boolean;
}

type Ctx = Pick<TickContext, "config" | "github" | "now" | "doorbells" | "writer">;

/**
 * One run's dashboard: opened once (before the poll, when the poll asks for its
 * guard rails; otherwise when it is written), written at most once.
 */
export class DashboardStep {
  private opening: Promise<Opened | { problem: string }> | null = null;
  /** Whether a trusted person's controls were applied this run. */
  private applied = false;
  /** Lines for the job summary: controls read, ignored or applied, the breaker's doorbell. */
  readonly notes: string[] = [];

  constructor(
    private readonly ctx: Ctx,
    private readonly watch: WatchReport | null,
  ) {}

  private get repo(): string {
    return this.ctx.config.dashboard.repo ?? "";
  }

  /** The guard rails for the poll: from the record; fail closed (nothing starts) when it could not be read. */
  readonly guard = async (identity: string | null): Promise<FleetGuard | null> => {
    const now = this.ctx.now().toISOString();
    const { guardRails } = this.ctx.config;
    const opened = await this.open(identity);
    if ("problem" in opened) {
      const on = guardRails.breakerFailures > 0 || guardRails.maxDispatchesPerDay > 0;
      return on ? { ...fleetGuard([], ARMED_BREAKER, guardRails, "dashboard", now), unreadable: opened.problem } : null;
    }
    return {
      ...fleetGuard(startsOf(opened.record), breakerOf(opened.record), guardRails, "dashboard", now),
      requests: guardOf(opened.record).requests,
    };
  };

  private open(identity: string | null): Promise<Opened | { problem: string }> {
    this.opening ??= this.read(identity).catch((error: unknown) => {
      const status = githubStatus(error);
      return { problem: `${describeError(error)}${status === null ? "" : ` (HTTP ${status})`}` };
    });
    return this.opening;
  }

  private async read(identity: string | null): Promise<Opened | { problem: string }> {
    // Without the loop's login a look-alike could not be told from the real one.
    if (identity === null) return { problem: "could not tell which login the loop writes as; set loop-identity" };
    const { config } = this.ctx;
    const now = this.ctx.now().toISOString();
    const found = pickDashboardIssue(await listDashboardCandidates(this.ctx.github, this.repo), identity);
    const decoded = decodeDashboardRecord(found?.body ?? "", now);
    // A record that cannot be read must not re-arm the breaker or empty the budget: trip it.
    const fresh =
      decoded.state === "corrupt"
        ? {
            ...decoded.record,
            guard: {
              ...guardOf(decoded.record),
              ...tripUnreadable(config.guardRails.breakerFailures, decoded.problem, now),
            },
          }
        : decoded.record;
    let record = mergeDashboardRecord(
      fresh,
      { started: 0, finished: finishedThisTick(this.watch), breakerFailures: config.guardRails.breakerFailures },
      now,
    );
    if (found !== null) record = await this.applyControls(found, record, identity);
    record = await this.ringBreaker(found, record);
    const opened: Opened = { found, decoded, record, reserved: 0, created: false };
    // Verdicts and applied controls are written down at once, before anything else this run does:
    // if a later write failed for good, a verdict would be lost from the counts and the breaker's
    // streak, and an applied control would be read as ticked again. A quiet run writes nothing here.
    const verdicts = record.finished[0]?.runId !== decoded.record.finished[0]?.runId;
    if (found !== null && (verdicts || this.applied) && !config.dryRun) {
      try {
        await this.commit(opened);
      } catch (error) {
        // The step's last write carries them too; only if both fail is this run's part lost.
        this.notes.push(`Dashboard: this run's verdicts could not be written at once (${describeError(error)}).`);
      }
    }
    return opened;
  }

  /**
   * Writes the record now, keeping the visible text but unticking every
   * control (it was read and judged this run). Creates the dashboard on first
   * use, with the full text to follow in the step's last write.
   */
  private async commit(opened: Opened): Promise<void> {
    const marker = encodeDashboardRecord(opened.record);
    if (opened.found === null) {
      const body = `## ${DASHBOARD_TITLE}\n\n_Being written by afk-loop; the full view follows at the end of this run._\n${marker}\n`;
      const created = await createDashboardIssue(this.ctx.github, this.repo, DASHBOARD_TITLE, body);
      opened.found = { number: created.number, url: created.url, body, author: null };
      opened.created = true;
      return;
    }
    const body = withRecord(untickControls(opened.found.body), marker);
    if (body === opened.found.body) return;
    await editDashboardIssue(this.ctx.github, this.repo, opened.found.number, body);
    opened.found = { ...opened.found, body };
  }

  /**
   * Records `count` dispatches before the poll starts them (claim before
   * dispatch, as for a run): a write that fails can then only over-count,
   * never let the fleet exceed its daily budget. False when the write failed:
   * the poll then starts nothing (fail closed).
   */
  readonly reserve = async (count: number): Promise<boolean> => {
    if (this.opening === null) return false;
    const opened = await this.opening;
    if ("problem" in opened) return false;
    const now = this.ctx.now().toISOString();
    const before = { record: opened.record, reserved: opened.reserved };
    opened.record = mergeDashboardRecord(opened.record, { started: count, finished: [] }, now);
    opened.reserved += count;
    try {
      await this.commit(opened);
      return true;
    } catch (error) {
      Object.assign(opened, before);
      this.notes.push(
        `Dashboard: the dispatches could not be recorded before starting them (${describeError(error)}); nothing was started.`,
      );
      return false;
    }
  };

  /**
   * The ticked boxes, honoured only when every edit since the loop's last
   * write is by a trusted person (roles in the dashboard's repository). The
   * boxes are unticked by the next write either way: an untrusted tick is
   * dropped, and the summary names who made it.
   */
  private async applyControls(found: DashboardCandidate, record: DashboardRecord, identity: string) {
    const ticked = tickedControls(found.body);
    if (ticked.length === 0) return record;
    const { config } = this.ctx;
    const history = await readDashboardEdits(this.ctx.github, this.repo, found.number);
    // Roles only for the editors since the loop's last write, at most ROLE_LOOKUPS_PER_ISSUE of them:
    // anyone past the cap stays `unknown`, so untrusted (fail closed).
    const { since } = editsSinceLoop(history.edits, identity);
    const logins = [...new Set(since.flatMap((e) => (e.by === null || e.by.isBot ? [] : [e.by.login.toLowerCase()])))];
    const roles = new RoleLookup(this.ctx.github);
    const looked = new Map(
      await Promise.all(
        logins.slice(0, ROLE_LOOKUPS_PER_ISSUE).map(async (l) => [l, await roles.roleOf(this.repo, l)] as const),
      ),
    );
    const edits = history.edits.map((e) => ({
      at: e.at,
      by: e.by === null ? null : { ...e.by, role: looked.get(e.by.login.toLowerCase()) ?? ("unknown" as const) },
    }));
    const authority = controlAuthority(edits, history.complete, identity, config.trust);
    const what = ticked.map(describeControl).join(", ");
    switch (authority.state) {
      case "none":
        return record;
      case "unread":
        this.notes.push(
          `Dashboard controls ignored (${what}): its edit history is longer than the loop reads, so who ticked them cannot be told; tick them again.`,
        );
        return record;
      case "untrusted":
        this.notes.push(
          `Dashboard controls ignored (${what}): edited since the loop's last write by ${authority.editors.join(", ")}, not trusted (needs ${config.trust.minLabelerRole} on ${this.repo}, or trusted-users); nothing was done.`,
        );
        return record;
      case "trusted":
        break;
      default:
        return assertNever(authority);
    }
    const by = authority.by.login;
    const now = this.ctx.now().toISOString();
    this.applied = true;
    let guard: GuardState = guardOf(record);
    const log: GuardState["log"] = [];
    for (const control of ticked) {
      const done = await this.apply(control, guard, by, now);
      guard = done.guard;
      this.notes.push(
        `Dashboard control by @${by}: ${config.dryRun ? `dry run, would have: ${done.line}` : done.line}`,
      );
      log.push({ what: cutLine(done.line), by, at: now });
    }
    if (config.dryRun) return record;
    return { ...record, guard: { ...guard, log: [...log.reverse(), ...guard.log].slice(0, CONTROL_LOG_LINES) } };
  }

  /**
   * One trusted control. Retry and Stop reuse the paths a person's own label
   * takes (the ready label for attempt + 1, the human label for a takeover):
   * the loop applies the label, and the request recorded first is what lets
   * the trust rules accept the loop's own label for that person, for minutes.
   */
  private async apply(
    control: Control,
    guard: GuardState,
    by: string,
    now: string,
  ): Promise<{ guard: GuardState; line: string }> {
    const { labels, dryRun } = this.ctx.config;
    switch (control.kind) {
      case "reset":
        if (guard.tripped === null) return { guard, line: "reset the breaker (it was not tripped)." };
        return { guard: { ...guard, ...resetBreaker() }, line: "reset the breaker; new work starts again." };
      case "retry": {
        const ref = control.issue;
        const waiting = (this.watch?.handed ?? []).some((h) => sameIssue(h, ref));
        if (!waiting)
          return { guard, line: `asked to retry ${refText(ref)}: not done, it is not waiting for a human.` };
        if (dryRun) return { guard, line: `retry ${refText(ref)}.` };
        const next = withRequests(guard, [{ kind: "retry", ...ref, by, at: now }]);
        try {
          // The ready label first: a failure after it leaves the human label on, so nothing starts.
          await this.ctx.writer.addLabels(ref, [labels.ready]);
          await this.ctx.writer.removeLabel(ref, labels.frozen);
          await this.ctx.writer.removeLabel(ref, labels.human);
        } catch (error) {
          return {
            guard: next,
            line: `asked to retry ${refText(ref)}: failed (${describeError(error)}); tick it again.`,
          };
        }
        return { guard: next, line: `retry ${refText(ref)}: the next poll starts attempt + 1 for @${by}.` };
      }
      case "stop": {
        const ref = control.issue;
        const running = (this.watch?.runs ?? []).some(
          // In flight as a takeover sees it (core/stop.ts handOverCause): awaiting review included.
          (r) =>
            sameIssue(r, ref) && (r.phase === "claimed" || r.phase === "dispatched" || r.phase === "awaiting-review"),
        );
        if (!running) return { guard, line: `asked to stop ${refText(ref)}: not done, it is not in flight.` };
        if (dryRun) return { guard, line: `stop ${refText(ref)} and hand it to @${by}.` };
        const next = withRequests(guard, [{ kind: "stop", ...ref, by, at: now }]);
        try {
          await this.ctx.writer.addLabels(ref, [labels.human]);
        } catch (error) {
          return {
            guard: next,
            line: `asked to stop ${refText(ref)}: failed (${describeError(error)}); tick it again.`,
          };
        }
        return {
          guard: next,
          line: `stop ${refText(ref)} and hand it to @${by}: the next watch tick stops the agent (a takeover).`,
        };
      }
      default:
        return assertNever(control);
    }
  }

  /** Rings `breaker` once per trip; a failed ring stays owed and is rung again next run. */
  private async ringBreaker(found: DashboardCandidate | null, record: DashboardRecord): Promise<DashboardRecord> {
    const guard = guardOf(record);
    const tripped = guard.tripped;
    if (tripped === null || tripped.rung || this.ctx.config.dryRun) return record;
    const runs = tripped.runs.map((r) => `${r.repo}#${r.number} (${r.outcome})`).join(", ");
    const result = await ringAll(this.ctx.doorbells, {
      id: `afk-breaker-${tripped.at}`,
      kind: "breaker",
      repo: this.repo,
      issue: found?.number ?? 0,
      title: DASHBOARD_TITLE,
      issueUrl: found?.url ?? `https://github.com/${this.repo}`,
      runLink: null,
      reason: `${tripped.cause ?? `${tripped.runs.length} runs in a row ended escalated or frozen: ${runs}`}. Nothing new starts until a trusted person ticks "Reset the breaker" on the dashboard.`,
    });
    if (result.failed.length > 0) {
      this.notes.push(
        `Breaker doorbell failed (${result.failed.map((f) => f.error).join("; ")}); it rings again next run.`,
      );
      return record;
    }
    if (result.sent.length > 0) this.notes.push(`Breaker doorbell rung (${result.sent.join(", ")}).`);
    return { ...record, guard: { ...guard, tripped: { ...tripped, rung: true } } };
  }

  /**
   * Rings `daily-budget` when this run's dispatches (or earlier ones) spent the
   * budget, at most once in 24 hours; a failed ring is tried again next run.
   */
  private async ringBudget(
    found: DashboardCandidate | null,
    record: DashboardRecord,
    now: string,
  ): Promise<DashboardRecord> {
    const { guardRails, dryRun } = this.ctx.config;
    const budget = dailyBudget(startsOf(record), guardRails.maxDispatchesPerDay, now);
    const guard = guardOf(record);
    const rang = guard.budgetRungAt === null ? null : Date.parse(guard.budgetRungAt);
    if (budget.left !== 0 || dryRun || (rang !== null && Date.parse(now) - rang < DAY_MINUTES * 60_000)) return record;
    const result = await ringAll(this.ctx.doorbells, {
      id: `afk-budget-${now}`,
      kind: "daily-budget",
      repo: this.repo,
      issue: found?.number ?? 0,
      title: DASHBOARD_TITLE,
      issueUrl: found?.url ?? `https://github.com/${this.repo}`,
      runLink: null,
      reason: budgetLine(budget),
    });
    if (result.failed.length > 0) {
      this.notes.push(
        `Daily budget doorbell failed (${result.failed.map((f) => f.error).join("; ")}); it rings again next run.`,
      );
      return record;
    }
    if (result.sent.length > 0) this.notes.push(`Daily budget doorbell rung (${result.sent.join(", ")}).`);
    return { ...record, guard: { ...guard, budgetRungAt: now } };
  }

  /** Merges this run's dispatches, renders, and writes when the text changed. */
  async finish(input: {
    model: ReportModel;
    poll: PollReport | null;
    identity: string | null;
  }): Promise<DashboardResult> {
    const repo = this.repo;
    const result: DashboardResult = { repo, action: "skipped", number: null, url: null, corrupt: null, problem: null };
    let opened = await this.open(input.identity);
    if ("problem" in opened && input.identity !== null) {
      // Read again: this run's verdicts must still reach the record (the poll, meanwhile, started nothing).
      this.opening = null;
      opened = await this.open(input.identity);
    }
    if ("problem" in opened) {
      const skipped = opened.problem.startsWith("could not tell");
      return { ...result, action: skipped ? "skipped" : "failed", problem: opened.problem };
    }
    const now = this.ctx.now().toISOString();
    try {
      const { found, decoded } = opened;
      // Reserved starts are in the record already; reserved but not started (refused, deferred) come off.
      // A dispatch that failed may still have started an agent: it keeps its reserved start.
      const failed = (input.poll?.failures ?? []).filter((f) => f.stage === "dispatch").length;
      const started = startedThisTick(input.poll) + (opened.reserved > 0 ? failed : 0);
      let record =
        started >= opened.reserved
          ? mergeDashboardRecord(opened.record, { started: started - opened.reserved, finished: [] }, now)
          : releaseStarts(opened.record, opened.reserved - started);
      record = await this.ringBudget(found, record, now);
      const body = renderDashboard({
        model: input.model,
        record,
        now,
        maxFixForwards: this.ctx.config.limits.fixForwardAttempts,
        guard: this.ctx.config.guardRails,
      });
      const corrupt = decoded.state === "corrupt" ? decoded.problem : null;
      const base = { ...result, number: found?.number ?? null, url: found?.url ?? null, corrupt };
      if (found !== null && found.body === body) return { ...base, action: opened.created ? "created" : "unchanged" };
      if (this.ctx.config.dryRun) return { ...base, action: found === null ? "would-create" : "would-update" };
      if (found === null) {
        const created = await createDashboardIssue(this.ctx.github, repo, DASHBOARD_TITLE, body);
        return { ...base, action: "created", number: created.number, url: created.url };
      }
      await editDashboardIssue(this.ctx.github, repo, found.number, body);
      return { ...base, action: opened.created ? "created" : "updated" };
    } catch (error) {
      const status = githubStatus(error);
      return {
        ...result,
        action: "failed",
        problem: `${describeError(error)}${status === null ? "" : ` (HTTP ${status})`}`,
      };
    }
  }
}

/**
 * The guard rails without a dashboard: counted only from what this run read
 * (the dispatch times of the runs in flight, and the runs that ended in this
 * run's watch tick). No memory across runs, and the summary says so.
 */
export function progressCommentGuard(
  ctx: Pick<TickContext, "config" | "now">,
  watch: WatchReport | null,
  _identity: string | null,
): FleetGuard | null {
  const { guardRails } = ctx.config;
  if (guardRails.breakerFailures === 0 && guardRails.maxDispatchesPerDay === 0) return null;
  const now = ctx.now().toISOString();
  const starts = (watch?.runs ?? []).flatMap((r) => (r.since === null ? [] : [minuteOf(r.since)]));
  const ended = finishedThisTick(watch).map((f) => ({ ...f, ending: f.ending ?? ("neutral" as const) }));
  const breaker = advanceBreaker(ARMED_BREAKER, ended, guardRails.breakerFailures, now);
  return fleetGuard(starts, breaker, guardRails, "progress-comments", now);
}

/** The dashboard step without a poll before it (the watch step alone, or tests). */
export async function updateDashboard(
  ctx: Ctx,
  input: { model: ReportModel; watch: WatchReport | null; poll: PollReport | null; identity: string | null },
): Promise<DashboardResult> {
  return new DashboardStep(ctx, input.watch).finish(input);
}

const refText = (r: IssueRef) => `${r.repo}#${r.number}`;
const sameIssue = (a: IssueRef, b: IssueRef) => a.number === b.number && a.repo.toLowerCase() === b.repo.toLowerCase();

/**
 * The Retry and Stop requests in the dashboard's record, for the watch tick's
 * takeover check (one REST read, made only when an in-flight issue carries a
 * human label the loop itself applied). Empty when it cannot be read: the
 * loop's label then vouches for nobody (fail closed).
 */
export async function dashboardRequests(
  ctx: Pick<TickContext, "config" | "github" | "now">,
  identity: string | null,
): Promise<ControlRequest[]> {
  if (!ctx.config.dashboard.enabled || identity === null) return [];
  try {
    const found = pickDashboardIssue(
      await listDashboardCandidates(ctx.github, ctx.config.dashboard.repo ?? ""),
      identity,
    );
    if (found === null) return [];
    return guardOf(decodeDashboardRecord(found.body, ctx.now().toISOString()).record).requests;
  } catch {
    return [];
  }
}

function describeControl(control: Control): string {
  switch (control.kind) {
    case "reset":
      return "Reset the breaker";
    case "retry":
      return `Retry ${control.issue.repo}#${control.issue.number}`;
    case "stop":
      return `Stop ${control.issue.repo}#${control.issue.number} and hand it to me`;
    default:
      return assertNever(control);
  }
}

const cutLine = (line: string) => (line.length <= 300 ? line : `${line.slice(0, 299)}…`);

/** One line for the job summary. */
export function dashboardNote(r: DashboardResult): string {
  const where = r.number === null ? `in ${r.repo}` : `${r.repo}#${r.number}`;
  const corrupt =
    r.corrupt === null
      ? ""
      : ` Its record could not be read (${r.corrupt}), so it started afresh from this run, with the breaker tripped (when it is on) until a trusted person resets it.`;
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
