// The poll tick: finds ready issues across the served repositories and starts
// an agent on each one the policy chooses. Orchestration only: every decision
// comes from core/policy.ts; this module reads the facts the policy needs
// (spending role and dependency lookups only where they can change the
// answer), then claims, dispatches and records each chosen issue.
// In drain mode it starts nothing and reads nothing; in dry-run mode it reads
// everything and reports what it would have dispatched.

import { shardRepos } from "../core/shard.js";
import { pickProgressComment } from "../core/evidence.js";
import { labelsFor } from "../core/labels.js";
import { awaitingNativeBlockerCheck, rolesToResolve, selectDispatches, type Dispatch } from "../core/policy.js";
import { isTrusted } from "../core/trust.js";
import { describeSkip, type SkipCode } from "../core/skip-reasons.js";
import { implementerPrompt, vetIssueText, type TrustedComment } from "../core/prompt.js";
import { parseBlockedBy, refKey } from "../core/refs.js";
import {
  claimRecord,
  dispatchedAt,
  dispatchedRecord,
  previousAttempts,
  runIdFor,
  type RunRecord,
} from "../core/run-record.js";
import { decodeRunRecord, type DecodeResult } from "../core/record-codec.js";
import { refusedDispatch } from "../core/apply-action.js";
import type { Actor, Blocker, IssueRef, ReadyIssue, Role } from "../core/types.js";
import { mayHaveStarted } from "../executors/executor.js";
import { readBlockerStates, readNativeBlockers, RoleLookup } from "../github/lookups.js";
import {
  COMMENT_PAGES_PER_ISSUE,
  readComments,
  readPollFacts,
  RECORD_MARKER_PREFIX,
  type Login,
  type ReadyIssueFacts,
} from "../github/reads.js";
import { describeError, type IssueFailure, type TickContext } from "./context.js";
import { writeRecord } from "./progress-writer.js";

interface DispatchedRun {
  repo: string;
  number: number;
  title: string;
  url: string;
  runId: string;
  attempt: number;
  link: string | null;
}

export interface SkippedIssue {
  repo: string;
  number: number;
  title: string;
  url: string;
  code: SkipCode;
  reason: string;
}

export interface PollReport {
  tick: "poll";
  identity: string | null;
  repos: { repo: string; error: string | null }[];
  /** Dispatched, or (dry run) would have been. */
  dispatched: DispatchedRun[];
  skipped: SkippedIssue[];
  /** Chosen but not started because the tick ran out of time. */
  deferred: IssueRef[];
  /** Every issue holding the in-progress label when the tick read the fleet (runs already in flight). */
  locked: IssueRef[];
  failures: IssueFailure[];
  note: string | null;
}

/** The loop's own progress comment on a ready issue, kept for the claim's write. */
interface ReadyIssueState {
  facts: ReadyIssueFacts;
  comment: { id: number; body: string } | null;
  defaultBranch: string | null;
}

