// Reads what the watch tick needs to judge a pushed commit, for every run at
// once: whether each candidate sha is on the default branch (its history
// since the dispatch, less some committer clock skew; a compare per unseen
// candidate only when that history runs past one page), its check runs and
// commit statuses (and its parent's, to tell "already red"), the open or
// merged pull requests from a run's branch with the same facts for their head
// (delivery by pull request; the head read by `headRefOid`, which survives the
// branch's deletion), the pull request of each run awaiting review, by
// number, with its state and reviews, and the deployments of the configured
// environment. One GraphQL query per 25 repos. Returns the core's CI inputs;
// the fold itself lives in core/ci.ts.

import type { CheckRun, CheckRunConclusion, CheckRunStatus, CommitStatus, DeploymentStatus } from "../core/ci.js";
import { CHECK_RUN_CONCLUSIONS, CHECK_RUN_STATUSES, COMMIT_STATUS_STATES, DEPLOYMENT_STATES } from "../core/ci.js";
import { REVIEW_STATES, type Review } from "../core/review.js";
import type { Instant, RepoSlug } from "../core/types.js";
import type { GitHubClient } from "./client.js";
import { toLogin } from "./poll-reads.js";
import { chunk, runBatchQuery } from "./graphql.js";
import { REPOS_PER_QUERY } from "./graphql.js";

const HISTORY_PAGE = 100;
/** How far a committer's clock may run behind GitHub's and its commit still count as made after the dispatch. */
const CLOCK_SKEW_MS = 15 * 60_000;
const CONTEXTS_PAGE = 100;
const DEPLOYMENTS_PAGE = 20;
/** Pull requests read per head branch (open or merged: an auto-merge may beat the watch): one is expected. */
const PULLS_PER_BRANCH = 5;
/** Reviews read per pull request awaiting review, the newest; the feedback since the last turn is among them. */
const REVIEWS_PER_PULL = 20;
/** Inline comments read per review. */
const COMMENTS_PER_REVIEW = 30;

export interface CommitQuestion {
  repo: RepoSlug;
  /** Candidate shas referenced by the run's issue since dispatch. */
  shas: string[];
  /** Only default-branch commits after this instant count. */
  since: Instant;
  /** Branches whose open or merged pull requests are wanted (each run's own branch, in pull-request delivery). */
  branches?: string[];
  /** Pull requests whose state and reviews are wanted, by number (runs awaiting review). */
  pulls?: number[];
}

export interface CommitChecks {
  checkRuns: CheckRun[];
  statuses: CommitStatus[];
  /** True when GitHub had more contexts than one page; the verdict then waits rather than guesses. */
  truncated: boolean;
}

export interface CommitAnswer {
  sha: string;
  /** The committer date, as the commit carries it; null when GitHub does not know the sha. */
  committedAt: Instant | null;
  /** The full commit message (it carries the agent's run trailer); null when GitHub does not know the sha. */
  message: string | null;
  /** Reachable from the default branch (in its history since `since`, or by compare past the first page). */
  onDefaultBranch: boolean;
  checks: CommitChecks | null;
  parent: { sha: string; message: string | null; checks: CommitChecks | null } | null;
}

export interface PullRequestFacts {
  number: number;
  url: string;
  /** The head branch lives in a fork: anyone could have pushed it. */
  crossRepository: boolean;
  state: "open" | "closed" | "merged";
  mergedAt: Instant | null;
  /** `headRefOid`: the head commit's sha, kept by GitHub after the head branch is deleted. */
  headSha: string;
  /** Its head commit and that commit's CI; null when GitHub did not show the head among its commits. */
  head: CommitAnswer | null;
}

export interface ReviewedPullFacts extends PullRequestFacts {
  /** The newest reviews, oldest first. */
  reviews: Review[];
}

export interface RepoCommitFacts {
  repo: RepoSlug;
  error: string | null;
  commits: CommitAnswer[];
  /** Open and merged pull requests per asked head branch, newest first; a closed unmerged one is gone. */
  pullRequests: Map<string, PullRequestFacts[]>;
  /** The asked pull requests by number, with their reviews; absent when GitHub has no such pull request. */
  pullsByNumber: Map<number, ReviewedPullFacts>;
  /** Latest status of each deployment in the environment, newest first; null when no environment is configured. */
  deployments: (DeploymentStatus & { sha: string })[] | null;
}

