// Run record: the durable per-issue bookkeeping, kept as a hidden, versioned
// marker at the end of the loop's progress comment (GitHub is the only store).
// Owns the record's schema and bounds, the deterministic run id, and the pure
// rules that build a record at claim and dispatch. Never reads or writes a
// comment: the marker codec is in record-codec.ts.

import { z } from "zod";
import { DOORBELL_KINDS, EXECUTOR_KINDS, RUN_PHASES, type Instant, type RepoSlug } from "./types.js";
import { fnv1a } from "./hash.js";

/** Every action the state machine can take; the record remembers the last one that changed it. */
export const ACTION_KINDS = [
  "close",
  "close-no-ci",
  "fix-forward",
  "freeze",
  "escalate-prepush",
  "escalate-no-ci",
  "escalate-lost",
  "await-review",
  "review-turn",
  "escalate-review",
  "adopt",
  "release",
  "ring",
  "wait",
] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

/** Why the loop stopped (or would stop) an agent it let go of. */
const STOP_REASONS = ["escalated", "frozen", "closed", "released", "taken-over", "kill-switch"] as const;
export type StopReason = (typeof STOP_REASONS)[number];
/** owed: not yet asked; requested: asked, not yet confirmed; stopped: confirmed; left-open: deliberately not stopped. */
const STOP_STATES = ["owed", "requested", "stopped", "left-open"] as const;

/**
 * Bounds on everything variable in the record. They keep the worst-case marker
 * (every string at its limit, every character escaped by JSON) under `marker`,
 * so a valid record always encodes and a decoded marker is cheap to parse.
 */
export const RECORD_LIMITS = {
  runId: 100,
  threadId: 200,
  reason: 500,
  failureSignature: 1000,
  /** The whole `<!-- ... -->` marker, in characters. */
  marker: 16 * 1024,
} as const;

// Timestamps as GitHub sends them; the length bound stops an unbounded fraction.
const instant = z.iso.datetime({ offset: true }).max(40);
const count = z.int().min(0).max(1000);

export const RunRecordSchema = z.strictObject({
  v: z.literal(1),
  runId: z
    .string()
    .max(RECORD_LIMITS.runId)
    .regex(/^[a-z0-9][a-z0-9-]*$/, "must be lowercase letters, digits and hyphens"),
  repo: z
    .string()
    .max(140)
    .regex(/^[A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9._-]+$/, "must be owner/name"),
  issue: z.int().min(1).max(1_000_000_000),
  attempt: z.int().min(1).max(1000),
  phase: z.enum(RUN_PHASES),
  executor: z.enum(EXECUTOR_KINDS),
  /** T3 thread id or workflow run id; null until the executor confirms one. */
  threadId: z
    .string()
    .min(1)
    .max(RECORD_LIMITS.threadId)
    .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces")
    .nullable(),
  claimedAt: instant,
  leaseExpiresAt: instant,
  dispatchedAt: instant.nullable(),
  /** Start of the latest turn (dispatch, adoption or fix-forward): the stall clock. */
  turnStartedAt: instant.nullable(),
  /** Hex sha256 of the vetted issue text the agent was given. */
  issueSha256: z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex digits"),
  /**
   * The pushed commit the loop last acted on (fix-forward, freeze, close, no-CI).
   * After a fix-forward it is the red commit the agent was asked to fix, which
   * is how the state machine tells "still the old push" from "a new push".
   */
  pushedSha: z
    .string()
    .regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, "must be a full commit sha")
    .nullable(),
  fixForwards: count,
  firstRedAt: instant.nullable(),
  lastFailureSignature: z.string().min(1).max(RECORD_LIMITS.failureSignature).nullable(),
  /** How many fix-forwards in a row met `lastFailureSignature`. */
  sameFailureStreak: count,
  lastAction: z.enum(ACTION_KINDS).nullable(),
  /** Why the run ended where it did (escalation, freeze, release, close). */
  reason: z.string().max(RECORD_LIMITS.reason).nullable(),
  /** The terminal notification: owed until `delivered`, retried every tick until then. */
  doorbell: z.strictObject({ kind: z.enum(DOORBELL_KINDS), delivered: z.boolean() }).nullable(),
  /** Hidden passages removed from the issue text before the agent got it; absent in older records. */
  hiddenPassages: z.int().min(0).max(1_000_000).optional(),
  /** Dispatches of this attempt the executor refused (4xx), across ticks; absent in older records (none). */
  refusals: count.optional(),
  /** Who asked for this run with Retry on the dashboard (issue 12); absent for a run a person's own label started. */
  requestedBy: z.string().min(1).max(100).optional(),
  /**
   * Stopping the agent the loop let go of (core/stop.ts). Optional: records written before stops
   * existed read as "no stop". Owed and requested stops are retried every tick until confirmed.
   */
  stop: z
    .strictObject({
      reason: z.enum(STOP_REASONS),
      state: z.enum(STOP_STATES),
      /** Why the session was left open (state left-open), or who took the run over. */
      detail: z.string().max(RECORD_LIMITS.reason).nullable(),
      requestedAt: instant.nullable(),
      /** A second, harder stop was sent (workflow force-cancel) after the first did not take within a lease. */
      forced: z.boolean(),
      stoppedAt: instant.nullable(),
    })
    .nullable()
    .optional(),
  /**
   * The review stage of a run delivered by pull request (core/review.ts). Optional: absent until the
   * run's pull request is green, and in records written before review stages existed.
   */
  review: z
    .strictObject({
      /** The run's pull request, followed by its number (its branch may be deleted on merge). */
      pullRequest: z.int().min(1).max(1_000_000_000),
      /** Review turns sent, against `review-rounds`. */
      rounds: count,
      /** Reviews submitted after this instant are new feedback: the dispatch, then each review turn. */
      since: instant,
      /** When the pull request was merged, once the loop saw it merged. */
      mergedAt: instant.nullable(),
    })
    .nullable()
    .optional(),
});

