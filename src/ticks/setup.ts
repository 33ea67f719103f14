// Builds a tick's context from a Config: the GitHub client, the writer (real,
// or recording in dry-run), the executor the config names, the doorbells and
// the clock. One place for this wiring, used by the action entry and the CLI
// alike, so the sandbox exercises exactly what production runs.

import { createHash, createHmac } from "node:crypto";
import type { Config } from "../core/config.js";
import type { Executor } from "../executors/executor.js";
import { T3Executor } from "../executors/t3.js";
import { WorkflowExecutor } from "../executors/workflow.js";
import { createGitHubClient } from "../github/client.js";
import { DryRunIssueWriter, GitHubIssueWriter } from "../github/writes.js";
import { sinksFrom } from "../notify/doorbell.js";
import type { RecordSeal } from "../core/record-codec.js";
import type { TickContext } from "./context.js";

export interface SetupOptions {
  now?: () => Date;
  /** Wall-clock milliseconds, for the tick budget (the virtual clock does not measure work). */
  wallClock?: () => number;
  ownWorkflowRunId?: number | null;
  /** `none` and a small retry unit for the sandbox's emulator; production keeps GitHub's pacing. */
  pacing?: "github" | "none";
  retryUnitMs?: number;
  /** Per-request timeout for GitHub and the executor; production keeps the clients' 30 s. */
  requestTimeoutMs?: number;
  log?: (line: string) => void;
}

/** The record seal for a key: HMAC-SHA256, keyed once here; the key goes no further. */
export function recordSealFor(key: string | null): RecordSeal | null {
  if (key === null) return null;
  const secret = Buffer.from(key, "utf8");
  return (message) => createHmac("sha256", secret).update(message, "utf8").digest("hex");
}

export function createTickContext(
  config: Config,
  options: SetupOptions = {},
): TickContext & { executorRequests: () => number | null } {
  const now = options.now ?? (() => new Date());
  const wallClock = options.wallClock ?? (() => Date.now());
  const log = options.log ?? (() => undefined);
  const github = createGitHubClient({
    token: config.github.token,
    apiUrl: config.github.apiUrl,
    pacing: options.pacing ?? "github",
    ...(options.retryUnitMs === undefined ? {} : { retryUnitMs: options.retryUnitMs }),
    ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
    log,
  });
  let executor: Executor;
  let executorRequests: () => number | null = () => null;
  if (config.executor.kind === "t3") {
    const t3 = new T3Executor({
      settings: config.executor,
      now,
      ...(options.requestTimeoutMs === undefined ? {} : { timeoutMs: options.requestTimeoutMs }),
    });
    executor = t3;
    executorRequests = () => t3.counts.requests;
  } else {
    executor = new WorkflowExecutor(github, config.executor);
  }
  const started = wallClock();
  return {
    config,
    github,
    writer: config.dryRun ? new DryRunIssueWriter() : new GitHubIssueWriter(github),
    executor,
    doorbells: config.dryRun ? [] : sinksFrom(config.doorbell),
    now,
    overBudget: () => wallClock() - started > config.limits.tickBudgetSeconds * 1000,
    ownWorkflowRunId: options.ownWorkflowRunId ?? null,
    sha256: (text) => createHash("sha256").update(text).digest("hex"),
    recordSeal: recordSealFor(config.recordKey),
    log,
    executorRequests,
  };
}
