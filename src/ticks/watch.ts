// The watch tick: drives every in-flight run toward a verdict. Orchestration
// only: it assembles each run's state (record, agent status, pushed commit,
// CI verdict), asks core/state-machine.ts what to do, and performs exactly
// the I/O that answer implies. One run's failure is recorded and reported;
// it never stops the others. A quiet tick (nothing changed) writes nothing.

import { judgeCommit, type CommitJudgement } from "../ci/verdict.js";
import { shardRepos } from "../core/shard.js";
import {
  candidateShas,
  deliveredPullRequest,
  isAgentCommit,
  isOwnParent,
  notTheAgents,
  pickProgressComment,
  pushedCommit,
} from "../core/evidence.js";
import { AWAITING_REVIEW_LABEL, DOORBELL_OWED_LABEL, labelDiff, labelsFor } from "../core/labels.js";
import { escapeText } from "../core/markdown.js";
import { fixForwardPrompt } from "../core/prompt.js";
import { refKey } from "../core/refs.js";
import { type RunRecord } from "../core/run-record.js";
import { decodeRunRecord } from "../core/record-codec.js";
import { nextAction, type ActionKind } from "../core/state-machine.js";
import { applyAction, markDoorbellDelivered } from "../core/apply-action.js";
import {
  describeStop,
  handOverCause,
  handOver,
  humanLabeler,
  markStopped,
  markStopRequested,
  mayBeWorking,
  planStop,
  stopOnLetGo,
  stopPending,
} from "../core/stop.js";
import type {
  AgentState,
  AgentStatus,
  CiStage,
  CiState,
  CiVerdict,
  DoorbellKind,
  Instant,
  RunPhase,
} from "../core/types.js";
import { readCommitFacts, type CommitAnswer, type CommitQuestion, type RepoCommitFacts } from "../github/commits.js";
import { isTrusted } from "../core/trust.js";
import { RoleLookup } from "../github/lookups.js";
import {
  COMMENT_PAGES_PER_ISSUE,
  readComments,
  readWatchFacts,
  RECORD_MARKER_PREFIX,
  type HandedIssueFacts,
  type RunIssueFacts,
} from "../github/reads.js";
import { ringAll, type RingResult } from "../notify/doorbell.js";
import { describeError, type IssueFailure, type TickContext } from "./context.js";
import { commitUrl, writeRecord } from "./progress-writer.js";
import { nextTurnNumber, pullView, reviewFacts, sendReviewTurn, type ReviewFacts } from "./review-stage.js";

/** Referenced commits per run asked about in one tick: the newest ones. */
const SHAS_PER_RUN = 5;

export interface WatchedRun {
  repo: string;
  number: number;
  title: string;
  url: string;
  runId: string | null;
  attempt: number | null;
  agent: AgentState | null;
  agentLink: string | null;
  sha: string | null;
  ci: CiState | null;
  failing: string | null;
  /** `escalate-taken-over`: a trusted person's human label; `escalate-emergency-stop`: kill switch `stop`. */
  action: ActionKind | "escalate-bad-record" | "escalate-taken-over" | "escalate-emergency-stop" | "ignored";
  reason: string;
  /** The record's phase after this tick's action; null when there is no readable record. */
  phase: RunPhase | null;
  /** When the run was dispatched (or claimed, before a dispatch), for its age in the report. */
  since: Instant | null;
  /** Fix-forward turns sent so far, after this tick's action. */
  fixForwards: number | null;
  /** Review turns used of those allowed, once the run's pull request was green; null before (or push delivery). */
  reviewRounds?: { used: number; max: number } | null;
  /** Requests for changes by people not trusted to make them: never sent to the agent, said in the summary. */
  reviewIgnored?: string | null;
  /** The CI stage that decided the verdict (build, deploy, rollout), when something was pushed. */
  ciStage: CiStage | null;
  /** The doorbell rung this tick, if any. */
  doorbell: (RingResult & { kind: DoorbellKind }) | null;
}

/** An open issue the loop handed to a human (human label and a loop record), still waiting for one. */
export interface HandedIssue {
  repo: string;
  number: number;
  title: string;
  url: string;
  reason: string;
  /** When the loop handed it over, when the record says. */
  since: Instant | null;
  agentLink: string | null;
  sha: string | null;
}

