// Skip reasons: why the poll tick did not dispatch an issue, as typed
// evidence, the order the gates are applied in (SKIP_CODES), and the one line
// a maintainer reads for each. Pure; policy.ts decides which reason applies.

import { assertNever } from "./assert-never.js";
import { formatRef } from "./refs.js";
import type { Blocker, Instant, IssueRef, RepoSlug, Role } from "./types.js";

/**
 * Why an issue was not dispatched, with the evidence the job summary prints.
 * An issue failing several gates gets the reason of the first (SKIP_CODES order).
 */
export type SkipReason =
  | { code: "kill-switch" }
  /** Kill switch `stop`: the watch tick is stopping every agent; nothing starts. */
  | { code: "emergency-stop" }
  | { code: "draining" }
  /** The circuit breaker tripped (or its state could not be read: `unreadable`): nothing starts until a reset. */
  | { code: "breaker"; trippedAt: Instant | null; failures: number; runs: IssueRef[]; unreadable: string | null }
  /** The daily budget is spent (or could not be counted: `unreadable`); `freesAt` is when the next start is allowed. */
  | { code: "daily-budget"; limit: number; used: number; freesAt: Instant | null; unreadable: string | null }
  | { code: "not-allowlisted"; repo: RepoSlug }
  /** The ready set named the same issue more than once: an adapter fault, and no copy is trusted to be the real one. */
  | { code: "duplicate"; copies: number }
  | { code: "already-running"; label: string }
  | { code: "handed-to-human"; label: string }
  /** `actor` null: the timeline names nobody for the label. `role` null only then. */
  | { code: "untrusted-labeler"; actor: string | null; role: Role | "unknown" | null; bot: boolean; needs: Role }
  /** GitHub holds more edits than the loop read: an unread one, maybe after the label, may be anyone's. */
  | { code: "edit-history-unread"; labeledAt: Instant | null }
  /** The earliest edit after the label by someone untrusted; later edits, trusted or not, do not undo it. */
  | { code: "edited-after-approval"; editor: string | null; editedAt: Instant; labeledAt: Instant | null }
  /** Title and body are mostly text the rendered issue hides (see visible-text.ts). */
  | { code: "mostly-hidden"; hiddenChars: number; visibleChars: number }
  | { code: "max-runs-reached"; runs: number; limit: number }
  /** Only the blockers still blocking (open or unreadable). */
  | { code: "blocked"; blockers: Blocker[] }
  /** The repo was full before this tick; `holders` are the issues in flight there. */
  | { code: "repo-busy"; repo: RepoSlug; holders: IssueRef[]; limit: number }
  /** The repo had room this tick, but more urgent issues took it; `by` took the last slot. */
  | { code: "outranked"; by: IssueRef }
  | { code: "max-in-flight"; inFlight: number; limit: number };

/**
 * The gates in the order they are applied. The switch comes first so that,
 * when it is on or draining, every issue gets that reason and nothing else is
 * looked at; the guard rails' fleet-wide halts next (a tripped breaker, a
 * spent daily budget: issue 12), for the same reason. A budget only partly
 * spent caps this tick's dispatches, still as `daily-budget`. Then facts about the issue's standing that the tick already
 * holds, most fundamental first: is it ours to run at all (allowlist, a single
 * listing), is it already running or handed to a human (states the loop
 * itself set). Then approval: was the label applied by someone trusted, and is
 * the text still what they approved. Then the run budget and the blockers.
 *
 * Capacity comes last, after trust (issue #11): the reason describes the
 * issue, not the moment, so an untrusted issue says `untrusted-labeler`
 * whether or not its repo happens to be full this tick, instead of flipping
 * between `repo-busy` and `untrusted-labeler` as runs come and go. The price:
 * the labeller's role (one REST call per repo and login) is looked up for
 * every eligible ready issue, busy repo or not (rolesToResolve). The role
 * lookup cache keeps that to one call per (repo, login) per tick.
 * `repo-busy` (full before this tick), `outranked` (filled by this tick's
 * dispatches) and `max-in-flight` close the list.
 */
