// The loop's vocabulary: plain data shared by the pure core, the adapters and
// the ticks. Closed unions everywhere; an unknown value is `unknown`, never a
// success. Owns no behaviour and imports nothing with side effects.
// Instants are ISO-8601 strings (as GitHub sends them); the core compares them
// with Date.parse and never reads a clock: `now` is always passed in.

export type Instant = string;

/** `owner/name`, exactly as allowlisted (compared case-insensitively, as GitHub does). */
export type RepoSlug = string;

export interface IssueRef {
  repo: RepoSlug;
  number: number;
}

/** GitHub's repository roles, weakest first. `none` is "no access". */
export const ROLES = ["none", "read", "triage", "write", "maintain", "admin"] as const;
export type Role = (typeof ROLES)[number];

/**
 * Kill switch: `on` stops the loop (zero requests, agents untouched), `off` arms it, `drain` finishes
 * in-flight runs only, `stop` (emergency stop) stops every in-flight agent and hands its issue to a human.
 */
export const KILL_SWITCH_STATES = ["on", "off", "drain", "stop"] as const;
export type KillSwitch = (typeof KILL_SWITCH_STATES)[number];

/** Someone who did something on GitHub, with their role on the repo in question when known. */
export interface Actor {
  login: string;
  isBot: boolean;
  /** Role on the issue's repo, from the collaborator-permission endpoint; `unknown` when it could not be read. */
  role: Role | "unknown";
}

export type BlockerState = "open" | "closed" | "unreadable";

export interface Blocker {
  ref: IssueRef;
  state: BlockerState;
  /** `text` from a "Blocked by" clause in the body, `native` from GitHub's issue dependencies. */
  source: "text" | "native";
}

/** A comment on an issue, as the prompt builder sees it. */
export interface IssueComment {
  id: number;
  author: Actor | null;
  body: string;
  createdAt: Instant;
}

/** One change of an issue's title or body, and who made it (null: GitHub names nobody, a deleted account). */
export interface ContentEdit {
  what: "title" | "body";
  at: Instant;
  by: Actor | null;
}

/** An open issue carrying the ready label, with every fact the poll policy needs. */
export interface ReadyIssue {
  repo: RepoSlug;
  number: number;
  title: string;
  body: string;
  url: string;
  labels: string[];
  /** The most recent application of the ready label; null when the timeline shows none. */
  readyLabeledBy: Actor | null;
  readyLabeledAt: Instant | null;
  /** Every edit of the title (renames) or body (its edit history) that was read, in no particular order. */
  edits: ContentEdit[];
  /** False when GitHub holds more edits than were read: an unread one may be anyone's. */
  editHistoryComplete: boolean;
  blockers: Blocker[];
  /** How many runs this issue has had before (from its run record); 0 for a fresh issue. */
  previousAttempts: number;
  comments: IssueComment[];
  /**
   * The trusted person whose Retry on the dashboard made the loop put the ready label on
   * (core/guard-rails.ts), when it did: the run's record names them.
   */
  retryRequestedBy?: string;
}

// --- the run record ---------------------------------------------------------

export const RUN_PHASES = [
  "claimed", // record written and lock taken; executor not yet confirmed
  "dispatched", // executor accepted the run; agent working or pushed
  "awaiting-review", // pull-request delivery: green, the lock released; followed until merged or closed
  "closed", // CI green (or no-CI close): issue closed as completed
  "escalated", // handed to a human before or without a verdict
  "frozen", // fix-forward budget spent or same failure repeated
  "released", // claim given back without an agent (dispatch failed or lease lapsed)
] as const;
export type RunPhase = (typeof RUN_PHASES)[number];

export const EXECUTOR_KINDS = ["t3", "workflow"] as const;
export type ExecutorKind = (typeof EXECUTOR_KINDS)[number];

export const DOORBELL_KINDS = ["done", "needs-human", "frozen"] as const;
export type DoorbellKind = (typeof DOORBELL_KINDS)[number];
/**
 * Doorbells about the whole fleet, not one run (issue 12): the circuit breaker
 * tripped, or the daily budget ran out. Apart from DOORBELL_KINDS, which a run
 * record may hold: no run ever owes one of these.
 */
export type FleetDoorbellKind = "breaker" | "daily-budget";

// --- the executor -------------------------------------------------------------

/**
 * Normalised agent status. `missing`: the executor has no such thread/run.
 * `unknown`: it answered something we do not recognise (never read as success).
 */
export const AGENT_STATES = ["running", "idle", "needs-input", "error", "interrupted", "unknown", "missing"] as const;
export type AgentState = (typeof AGENT_STATES)[number];

export interface AgentStatus {
  state: AgentState;
  /** Human-readable detail: the pending request, the last error, the unknown value seen. */
  detail: string | null;
  /** A link a human can open (thread or workflow run). */
  link: string | null;
}

// --- CI -----------------------------------------------------------------------

/** One stage's or the whole pipeline's verdict. `none`: nothing reported yet. */
export const CI_STATES = ["none", "pending", "red", "green"] as const;
export type CiState = (typeof CI_STATES)[number];

export type CiStage = "build" | "deploy" | "rollout";

export interface FailingCheck {
  name: string;
  url: string | null;
}

export interface CiVerdict {
  state: CiState;
  /** The stage that decided the verdict (the first not green), or the last stage when all are green. */
  stage: CiStage;
  failing: FailingCheck[];
  /** Sorted failing check names joined with `, `; null unless red. */
  signature: string | null;
}

/** The two halves of a run, in the order they run. */
export const TICKS = ["watch", "poll"] as const;
export type Tick = (typeof TICKS)[number];