export async function pollTick(ctx: TickContext): Promise<PollReport> {
  const { config } = ctx;
  const report: PollReport = {
    tick: "poll",
    identity: null,
    repos: [],
    dispatched: [],
    skipped: [],
    deferred: [],
    locked: [],
    failures: [],
    note: null,
  };
  if (config.killSwitch !== "off") {
    report.note =
      config.killSwitch === "stop"
        ? "emergency stop: the watch tick stops every agent, nothing new starts"
        : "draining: in-flight runs are watched to the end, nothing new starts";
    return report;
  }
  const repos = shardRepos(config.allowlist, config.shard);
  if (repos.length === 0) {
    report.note =
      config.allowlist.length === 0 ? "the allowlist is empty: nothing to serve" : "this shard serves no repository";
    return report;
  }

  const facts = await readPollFacts(ctx.github, repos, config.labels);
  const identity = config.github.loopIdentity ?? facts.viewer;
  report.identity = identity;
  report.repos = facts.repos.map((r) => ({ repo: r.repo, error: r.error }));

  const states = new Map<string, ReadyIssueState>();
  let ready: ReadyIssue[] = [];
  for (const repoFacts of facts.repos) {
    for (const issueFacts of repoFacts.ready) {
      const own = identity === null ? null : pickProgressComment(markerComments(issueFacts), identity).own;
      states.set(refKey(issueFacts), {
        facts: issueFacts,
        comment: own && { id: own.id, body: own.body },
        defaultBranch: repoFacts.defaultBranch,
      });
      ready.push(toReadyIssue(issueFacts, own ? decodeRunRecord(own.body, ctx.recordSeal) : null));
    }
  }
  const inFlight = facts.repos.flatMap((r) => r.locked.map((number) => ({ repo: r.repo, number })));
  report.locked = inFlight;

  // Roles, then blocker states: each read only for issues whose outcome they can change.
  const roles = new RoleLookup(ctx.github);
  const needed = rolesToResolve({ ready, inFlight, config });
  const resolved = new Map<string, Role | "unknown">();
  // Reads, so they may overlap; the client's throttle keeps them within GitHub's concurrency limit.
  const found = await Promise.all(needed.map(({ repo, login }) => roles.roleOf(repo, login)));
  needed.forEach(({ repo, login }, i) => resolved.set(roleKey(repo, login), found[i] ?? "unknown"));
  ready = ready.map((issue) => withRoles(issue, resolved));

  const textRefs = ready.flatMap((issue) => issue.blockers.map((b) => b.ref));
  if (textRefs.length > 0) {
    const blockerStates = await readBlockerStates(ctx.github, textRefs);
    ready = ready.map((issue) => ({
      ...issue,
      blockers: issue.blockers.map((b) => ({ ...b, state: blockerStates.get(refKey(b.ref)) ?? "unreadable" })),
    }));
  }

  // Native dependencies only for the issues about to be taken: the cost follows dispatches.
  let selection = selectDispatches({ ready, inFlight, config });
  const checked = new Set<string>();
  // Chooses (again, after a refused dispatch freed a slot) and reads the chosen issues' native blockers.
  const choose = async () => {
    selection = selectDispatches({ ready, inFlight, config });
    for (;;) {
      const pending = awaitingNativeBlockerCheck(selection, checked);
      if (pending.length === 0) break;
      // Reads, one per pending issue; they overlap like the role lookups above.
      const natives = await Promise.all(pending.map((issue) => readNativeBlockers(ctx.github, issue)));
      for (const [i, issue] of pending.entries()) {
        checked.add(refKey(issue));
        const native = natives[i] ?? "unreadable";
        if (native === "unreadable") {
          report.failures.push({
            repo: issue.repo,
            issue: issue.number,
            stage: "dependencies",
            error: "its blocked-by dependencies could not be read; not dispatched this tick",
          });
          ready = ready.filter((r) => refKey(r) !== refKey(issue));
          continue;
        }
        let chosen: ReadyIssue = { ...issue, blockers: [...issue.blockers, ...native] };
        const state = states.get(refKey(issue));
        if (state?.facts.commentsTruncated && identity !== null) {
          // The batched read saw only the first comments; a previous run's record may be further down.
          const { comments, complete } = await readComments(ctx.github, issue);
          const own = pickProgressComment(
            comments.filter((c) => c.body.includes(RECORD_MARKER_PREFIX)),
            identity,
          ).own;
          if (own === null && !complete) {
            // A record past the pages read would be missed and a second run started beside it: fail closed.
            report.failures.push({
              repo: issue.repo,
              issue: issue.number,
              stage: "comments",
              error: `over ${COMMENT_PAGES_PER_ISSUE * 100} comments and no run record of the loop's among them; not dispatched (a human can start it afresh in a new issue)`,
            });
            ready = ready.filter((r) => refKey(r) !== refKey(issue));
            continue;
          }
          state.comment = own && { id: own.id, body: own.body };
          chosen = {
            ...chosen,
            comments: comments.map((c) => ({ ...c, author: toActor(c.author) })),
            previousAttempts: previousAttempts(readable(own ? decodeRunRecord(own.body, ctx.recordSeal) : null)),
          };
        }
        ready = ready.map((r) => (refKey(r) === refKey(issue) ? chosen : r));
      }
      selection = selectDispatches({ ready, inFlight, config });
    }
  };
  await choose();

  const attempted = new Set<string>();
  let queue = [...selection.dispatch];
  for (let choice = queue.shift(); choice !== undefined; choice = queue.shift()) {
    attempted.add(refKey(choice.issue));
    const state = states.get(refKey(choice.issue));
    if (!state) continue;
    if (ctx.overBudget()) {
      report.deferred.push({ repo: choice.issue.repo, number: choice.issue.number });
      continue;
    }
    try {
      const run = await startRun(ctx, choice, state, roles, identity);
      report.dispatched.push(run);
    } catch (error) {
      report.failures.push({
        repo: choice.issue.repo,
        issue: choice.issue.number,
        stage: "dispatch",
        error: describeError(error),
      });
      if (error instanceof DispatchRefused) {
        // No agent started, and the claim is given back: the refused issue holds no slot, so the
        // next issue in line (in its repository or the fleet) may take it in this same tick.
        const refused = refKey(choice.issue);
        ready = ready.filter((r) => refKey(r) !== refused);
        await choose();
        queue = selection.dispatch.filter((d) => !attempted.has(refKey(d.issue)));
      }
    }
  }

  report.skipped = selection.skipped.map(({ issue, reason }) => ({
    repo: issue.repo,
    number: issue.number,
    title: issue.title,
    url: issue.url,
    code: reason.code,
    reason: describeSkip(reason, issue.repo),
  }));
  if (report.deferred.length > 0)
    report.note = `tick budget spent: ${report.deferred.length} chosen issue(s) wait for the next tick`;
  return report;
}

