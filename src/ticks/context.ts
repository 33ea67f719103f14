// What a tick is handed: the config, the adapters behind their interfaces,
// the clock and the budget. Built once per process by the entry (action or
// CLI); the ticks never construct an adapter themselves, so tests and the
// sandbox hand them the same ones pointed at the emulators.

import type { RecordSeal } from "../core/record-codec.js";
import type { Config } from "../core/config.js";
import type { Executor } from "../executors/executor.js";
import type { GitHubClient } from "../github/client.js";
import type { IssueWriter } from "../github/writes.js";
import type { DoorbellSink } from "../notify/doorbell.js";
import { cutAt } from "../core/markdown.js";

export interface TickContext {
  config: Config;
  github: GitHubClient;
  /** The real writer, or a recording one in dry-run mode. */
  writer: IssueWriter;
  executor: Executor;
  /** Empty in dry-run mode: nothing rings. */
  doorbells: DoorbellSink[];
  /** The tick's clock: real time in the action, a virtual clock in the sandbox. */
  now: () => Date;
  /** True once the tick's time budget is spent: no new work starts after that. */
  overBudget: () => boolean;
  /** The loop's own workflow run (GITHUB_RUN_ID), excluded from CI verdicts. */
  ownWorkflowRunId: number | null;
  /** Hashes the vetted issue text for the run record (the core never hashes). */
  sha256: (text: string) => string;
  /** Seals and checks run records with record-key (computed once in setup); null without a key. */
  recordSeal: RecordSeal | null;
  log: (line: string) => void;
}

/** A failure confined to one issue: reported, and the tick goes on with the others. */
export interface IssueFailure {
  repo: string;
  issue: number;
  stage: string;
  error: string;
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return cutAt(error.message.split("\n")[0] ?? error.name, 300);
  return "unknown error";
}