interface ContextJson {
  __typename: string;
  databaseId?: number;
  name?: string;
  status?: string;
  conclusion?: string | null;
  detailsUrl?: string | null;
  checkSuite?: { workflowRun: { databaseId: number } | null } | null;
  context?: string;
  state?: string;
  targetUrl?: string | null;
  createdAt?: string;
}
interface RollupJson {
  contexts: { totalCount: number; pageInfo: { hasNextPage: boolean }; nodes: ContextJson[] };
}
interface CommitJson {
  oid: string;
  committedDate?: string;
  message?: string;
  statusCheckRollup: RollupJson | null;
  parents?: { nodes: { oid: string; message?: string; statusCheckRollup: RollupJson | null }[] };
}
type RepoCommitJson = Record<string, unknown> & {
  defaultBranchRef: {
    name: string;
    target: { history?: { pageInfo: { hasNextPage: boolean }; nodes: { oid: string }[] } } | null;
  } | null;
  deployments?: {
    nodes: {
      databaseId: number | null;
      commitOid: string;
      latestStatus: { state: string; logUrl: string | null; environmentUrl: string | null } | null;
    }[];
  };
};

interface PullJson {
  number: number;
  url: string;
  isCrossRepository: boolean;
  state: string;
  merged: boolean;
  mergedAt: string | null;
  headRefOid: string;
  commits: { nodes: { commit: CommitJson }[] };
}
interface PullsJson {
  nodes: PullJson[];
}
interface ReviewedPullJson extends PullJson {
  reviews: {
    nodes: {
      state: string;
      body: string;
      submittedAt: string | null;
      author: { __typename: string; login: string } | null;
      comments: { nodes: { path: string; line: number | null; body: string }[] };
    }[];
  } | null;
}

// The head is read by `headRefOid` and the pull request's last commit, never through `headRef`,
// which is null once the branch is deleted (as "automatically delete head branches" does on merge).
const PULL_FRAGMENT = `
fragment AfkPull on PullRequest {
  number url isCrossRepository state merged mergedAt headRefOid
  commits(last: 1) { nodes { commit { ...AfkCommit } } }
}`;
const COMMIT_FRAGMENTS = `
fragment AfkCommit on Commit {
  oid committedDate message ...AfkRollup
  parents(first: 1) { nodes { oid message ...AfkRollup } }
}
fragment AfkRollup on Commit {
  statusCheckRollup {
    contexts(first: ${CONTEXTS_PAGE}) {
      totalCount
      pageInfo { hasNextPage }
      nodes {
        __typename
        ... on CheckRun { databaseId name status conclusion detailsUrl checkSuite { workflowRun { databaseId } } }
        ... on StatusContext { context state targetUrl createdAt }
      }
    }
  }
}`;

