// guard-rails: the fleet's brakes, as pure decisions. The daily budget (how
// many dispatches the last 24 hours leave, and when the next one frees up),
// the circuit breaker (a streak of consecutive failed runs across the fleet
// trips it; it stays tripped until a trusted person resets it), and the
// dashboard's controls (which ticked boxes a body edit may carry, and whether
// the edit history lets them count). The state itself lives in the dashboard
// record (report/dashboard-record.ts); this module only decides.
// Never performs I/O, never reads a clock (`now` is passed in), never mutates
// its inputs, and never trusts a control it cannot attribute to a trusted person.

import type { Config } from "./config.js";
import { isTrusted } from "./trust.js";
import type { Actor, Instant, IssueRef, ReadyIssue, RepoSlug } from "./types.js";

/** The budget's window, in minutes: a rolling 24 hours, counted to the minute. */
export const DAY_MINUTES = 24 * 60;
/** Most failed runs the breaker remembers (the streak, and the runs that tripped it); `breaker-failures` stays below. */
export const BREAKER_MEMORY = 20;

// --- the daily budget -------------------------------------------------------

export interface Budget {
  /** `max-dispatches-per-day`; 0 means no limit. */
  limit: number;
  /** Dispatches in the last 24 hours. */
  used: number;
  /** Dispatches still allowed now; null without a limit. */
  left: number | null;
  /** When one more dispatch is allowed, if none is now. */
  freesAt: Instant | null;
}

export const minuteOf = (at: Instant): number => Math.floor(Date.parse(at) / 60_000);
const instantOf = (minute: number): Instant => new Date(minute * 60_000).toISOString();

/** Whether a start at epoch minute `at` still counts at `nowMinute`: the window is (now - 24 h, now]. */
function inDayWindow(at: number, nowMinute: number): boolean {
  return at > nowMinute - DAY_MINUTES && at <= nowMinute;
}

/**
 * The budget at `now`, from the epoch minutes of past dispatches. A start
 * leaves the window 24 hours after its minute, so with the budget spent the
 * next dispatch is allowed when the oldest start that keeps it spent leaves.
 */
export function dailyBudget(starts: readonly number[], limit: number, now: Instant): Budget {
  const nowMinute = minuteOf(now);
  const inWindow = starts.filter((at) => inDayWindow(at, nowMinute)).sort((a, b) => a - b);
  const used = inWindow.length;
  if (limit === 0) return { limit, used, left: null, freesAt: null };
  const left = Math.max(0, limit - used);
  // With `used >= limit`, `used - limit + 1` starts must leave; the last of them is inWindow[used - limit].
  const pivot = left === 0 ? inWindow[used - limit] : undefined;
  return { limit, used, left, freesAt: pivot === undefined ? null : instantOf(pivot + DAY_MINUTES) };
}

// --- the circuit breaker ----------------------------------------------------

/** How a run ended, as the breaker counts it. */
export type RunEnding =
  /** Done (green, or closed without CI): ends a streak. */
  | "done"
  /** Escalated or frozen by the loop's own verdict: extends a streak. */
  | "failed"
  /** Neither: a human takeover, the kill switch, a release. Leaves the streak as it is. */
  | "neutral";

export interface EndedRun {
  runId: string;
  repo: RepoSlug;
  number: number;
  url: string | null;
  outcome: "done" | "escalated" | "frozen" | "released";
  ending: RunEnding;
}

interface FailedRun {
  runId: string;
  repo: RepoSlug;
  number: number;
  url: string | null;
  outcome: "escalated" | "frozen";
  at: Instant;
}

export interface BreakerState {
  /** The failed runs since the last done one, oldest first (the last BREAKER_MEMORY). */
  streak: FailedRun[];
  /**
   * Set when the streak reached `breaker-failures`, or (`cause`) when the counts themselves could
   * not be trusted; cleared only by a reset.
   */
  tripped: { at: Instant; runs: FailedRun[]; rung: boolean; cause?: string } | null;
}

export const ARMED_BREAKER: BreakerState = { streak: [], tripped: null };

/**
 * The breaker after runs ended, in the order they ended. A done run clears the
 * streak; a failed one extends it; a neutral one is not a verdict on the fleet
 * (a person took it, or the kill switch stopped it) and changes nothing. The
 * breaker trips when the streak reaches `threshold` (0: never) and stays
 * tripped, whatever ends later, until resetBreaker: in-flight runs still
 * finish, and a done one among them does not prove the fault is gone.
 * A run already in the streak is not counted twice. Off (`threshold` 0), it counts nothing.
 */