export interface WatchReport {
  tick: "watch";
  identity: string | null;
  repos: { repo: string; error: string | null }[];
  runs: WatchedRun[];
  /** Every open issue in the served repos the loop handed to a human: the report's "Needs you". */
  handed: HandedIssue[];
  failures: IssueFailure[];
  note: string | null;
}

interface Assembled {
  facts: RunIssueFacts;
  record: RunRecord;
  comment: { id: number; body: string };
  agent: AgentStatus & { threadId: string | null };
  shas: string[];
  /** The run's own branch, whose pull request delivers its work (pull-request delivery only). */
  branch: string | null;
  /** The pull request of a run awaiting review, followed by its number (its branch may be gone). */
  pullNumber: number | null;
  /** The trusted person whose human label takes the run over; null when nobody did. */
  takenOverBy: string | null;
  /** A human label put on by someone not trusted: ignored, and said so in the report. */
  takeoverIgnored: string | null;
}

/** What the run delivered: the commit CI judges, and the pull request it came through, if any. */
interface Delivered {
  sha: string;
  at: string;
  answer: CommitAnswer | undefined;
  pullRequest: { number: number; url: string } | null;
  /** The pull request as the state machine reads it (pull-request delivery). */
  pull: ReturnType<typeof pullView> | null;
}

export async function watchTick(ctx: TickContext): Promise<WatchReport> {
  const { config } = ctx;
  const report: WatchReport = {
    tick: "watch",
    identity: null,
    repos: [],
    runs: [],
    handed: [],
    failures: [],
    note: null,
  };
  const repos = shardRepos(config.allowlist, config.shard);
  if (repos.length === 0) {
    report.note = "the allowlist is empty: nothing to watch";
    return report;
  }
  const facts = await readWatchFacts(ctx.github, repos, {
    inProgress: config.labels.inProgress,
    owed: DOORBELL_OWED_LABEL,
    human: config.labels.human,
    awaiting: AWAITING_REVIEW_LABEL,
  });
  const identity = config.github.loopIdentity ?? facts.viewer;
  report.identity = identity;
  report.repos = facts.repos.map((r) => ({ repo: r.repo, error: r.error }));
  if (identity === null) {
    report.note = "could not tell which login the loop writes as; set loop-identity";
    return report;
  }

  report.handed = facts.repos.flatMap((r) => r.handed.flatMap((issue) => handedBy(ctx, issue, identity)));

  // 1. Assemble: records and agent statuses.
  const assembled: Assembled[] = [];
  const defaultBranches = new Map(facts.repos.map((r) => [r.repo.toLowerCase(), r.defaultBranch]));
  const seen = new Set<string>();
  const roles = new RoleLookup(ctx.github);
  for (const issue of facts.repos.flatMap((r) => [...r.runs, ...r.owed, ...r.closedLocked, ...r.awaiting])) {
    const key = refKey(issue);
    if (seen.has(key)) continue;
    seen.add(key);
    try {
      const run = await assemble(ctx, issue, identity, report, roles);
      if (run) assembled.push(run);
    } catch (error) {
      report.failures.push({ repo: issue.repo, issue: issue.number, stage: "status", error: describeError(error) });
    }
  }

  // 2. One batched read of every candidate commit's reachability and CI.
  const commitFacts = await readCommits(ctx, assembled);

  // 3. Decide and act, one run at a time.
  for (const run of assembled) {
    try {
      report.runs.push(await advance(ctx, run, commitFacts, defaultBranches, report.failures, roles));
    } catch (error) {
      report.failures.push({
        repo: run.facts.repo,
        issue: run.facts.number,
        stage: "act",
        error: describeError(error),
      });
    }
  }
  // Handed over this tick: the batched read came before, so they join "Needs you" here.
  const now = ctx.now().toISOString();
  for (const run of report.runs) {
    if ((run.phase === "escalated" || run.phase === "frozen") && run.action !== "ring") {
      report.handed.push({
        repo: run.repo,
        number: run.number,
        title: run.title,
        url: run.url,
        reason: run.reason,
        since: now,
        agentLink: run.agentLink,
        sha: run.sha,
      });
    }
  }
  return report;
}

