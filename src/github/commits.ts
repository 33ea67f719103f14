// Reads what the watch tick needs to judge a pushed commit, for every run at
// once: whether each candidate sha is on the default branch, its check runs
// and commit statuses (and its parent's, to tell "already red"), and the
// deployments of the configured environment. One GraphQL query per 25 repos.
// Returns the core's CI inputs; the fold itself lives in core/ci.ts.

import type { CheckRun, CheckRunConclusion, CheckRunStatus, CommitStatus, DeploymentStatus } from "../core/ci.js";
import { CHECK_RUN_CONCLUSIONS, CHECK_RUN_STATUSES, COMMIT_STATUS_STATES, DEPLOYMENT_STATES } from "../core/ci.js";
import type { Instant, RepoSlug } from "../core/types.js";
import type { GitHubClient } from "./client.js";
import { chunk, runBatchQuery } from "./graphql.js";
import { REPOS_PER_QUERY } from "./graphql.js";

const HISTORY_PAGE = 100;
const CONTEXTS_PAGE = 100;
const DEPLOYMENTS_PAGE = 20;

export interface CommitQuestion {
  repo: RepoSlug;
  /** Candidate shas referenced by the run's issue since dispatch. */
  shas: string[];
  /** Only default-branch commits after this instant count. */
  since: Instant;
}

export interface CommitChecks {
  checkRuns: CheckRun[];
  statuses: CommitStatus[];
  /** True when GitHub had more contexts than one page; the verdict then waits rather than guesses. */
  truncated: boolean;
}

export interface CommitAnswer {
  sha: string;
  /** Reachable from the default branch (seen in its history since `since`). */
  onDefaultBranch: boolean;
  checks: CommitChecks | null;
  parent: { sha: string; checks: CommitChecks | null } | null;
}

export interface RepoCommitFacts {
  repo: RepoSlug;
  error: string | null;
  commits: CommitAnswer[];
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
  statusCheckRollup: RollupJson | null;
  parents?: { nodes: { oid: string; statusCheckRollup: RollupJson | null }[] };
}
type RepoCommitJson = Record<string, unknown> & {
  defaultBranchRef: { target: { history?: { nodes: { oid: string }[] } } | null } | null;
  deployments?: {
    nodes: {
      databaseId: number | null;
      commitOid: string;
      latestStatus: { state: string; logUrl: string | null; environmentUrl: string | null } | null;
    }[];
  };
};

const COMMIT_FRAGMENTS = `
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
          (_, j) =>
            `c${j}: object(oid: $sha_$ALIAS_${j}) { ... on Commit { oid ...AfkRollup parents(first: 1) { nodes { oid ...AfkRollup } } } }`,
        );
        const deployments =
          deployEnvironment === null
            ? ""
            : `deployments(environments: [$environment], first: ${DEPLOYMENTS_PAGE}, orderBy: { field: CREATED_AT, direction: DESC }) { nodes { databaseId commitOid latestStatus { state logUrl environmentUrl } } }`;
        return `defaultBranchRef { target { ... on Commit { history(first: ${HISTORY_PAGE}, since: $since_$ALIAS) { nodes { oid } } } } } ${commits.join(" ")} ${deployments}`;
      },
      fragments: COMMIT_FRAGMENTS,
      repos: batch.map((q, i) => {
        const [owner = "", name = ""] = q.repo.split("/");
        const variables: Record<string, unknown> = { [`since_r${i}`]: q.since };
        q.shas.forEach((sha, j) => (variables[`sha_r${i}_${j}`] = sha));
        return { alias: `r${i}`, owner, name, variables };
      }),
      perRepoDeclare: (repo) => {
        const question = batch[Number(repo.alias.slice(1))];
        return [
          `$since_${repo.alias}: GitTimestamp!`,
          ...(question?.shas ?? []).map((_, j) => `$sha_${repo.alias}_${j}: GitObjectID!`),
        ];
      },
    });
    batch.forEach((question, i) => {
      const data = result.byAlias.get(`r${i}`);
      if (!data) {
        answers.push({
          repo: question.repo,
          error: result.errors.get(`r${i}`) ?? "not found",
          commits: [],
          deployments: null,
        });
        return;
      }
      const onBranch = new Set((data.defaultBranchRef?.target?.history?.nodes ?? []).map((n) => n.oid));
      const commits = question.shas.map((sha, j): CommitAnswer => {
        const commit = data[`c${j}`] as CommitJson | null | undefined;
        const parent = commit?.parents?.nodes[0];
        return {
          sha,
          onDefaultBranch: onBranch.has(sha),
          checks: commit ? toChecks(commit.statusCheckRollup) : null,
          parent: parent ? { sha: parent.oid, checks: toChecks(parent.statusCheckRollup) } : null,
        };
      });
      const deployments =
        deployEnvironment === null
          ? null
          : (data.deployments?.nodes ?? []).map((d) => ({
              deploymentId: d.databaseId ?? 0,
              sha: d.commitOid,
              state: lowerEnum(d.latestStatus?.state, DEPLOYMENT_STATES, "pending"),
              url: d.latestStatus?.logUrl ?? d.latestStatus?.environmentUrl ?? null,
            }));
      answers.push({ repo: question.repo, error: null, commits, deployments });
    });
  }
  return answers;
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
