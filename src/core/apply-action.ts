// Apply action: the record bookkeeping an action implies once the watch tick
// has performed it, and the doorbell it owes. Pure; state-machine.ts chooses
// the action, this module only writes down what it did. Never decides what
// to do next.

import { assertNever } from "./assert-never.js";
import { plural, truncate } from "./markdown.js";
import { RECORD_LIMITS, type RunRecord } from "./run-record.js";
import type { Action } from "./state-machine.js";
import type { DoorbellKind, Instant } from "./types.js";

/** The doorbell an action rings once performed; null for actions that ring nothing. */
export function doorbellFor(action: Action): DoorbellKind | null {
  switch (action.kind) {
    case "close":
    case "close-no-ci":
      return "done";
    case "freeze":
      return "frozen";
    case "escalate-prepush":
    case "escalate-no-ci":
    case "escalate-lost":
    case "escalate-review":
      return "needs-human";
    case "ring":
      return action.doorbell;
    case "fix-forward":
    case "await-review":
    case "review-turn":
    case "adopt":
    case "release":
    case "wait":
      return null;
    default:
      return assertNever(action);
  }
}

/**
 * The record after the tick has performed `action`. Terminal actions leave
 * their doorbell owed (`delivered: false`); the tick rings and, on success,
 * applies `ring` (or markDoorbellDelivered). `wait` changes nothing, so a
 * quiet tick has nothing to write. A workflow executor's fix-forward starts a
 * new run: the tick stores its id in `threadId` itself.
 */
export function applyAction(record: RunRecord, action: Action, now: Instant): RunRecord {
  const owed = (): RunRecord["doorbell"] => {
    const kind = doorbellFor(action);
    return kind === null ? null : { kind, delivered: false };
  };
  const reason = truncate(action.reason, RECORD_LIMITS.reason);
  const review = (pullRequest: number): NonNullable<RunRecord["review"]> =>
    record.review ?? {
      pullRequest,
      rounds: 0,
      // Reviews submitted since the dispatch are the first feedback, even those made before green.
      since: record.dispatchedAt ?? record.claimedAt,
      mergedAt: null,
    };
  switch (action.kind) {
    case "close": {
      const closed = { ...record, phase: "closed" as const, pushedSha: action.sha, lastAction: action.kind, reason };
      const { merged } = action;
      if (!merged) return { ...closed, doorbell: owed() };
      const withMerge = { ...review(merged.pullRequest), pullRequest: merged.pullRequest, mergedAt: merged.at ?? now };
      return { ...closed, review: withMerge, doorbell: owed() };
    }
    case "close-no-ci":
      return { ...record, phase: "closed", pushedSha: action.sha, lastAction: action.kind, reason, doorbell: owed() };
    case "await-review":
      // Green ends a red spell: a red after a review turn is judged afresh by the time and
      // same-failure budgets (the fix-forward count stays: it is per run).
      return {
        ...record,
        phase: "awaiting-review",
        pushedSha: action.sha,
        firstRedAt: null,
        lastFailureSignature: null,
        sameFailureStreak: 0,
        lastAction: action.kind,
        reason,
        review: { ...review(action.pullRequest), pullRequest: action.pullRequest },
      };
    case "review-turn": {
      // Feedback after the newest review this turn quotes belongs to the next round.
      const since = action.reviews.reduce<Instant>(
        (at, r) => (r.submittedAt !== null && Date.parse(r.submittedAt) > Date.parse(at) ? r.submittedAt : at),
        review(action.pullRequest).since,
      );
      return {
        ...record,
        phase: "dispatched",
        pushedSha: action.sha,
        turnStartedAt: now,
        lastAction: action.kind,
        reason,
        // The loop drives the agent again: the stop of its let-go at green is spent, and the next
        // let-go must owe a new one (else an agent stalled after this turn would be left working).
        stop: null,
        review: { ...review(action.pullRequest), pullRequest: action.pullRequest, rounds: action.round, since },
      };
    }
    case "escalate-review":
      return {
        ...record,
        phase: "escalated",
        pushedSha: action.sha === "" ? record.pushedSha : action.sha,
        lastAction: action.kind,
        reason,
        doorbell: owed(),
      };
    case "fix-forward":
      return {
        ...record,
        pushedSha: action.sha,
        fixForwards: record.fixForwards + 1,
        firstRedAt: record.firstRedAt ?? now,
        lastFailureSignature: action.signature,
        sameFailureStreak: action.signature === record.lastFailureSignature ? record.sameFailureStreak + 1 : 1,
        turnStartedAt: now,
        lastAction: "fix-forward",
      };
    case "freeze":
      return {
        ...record,
        phase: "frozen",
        pushedSha: action.sha,
        firstRedAt: record.firstRedAt ?? now,
        lastFailureSignature: action.signature,
        lastAction: "freeze",
        reason,
        doorbell: owed(),
      };
    case "escalate-no-ci":
      return {
        ...record,
        phase: "escalated",
        pushedSha: action.sha,
        lastAction: action.kind,
        reason,
        doorbell: owed(),
      };
    case "escalate-prepush":
    case "escalate-lost":
      return { ...record, phase: "escalated", lastAction: action.kind, reason, doorbell: owed() };
    case "adopt": {
      // The dispatch happened between claim and now; the claim time is the closer, stricter guess.
      const dispatchedAt = record.dispatchedAt ?? record.claimedAt;
      return {
        ...record,
        phase: "dispatched",
        threadId: action.threadId ?? record.threadId,
        dispatchedAt,
        turnStartedAt: record.turnStartedAt ?? dispatchedAt,
        lastAction: "adopt",
      };
    }
    case "release":
      return { ...record, phase: "released", lastAction: "release", reason, doorbell: null };
    case "ring":
      return markDoorbellDelivered(record);
    case "wait":
      return record;
    default:
      return assertNever(action);
  }
}

/** Refused dispatches (4xx) an attempt gets, across ticks, before the issue goes to a human. */
export const DISPATCH_REFUSAL_LIMIT = 3;

/**
 * What to do after the executor refused a dispatch (a 4xx: no agent started),
 * given the claim's record. Below DISPATCH_REFUSAL_LIMIT the claim is given
 * back (the next tick retries the same attempt, so the count carries over in
 * `refusals`); at the limit the issue goes to a human with the executor's
 * message, rather than being dispatched and refused on every tick.
 */
export function refusedDispatch(record: RunRecord, message: string, now: Instant): RunRecord {
  const refusals = (record.refusals ?? 0) + 1;
  const said = `the executor refused the dispatch ${plural(refusals, "time")}`;
  const action: Action =
    refusals >= DISPATCH_REFUSAL_LIMIT
      ? { kind: "escalate-prepush", cause: "refused", reason: `${said}; handed to a human: ${message}` }
      : { kind: "release", reason: `dispatch failed (${said} of ${DISPATCH_REFUSAL_LIMIT}): ${message}` };
  return { ...applyAction(record, action, now), refusals };
}

/** The owed doorbell, now delivered. A record that owes nothing is returned as is. */
export function markDoorbellDelivered(record: RunRecord): RunRecord {
  if (record.doorbell === null || record.doorbell.delivered) return record;
  return { ...record, doorbell: { kind: record.doorbell.kind, delivered: true } };
}