/**
 * An open issue with the human label is the loop's to report only when it carries the loop's own
 * readable record saying the loop handed it over (escalated or frozen); anything else is a label a
 * person put on, and none of the loop's business.
 */
function handedBy(ctx: TickContext, issue: HandedIssueFacts, identity: string): HandedIssue[] {
  const own = pickProgressComment(issue.markerComments, identity).own;
  if (own === null) return [];
  const decoded = decodeRunRecord(own.body, ctx.recordSeal);
  if (!decoded.ok) return [];
  const { record } = decoded;
  if (record.repo.toLowerCase() !== issue.repo.toLowerCase() || record.issue !== issue.number) return [];
  if (record.phase !== "escalated" && record.phase !== "frozen") return [];
  return [
    {
      repo: issue.repo,
      number: issue.number,
      title: issue.title,
      url: issue.url,
      reason: record.reason ?? record.phase,
      since: own.updatedAt,
      agentLink: record.threadId && ctx.executor.link(record.threadId, record.repo),
      sha: record.pushedSha,
    },
  ];
}

async function assemble(
  ctx: TickContext,
  issue: RunIssueFacts,
  identity: string,
  report: WatchReport,
  roles: RoleLookup,
): Promise<Assembled | null> {
  let choice = pickProgressComment(issue.markerComments, identity);
  if (choice.own === null && issue.commentsTruncated) {
    // More comments than the batch read took: the progress comment may be further back.
    const { comments, complete } = await readComments(ctx.github, issue);
    choice = pickProgressComment(
      comments.filter((c) => c.body.includes(RECORD_MARKER_PREFIX)),
      identity,
    );
    if (choice.own === null && !complete && issue.open) {
      // Paging on through a flooded thread every tick is unbounded work: a human takes it from here.
      const why = `the issue has over ${COMMENT_PAGES_PER_ISSUE * 100} comments and the loop's progress comment is not among the first ${COMMENT_PAGES_PER_ISSUE * 100}`;
      report.runs.push(await escalateBadRecord(ctx, issue, null, why));
      return null;
    }
  }
  const own = choice.own;
  // A closed issue with the lock but no record of the loop's: someone else's label, nothing to report each tick.
  if (own === null && !issue.open) return null;
  if (own === null) {
    // A lock nobody owns: a human put the label on, or only look-alike comments exist. Not ours to drive.
    const spoofed =
      choice.foreign.length > 0 ? `; ignored ${choice.foreign.length} look-alike record(s) by other authors` : "";
    report.runs.push(ignored(issue, `no run record from ${identity}${spoofed}`));
    return null;
  }
  const decoded = decodeRunRecord(own.body, ctx.recordSeal);
  const mismatch =
    decoded.ok &&
    (decoded.record.repo.toLowerCase() !== issue.repo.toLowerCase() || decoded.record.issue !== issue.number);
  if (!decoded.ok || mismatch) {
    const why = decoded.ok ? "the record names another issue" : decoded.error.message;
    report.runs.push(await escalateBadRecord(ctx, issue, { id: own.id, body: own.body }, why));
    return null;
  }
  const record = decoded.record;
  // Awaiting review, nothing runs: the run is followed through its pull request, not its agent.
  const terminal = record.phase !== "claimed" && record.phase !== "dispatched";
  // A finished run whose agent's stop is not yet confirmed still asks the executor, until it is.
  const agent =
    terminal && !stopPending(record)
      ? {
          state: "idle" as const,
          detail: null,
          link: record.threadId && ctx.executor.link(record.threadId, record.repo),
          threadId: record.threadId,
        }
      : await ctx.executor.status({ repo: record.repo, runId: record.runId, threadId: record.threadId });
  const since = record.dispatchedAt ?? record.claimedAt;
  const byPullRequest = ctx.config.delivery === "pull-request";
  const shas =
    terminal || byPullRequest ? [] : candidateShas(issue.references, { repo: issue.repo, since, limit: SHAS_PER_RUN });
  const branch = !terminal && byPullRequest ? record.runId : null;
  const pullNumber = record.phase === "awaiting-review" ? (record.review?.pullRequest ?? null) : null;
  // A takeover: the human label on an in-flight issue, put on by someone trusted (the ready
  // label's rule). Read from the batched facts; only the labeler's role may need a look-up.
  let takenOverBy: string | null = null;
  let takeoverIgnored: string | null = null;
  const labeler = terminal ? null : humanLabeler(issue.labels, issue.labeled, ctx.config.labels.human);
  if (labeler !== null) {
    const role = labeler.isBot ? ("unknown" as const) : await roles.roleOf(issue.repo, labeler.login);
    if (isTrusted({ ...labeler, role }, ctx.config.trust)) takenOverBy = labeler.login;
    else
      takeoverIgnored = `the ${ctx.config.labels.human} label by @${labeler.login} was ignored: not trusted to take the run over`;
  }
  return {
    facts: issue,
    record,
    comment: { id: own.id, body: own.body },
    agent,
    shas,
    branch,
    pullNumber,
    takenOverBy,
    takeoverIgnored,
  };
}

