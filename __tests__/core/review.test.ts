// The review stage's pure rules: which reviews ask the agent for something,
// whose words count, and what a run awaiting review does next.

import { describe, expect, it } from "vitest";
import {
  asksForChanges,
  newFeedback,
  reviewDecision,
  reviewersToLookUp,
  splitByTrust,
  type Review,
  type ReviewStage,
} from "../../src/core/review.js";
import type { Actor } from "../../src/core/types.js";

const SHA = "a".repeat(40);
const GREEN = "b".repeat(40);

function review(over: Partial<Review> = {}): Review {
  return {
    author: { login: "maya", isBot: false },
    state: "changes_requested",
    body: "Please rename the helper.",
    submittedAt: "2026-12-07T10:00:00Z",
    comments: [],
    ...over,
  };
}

const PULL = {
  number: 7,
  url: "https://github.com/acme/api/pull/7",
  state: "open",
  headSha: SHA,
  headIsAgents: true,
  mergedAt: null,
} as const;

function stage(over: Partial<ReviewStage> = {}): ReviewStage {
  return {
    pull: PULL,
    feedback: [],
    rounds: 0,
    greenSha: SHA,
    ...over,
  };
}

describe("which reviews are feedback", () => {
  it("a request for changes is; so is a plain review with inline comments", () => {
    expect(asksForChanges(review())).toBe(true);
    expect(asksForChanges(review({ state: "commented", comments: [{ path: "a.ts", line: 1, body: "x" }] }))).toBe(true);
  });

  it("an approval, a dismissed or pending review, and a comment-only review without inline comments are not", () => {
    for (const state of ["approved", "dismissed", "pending", "unknown"] as const) {
      expect(asksForChanges(review({ state, comments: [{ path: "a.ts", line: 1, body: "x" }] }))).toBe(false);
    }
    expect(asksForChanges(review({ state: "commented" }))).toBe(false);
  });

  it("only reviews submitted after the last turn count, oldest first", () => {
    const early = review({ submittedAt: "2026-12-07T09:00:00Z" });
    const later = review({ submittedAt: "2026-12-07T11:00:00Z", body: "later" });
    const first = review({ submittedAt: "2026-12-07T10:30:00Z", body: "first" });
    const unsubmitted = review({ submittedAt: null });
    expect(newFeedback([later, early, first, unsubmitted], "2026-12-07T10:00:00Z")).toEqual([first, later]);
  });
});

describe("whose feedback counts", () => {
  const trusted = (a: Actor) => a.role === "write" && !a.isBot;

  it("splits by the looked-up role; nobody named and a bot are untrusted", () => {
    const maya = review();
    const mallory = review({ author: { login: "mallory", isBot: false } });
    const ghost = review({ author: null });
    const bot = review({ author: { login: "helper", isBot: true } });
    const roles: Record<string, Actor["role"]> = { maya: "write", mallory: "read", helper: "write" };
    const split = splitByTrust([maya, mallory, ghost, bot], trusted, (login) => roles[login] ?? "unknown");
    expect(split.trusted).toEqual([maya]);
    expect(split.ignored).toEqual([mallory, ghost, bot]);
  });

  it("looks each human reviewer up once, never a bot, at most the limit", () => {
    const reviews = [
      review(),
      review({ author: { login: "MAYA", isBot: false } }),
      review({ author: { login: "helper", isBot: true } }),
      review({ author: { login: "ann", isBot: false } }),
      review({ author: { login: "bob", isBot: false } }),
    ];
    expect(reviewersToLookUp(reviews, 2)).toEqual(["maya", "ann"]);
  });
});

describe("a run awaiting review", () => {
  it("merged: done on its real head, even when the branch is gone", () => {
    const at = "2026-12-07T12:00:00Z";
    const decision = reviewDecision(stage({ pull: { ...PULL, state: "merged", mergedAt: at } }), 3);
    expect(decision).toMatchObject({ kind: "close", sha: SHA, merged: { pullRequest: 7, at } });
  });

  it("merged with someone else's commit on top: done on the green commit the run delivered", () => {
    const pull = { ...PULL, state: "merged" as const, headIsAgents: false };
    expect(reviewDecision(stage({ pull, greenSha: GREEN }), 3)).toMatchObject({ kind: "close", sha: GREEN });
  });

  it("closed without merging: a human, with the reason", () => {
    const decision = reviewDecision(stage({ pull: { ...PULL, state: "closed" } }), 3);
    expect(decision).toMatchObject({ kind: "escalate-review", cause: "closed-unmerged" });
    expect(decision.reason).toContain("pull request #7 was closed without being merged");
  });

  it("a review turn names the reviewed green head, even when the agent already pushed past it", () => {
    // The turn was sent, its record write was lost, and the agent answered before the next tick:
    // the new head is the agent's answer, to be judged by CI, never the head the turn was about.
    const answered = { ...PULL, headSha: "f".repeat(40) };
    const decision = reviewDecision(stage({ pull: answered, feedback: [review()], greenSha: SHA }), 3);
    expect(decision).toMatchObject({ kind: "review-turn", round: 1, sha: SHA });
  });

  it("trusted feedback: a review turn, numbered, naming the reviewer", () => {
    const decision = reviewDecision(stage({ feedback: [review()], rounds: 1 }), 3);
    expect(decision).toMatchObject({ kind: "review-turn", round: 2, sha: SHA });
    expect(decision.reason).toBe("review round 2 of 3: @maya asked for changes on pull request #7");
  });

  it("feedback once the rounds are spent: a human", () => {
    const decision = reviewDecision(stage({ feedback: [review()], rounds: 3 }), 3);
    expect(decision).toMatchObject({ kind: "escalate-review", cause: "rounds-spent" });
    expect(reviewDecision(stage({ feedback: [review()] }), 0)).toMatchObject({ cause: "rounds-spent" });
  });

  it("nothing new: wait; a pull request that cannot be read: a human", () => {
    expect(reviewDecision(stage(), 3)).toEqual({ kind: "wait", reason: "awaiting review of pull request #7" });
    expect(reviewDecision(stage({ pull: null }), 3)).toMatchObject({ kind: "escalate-review", cause: "pull-gone" });
  });
});
