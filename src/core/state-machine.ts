// State machine (docs/design.md §5): one in-flight run's facts in, the one action the
// watch tick should take out (apply-action.ts writes down what performing it means).
// Pure and total: every phase and agent state has an answer, first match wins
// in the design's table order. Performs nothing; the tick does the I/O.
//
// Time limits are inclusive: at exactly the limit, time is up. An instant that
// does not parse counts as time up too, so a corrupt clock hands the run to a
// human instead of spending more agent turns.
//
// Where the table is silent:
// - Once a push exists, CI drives: a lost agent matters only when a
//   fix-forward needs it (then: escalate-lost), not while CI may still go green.
// - After a fix-forward, the red commit the agent was asked to fix is "not
//   pushed" for the table: the agent rows (needs-input, stopped, stalled, lost)
//   apply to the fix turn until a new commit appears (or a re-run turns that
//   commit green).
// - Already red on the parent (docs/design.md §7) is checked first among the red rows:
//   it freezes, with that reason, before any fix-forward turn is spent.
// - CI stuck `pending` (or a configured deploy/rollout stage reporting nothing)
//   for ci-timeout after the push escalates as escalate-no-ci, whatever the
//   no-ci setting: `no-ci: close` is for repos without CI, not for stuck CI.

import { assertNever } from "./assert-never.js";
import { failureSignature } from "./ci.js";
import type { Config } from "./config.js";
import type { ActionKind, RunRecord } from "./run-record.js";
import { plural, truncate } from "./markdown.js";
import { reviewDecision, type Review, type ReviewedPullRequest } from "./review.js";
import type { AgentStatus, CiVerdict, DoorbellKind, FailingCheck, Instant } from "./types.js";

export { ACTION_KINDS, type ActionKind } from "./run-record.js";

/** Everything the watch tick knows about one in-flight run. */
export interface RunState {
  record: RunRecord;
  /** The executor's view of the run; `missing` when it has no such thread/run. */
  agent: AgentStatus;
  /**
   * The executor's id for the run as the adapter found it: the record's, or
   * the one found by the run id when the record never got to store it.
   */
  threadId: string | null;
  /** The latest commit referencing the issue made after dispatch. */
  pushed: { sha: string; at: Instant } | null;
  /** CI verdict for `pushed`; meaningless when nothing is pushed. */
  ci: CiVerdict;
  /** The parent of `pushed` was already red on the same checks (see ci.sameFailureOnParent). */
  parentAlreadyRed: boolean;
  /** False once someone (or a closing keyword) closed the issue. */
  issueOpen: boolean;
  /**
   * Delivery by pull request: the run's own pull request as read this tick (by its branch while CI
   * is watched, by its number while awaiting review); null when none was found; absent with push delivery.
   */
  pull?: ReviewedPullRequest | null;
  /** Trusted reviewers' requests for changes since the last review turn (core/review.ts); awaiting review only. */
  feedback?: readonly Review[];
  now: Instant;
}

type FreezeCause = "parent-red" | "same-failure" | "attempts-spent" | "time-spent";
type PrepushCause = "needs-input" | "stopped" | "stalled" | "refused";
type NoCiCause = "no-ci" | "ci-stuck";
/** Why a run awaiting review goes to a human (core/review.ts decides). */
export type ReviewCause = "closed-unmerged" | "rounds-spent" | "pull-gone";

export type Action =
  | {
      kind: "close";
      sha: string;
      /** Delivery by pull request: the pull request was merged (at, when GitHub said). */
      merged?: { pullRequest: number; at: Instant | null };
      reason: string;
    }
  | { kind: "close-no-ci"; sha: string; reason: string }
  | {
      kind: "fix-forward";
      sha: string;
      failing: FailingCheck[];
      signature: string;
      /** This fix-forward's number, from 1. */
      attempt: number;
      reason: string;
    }
  | { kind: "freeze"; cause: FreezeCause; sha: string; failing: FailingCheck[]; signature: string; reason: string }
  | { kind: "escalate-prepush"; cause: PrepushCause; reason: string }
  | { kind: "escalate-no-ci"; cause: NoCiCause; sha: string; reason: string }
  | { kind: "escalate-lost"; reason: string }
  /** Delivery by pull request: green, so the run now awaits review (the lock comes off). */
  | { kind: "await-review"; sha: string; pullRequest: number; reason: string }
  /** A corrective turn quoting trusted reviewers' requested changes (only theirs: see core/review.ts). */
  | { kind: "review-turn"; sha: string; pullRequest: number; round: number; reviews: Review[]; reason: string }
  | { kind: "escalate-review"; cause: ReviewCause; sha: string; reason: string }
  | { kind: "adopt"; threadId: string | null; reason: string }
  | { kind: "release"; reason: string }
  | { kind: "ring"; doorbell: DoorbellKind; reason: string }
  | { kind: "wait"; reason: string };