async function readCommits(ctx: TickContext, runs: readonly Assembled[]): Promise<Map<string, RepoCommitFacts>> {
  const byRepo = new Map<string, CommitQuestion>();
  for (const run of runs) {
    if (run.shas.length === 0 && run.branch === null && run.pullNumber === null) continue;
    const key = run.facts.repo.toLowerCase();
    const since = run.record.dispatchedAt ?? run.record.claimedAt;
    const branches = run.branch === null ? [] : [run.branch];
    const pulls = run.pullNumber === null ? [] : [run.pullNumber];
    const question = byRepo.get(key);
    if (!question) byRepo.set(key, { repo: run.facts.repo, shas: [...run.shas], since, branches, pulls });
    else {
      for (const sha of run.shas) if (!question.shas.includes(sha)) question.shas.push(sha);
      for (const branch of branches) if (!question.branches?.includes(branch)) question.branches?.push(branch);
      for (const pull of pulls) if (!question.pulls?.includes(pull)) question.pulls?.push(pull);
      if (Date.parse(since) < Date.parse(question.since)) question.since = since;
    }
  }
  if (byRepo.size === 0) return new Map();
  const answers = await readCommitFacts(ctx.github, [...byRepo.values()], ctx.config.ci.deployEnvironment);
  return new Map(answers.map((a) => [a.repo.toLowerCase(), a]));
}

