// The watch tick's review stage I/O (delivery by pull request): turns the
// batched read of a run's pull request into what core/review.ts decides on
// (its state, its real head, the trusted reviewers' feedback since the last
// review turn, with the role look-ups that takes), and sends the review turn
// through the executor's follow-up. Decides nothing itself; never hands an
// untrusted reviewer's words on: only splitByTrust's trusted part leaves here.

import { isAgentCommit } from "../core/evidence.js";
import { reviewTurnPrompt } from "../core/prompt.js";
import { newFeedback, reviewersToLookUp, splitByTrust, type Review, type ReviewedPullRequest } from "../core/review.js";
import type { RunRecord } from "../core/run-record.js";
import type { Action } from "../core/state-machine.js";
import { ROLE_LOOKUPS_PER_ISSUE } from "../core/policy.js";
import { isTrusted } from "../core/trust.js";
import type { Role } from "../core/types.js";
import type { PullRequestFacts, ReviewedPullFacts } from "../github/commits.js";
import type { RoleLookup } from "../github/lookups.js";
import type { TickContext } from "./context.js";

/** A pull request as the state machine reads it: its state, its real head and whether that head is the agent's. */
export function pullView(pull: PullRequestFacts, runId: string): ReviewedPullRequest {
  return {
    number: pull.number,
    url: pull.url,
    state: pull.state,
    headSha: pull.headSha,
    headIsAgents: isAgentCommit(pull.head?.message, runId),
    mergedAt: pull.mergedAt,
  };
}

export interface ReviewFacts {
  /** The run's pull request; null when GitHub no longer answers for it. */
  pull: ReviewedPullRequest | null;
  /** Trusted requests for changes since the last review turn: the only review text the agent may see. */
  feedback: Review[];
  /** Said in the report when someone untrusted asked for changes: their words never reach the agent. */
  ignored: string | null;
}

/**
 * The review facts of a run awaiting review: the feedback since the record's `since`, split by
 * its authors' trust (the ready label's rule: `min-labeler-role` or `trusted-users`). Roles are
 * looked up once per (repository, login) per tick, at most ROLE_LOOKUPS_PER_ISSUE per run; a
 * reviewer past that cap is untrusted this tick.
 */
export async function reviewFacts(
  ctx: TickContext,
  roles: RoleLookup,
  record: RunRecord,
  pull: ReviewedPullFacts | undefined,
): Promise<ReviewFacts> {
  if (pull === undefined) return { pull: null, feedback: [], ignored: null };
  const since = record.review?.since ?? record.dispatchedAt ?? record.claimedAt;
  const feedback = newFeedback(pull.reviews, since);
  const known = new Map<string, Role | "unknown">();
  for (const login of reviewersToLookUp(feedback, ROLE_LOOKUPS_PER_ISSUE)) {
    known.set(login.toLowerCase(), await roles.roleOf(record.repo, login));
  }
  const split = splitByTrust(
    feedback,
    (actor) => isTrusted(actor, ctx.config.trust),
    (login) => known.get(login.toLowerCase()) ?? "unknown",
  );
  const who = [...new Set(split.ignored.map((r) => `@${r.author?.login ?? "ghost"}`))];
  const ignored =
    who.length === 0
      ? null
      : `${who.length === 1 ? "a review" : "reviews"} by ${who.join(", ")} ignored: not trusted to ask the agent for changes`;
  return { pull: pullView(pull, record.runId), feedback: split.trusted, ignored };
}

/** Which follow-up turn comes next: fix-forwards and review turns share one count, the executors' idempotency key. */
export function nextTurnNumber(record: RunRecord): number {
  return record.fixForwards + (record.review?.rounds ?? 0) + 1;
}

/** The review turn, sent before the record says so: if sending fails, no round was spent. */
export function sendReviewTurn(
  ctx: TickContext,
  target: { repo: string; issue: number; record: RunRecord; threadId: string | null; defaultBranch: string | null },
  action: Extract<Action, { kind: "review-turn" }>,
): ReturnType<TickContext["executor"]["followUp"]> {
  const { record } = target;
  return ctx.executor.followUp({
    repo: target.repo,
    issue: target.issue,
    runId: record.runId,
    threadId: target.threadId ?? record.threadId ?? "",
    defaultBranch: target.defaultBranch,
    turn: nextTurnNumber(record),
    prompt: reviewTurnPrompt({
      issue: { repo: target.repo, number: target.issue },
      pullRequest: action.pullRequest,
      sha: action.sha,
      round: action.round,
      maxRounds: ctx.config.limits.reviewRounds,
      runId: record.runId,
      reviews: action.reviews,
    }),
  });
}
