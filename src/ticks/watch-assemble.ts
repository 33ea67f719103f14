// Watch assembly: everything the watch tick knows about one in-flight run
// before it decides: the loop's own record (never a look-alike's), the agent's
// status, a takeover by a trusted person, and the commit the run delivered
// (pushed, or the head of its pull request) with CI read in one batched query
// for all runs. Reads only; a record it cannot trust is handed to a human
// (run-actions.ts), never guessed at.

import {
  candidateShas,
  deliveredPullRequest,
  isAgentCommit,
  notTheAgents,
  pickProgressComment,
  pushedCommit,
} from "../core/evidence.js";
import { decodeRunRecord } from "../core/record-codec.js";
import type { RunRecord } from "../core/run-record.js";
import { humanLabeler, stopPending } from "../core/stop.js";
import { isTrusted } from "../core/trust.js";
import { vouchedBy, type ControlRequest } from "../core/guard-rails.js";
import type { AgentStatus } from "../core/types.js";
import { readCommitFacts, type CommitAnswer, type CommitQuestion, type RepoCommitFacts } from "../github/commits.js";
import type { RoleLookup } from "../github/lookups.js";
import { COMMENT_PAGES_PER_ISSUE, readComments, RECORD_MARKER_PREFIX } from "../github/poll-reads.js";
import type { HandedIssueFacts, RunIssueFacts } from "../github/watch-reads.js";
import type { TickContext } from "./context.js";
import { pullView } from "./review-stage.js";
import { escalateBadRecord, ignored } from "./run-actions.js";
import type { HandedIssue, WatchReport } from "./watch.js";

/** Referenced commits per run asked about in one tick: the newest ones. */
const SHAS_PER_RUN = 5;

export interface Assembled {
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
export interface Delivered {
  sha: string;
  at: string;
  answer: CommitAnswer | undefined;
  pullRequest: { number: number; url: string } | null;
  /** The pull request as the state machine reads it (pull-request delivery). */
  pull: ReturnType<typeof pullView> | null;
}

/**
 * An open issue with the human label is the loop's to report only when it carries the loop's own
 * readable record saying the loop handed it over (escalated or frozen); anything else is a label a
 * person put on, and none of the loop's business.
 */
export function handedBy(ctx: TickContext, issue: HandedIssueFacts, identity: string): HandedIssue[] {
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

export async function assemble(
  ctx: TickContext,
  issue: RunIssueFacts,
  identity: string,
  report: WatchReport,
  roles: RoleLookup,
  stopRequests: () => Promise<ControlRequest[]> = () => Promise.resolve([]),
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
      report.runs.push(await escalateBadRecord(ctx, issue, null, why, report.failures));
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
    report.runs.push(await escalateBadRecord(ctx, issue, { id: own.id, body: own.body }, why, report.failures));
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
  const followed = !terminal || record.phase === "awaiting-review";
  const labeled = issue.labeled.map((e) => ({ ...e, by: e.by && { ...e.by, at: e.at } }));
  let labeler = followed ? humanLabeler(issue.labels, labeled, ctx.config.labels.human) : null;
  if (labeler !== null && ctx.config.dashboard.enabled) {
    // The loop's own human label stands for the trusted person whose "Stop and hand to me" it followed.
    const by = vouchedBy(await stopRequests(), "stop", issue, { by: labeler, at: labeler.at }, identity);
    if (by !== null) labeler = { login: by, isBot: false, at: labeler.at };
  }
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

export async function readCommits(ctx: TickContext, runs: readonly Assembled[]): Promise<Map<string, RepoCommitFacts>> {
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

/**
 * The commit the run delivered. Pushed to the default branch: the newest of the
 * agent's commits (its message carries the run's trailer) referencing the issue
 * since the dispatch. By pull request: the head of the run's own pull request,
 * committed since the dispatch, and the agent's. `strays` are the other commits
 * that referenced the issue meanwhile: listed, never judged.
 */
export function deliveredBy(
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