async function advance(
  ctx: TickContext,
  run: Assembled,
  commits: ReadonlyMap<string, RepoCommitFacts>,
  defaultBranches: ReadonlyMap<string, string | null>,
  failures: IssueFailure[],
  roles: RoleLookup,
): Promise<WatchedRun> {
  const { config } = ctx;
  const { facts, record } = run;
  const repoCommits = commits.get(facts.repo.toLowerCase());
  if (repoCommits?.error) throw new Error(`could not read commits: ${repoCommits.error}`);
  const { delivered: pushed, strays } = deliveredBy(run, repoCommits);
  // Awaiting review: the pull request by its number, and only trusted reviewers' feedback.
  const review: ReviewFacts | null =
    run.pullNumber === null
      ? null
      : await reviewFacts(ctx, roles, record, repoCommits?.pullsByNumber.get(run.pullNumber));

  let judgement: CommitJudgement = { verdict: NO_CI, parentAlreadyRed: false };
  const answer = pushed?.answer;
  if (answer) {
    judgement = await judgeCommit({
      repo: facts.repo,
      commit: answer,
      deployments: repoCommits?.deployments ?? null,
      rollout: config.ci.rolloutUrl
        ? { urlTemplate: config.ci.rolloutUrl, timeoutMs: config.ci.rolloutTimeoutSeconds * 1000 }
        : null,
      ownWorkflowRunId: ctx.ownWorkflowRunId,
    });
    if (isOwnParent(answer.parent, record)) judgement = { ...judgement, parentAlreadyRed: false };
  }

  const now = ctx.now().toISOString();
  // A person's takeover or the emergency stop comes before anything the run's facts would decide.
  const cause = handOverCause(record, { killSwitch: config.killSwitch, takenOverBy: run.takenOverBy });
  const stateAction = nextAction(
    {
      record,
      agent: run.agent,
      threadId: run.agent.threadId,
      pushed: pushed ? { sha: pushed.sha, at: pushed.at } : null,
      ci: judgement.verdict,
      parentAlreadyRed: judgement.parentAlreadyRed,
      issueOpen: facts.open,
      ...(review !== null
        ? { pull: review.pull, feedback: review.feedback }
        : run.branch !== null
          ? { pull: pushed?.pull ?? null }
          : {}),
      now,
    },
    config,
  );
  const action = cause === null ? stateAction : { kind: "wait" as const, reason: cause.text };

  // An owed doorbell is marked delivered only after it rings (below), never before.
  let next =
    cause !== null
      ? handOver(record, run.agent.state, cause)
      : action.kind === "ring"
        ? record
        : applyAction(record, action, now);
  let agentLink = run.agent.link;
  if (action.kind === "fix-forward" && !config.dryRun) {
    const turn = await sendFixForward(ctx, run, action, defaultBranches);
    next = { ...next, threadId: turn.threadId };
    agentLink = turn.link ?? agentLink;
  }
  if (action.kind === "review-turn" && !config.dryRun) {
    const turn = await sendReviewTurn(
      ctx,
      {
        repo: facts.repo,
        issue: facts.number,
        record,
        threadId: run.agent.threadId,
        defaultBranch: defaultBranches.get(facts.repo.toLowerCase()) ?? null,
      },
      action,
    );
    next = { ...next, threadId: turn.threadId };
    agentLink = turn.link ?? agentLink;
  }
  // Letting go of a run whose agent may still be working owes a stop. It is sent, and read back,
  // before the record is written, so one write says "stopped" or "requested" (or, when sending
  // failed, "owed": the next tick sends it again). A crash in between leaves the run in flight
  // with its agent stopped, which the next tick escalates as an agent that stopped: never an
  // agent left working unseen.
  next = await performStop(ctx, run, stopOnLetGo(record, next, run.agent.state), now, failures);

  const verdict = pushed ? judgement.verdict : null;
  // Awaiting review nothing is pushed this tick: the pull request's head is what the comment links.
  const shown =
    pushed ??
    (review?.pull
      ? { sha: review.pull.headSha, pullRequest: { number: review.pull.number, url: review.pull.url } }
      : null);
  const progress = {
    agentLink,
    pushed: shown
      ? {
          sha: shown.sha,
          url: shown.pullRequest ? `${shown.pullRequest.url}/commits/${shown.sha}` : commitUrl(facts.url, shown.sha),
          pullRequest: shown.pullRequest,
        }
      : null,
    ci: verdict,
    notTheAgents: strays.map((sha) => ({ sha, url: commitUrl(facts.url, sha) })),
  };
  const target = { repo: facts.repo, number: facts.number, url: facts.url, comment: run.comment };
  // Record first (a terminal one with its doorbell owed), then ring, then the labels. A crash
  // before the labels leaves the in-progress label on, so the next tick finds the run and
  // finishes the transition; a failed ring leaves the doorbell owed and the issue marked.
  // A finished run's comment already says all there is; a tick that no longer reads its commit
  // would only render it again with fewer links.
  const finished = record.phase !== "claimed" && record.phase !== "dispatched";
  if (!(finished && next === record)) target.comment = await writeRecord(ctx, target, next, progress);
  let rung: WatchedRun["doorbell"] = null;
  if (next.doorbell !== null && !next.doorbell.delivered && !config.dryRun) {
    ({ next, rung } = await ringOwed(ctx, run, next, next.doorbell.kind, {
      agentLink,
      reason: action.reason,
      target,
      progress,
    }));
  }
  await settle(ctx, facts, next);

  return {
    repo: facts.repo,
    number: facts.number,
    title: facts.title,
    url: facts.url,
    runId: record.runId,
    attempt: record.attempt,
    agent: run.agent.state,
    agentLink,
    sha: pushed?.sha ?? record.pushedSha,
    ci: verdict?.state ?? null,
    failing: verdict?.signature ?? null,
    action:
      cause === null ? action.kind : cause.reason === "kill-switch" ? "escalate-emergency-stop" : "escalate-taken-over",
    reason: [action.reason, describeStop(next.stop ?? null), run.takeoverIgnored, review?.ignored ?? null]
      .filter((part) => part !== null)
      .join("; "),
    phase: next.phase,
    since: record.dispatchedAt ?? record.claimedAt,
    fixForwards: next.fixForwards,
    reviewRounds: next.review ? { used: next.review.rounds, max: config.limits.reviewRounds } : null,
    reviewIgnored: review?.ignored ?? null,
    ciStage: verdict?.stage ?? null,
    doorbell: rung,
  };
}