export const SKIP_CODES = [
  "kill-switch",
  "emergency-stop",
  "draining",
  "breaker",
  "daily-budget",
  "not-allowlisted",
  "duplicate",
  "already-running",
  "handed-to-human",
  "untrusted-labeler",
  "edit-history-unread",
  "edited-after-approval",
  "mostly-hidden",
  "max-runs-reached",
  "blocked",
  "repo-busy",
  "outranked",
  "max-in-flight",
] as const satisfies readonly SkipReason["code"][];
export type SkipCode = (typeof SKIP_CODES)[number];

// SKIP_CODES must list every reason, not just some.
const _everyCodeListed: [Exclude<SkipReason["code"], SkipCode>] extends [never] ? true : never = true;

/**
 * One short line a maintainer reads in the job summary. Refs in `relativeTo`
 * (the skipped issue's repo) are written `#N`.
 */
/** `2026-12-07 17:50 UTC`. */
function utcMinute(at: Instant): string {
  const t = Date.parse(at);
  return Number.isFinite(t) ? `${new Date(t).toISOString().slice(0, 16).replace("T", " ")} UTC` : at;
}

export function describeSkip(reason: SkipReason, relativeTo?: RepoSlug): string {
  const ref = (r: IssueRef) => formatRef(r, relativeTo);
  switch (reason.code) {
    case "kill-switch":
      return "kill switch is on: nothing starts";
    case "emergency-stop":
      return "emergency stop (kill switch stop): every agent is being stopped, nothing starts";
    case "draining":
      return "draining: in-flight runs finish, nothing new starts";
    case "breaker":
      if (reason.unreadable !== null)
        return `the dashboard holding the circuit breaker and the daily budget could not be read (${reason.unreadable}): nothing starts this run`;
      return `circuit breaker tripped at ${reason.trippedAt === null ? "an unknown time" : utcMinute(reason.trippedAt)} after ${reason.failures} runs in a row ended escalated or frozen (${reason.runs.map(ref).join(", ")}): nothing starts until a trusted person ticks "Reset the breaker" on the dashboard`;
    case "daily-budget": {
      const frees = reason.freesAt === null ? "" : `; the next one is allowed at ${utcMinute(reason.freesAt)}`;
      return `daily budget spent: ${reason.used} of ${reason.limit} dispatches in the last 24 hours (max-dispatches-per-day)${frees}`;
    }
    case "not-allowlisted":
      return `${reason.repo} is not on the allowlist`;
    case "duplicate":
      return `listed ${reason.copies} times in the ready set; none started`;
    case "already-running":
      return `already running (${reason.label})`;
    case "handed-to-human":
      return `handed to a human (${reason.label})`;
    case "untrusted-labeler":
      if (reason.actor === null) return "nobody can be named as applying the ready label";
      if (reason.bot) return `labelled by @${reason.actor} (a bot; bots need to be in trusted-users)`;
      return `labelled by @${reason.actor} (role: ${reason.role ?? "unknown"}; needs ${reason.needs})`;
    case "edit-history-unread":
      return "its edit history is longer than the loop reads, so an edit after the ready label may be anyone's; open a fresh issue with the approved text";
    case "edited-after-approval": {
      const editor = reason.editor === null ? "an unknown account" : `@${reason.editor}`;
      const labeledAt = reason.labeledAt ?? "time unknown";
      return `edited by ${editor} at ${reason.editedAt}, after the ready label (${labeledAt}); a trusted person must re-apply it`;
    }
    case "mostly-hidden":
      return `mostly hidden: ${reason.hiddenChars} characters the rendered issue does not show (HTML comments, invisible characters) against ${reason.visibleChars} visible; make the text visible and re-apply the label`;
    case "max-runs-reached":
      return `already had ${reason.runs} runs (max-runs-per-issue ${reason.limit})`;
    case "blocked":
      return `blocked by ${reason.blockers.map((b) => `${ref(b.ref)} (${b.state})`).join(", ")}`;
    case "repo-busy":
      return `repo busy: ${reason.holders.map(ref).join(", ")} in flight (max-per-repo ${reason.limit})`;
    case "outranked":
      return `outranked by ${ref(reason.by)}, which took the repo's last free slot`;
    case "max-in-flight":
      return `${reason.inFlight} runs in flight (max-in-flight ${reason.limit})`;
    default:
      return assertNever(reason);
  }
}
