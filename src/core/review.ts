// Pull-request review, after green (delivery by pull request): which reviews
// are feedback for the agent, whose feedback counts, and what a run awaiting
// review does next (merged: done; closed unmerged: a human; a trusted request
// for changes: one corrective turn, within `review-rounds`). Pure: the watch
// tick reads the pull request and the reviewers' roles, this decides.
// Must never let an untrusted reviewer's words reach the agent: feedback is
// split by trust here, and only the trusted part is ever handed on.

import type { ReviewCause } from "./state-machine.js";
import type { Actor, Instant } from "./types.js";

/** GitHub's review states (PullRequestReviewState), lower-cased; anything else is `unknown`. */
export const REVIEW_STATES = ["approved", "changes_requested", "commented", "dismissed", "pending", "unknown"] as const;
type ReviewState = (typeof REVIEW_STATES)[number];

/** One inline comment of a review: the file, the line (null when GitHub no longer maps it), the text. */
interface ReviewComment {
  path: string;
  line: number | null;
  body: string;
}

export interface Review {
  /** null: GitHub names nobody (a deleted account). */
  author: { login: string; isBot: boolean } | null;
  state: ReviewState;
  body: string;
  /** When it was submitted; null for a review not yet submitted (never feedback). */
  submittedAt: Instant | null;
  comments: ReviewComment[];
}

/** The run's own pull request as the watch tick read it, by its number. */
export interface ReviewedPullRequest {
  number: number;
  url: string;
  state: "open" | "closed" | "merged";
  /** `headRefOid`: the head commit, which survives the head branch's deletion. */
  headSha: string;
  /** Whether the head commit carries the run's trailer. */
  headIsAgents: boolean;
  mergedAt: Instant | null;
}

/** A request for changes, or a plain review that left inline comments: both ask the agent for something. */
export function asksForChanges(review: Review): boolean {
  if (review.state === "changes_requested") return true;
  return review.state === "commented" && review.comments.length > 0;
}

/** Reviews asking for changes submitted after `since` (the last review turn, or the dispatch), oldest first. */
export function newFeedback(reviews: readonly Review[], since: Instant): Review[] {
  const from = Date.parse(since);
  return reviews
    .filter((r) => asksForChanges(r) && r.submittedAt !== null && Date.parse(r.submittedAt) > from)
    .sort((a, b) => Date.parse(a.submittedAt ?? "") - Date.parse(b.submittedAt ?? ""));
}

/**
 * Splits feedback by its author's trust (`trusted` applies the ready label's rule to an actor
 * whose role the tick looked up). Nobody named, or a role not looked up, is untrusted.
 */
export function splitByTrust(
  feedback: readonly Review[],
  trusted: (actor: Actor) => boolean,
  roleOf: (login: string) => Actor["role"],
): { trusted: Review[]; ignored: Review[] } {
  const out = { trusted: [] as Review[], ignored: [] as Review[] };
  for (const review of feedback) {
    const author = review.author;
    const ok = author !== null && trusted({ login: author.login, isBot: author.isBot, role: roleOf(author.login) });
    (ok ? out.trusted : out.ignored).push(review);
  }
  return out;
}

/** The logins whose role decides whether their feedback counts: each once, bots never, at most `limit`. */
export function reviewersToLookUp(feedback: readonly Review[], limit: number): string[] {
  const logins: string[] = [];
  for (const review of feedback) {
    const login = review.author?.login;
    if (login === undefined || review.author?.isBot) continue;
    if (!logins.some((l) => l.toLowerCase() === login.toLowerCase())) logins.push(login);
    if (logins.length >= limit) break;
  }
  return logins;
}

/** What the review stage knows in one tick. */
export interface ReviewStage {
  /** The run's pull request; null when GitHub no longer answers for it. */
  pull: ReviewedPullRequest | null;
  /** Trusted feedback since the last review turn (splitByTrust's `trusted`). */
  feedback: readonly Review[];
  /** Review turns sent so far. */
  rounds: number;
  /** The sha the run was green on (the record's pushedSha). */
  greenSha: string | null;
}

export type ReviewDecision =
  | { kind: "close"; sha: string; merged: { pullRequest: number; at: Instant | null }; reason: string }
  | { kind: "review-turn"; sha: string; pullRequest: number; round: number; reviews: Review[]; reason: string }
  | { kind: "escalate-review"; cause: ReviewCause; sha: string; reason: string }
  | { kind: "wait"; reason: string };

/**
 * The next step of a run awaiting review. First match wins: merged (done, on its real head when
 * that is the agent's, else on the green commit the run delivered), closed without merging (a
 * human decides), trusted feedback (a review turn, or a human once `reviewRounds` are spent),
 * otherwise wait.
 */
export function reviewDecision(stage: ReviewStage, reviewRounds: number): ReviewDecision {
  const { pull } = stage;
  if (pull === null) {
    return {
      kind: "escalate-review",
      cause: "pull-gone",
      sha: stage.greenSha ?? "",
      reason: "the run's pull request could not be read any more",
    };
  }
  const ref = `pull request #${pull.number}`;
  const sha = pull.headIsAgents ? pull.headSha : (stage.greenSha ?? pull.headSha);
  if (pull.state === "merged") {
    return {
      kind: "close",
      sha,
      merged: { pullRequest: pull.number, at: pull.mergedAt },
      reason: `${ref} merged at ${sha.slice(0, 7)}`,
    };
  }
  if (pull.state === "closed") {
    return {
      kind: "escalate-review",
      cause: "closed-unmerged",
      sha,
      reason: `${ref} was closed without being merged; a human decides what happens to the issue`,
    };
  }
  if (stage.feedback.length > 0) {
    const who = [...new Set(stage.feedback.map((r) => `@${r.author?.login ?? "ghost"}`))].join(", ");
    if (stage.rounds >= reviewRounds) {
      return {
        kind: "escalate-review",
        cause: "rounds-spent",
        sha,
        reason: `${who} asked for changes on ${ref}, and the review budget is spent (${stage.rounds} of ${reviewRounds} review rounds used)`,
      };
    }
    const round = stage.rounds + 1;
    return {
      kind: "review-turn",
      // The head that was reviewed, never a later one: an agent that already answered (a turn sent
      // whose record write was lost) must have its new head judged by CI, not taken as unanswered.
      sha: stage.greenSha ?? sha,
      pullRequest: pull.number,
      round,
      reviews: [...stage.feedback],
      reason: `review round ${round} of ${reviewRounds}: ${who} asked for changes on ${ref}`,
    };
  }
  return { kind: "wait", reason: `awaiting review of ${ref}` };
}