// Compile-time proof that the union and the recorded vocabulary agree.
type UnhandledKinds = Exclude<ActionKind, Action["kind"]>;
const _everyKindHasAnAction: [UnhandledKinds] extends [never] ? true : UnhandledKinds = true;

export type StateMachineConfig = Pick<Config, "limits" | "noCi">;

const ISSUE_CLOSED = "the issue was closed before the agent pushed anything; the loop stopped following it";

export function nextAction(state: RunState, config: StateMachineConfig): Action {
  const { record } = state;
  switch (record.phase) {
    case "closed":
    case "escalated":
    case "frozen":
    case "released":
      return terminal(record);
    case "awaiting-review":
      // Followed by its pull request, whoever closes the issue: a merge closes it too. Not read
      // this tick (undefined) is no news; read and gone (null) is a human's to look at.
      if (state.pull === undefined) return { kind: "wait", reason: "awaiting review; the pull request was not read" };
      return reviewDecision(
        {
          pull: state.pull ?? null,
          feedback: state.feedback ?? [],
          rounds: record.review?.rounds ?? 0,
          greenSha: record.pushedSha,
        },
        config.limits.reviewRounds,
      );
    case "claimed":
    case "dispatched":
      // Closed before anything was pushed (by a person): nothing left to deliver. Once the agent has
      // pushed, the run goes on to its CI verdict whoever closed the issue (a closing keyword, a merge).
      if (!state.issueOpen && state.pushed === null) return { kind: "release", reason: ISSUE_CLOSED };
      return record.phase === "claimed" ? claimed(state) : dispatched(state, config);
    default:
      return assertNever(record.phase);
  }
}

/** A finished run does nothing more, except retry a doorbell it still owes. */
function terminal(record: RunRecord): Action {
  if (record.doorbell !== null && !record.doorbell.delivered) {
    return {
      kind: "ring",
      doorbell: record.doorbell.kind,
      reason: `the ${record.doorbell.kind} doorbell is still owed`,
    };
  }
  return { kind: "wait", reason: `run is ${record.phase}` };
}

/** Done: the run's pull request was merged on its green head. */
function mergedClose(pull: ReviewedPullRequest): Action {
  return {
    kind: "close",
    sha: pull.headSha,
    merged: { pullRequest: pull.number, at: pull.mergedAt },
    reason: `pull request #${pull.number} merged, CI green on ${pull.headSha.slice(0, 7)}`,
  };
}

/**
 * A claim seen by a later tick means the process died between claim and
 * record. The executor decides: it has the thread (adopt it), or it has
 * nothing and the lease is up (give the claim back).
 */
function claimed(state: RunState): Action {
  const { record, agent, now } = state;
  if (agent.state !== "missing") {
    return {
      kind: "adopt",
      threadId: state.threadId ?? record.threadId,
      reason: "the executor has the run, but the record never stored it",
    };
  }
  if (timeUp(now, record.leaseExpiresAt)) {
    return { kind: "release", reason: "the claim lease expired and the executor has no run for it" };
  }
  return { kind: "wait", reason: "claimed; the lease has not expired yet" };
}

function dispatched(state: RunState, config: StateMachineConfig): Action {
  const { record, pushed } = state;
  // A push the loop already sent a fix-forward about is not an answer to that
  // fix-forward, unless a re-run has since turned it green. The reviewed (green)
  // head a review turn was sent about is never an answer to it.
  const awaitingFix =
    pushed !== null &&
    pushed.sha === record.pushedSha &&
    ((record.lastAction === "fix-forward" && state.ci.state !== "green") || record.lastAction === "review-turn");
  // Merged green while the agent was still answering: the reviewers took it as it is.
  if (awaitingFix && state.pull?.state === "merged" && state.ci.state === "green") return mergedClose(state.pull);
  if (pushed !== null && !awaitingFix) return afterPush(state, pushed, config);
  return beforePush(state, config, awaitingFix);
}