export function advanceBreaker(
  state: BreakerState,
  ended: readonly EndedRun[],
  threshold: number,
  now: Instant,
): BreakerState {
  // Off: nothing is counted, so turning it on later starts from a clean streak.
  if (threshold === 0) return state;
  let streak = state.streak;
  let tripped = state.tripped;
  for (const run of ended) {
    if (streak.some((f) => f.runId === run.runId)) continue;
    if (run.ending === "done") streak = [];
    else if (run.ending === "failed" && (run.outcome === "escalated" || run.outcome === "frozen")) {
      const failed: FailedRun = {
        runId: run.runId,
        repo: run.repo,
        number: run.number,
        url: run.url,
        outcome: run.outcome,
        at: now,
      };
      streak = [...streak, failed].slice(-BREAKER_MEMORY);
      if (threshold > 0 && tripped === null && streak.length >= threshold) {
        tripped = { at: now, runs: streak.slice(-threshold), rung: false };
      }
    }
  }
  return { streak, tripped };
}

/** Re-armed: nothing tripped, no streak (the runs before the reset were judged by the person who reset it). */
export function resetBreaker(): BreakerState {
  return { streak: [], tripped: null };
}

/**
 * Tripped because the record that holds the streak could not be read: starting afresh would
 * re-arm a tripped breaker and empty the budget for whoever broke the record, so a person decides
 * (fail closed). `threshold` 0 (the breaker is off) leaves it off.
 */
