// The one interface every agent backend implements, and the registry that
// picks one from the config. An executor starts a run, sends a follow-up turn,
// reports a normalised status and a link; it never decides what to do next
// (core/state-machine.ts does) and never touches GitHub issues.

import { PROMPT_MAX_CHARS } from "../core/prompt.js";
import type { AgentStatus, ExecutorKind, RepoSlug } from "../core/types.js";
import { githubStatus } from "../github/errors.js";

export interface DispatchRequest {
  repo: RepoSlug;
  issue: number;
  title: string;
  /** Deterministic per (repo, issue, attempt): a repeated dispatch is recognised, not doubled. */
  runId: string;
  prompt: string;
  /** The repository's default branch, from the tick's batched read; null or absent for an empty repository. */
  defaultBranch?: string | null;
}

export interface DispatchResult {
  /** The executor's id for the run: a T3 thread id or a workflow run id. */
  threadId: string;
  link: string | null;
}

export interface FollowUpRequest {
  repo: RepoSlug;
  issue: number;
  runId: string;
  threadId: string;
  /** Which follow-up this is, from 1: part of its idempotency key. */
  turn: number;
  prompt: string;
  defaultBranch?: string | null;
}

export interface Executor {
  readonly kind: ExecutorKind;
  dispatch(request: DispatchRequest): Promise<DispatchResult>;
  /** A corrective turn. T3: on the same thread; workflow: a new run, whose id is returned. */
  followUp(request: FollowUpRequest): Promise<DispatchResult>;
  /**
   * The run's status, found by its thread id when known, else by its run id
   * (a process that died before recording the id). `missing` when it has none.
   */
  status(run: {
    repo: RepoSlug;
    runId: string;
    threadId: string | null;
  }): Promise<AgentStatus & { threadId: string | null }>;
  link(threadId: string, repo: RepoSlug): string | null;
  /**
   * Ask the executor to stop the run's agent. Safe to repeat: the same request (same run,
   * reason and force) is recognised, not applied twice. Resolves once the executor accepted
   * the request; whether the agent actually stopped is read back with `status` (the turn's
   * or the run's state is the truth). `forced`: the first stop did not take (workflow:
   * force-cancel).
   */
  stop(request: StopRequest): Promise<void>;
}

export interface StopRequest {
  repo: RepoSlug;
  runId: string;
  threadId: string | null;
  /** Why: part of the idempotency key, so a repeated stop for the same reason is recognised. */
  reason: string;
  forced: boolean;
}

/** A failure talking to an executor, with a message safe to show (never a credential). */
export class ExecutorError extends Error {
  constructor(
    message: string,
    /** True when the request certainly did not take effect, so a retry cannot double it. */
    readonly rejected: boolean,
  ) {
    super(message);
    this.name = "ExecutorError";
  }
}

/**
 * Whether a failed dispatch may still have started the agent: a lost reply, a
 * timeout or a server error leaves that open; a refusal (an HTTP 4xx, or an
 * executor error marked rejected) means nothing was started.
 */
export function mayHaveStarted(error: unknown): boolean {
  if (error instanceof ExecutorError) return !error.rejected;
  const status = githubStatus(error);
  return !(status !== null && status >= 400 && status < 500);
}

/**
 * One prompt cap for every executor. The prompts are built within it
 * (core/prompt.ts cuts only the issue text); a longer one is refused whole,
 * never cut here, which would drop the fence's end and the closing rules.
 */
export function checkPromptSize(prompt: string): void {
  if (prompt.length > PROMPT_MAX_CHARS) {
    throw new ExecutorError(
      `prompt of ${prompt.length} characters is over the ${PROMPT_MAX_CHARS}-character cap`,
      true,
    );
  }
}