export async function readCommitFacts(
  client: GitHubClient,
  questions: readonly CommitQuestion[],
  deployEnvironment: string | null,
): Promise<RepoCommitFacts[]> {
  const answers: RepoCommitFacts[] = [];
  for (const batch of chunk(questions, REPOS_PER_QUERY)) {
    const result = await runBatchQuery<RepoCommitJson>(client, {
      name: "AfkCommitFacts",
      declare: deployEnvironment === null ? [] : ["$environment: String!"],
      shared: deployEnvironment === null ? {} : { environment: deployEnvironment },
      selection: (repo) => {
        const question = batch[Number(repo.alias.slice(1))];
        const commits = (question?.shas ?? []).map(
          (_, j) => `c${j}: object(oid: $sha_$ALIAS_${j}) { ... on Commit { ...AfkCommit } }`,
        );
        const pulls = (question?.branches ?? []).map(
          (_, j) =>
            `p${j}: pullRequests(headRefName: $branch_$ALIAS_${j}, states: [OPEN, MERGED], first: ${PULLS_PER_BRANCH}, orderBy: { field: CREATED_AT, direction: DESC }) { nodes { ...AfkPull } }`,
        );
        const numbered = (question?.pulls ?? []).map(
          (_, j) =>
            `n${j}: pullRequest(number: $pull_$ALIAS_${j}) { ...AfkPull reviews(last: ${REVIEWS_PER_PULL}) { nodes { state body submittedAt author { __typename login } comments(first: ${COMMENTS_PER_REVIEW}) { nodes { path line body } } } } }`,
        );
        const deployments =
          deployEnvironment === null
            ? ""
            : `deployments(environments: [$environment], first: ${DEPLOYMENTS_PAGE}, orderBy: { field: CREATED_AT, direction: DESC }) { nodes { databaseId commitOid latestStatus { state logUrl environmentUrl } } }`;
        return `defaultBranchRef { name target { ... on Commit { history(first: ${HISTORY_PAGE}, since: $since_$ALIAS) { pageInfo { hasNextPage } nodes { oid } } } } } ${commits.join(" ")} ${pulls.join(" ")} ${numbered.join(" ")} ${deployments}`;
      },
      // GitHub refuses a fragment the query does not use.
      fragments: batch.some((q) => (q.branches?.length ?? 0) + (q.pulls?.length ?? 0) > 0)
        ? COMMIT_FRAGMENTS + PULL_FRAGMENT
        : COMMIT_FRAGMENTS,
      repos: batch.map((q, i) => {
        const [owner = "", name = ""] = q.repo.split("/");
        const since = new Date(Date.parse(q.since) - CLOCK_SKEW_MS).toISOString();
        const variables: Record<string, unknown> = { [`since_r${i}`]: since };
        q.shas.forEach((sha, j) => (variables[`sha_r${i}_${j}`] = sha));
        q.branches?.forEach((branch, j) => (variables[`branch_r${i}_${j}`] = branch));
        q.pulls?.forEach((number, j) => (variables[`pull_r${i}_${j}`] = number));
        return { alias: `r${i}`, owner, name, variables };
      }),
      perRepoDeclare: (repo) => {
        const question = batch[Number(repo.alias.slice(1))];
        return [
          `$since_${repo.alias}: GitTimestamp!`,
          ...(question?.shas ?? []).map((_, j) => `$sha_${repo.alias}_${j}: GitObjectID!`),
          ...(question?.branches ?? []).map((_, j) => `$branch_${repo.alias}_${j}: String!`),
          ...(question?.pulls ?? []).map((_, j) => `$pull_${repo.alias}_${j}: Int!`),
        ];
      },
    });
    for (const [i, question] of batch.entries()) {
      const data = result.byAlias.get(`r${i}`);
      if (!data) {
        answers.push({
          repo: question.repo,
          error: result.errors.get(`r${i}`) ?? "not found",
          commits: [],
          pullRequests: new Map(),
          pullsByNumber: new Map(),
          deployments: null,
        });
        continue;
      }
      const history = data.defaultBranchRef?.target?.history;
      const onBranch = new Set((history?.nodes ?? []).map((n) => n.oid));
      if (history?.pageInfo.hasNextPage && data.defaultBranchRef) {
        // A busy branch: the first page did not reach back to the dispatch, so ask about the rest one by one.
        const unseen = question.shas.filter((sha, j) => !onBranch.has(sha) && data[`c${j}`]);
        try {
          for (const sha of unseen) {
            if (await reachable(client, question.repo, sha, data.defaultBranchRef.name)) onBranch.add(sha);
          }
        } catch (error) {
          const why = `could not compare a pushed commit with ${data.defaultBranchRef.name}: ${error instanceof Error ? error.message : String(error)}`;
          answers.push({
            repo: question.repo,
            error: why,
            commits: [],
            pullRequests: new Map(),
            pullsByNumber: new Map(),
            deployments: null,
          });
          continue;
        }
      }
      const commits = question.shas.map((sha, j) =>
        toCommitAnswer(sha, data[`c${j}`] as CommitJson | null | undefined, onBranch),
      );
      const pullRequests = new Map(
        (question.branches ?? []).map((branch, j): [string, PullRequestFacts[]] => [
          branch,
          ((data[`p${j}`] as PullsJson | null | undefined)?.nodes ?? []).map((pull) => toPullFacts(pull, onBranch)),
        ]),
      );
      const pullsByNumber = new Map<number, ReviewedPullFacts>();
      for (const [j, number] of (question.pulls ?? []).entries()) {
        const pull = data[`n${j}`] as ReviewedPullJson | null | undefined;
        if (pull) pullsByNumber.set(number, { ...toPullFacts(pull, onBranch), reviews: toReviews(pull) });
      }
      const deployments =
        deployEnvironment === null
          ? null
          : (data.deployments?.nodes ?? []).map((d) => ({
              deploymentId: d.databaseId ?? 0,
              sha: d.commitOid,
              state: lowerEnum(d.latestStatus?.state, DEPLOYMENT_STATES, "pending"),
              url: d.latestStatus?.logUrl ?? d.latestStatus?.environmentUrl ?? null,
            }));
      answers.push({ repo: question.repo, error: null, commits, pullRequests, pullsByNumber, deployments });
    }
  }
  return answers;
}