export type RunRecord = z.infer<typeof RunRecordSchema>;

/**
 * The run's id, derived only from repo, issue and attempt, so a repeated
 * dispatch carries the same id and the executor recognises it. Safe as a
 * branch name, a T3 id and a workflow `run-name`. The readable slug is lossy
 * (`a.b` and `a-b` look alike), so a hash of the exact repo keeps ids apart.
 */
export function runIdFor(repo: RepoSlug, issue: number, attempt: number): string {
  const exact = repo.toLowerCase();
  const slug = exact
    .replace(/[^a-z0-9]+/g, "-")
    .slice(0, 40)
    .replace(/^-+|-+$/g, "");
  const hash = fnv1a(exact).toString(16).padStart(8, "0");
  return ["afk", slug, String(issue), `a${attempt}`, hash].filter((part) => part !== "").join("-");
}

export interface ClaimInput {
  repo: RepoSlug;
  issue: number;
  attempt: number;
  executor: RunRecord["executor"];
  claimedAt: Instant;
  leaseMinutes: number;
  issueSha256: string;
  hiddenPassages?: number;
  /** The trusted person whose Retry on the dashboard started this run. */
  requestedBy?: string;
}

/** A fresh run's record at the moment of its claim: nothing dispatched, pushed or rung yet. */
export function claimRecord(claim: ClaimInput): RunRecord {
  return {
    v: 1,
    runId: runIdFor(claim.repo, claim.issue, claim.attempt),
    repo: claim.repo,
    issue: claim.issue,
    attempt: claim.attempt,
    phase: "claimed",
    executor: claim.executor,
    threadId: null,
    claimedAt: claim.claimedAt,
    leaseExpiresAt: new Date(Date.parse(claim.claimedAt) + claim.leaseMinutes * 60_000).toISOString(),
    dispatchedAt: null,
    turnStartedAt: null,
    issueSha256: claim.issueSha256,
    pushedSha: null,
    fixForwards: 0,
    firstRedAt: null,
    lastFailureSignature: null,
    sameFailureStreak: 0,
    lastAction: null,
    reason: null,
    doorbell: null,
    ...(claim.hiddenPassages === undefined ? {} : { hiddenPassages: claim.hiddenPassages }),
    ...(claim.requestedBy === undefined ? {} : { requestedBy: claim.requestedBy }),
  };
}

/**
 * How many runs the issue has had, from its latest record (null: none, or
 * unreadable). A claim that never reached the executor (released before
 * dispatch, or claimed and abandoned) does not count: the next claim reuses its
 * attempt number, and so its ids, which is what makes a repeated dispatch after
 * a crash recognisable.
 */
export function previousAttempts(record: RunRecord | null): number {
  if (record === null) return 0;
  const neverDispatched = record.dispatchedAt === null && (record.phase === "claimed" || record.phase === "released");
  return neverDispatched ? record.attempt - 1 : record.attempt;
}

/**
 * When a dispatch that just succeeded counts from. A claim of this same run
 * (`earlier`, the record on the issue before this tick's claim) that never
 * recorded its dispatch may have reached the executor anyway (a lost reply):
 * the agent may have worked, even pushed, since then, so the run counts from
 * that claim, or the watch tick would ignore a commit it already made.
 * Otherwise it counts from `now`.
 */
export function dispatchedAt(earlier: RunRecord | null, runId: string, now: Instant): Instant {
  return earlier !== null && earlier.runId === runId && earlier.dispatchedAt === null ? earlier.claimedAt : now;
}

/** The claimed record once the executor accepted the run: dispatched, its turn counting from `at`. */
export function dispatchedRecord(claimed: RunRecord, threadId: RunRecord["threadId"], at: Instant): RunRecord {
  return { ...claimed, phase: "dispatched", threadId, dispatchedAt: at, turnStartedAt: at };
}