/** The fix-forward turn, sent before the record says so: if sending fails, nothing was spent. */
async function sendFixForward(
  ctx: TickContext,
  run: Assembled,
  action: Extract<ReturnType<typeof nextAction>, { kind: "fix-forward" }>,
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
async function ringOwed(
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
async function performStop(
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
 * The commit the run delivered. Pushed to the default branch: the newest of the
 * agent's commits (its message carries the run's trailer) referencing the issue
 * since the dispatch. By pull request: the head of the run's own pull request,
 * committed since the dispatch, and the agent's. `strays` are the other commits
 * that referenced the issue meanwhile: listed, never judged.
 */
function deliveredBy(
  run: Assembled,
  repoCommits: RepoCommitFacts | undefined,
): { delivered: Delivered | null; strays: string[] } {
  const { facts, record } = run;
  const since = record.dispatchedAt ?? record.claimedAt;
  const answers = new Map<string, CommitAnswer>((repoCommits?.commits ?? []).map((c) => [c.sha, c]));
  // Only the shas the batch asked about have a known message; an unknown one is never the agent's.
  const isAgents = (sha: string) => isAgentCommit(answers.get(sha)?.message, record.runId);
  const asked = facts.references.filter((ref) => answers.has(ref.sha));
  const strays = notTheAgents(asked, { repo: facts.repo, since, isAgents });
  if (run.branch !== null) {
    const pull = deliveredPullRequest(repoCommits?.pullRequests.get(run.branch) ?? [], {
      since,
      runId: record.runId,
    });
    const delivered = pull && {
      sha: pull.head.sha,
      at: pull.head.committedAt,
      answer: pull.head,
      pullRequest: { number: pull.number, url: pull.url },
      pull: pullView(pull, record.runId),
    };
    return { delivered, strays };
  }
  const pushed = pushedCommit(facts.references, {
    repo: facts.repo,
    since,
    onDefaultBranch: (sha) => answers.get(sha)?.onDefaultBranch === true,
    isAgents,
  });
  const delivered = pushed && {
    sha: pushed.sha,
    at: pushed.at,
    answer: answers.get(pushed.sha),
    pullRequest: null,
    pull: null,
  };
  return { delivered, strays };
}

/**
 * Bring the issue's labels and state in line with the record (idempotent: completes a transition
 * a crash cut short). A run delivered by pull request leaves the issue open: merging the pull
 * request, after review, closes it.
 */
async function settle(ctx: TickContext, facts: RunIssueFacts, record: RunRecord): Promise<void> {
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
 * Hand the issue to a human with the reason, in place of the broken record.
 */
async function escalateBadRecord(
  ctx: TickContext,
  issue: RunIssueFacts,
  comment: { id: number; body: string } | null,
  why: string,
): Promise<WatchedRun> {
  const { labels } = ctx.config;
  const ref = { repo: issue.repo, number: issue.number };
  // No comment: the record could not be found within the pages read; a new comment says so.
  const reason = `run record ${comment === null ? "not found" : "unreadable"} (${why}); handed to a human, nothing was guessed`;
  const what =
    comment === null ? "The loop's run record could not be found" : "The run record in this comment could not be read";
  const body = `### afk-loop: handed to a human\n\n${what}: ${escapeText(why, 300)}.\nThe loop stopped driving this issue. Re-apply \`${labels.ready}\` to start a fresh run.\n`;
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

function ignored(issue: RunIssueFacts, reason: string): WatchedRun {
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

const NO_CI: CiVerdict = { state: "none", stage: "build", failing: [], signature: null };
