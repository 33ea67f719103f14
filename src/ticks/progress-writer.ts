// Writes a run's record to GitHub: renders the progress comment from the
// record and what the tick saw, and creates or edits the single comment only
// when its text changed. Shared by both ticks so there is one way to persist
// a record. Decides nothing about the record's content.

import { renderProgress } from "../core/progress.js";
import type { RunRecord } from "../core/run-record.js";
import type { CiVerdict } from "../core/types.js";
import type { TickContext } from "./context.js";

export interface ProgressTarget {
  repo: string;
  number: number;
  url: string;
  /** The loop's existing progress comment on the issue, if any. */
  comment: { id: number; body: string } | null;
}

export interface ProgressSeen {
  agentLink: string | null;
  pushed: { sha: string; url: string | null; pullRequest?: { number: number; url: string } | null } | null;
  ci: CiVerdict | null;
  /** Commits that mentioned the issue but are not the agent's; none when absent. */
  notTheAgents?: { sha: string; url: string | null }[];
}

/** Persist `record`; returns the comment as it now stands (for a later write in the same tick). */
export async function writeRecord(
  ctx: TickContext,
  target: ProgressTarget,
  record: RunRecord,
  seen: ProgressSeen,
): Promise<{ id: number; body: string }> {
  const body = renderProgress({
    record,
    issue: { repo: target.repo, number: target.number, url: target.url },
    agentLink: seen.agentLink,
    pushed: seen.pushed,
    ci: seen.ci,
    notTheAgents: seen.notTheAgents ?? [],
    delivery: ctx.config.delivery,
    deployStage: ctx.config.ci.deployEnvironment !== null || ctx.config.ci.rolloutUrl !== null,
    maxFixForwards: ctx.config.limits.fixForwardAttempts,
    maxReviewRounds: ctx.config.limits.reviewRounds,
    seal: ctx.recordSeal,
  });
  const { id } = await ctx.writer.writeProgress({ repo: target.repo, number: target.number }, target.comment, body);
  return { id, body };
}

/** A commit's web page, derived from the issue's so it works on GitHub Enterprise too. */
export function commitUrl(issueUrl: string, sha: string): string | null {
  const base = /^(https?:\/\/[^/]+\/[^/]+\/[^/]+)\/issues\/\d+$/.exec(issueUrl)?.[1];
  return base === undefined ? null : `${base}/commit/${sha}`;
}