export function tripUnreadable(threshold: number, problem: string, now: Instant): BreakerState {
  if (threshold === 0) return resetBreaker();
  // The decoder's words may quote the broken record (a field's name): keep plain words only, for every renderer.
  const plain = problem.replace(/[^A-Za-z0-9 .,:'-]/g, " ").slice(0, 120);
  const cause = `the dashboard's record could not be read (${plain}), so the streak and the budget are unknown`;
  return { streak: [], tripped: { at: now, runs: [], rung: false, cause: cause.slice(0, 300) } };
}

// --- what the poll may start ------------------------------------------------

/** The fleet-wide limits on this tick's dispatches, for the policy. */
export interface FleetGuard {
  /** The breaker tripped: nothing starts. */
  breaker: { trippedAt: Instant; failures: number; runs: IssueRef[]; cause: string | null } | null;
  budget: Budget;
  /** Where the counts come from: the dashboard's record, or only the progress comments this tick read. */
  source: "dashboard" | "progress-comments";
  /** Why the counts could not be read: nothing starts (fail closed) while either guard is on. */
  unreadable: string | null;
  /** Controls trusted people ticked recently: the ready labels the loop applied for a Retry stand on them. */
  requests: ControlRequest[];
}

export function fleetGuard(
  starts: readonly number[],
  breaker: BreakerState,
  limits: { maxDispatchesPerDay: number; breakerFailures: number },
  source: FleetGuard["source"],
  now: Instant,
): FleetGuard {
  // A breaker turned off (0) while tripped is off: it no longer halts anything.
  const tripped = limits.breakerFailures === 0 ? null : breaker.tripped;
  return {
    breaker:
      tripped === null
        ? null
        : {
            trippedAt: tripped.at,
            failures: tripped.runs.length,
            runs: tripped.runs.map((r) => ({ repo: r.repo, number: r.number })),
            cause: tripped.cause ?? null,
          },
    budget: dailyBudget(starts, limits.maxDispatchesPerDay, now),
    source,
    unreadable: null,
    requests: [],
  };
}

// --- controls in the dashboard ---------------------------------------------

type Editor = Pick<Actor, "login" | "isBot">;
const isBotActor = (a: Editor) => a.isBot || a.login.toLowerCase().endsWith("[bot]");

/** Whether the actor is the loop's own identity. GraphQL names a bot `my-app`, REST `my-app[bot]`: either, for a bot. */
function isLoop(a: Editor | null, identity: string): boolean {
  if (a === null) return false;
  const [login, me] = [a.login.toLowerCase(), identity.toLowerCase()];
  return login === me || (isBotActor(a) && (`${login}[bot]` === me || login === `${me}[bot]`));
}

/** A control a trusted person ticked, kept so the label the loop applies for it can be traced to them. */
export interface ControlRequest {
  kind: "retry" | "stop";
  repo: RepoSlug;
  number: number;
  /** The trusted person who ticked it. */
  by: string;
  at: Instant;
}

/**
 * How long after a request the loop's own label application is still its
 * consequence: the label goes on in the same run, seconds later. A label the
 * loop's login applies later (another workflow sharing `github-actions[bot]`)
 * is not vouched for by an old request.
 */
const VOUCH_MINUTES = 15;

/**
 * The person behind a label the loop itself applied (the ready label for
 * Retry, the human label for Stop): the trusted person whose request it
 * followed. Null when the label is anyone else's, or the loop's with no such
 * request just before it: the loop's own label is then as untrusted as any
 * bot's. The caller still checks that person's role in the issue's repository.
 */
export function vouchedBy(
  requests: readonly ControlRequest[],
  kind: ControlRequest["kind"],
  issue: IssueRef,
  label: { by: Editor | null; at: Instant | null },
  identity: string | null,
): string | null {
  if (identity === null || label.at === null || !isLoop(label.by, identity)) return null;
  const labeledAt = Date.parse(label.at);
  const match = requests
    .filter((r) => r.kind === kind && r.number === issue.number && r.repo.toLowerCase() === issue.repo.toLowerCase())
    .filter((r) => {
      const lag = labeledAt - Date.parse(r.at);
      return lag >= 0 && lag <= VOUCH_MINUTES * 60_000;
    })
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  return match[0]?.by ?? null;
}

export type Control = { kind: "reset" } | { kind: "retry"; issue: IssueRef } | { kind: "stop"; issue: IssueRef };

const CONTROL_MARK = "<!-- afk-loop:control ";
const CONTROL_LINE =
  /^- \[([ xX])\] .*<!-- afk-loop:control (reset|retry|stop)(?: ([A-Za-z0-9._-]+\/[A-Za-z0-9._-]+)#(\d{1,9}))? -->\s*$/;

/** The hidden marker that makes a task-list line a control; the visible text is for people. */
export function controlMarker(control: Control): string {
  return control.kind === "reset"
    ? `${CONTROL_MARK}reset -->`
    : `${CONTROL_MARK}${control.kind} ${control.issue.repo}#${control.issue.number} -->`;
}

/** The ticked controls in a dashboard body, each once, in body order. A malformed line is no control. */
export function tickedControls(body: string): Control[] {
  const out: Control[] = [];
  const seen = new Set<string>();
  for (const line of body.split("\n")) {
    const m = CONTROL_LINE.exec(line.trimEnd());
    if (m === null || m[1] === " ") continue;
    const kind = m[2] as Control["kind"];
    let control: Control;
    if (kind === "reset") {
      if (m[3] !== undefined) continue;
      control = { kind };
    } else {
      if (m[3] === undefined || m[4] === undefined) continue;
      control = { kind, issue: { repo: m[3], number: Number(m[4]) } };
    }
    const key = controlMarker(control).toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(control);
  }
  return out;
}

/** One entry of the dashboard body's edit history (`userContentEdits`), newest first as GitHub lists them. */
export interface DashboardEdit {
  by: Actor | null;
  at: Instant;
}

export type ControlAuthority =
  /** Nobody but the loop edited the body since its last write. */
  | { state: "none" }
  | { state: "trusted"; by: Actor; at: Instant }
  /** Someone untrusted (or unknown) edited since the loop's last write: nothing is done. */
  | { state: "untrusted"; editors: string[] }
  /** The loop's last write is not among the edits read: who edited since cannot be known. */
  | { state: "unread" };

/**
 * The edits made since the loop's own last write, newest first, and whether
 * that write was found among them (an edit history longer than the loop read
 * leaves it unknown). These editors' roles decide; the caller looks them up.
 */
export function editsSinceLoop<E extends { by: Editor | null; at: Instant }>(
  edits: readonly E[],
  identity: string,
): { since: E[]; found: boolean } {
  const mine = (a: Editor | null) => isLoop(a, identity);
  const newestFirst = [...edits].sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  const at = newestFirst.findIndex((e) => mine(e.by));
  return at === -1 ? { since: newestFirst, found: false } : { since: newestFirst.slice(0, at), found: true };
}

/**
 * Whether ticked boxes count: the latest edit is by someone trusted (the
 * ready label's rule, with roles in the control repository), and so is every
 * edit since the loop's last write. A trusted edit after an untrusted one does
 * not launder it: the untrusted person may have ticked the box the trusted one
 * then left alone. The person credited is the latest editor.
 */
export function controlAuthority(
  edits: readonly DashboardEdit[],
  complete: boolean,
  identity: string,
  trust: Config["trust"],
): ControlAuthority {
  const { since, found } = editsSinceLoop(edits, identity);
  if (!found && !complete) return { state: "unread" };
  const latest = since[0];
  if (latest === undefined) return { state: "none" };
  const untrusted = since.filter((e) => !isTrusted(e.by, trust));
  if (untrusted.length > 0) {
    const names = untrusted.map((e) => (e.by === null ? "an unknown account" : `@${e.by.login}`));
    return { state: "untrusted", editors: [...new Set(names)] };
  }
  if (latest.by === null) return { state: "untrusted", editors: ["an unknown account"] };
  return { state: "trusted", by: latest.by, at: latest.at };
}

/** The ready issue with the person behind the loop's own ready label as its labeller, when a Retry vouches for it. */
export function vouchedRetry(
  issue: ReadyIssue,
  requests: readonly ControlRequest[],
  identity: string | null,
): ReadyIssue {
  const label = { by: issue.readyLabeledBy, at: issue.readyLabeledAt };
  const by = vouchedBy(requests, "retry", issue, label, identity);
  if (by === null) return issue;
  return { ...issue, readyLabeledBy: { login: by, isBot: false, role: "unknown" }, retryRequestedBy: by };
}
