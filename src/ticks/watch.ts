// The watch tick: drives every in-flight run toward a verdict. Orchestration
// only: it assembles each run's state (record, agent status, pushed commit,
// CI verdict: watch-assemble.ts), asks core/state-machine.ts what to do, and
// performs exactly the I/O that answer implies (run-actions.ts). One run's failure is recorded and reported;
// it never stops the others. A quiet tick (nothing changed) writes nothing.

import { judgeCommit, type CommitJudgement } from "../ci/verdict.js";
import { applyAction } from "../core/apply-action.js";
import { isOwnParent } from "../core/evidence.js";
import { AWAITING_REVIEW_LABEL, DOORBELL_OWED_LABEL } from "../core/labels.js";
import { refKey } from "../core/refs.js";
import { shardRepos } from "../core/shard.js";
import { nextAction, type ActionKind } from "../core/state-machine.js";
import { describeStop, handOver, handOverCause, stopOnLetGo } from "../core/stop.js";
import type { AgentState, CiStage, CiState, CiVerdict, DoorbellKind, Instant, RunPhase } from "../core/types.js";
import type { RepoCommitFacts } from "../github/commits.js";
import { RoleLookup } from "../github/lookups.js";
import { readWatchFacts } from "../github/watch-reads.js";
import type { RingResult } from "../notify/doorbell.js";
import { dashboardRequests } from "./dashboard.js";
import type { ControlRequest } from "../core/guard-rails.js";
import { describeError, type IssueFailure, type TickContext } from "./context.js";
import { commitUrl, writeRecord } from "./progress-writer.js";
import { reviewFacts, sendReviewTurn, type ReviewFacts } from "./review-stage.js";
import { performStop, ringOwed, sendFixForward, settle } from "./run-actions.js";
import { assemble, deliveredBy, handedBy, readCommits, type Assembled } from "./watch-assemble.js";

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
    // Only pull-request delivery ever awaits review (README: switching delivery with runs awaiting review).
    awaiting: config.delivery === "pull-request" ? AWAITING_REVIEW_LABEL : null,
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
  // The dashboard's Stop requests, read only if the loop's own human label is found on a run.
  let requests: Promise<ControlRequest[]> | null = null;
  const stopRequests = () => (requests ??= dashboardRequests(ctx, identity));
  for (const issue of facts.repos.flatMap((r) => [...r.runs, ...r.owed, ...r.closedLocked, ...r.awaiting])) {
    const key = refKey(issue);
    if (seen.has(key)) continue;
    seen.add(key);
    try {
      const run = await assemble(ctx, issue, identity, report, roles, stopRequests);
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

const NO_CI: CiVerdict = { state: "none", stage: "build", failing: [], signature: null };
