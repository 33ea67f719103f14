// Run actions: the I/O one watch decision implies, each a named step: the
// fix-forward turn, ringing an owed doorbell, stopping the agent, bringing
// labels and state in line with the record, and handing a run whose record
// cannot be read to a human. Performs what it is told; never decides.

import { markDoorbellDelivered } from "../core/apply-action.js";
import { labelDiff, labelsFor } from "../core/labels.js";
import { escapeText } from "../core/markdown.js";
import { fixForwardPrompt } from "../core/prompt.js";
import { refKey } from "../core/refs.js";
import { runIdFor, type RunRecord } from "../core/run-record.js";
import type { Action } from "../core/state-machine.js";
import { markStopped, markStopRequested, mayBeWorking, planStop } from "../core/stop.js";
import type { RunIssueFacts } from "../github/watch-reads.js";
import { ringAll } from "../notify/doorbell.js";
import { describeError, type IssueFailure, type TickContext } from "./context.js";
import { writeRecord } from "./progress-writer.js";
import { nextTurnNumber } from "./review-stage.js";
import type { Assembled } from "./watch-assemble.js";
import type { WatchedRun } from "./watch.js";

/** The fix-forward turn, sent before the record says so: if sending fails, nothing was spent. */
export async function sendFixForward(
  ctx: TickContext,
  run: Assembled,
  action: Extract<Action, { kind: "fix-forward" }>,
  defaultBranches: ReadonlyMap<string, string | null>,
): Promise<{ threadId: string; link: string | null }> {
  const { facts, record } = run;
  return ctx.executor.followUp({
    repo: facts.repo,
    issue: facts.number,
    runId: record.runId,
    threadId: run.agent.threadId ?? record.threadId ?? "",
    defaultBranch: defaultBranches.get(facts.repo.toLowerCase()) ?? null,
    turn: nextTurnNumber(record),
    prompt: fixForwardPrompt({
      issue: { repo: facts.repo, number: facts.number },
      sha: action.sha,
      failing: action.failing,
      attempt: action.attempt,
      maxAttempts: ctx.config.limits.fixForwardAttempts,
      runId: record.runId,
    }),
  });
}

/**
 * Rings the record's owed doorbell (already written as owed). Only when every
 * channel took it is the record marked delivered and written again; a failed
 * ring leaves it owed for the next tick.
 */
export async function ringOwed(
  ctx: TickContext,
  run: Assembled,
  next: RunRecord,
  kind: NonNullable<RunRecord["doorbell"]>["kind"],
  seen: {
    agentLink: string | null;
    reason: string;
    target: Parameters<typeof writeRecord>[1];
    progress: Parameters<typeof writeRecord>[3];
  },
): Promise<{ next: RunRecord; rung: WatchedRun["doorbell"] }> {
  const { facts, record } = run;
  const result = await ringAll(ctx.doorbells, {
    id: `${record.runId}:${kind}`,
    kind,
    repo: facts.repo,
    issue: facts.number,
    title: facts.title,
    issueUrl: facts.url,
    runLink: seen.agentLink,
    reason: next.reason ?? seen.reason,
  });
  if (result.failed.length > 0) return { next, rung: { kind, ...result } };
  const delivered = markDoorbellDelivered(next);
  await writeRecord(ctx, seen.target, delivered, seen.progress);
  return { next: delivered, rung: { kind, ...result } };
}

/** Send, confirm or keep waiting on the record's stop; returns the record after it. A failed send stays owed. */
export async function performStop(
  ctx: TickContext,
  run: Assembled,
  record: RunRecord,
  now: string,
  failures: IssueFailure[],
): Promise<RunRecord> {
  const plan = planStop(record, run.agent.state, now, ctx.config.limits.leaseMinutes);
  switch (plan.kind) {
    case "none":
    case "wait":
      return record;
    case "confirm":
      return markStopped(record, now);
    case "request": {
      if (ctx.config.dryRun || !record.stop) return record;
      try {
        await ctx.executor.stop({
          repo: record.repo,
          runId: record.runId,
          threadId: run.agent.threadId ?? record.threadId,
          reason: record.stop.reason,
          forced: plan.forced,
        });
      } catch (error) {
        failures.push({ repo: record.repo, issue: record.issue, stage: "stop", error: describeError(error) });
        return record;
      }
      const requested = markStopRequested(record, now, plan.forced);
      // Read it back: an executor that stops at once (T3) frees the run in this tick, so an issue
      // closed under its agent never holds the lock, or leaves the agent working, past it.
      try {
        const after = await ctx.executor.status({ repo: record.repo, runId: record.runId, threadId: record.threadId });
        return mayBeWorking(after.state) ? requested : markStopped(requested, now);
      } catch {
        return requested; // confirmed on a later tick
      }
    }
    default:
      return plan satisfies never;
  }
}

/**
 * Bring the issue's labels and state in line with the record (idempotent: completes a transition
 * a crash cut short). A run delivered by pull request leaves the issue open: merging the pull
 * request, after review, closes it.
 */
