// The commit side of the GraphQL graph: commits (history, parents), the
// status-check rollup of check runs and legacy statuses, and deployments with
// their latest status, in GitHub's enum spellings. Owns GitHub's "latest per
// name / per context" rollup rules. Never mutates the store.

import type { CheckRun, CommitStatus, Deployment, Repo } from "../store.js";
import { reachableCommits } from "../store-base.js";
import { connection, type PageArgs } from "./connection.js";

type Node = Record<string, unknown>;
const WEB = "https://github.com";
const upper = (value: string | null): string | null => (value === null ? null : value.toUpperCase());

export function commitNode(repo: Repo, sha: string): Node | null {
  const found = repo.commits.get(sha);
  if (!found) return null;
  return {
    __typename: "Commit",
    id: Buffer.from(`06:Commit${repo.id}:${sha}`).toString("base64"),
    oid: sha,
    abbreviatedOid: sha.slice(0, 7),
    message: found.message,
    messageHeadline: found.message.split("\n")[0] ?? "",
    committedDate: found.date,
    authoredDate: found.date,
    pushedDate: found.date,
    url: `${WEB}/${repo.fullName}/commit/${sha}`,
    parents: (args: PageArgs) => connection(found.parents, args, (parent) => commitNode(repo, parent)),
    history: (args: PageArgs & { since?: string | null; until?: string | null }) => {
      const reachable = reachableCommits(repo, sha).filter(
        (c) => (!args.since || c.date >= args.since) && (!args.until || c.date <= args.until),
      );
      return connection(reachable, args, (c) => commitNode(repo, c.sha));
    },
    statusCheckRollup: () => rollup(repo, sha),
  };
}

/** GitHub's rollup: the latest check run per (app, name) and the latest status per context; null when neither exists. */
function rollup(repo: Repo, sha: string): Node | null {
  const runs = new Map<string, CheckRun>();
  for (const run of repo.checkRuns) if (run.headSha === sha) runs.set(`${run.app.id}\0${run.name}`, run);
  const statuses = new Map<string, CommitStatus>();
  for (const status of repo.statuses) if (status.sha === sha) statuses.set(status.context, status);
  const contexts: Node[] = [
    ...[...runs.values()].map((run) => checkRunNode(repo, run)),
    ...[...statuses.values()].map(statusContextNode),
  ];
  if (contexts.length === 0) return null;
  const states = contexts.map((c) => c["rollupState"]);
  const state = states.some((s) => s === "FAILURE" || s === "ERROR")
    ? "FAILURE"
    : states.every((s) => s === "SUCCESS")
      ? "SUCCESS"
      : "PENDING";
  return {
    __typename: "StatusCheckRollup",
    state,
    contexts: (args: PageArgs) => connection(contexts, args, (c) => c),
  };
}

const GREEN_CONCLUSIONS = new Set(["success", "neutral", "skipped"]);

function checkRunNode(repo: Repo, run: CheckRun): Node {
  const url = `${WEB}/${repo.fullName}/runs/${run.id}`;
  return {
    __typename: "CheckRun",
    id: run.nodeId,
    databaseId: run.id,
    name: run.name,
    status: run.status.toUpperCase(),
    conclusion: upper(run.conclusion),
    detailsUrl: run.detailsUrl ?? url,
    url,
    permalink: url,
    startedAt: run.startedAt,
    completedAt: run.completedAt,
    checkSuite: {
      __typename: "CheckSuite",
      databaseId: run.checkSuiteId,
      workflowRun:
        run.workflowRunId === null
          ? null
          : {
              __typename: "WorkflowRun",
              databaseId: run.workflowRunId,
              url: `${WEB}/${repo.fullName}/actions/runs/${run.workflowRunId}`,
            },
    },
    rollupState:
      run.status !== "completed" ? "PENDING" : GREEN_CONCLUSIONS.has(run.conclusion ?? "") ? "SUCCESS" : "FAILURE",
  };
}

function statusContextNode(status: CommitStatus): Node {
  return {
    __typename: "StatusContext",
    id: status.nodeId,
    context: status.context,
    state: status.state.toUpperCase(),
    description: status.description,
    targetUrl: status.targetUrl,
    createdAt: status.createdAt,
    rollupState: status.state.toUpperCase(),
  };
}

interface DeploymentArgs extends PageArgs {
  environments?: string[] | null;
  orderBy?: { field: "CREATED_AT"; direction: "ASC" | "DESC" } | null;
}

export function deployments(repo: Repo, args: DeploymentArgs) {
  const sign = args.orderBy?.direction === "DESC" ? -1 : 1;
  const found = repo.deployments
    .filter((d) => !args.environments || args.environments.includes(d.environment))
    .sort((a, b) => (a.id - b.id) * sign);
  return connection(found, args, (d) => deploymentNode(repo, d));
}

function deploymentNode(repo: Repo, deployment: Deployment): Node {
  const status = (s: Deployment["statuses"][number]): Node => ({
    __typename: "DeploymentStatus",
    id: s.nodeId,
    state: s.state.toUpperCase(),
    description: s.description,
    logUrl: s.logUrl,
    environmentUrl: s.environmentUrl,
    createdAt: s.createdAt,
  });
  const latest = deployment.statuses.at(-1);
  return {
    __typename: "Deployment",
    id: deployment.nodeId,
    databaseId: deployment.id,
    commitOid: deployment.sha,
    commit: () => commitNode(repo, deployment.sha),
    environment: deployment.environment,
    task: deployment.task,
    createdAt: deployment.createdAt,
    updatedAt: deployment.updatedAt,
    // A deployment whose latest status succeeded is ACTIVE in GraphQL's DeploymentState.
    state: !latest ? "PENDING" : latest.state === "success" ? "ACTIVE" : latest.state.toUpperCase(),
    latestStatus: latest ? status(latest) : null,
    statuses: (args: PageArgs) => connection([...deployment.statuses].reverse(), args, status),
  };
}
