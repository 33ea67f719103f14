// Start run: claim, dispatch and record one issue the policy chose, in the
// order that lets the next tick resolve a crash at any point without a second
// agent. Gives the agent only comments whose authors the trust rule accepts.
// Never chooses which issue to start (policy.ts does).

import { refusedDispatch } from "../core/apply-action.js";
import { labelsFor } from "../core/labels.js";
import type { Dispatch } from "../core/policy.js";
import { implementerPrompt, vetIssueText, type TrustedComment } from "../core/prompt.js";
import { decodeRunRecord } from "../core/record-codec.js";
import { claimRecord, dispatchedAt, dispatchedRecord, runIdFor, type RunRecord } from "../core/run-record.js";
import { isTrusted } from "../core/trust.js";
import type { Actor, ReadyIssue } from "../core/types.js";
import { mayHaveStarted } from "../executors/executor.js";
import type { RoleLookup } from "../github/lookups.js";
import { RECORD_MARKER_PREFIX, type ReadyIssueFacts } from "../github/poll-reads.js";
import { describeError, type TickContext } from "./context.js";
import { writeRecord } from "./progress-writer.js";
import { readable } from "./ready-issues.js";

export interface DispatchedRun {
  repo: string;
  number: number;
  title: string;
  url: string;
  runId: string;
  attempt: number;
  link: string | null;
}

/** The loop's own progress comment on a ready issue, kept for the claim's write. */
export interface ReadyIssueState {
  facts: ReadyIssueFacts;
  comment: { id: number; body: string } | null;
  defaultBranch: string | null;
}

/** The executor refused a dispatch (a 4xx): no agent started and the claim was given back. */
export class DispatchRefused extends Error {}

/**
 * Claim, dispatch, record, in that order, so a crash at any point leaves
 * something the next tick can resolve and never a second agent:
 * - the record goes in first, then the lock label: a lock without a record
 *   would be a lock nobody owns and no lease would ever free;
 * - the dispatch ids derive from the run id, so dispatching again after a
 *   crash is recognised by the executor instead of starting another agent;
 * - the thread id is recorded last; until then the watch tick adopts the
 *   executor's run by its run id, or releases the claim when its lease ends.
 */