function afterPush(state: RunState, pushed: { sha: string; at: Instant }, config: StateMachineConfig): Action {
  const { record, ci, now } = state;
  const { limits } = config;
  const short = pushed.sha.slice(0, 7);
  switch (ci.state) {
    case "green": {
      const { pull } = state;
      if (!pull) return { kind: "close", sha: pushed.sha, reason: `CI green on ${short}` };
      // Delivery by pull request: green is where review starts, unless a merge got there first.
      if (pull.state === "merged") return mergedClose(pull);
      return {
        kind: "await-review",
        sha: pushed.sha,
        pullRequest: pull.number,
        reason: `CI green on ${short}; awaiting review of pull request #${pull.number}`,
      };
    }
    case "red": {
      const failing = ci.failing;
      // A red verdict always names its failures; should one not, it still needs a signature to compare.
      const signature = ci.signature || failureSignature(failing.map((check) => check.name)) || "unnamed failure";
      const freeze = (cause: FreezeCause, why: string): Action => ({
        kind: "freeze",
        cause,
        sha: pushed.sha,
        failing,
        signature,
        reason: `${why}; failing on ${short}: ${signature}`,
      });
      if (state.parentAlreadyRed) {
        return freeze("parent-red", "already red on the parent commit, so not caused by the agent");
      }
      if (signature === record.lastFailureSignature && record.sameFailureStreak >= limits.sameFailureLimit) {
        return freeze(
          "same-failure",
          `the same checks still fail after ${plural(record.sameFailureStreak, "fix-forward")} in a row`,
        );
      }
      if (record.fixForwards >= limits.fixForwardAttempts) {
        return freeze(
          "attempts-spent",
          `fix-forward budget spent (${record.fixForwards} of ${limits.fixForwardAttempts} attempts used)`,
        );
      }
      const redSince = record.firstRedAt ?? now;
      if (timeUp(now, redSince, limits.fixForwardMinutes)) {
        return freeze(
          "time-spent",
          `fix-forward time budget spent (red since ${redSince}, limit ${limits.fixForwardMinutes} minutes)`,
        );
      }
      if (state.agent.state === "missing") {
        return {
          kind: "escalate-lost",
          reason: `CI is red on ${short} but the executor no longer has the agent's run`,
        };
      }
      const attempt = record.fixForwards + 1;
      return {
        kind: "fix-forward",
        sha: pushed.sha,
        failing,
        signature,
        attempt,
        reason: `fix-forward ${attempt} of ${limits.fixForwardAttempts}: failing on ${short}: ${signature}`,
      };
    }
    case "none":
    case "pending": {
      const nothingAtAll = ci.state === "none" && ci.stage === "build";
      if (!timeUp(now, pushed.at, limits.ciTimeoutMinutes)) {
        return {
          kind: "wait",
          reason: nothingAtAll ? `waiting for CI to report on ${short}` : `CI ${ci.state} on ${short} (${ci.stage})`,
        };
      }
      if (nothingAtAll && config.noCi === "close") {
        return {
          kind: "close-no-ci",
          sha: pushed.sha,
          reason: `no CI reported on ${short} within ${limits.ciTimeoutMinutes} minutes; closing (no-ci: close)`,
        };
      }
      return {
        kind: "escalate-no-ci",
        cause: nothingAtAll ? "no-ci" : "ci-stuck",
        sha: pushed.sha,
        reason: nothingAtAll
          ? `no CI reported on ${short} within ${limits.ciTimeoutMinutes} minutes of the push`
          : `CI still ${ci.state} at the ${ci.stage} stage on ${short} ${limits.ciTimeoutMinutes} minutes after the push`,
      };
    }
    default:
      return assertNever(ci.state);
  }
}

function beforePush(state: RunState, config: StateMachineConfig, awaitingFix: boolean): Action {
  const { record, agent, now } = state;
  const detail = agent.detail === null ? "" : ` (${truncate(agent.detail, 200)})`;
  const without = awaitingFix ? "without pushing a fix" : "without pushing a commit that references the issue";
  switch (agent.state) {
    case "needs-input":
      return {
        kind: "escalate-prepush",
        cause: "needs-input",
        reason: `the agent is waiting for input or an approval${detail}, and nobody is at the keyboard`,
      };
    case "idle":
    case "interrupted":
    case "error":
      return {
        kind: "escalate-prepush",
        cause: "stopped",
        reason: `the agent stopped (${agent.state}) ${without}${detail}`,
      };
    case "missing":
      if (timeUp(now, record.leaseExpiresAt)) {
        return { kind: "escalate-lost", reason: `the executor has no run ${record.threadId ?? record.runId}` };
      }
      return { kind: "wait", reason: "the executor does not show the run yet; the lease has not expired" };
    case "running":
    case "unknown": {
      const since = record.turnStartedAt ?? record.dispatchedAt ?? record.claimedAt;
      if (timeUp(now, since, config.limits.maxRunMinutes)) {
        return {
          kind: "escalate-prepush",
          cause: "stalled",
          reason: `the agent has run since ${since} ${without} (limit ${config.limits.maxRunMinutes} minutes)`,
        };
      }
      return {
        kind: "wait",
        reason: agent.state === "running" ? "the agent is working" : `the agent's state is unknown${detail}`,
      };
    }
    default:
      return assertNever(agent.state);
  }
}

/** True when `limitMinutes` have passed from `from` to `now` (inclusive), or either instant is unreadable. */
function timeUp(now: Instant, from: Instant, limitMinutes = 0): boolean {
  const elapsed = Date.parse(now) - Date.parse(from);
  if (Number.isNaN(elapsed)) return true;
  return elapsed >= limitMinutes * 60_000;
}