export async function settle(ctx: TickContext, facts: RunIssueFacts, record: RunRecord): Promise<void> {
  const ref = { repo: facts.repo, number: facts.number };
  const change = labelDiff(facts.labels, labelsFor(record, ctx.config.labels));
  const closeIssue = record.phase === "closed" && facts.open && ctx.config.delivery === "push";
  await relabel(ctx, ref, change, async () => {
    if (closeIssue) await ctx.writer.closeAsCompleted(ref);
  });
}

/**
 * Apply a label change with the lock coming off last (after `beforeUnlock`). Until every other
 * write has landed the issue stays locked, so a write that fails part-way leaves the issue to the
 * next watch tick, which finishes it; never to the poll, which would dispatch an escalated issue
 * again if it had lost its lock but kept its ready label.
 */
async function relabel(
  ctx: TickContext,
  ref: { repo: string; number: number },
  change: { add: string[]; remove: string[] },
  beforeUnlock: () => Promise<void> = () => Promise.resolve(),
): Promise<void> {
  const lock = ctx.config.labels.inProgress.toLowerCase();
  await ctx.writer.addLabels(ref, change.add);
  for (const label of change.remove) if (label.toLowerCase() !== lock) await ctx.writer.removeLabel(ref, label);
  await beforeUnlock();
  for (const label of change.remove) if (label.toLowerCase() === lock) await ctx.writer.removeLabel(ref, label);
}

/**
 * The loop's own comment carries a record it cannot read: never guess at it.
 * Hand the issue to a human with the reason, in place of the broken record,
 * and stop any agent still working on it (found without the record).
 */
export async function escalateBadRecord(
  ctx: TickContext,
  issue: RunIssueFacts,
  comment: { id: number; body: string } | null,
  why: string,
  failures: IssueFailure[],
): Promise<WatchedRun> {
  const { labels } = ctx.config;
  const ref = { repo: issue.repo, number: issue.number };
  const stopped = await stopRunsOf(ctx, issue, failures);
  // No comment: the record could not be found within the pages read; a new comment says so.
  const reason = [
    `run record ${comment === null ? "not found" : "unreadable"} (${why}); handed to a human, nothing was guessed`,
    ...stopped,
  ].join("; ");
  const what =
    comment === null ? "The loop's run record could not be found" : "The run record in this comment could not be read";
  const agents = stopped.length === 0 ? "" : `\n${stopped.map((s) => `- ${escapeText(s, 300)}`).join("\n")}\n`;
  const body = `### afk-loop: handed to a human\n\n${what}: ${escapeText(why, 300)}.\nThe loop stopped driving this issue. Re-apply \`${labels.ready}\` to start a fresh run.\n${agents}`;
  await ctx.writer.writeProgress(ref, comment, body);
  await relabel(ctx, ref, labelDiff(issue.labels, { add: [labels.human], remove: [labels.inProgress, labels.ready] }));
  const result = ctx.config.dryRun
    ? null
    : await ringAll(ctx.doorbells, {
        id: `${refKey(issue)}:${comment === null ? "record-not-found" : `unreadable-record:${comment.id}`}`,
        kind: "needs-human",
        repo: issue.repo,
        issue: issue.number,
        title: issue.title,
        issueUrl: issue.url,
        runLink: null,
        reason,
      });
  return {
    ...ignored(issue, reason),
    action: "escalate-bad-record",
    doorbell: result && { kind: "needs-human", ...result },
  };
}

/**
 * Stops every agent the executor may still be running for the issue, found by the run ids the
 * loop derives from the issue itself (attempt 1, 2, ... until the executor has none), never by
 * a record it cannot trust. Nothing owes this stop to a later tick (the issue leaves the watch),
 * so one the executor does not confirm at once is said, for the human, not retried.
 */
async function stopRunsOf(ctx: TickContext, issue: RunIssueFacts, failures: IssueFailure[]): Promise<string[]> {
  if (ctx.config.dryRun) return [];
  const said: string[] = [];
  const { repo, number } = issue;
  for (let attempt = 1; attempt <= ctx.config.limits.maxRunsPerIssue; attempt++) {
    const runId = runIdFor(repo, number, attempt);
    try {
      const status = await ctx.executor.status({ repo, runId, threadId: null });
      if (status.state === "missing") break;
      if (!mayBeWorking(status.state)) continue;
      await ctx.executor.stop({ repo, runId, threadId: status.threadId, reason: "escalated", forced: false });
      const after = await ctx.executor.status({ repo, runId, threadId: status.threadId });
      said.push(
        mayBeWorking(after.state)
          ? `stop requested for attempt ${attempt}'s agent, not yet confirmed: check it in the executor`
          : `attempt ${attempt}'s agent stopped`,
      );
    } catch (error) {
      failures.push({ repo, issue: number, stage: "stop", error: describeError(error) });
      said.push(`attempt ${attempt}'s agent could not be stopped: check it in the executor`);
    }
  }
  return said;
}

export function ignored(issue: RunIssueFacts, reason: string): WatchedRun {
  return {
    repo: issue.repo,
    number: issue.number,
    title: issue.title,
    url: issue.url,
    runId: null,
    attempt: null,
    agent: null,
    agentLink: null,
    sha: null,
    ci: null,
    failing: null,
    action: "ignored",
    reason,
    phase: null,
    since: null,
    fixForwards: null,
    ciStage: null,
    doorbell: null,
  };
}