export async function startRun(
  ctx: TickContext,
  choice: Dispatch,
  state: ReadyIssueState,
  roles: RoleLookup,
  identity: string | null,
): Promise<DispatchedRun> {
  const { config } = ctx;
  const issue = choice.issue;
  const ref = { repo: issue.repo, number: issue.number };
  const comments = await trustedComments(ctx, issue, roles, identity);
  const attempt = await unusedAttempt(ctx, choice, state);
  const runId = runIdFor(issue.repo, issue.number, attempt);
  const prompt = implementerPrompt({
    issue: { repo: issue.repo, number: issue.number, title: issue.title, body: issue.body, url: issue.url },
    comments,
    runId,
    delivery: config.delivery,
  });
  const base: DispatchedRun = {
    repo: issue.repo,
    number: issue.number,
    title: issue.title,
    url: issue.url,
    runId,
    attempt,
    link: null,
  };
  if (config.dryRun) return base;

  const now = ctx.now();
  const target = { repo: issue.repo, number: issue.number, url: issue.url, comment: state.comment };
  // A retry after a refused dispatch reuses the attempt (no agent ever started): its refusals carry over.
  const before = state.comment ? decodeRunRecord(state.comment.body, ctx.recordSeal) : null;
  const refusals = before?.ok === true && before.record.runId === runId ? (before.record.refusals ?? 0) : 0;
  const vetted = vetIssueText(issue.title, issue.body, comments);
  let record: RunRecord = claimRecord({
    repo: issue.repo,
    issue: issue.number,
    attempt,
    executor: config.executor.kind,
    claimedAt: now.toISOString(),
    leaseMinutes: config.limits.leaseMinutes,
    issueSha256: ctx.sha256(vetted.text),
    hiddenPassages: vetted.hiddenPassages,
    ...(issue.retryRequestedBy === undefined ? {} : { requestedBy: issue.retryRequestedBy }),
  });
  if (refusals > 0) record = { ...record, refusals };
  const seen = { agentLink: null, pushed: null, ci: null };

  // 1. Claim.
  target.comment = await writeRecord(ctx, target, record, seen);
  await ctx.writer.addLabels(ref, [config.labels.inProgress]);

  // 2. Dispatch; a refused dispatch gives the claim back in the same tick. One that may have
  // landed (a lost reply, a timeout, a server error) keeps it: the agent may be at work, so the
  // lock stays until the watch tick adopts the run or the lease ends with no run to find.
  let result;
  try {
    result = await ctx.executor.dispatch({
      repo: issue.repo,
      issue: issue.number,
      title: issue.title,
      runId,
      prompt,
      defaultBranch: state.defaultBranch,
    });
  } catch (error) {
    if (mayHaveStarted(error)) {
      throw new Error(
        `the dispatch may have reached the executor (${describeError(error)}); the claim stays until the watch tick finds the run or its lease ends at ${record.leaseExpiresAt}`,
        { cause: error },
      );
    }
    // Refused (a 4xx): no agent started. The claim is given back, or, refused too often, the
    // issue goes to a human with the executor's message; the lock comes off last.
    record = refusedDispatch(record, describeError(error), ctx.now().toISOString());
    await writeRecord(ctx, target, record, seen);
    const change = labelsFor(record, config.labels);
    const lock = config.labels.inProgress.toLowerCase();
    await ctx.writer.addLabels(ref, change.add);
    for (const label of change.remove.filter((l) => l.toLowerCase() !== lock)) {
      if (issue.labels.some((l) => l.toLowerCase() === label.toLowerCase())) await ctx.writer.removeLabel(ref, label);
    }
    await ctx.writer.removeLabel(ref, config.labels.inProgress);
    throw new DispatchRefused(record.reason ?? describeError(error), { cause: error });
  }

  // 3. Record, counting from an earlier claim of this run that may have reached the executor.
  const at = dispatchedAt(readable(before), runId, ctx.now().toISOString());
  record = dispatchedRecord(record, result.threadId, at);
  await writeRecord(ctx, target, record, { ...seen, agentLink: result.link });
  return { ...base, link: result.link };
}

/**
 * The attempt to claim. A readable record vouches for the policy's count. Without one (a first
 * run, or a record lost or handed to a human as unreadable) earlier runs' ids are unknown, and
 * reusing one makes the executor replay that run's first turn instead of giving an agent the new
 * prompt. The executor knows which it has: take the first attempt it has no run for.
 */
async function unusedAttempt(ctx: TickContext, choice: Dispatch, state: ReadyIssueState): Promise<number> {
  if (state.comment !== null && decodeRunRecord(state.comment.body, ctx.recordSeal).ok) return choice.attempt;
  const { repo, number } = choice.issue;
  const last = ctx.config.limits.maxRunsPerIssue;
  for (let attempt = choice.attempt; attempt <= last; attempt++) {
    const run = await ctx.executor.status({ repo, runId: runIdFor(repo, number, attempt), threadId: null });
    if (run.state === "missing") return attempt;
  }
  throw new Error(
    `no readable run record, and the executor already has runs for attempts ${choice.attempt} to ${last} (max-runs-per-issue); not dispatched`,
  );
}

/** Comments whose authors the trust rule accepts, in order; never the loop's own. */
async function trustedComments(
  ctx: TickContext,
  issue: ReadyIssue,
  roles: RoleLookup,
  identity: string | null,
): Promise<TrustedComment[]> {
  const out: TrustedComment[] = [];
  for (const comment of issue.comments) {
    const author = comment.author;
    if (author === null || author.login.toLowerCase() === identity?.toLowerCase()) continue;
    if (comment.body.includes(RECORD_MARKER_PREFIX)) continue;
    const actor: Actor = author.isBot ? author : { ...author, role: await roles.roleOf(issue.repo, author.login) };
    if (isTrusted(actor, ctx.config.trust)) out.push({ author: author.login, body: comment.body });
  }
  return out;
}