/** Whether `sha` is an ancestor of (or is) the tip of `branch`: the compare from it shows nothing behind. */
async function reachable(client: GitHubClient, repo: RepoSlug, sha: string, branch: string): Promise<boolean> {
  const [owner = "", name = ""] = repo.split("/");
  const { data } = await client.octokit.rest.repos.compareCommitsWithBasehead({
    owner,
    repo: name,
    basehead: `${sha}...${branch}`,
    per_page: 1,
  });
  return data.status === "ahead" || data.status === "identical";
}

function toPullFacts(pull: PullJson, onBranch: Set<string>): PullRequestFacts {
  // The last commit is the head only when GitHub says so: past its commit list's end it may not be.
  const last = pull.commits.nodes.at(-1)?.commit;
  return {
    number: pull.number,
    url: pull.url,
    crossRepository: pull.isCrossRepository,
    state: pull.merged ? "merged" : pull.state === "OPEN" ? "open" : "closed",
    mergedAt: pull.mergedAt,
    headSha: pull.headRefOid,
    head: last?.oid === pull.headRefOid ? toCommitAnswer(last.oid, last, onBranch) : null,
  };
}

function toReviews(pull: ReviewedPullJson): Review[] {
  return (pull.reviews?.nodes ?? []).map((review) => ({
    // As for labels: a bot's login gets back its `[bot]` suffix, so `trusted-users` names it the same way.
    author: toLogin(review.author),
    state: lowerEnum(review.state, REVIEW_STATES, "unknown"),
    body: review.body,
    submittedAt: review.submittedAt,
    comments: review.comments.nodes.map((c) => ({ path: c.path, line: c.line, body: c.body })),
  }));
}

function toCommitAnswer(sha: string, commit: CommitJson | null | undefined, onBranch: Set<string>): CommitAnswer {
  const parent = commit?.parents?.nodes[0];
  return {
    sha,
    committedAt: commit?.committedDate ?? null,
    message: commit?.message ?? null,
    onDefaultBranch: onBranch.has(sha),
    checks: commit ? toChecks(commit.statusCheckRollup) : null,
    parent: parent
      ? { sha: parent.oid, message: parent.message ?? null, checks: toChecks(parent.statusCheckRollup) }
      : null,
  };
}

/** GitHub's GraphQL enums are upper-case; the core speaks REST's lower-case. Unknown values never become success. */
function lowerEnum<T extends string>(value: string | null | undefined, known: readonly T[], fallback: T): T {
  const lower = value?.toLowerCase();
  return known.find((k) => k === lower) ?? fallback;
}

function toChecks(rollup: RollupJson | null): CommitChecks {
  if (rollup === null) return { checkRuns: [], statuses: [], truncated: false };
  const checkRuns: CheckRun[] = [];
  const statuses: CommitStatus[] = [];
  for (const node of rollup.contexts.nodes) {
    if (node.__typename === "CheckRun") {
      const status: CheckRunStatus = lowerEnum(node.status, CHECK_RUN_STATUSES, "pending");
      // An unknown conclusion is read as a failure: it must never pass as green.
      const conclusion: CheckRunConclusion | null =
        node.conclusion == null ? null : lowerEnum(node.conclusion, CHECK_RUN_CONCLUSIONS, "failure");
      checkRuns.push({
        id: node.databaseId ?? 0,
        name: node.name ?? "check",
        status,
        conclusion,
        url: node.detailsUrl ?? null,
        workflowRunId: node.checkSuite?.workflowRun?.databaseId ?? null,
      });
    } else if (node.__typename === "StatusContext") {
      // EXPECTED (a required status not yet reported) reads as pending.
      statuses.push({
        context: node.context ?? "status",
        state: lowerEnum(node.state, COMMIT_STATUS_STATES, "pending"),
        url: node.targetUrl ?? null,
        createdAt: node.createdAt ?? null,
      });
    }
  }
  return { checkRuns, statuses, truncated: rollup.contexts.pageInfo.hasNextPage };
}