/** The executor refused a dispatch (a 4xx): no agent started and the claim was given back. */
class DispatchRefused extends Error {}

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
async function startRun(
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

function markerComments(facts: ReadyIssueFacts) {
  return facts.comments.filter((c) => c.body.includes(RECORD_MARKER_PREFIX));
}

function toActor(login: Login | null): Actor | null {
  return login === null ? null : { login: login.login, isBot: login.isBot, role: "unknown" };
}

function readable(decoded: DecodeResult | null): RunRecord | null {
  return decoded?.ok === true ? decoded.record : null;
}

function toReadyIssue(facts: ReadyIssueFacts, decoded: ReturnType<typeof decodeRunRecord> | null): ReadyIssue {
  const self = { repo: facts.repo, number: facts.number };
  const blockers: Blocker[] = parseBlockedBy(facts.body, self).refs.map((ref) => ({
    ref,
    state: "unreadable",
    source: "text",
  }));
  return {
    repo: facts.repo,
    number: facts.number,
    title: facts.title,
    body: facts.body,
    url: facts.url,
    labels: facts.labels,
    readyLabeledBy: toActor(facts.readyLabeled?.by ?? null),
    readyLabeledAt: facts.readyLabeled?.at ?? null,
    edits: facts.edits.map((edit) => ({ ...edit, by: toActor(edit.by) })),
    editHistoryComplete: facts.editHistoryComplete,
    blockers,
    previousAttempts: previousAttempts(readable(decoded)),
    comments: facts.comments.map((c) => ({ ...c, author: toActor(c.author) })),
  };
}

function roleKey(repo: string, login: string): string {
  return `${repo.toLowerCase()} ${login.toLowerCase()}`;
}

function withRoles(issue: ReadyIssue, roles: ReadonlyMap<string, Role | "unknown">): ReadyIssue {
  const fill = (actor: Actor | null): Actor | null =>
    actor === null ? null : { ...actor, role: roles.get(roleKey(issue.repo, actor.login)) ?? actor.role };
  return {
    ...issue,
    readyLabeledBy: fill(issue.readyLabeledBy),
    edits: issue.edits.map((edit) => ({ ...edit, by: fill(edit.by) })),
  };
}
