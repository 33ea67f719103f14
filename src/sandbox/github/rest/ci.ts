// REST routes for what CI said about a commit: check runs (GitHub's `latest`
// filter and pagination), the combined legacy status, deployments and their
// statuses. Owns those filters and orders; never invents a result.

import { GitHubHttpError, notFound } from "../http-error.js";
import type { CheckRun, CommitStatus } from "../store.js";
import { paginate } from "./paginate.js";
import { repoRoute, type RepoContext, type Reply, type Route } from "./router.js";

function refSha(ctx: RepoContext): string {
  const ref = ctx.params["ref"] ?? "";
  const commit = ctx.store.resolveRef(ctx.repo.fullName, ref);
  if (!commit) throw new GitHubHttpError(422, `No commit found for SHA: ${ref}`);
  return commit.sha;
}

function checkRuns(ctx: RepoContext): Reply {
  const sha = refSha(ctx);
  const q = ctx.url.searchParams;
  const name = q.get("check_name");
  const status = q.get("status");
  const appId = q.get("app_id");
  let runs = ctx.repo.checkRuns.filter(
    (r) =>
      r.headSha === sha &&
      (name === null || r.name === name) &&
      (status === null || r.status === status) &&
      (appId === null || String(r.app.id) === appId),
  );
  // `filter=latest` (the default) keeps the most recent run per name and app.
  if (q.get("filter") !== "all") {
    const latest = new Map<string, CheckRun>();
    for (const run of runs) latest.set(`${run.app.id}\0${run.name}`, run);
    runs = [...latest.values()];
  }
  runs = [...runs].sort((a, b) => b.id - a.id);
  const page = paginate(runs, ctx);
  return {
    status: 200,
    body: { total_count: runs.length, check_runs: page.items.map((r) => ctx.render.checkRun(ctx.repo, r)) },
    headers: page.headers,
  };
}

function combinedStatus(ctx: RepoContext): Reply {
  const sha = refSha(ctx);
  const latest = new Map<string, CommitStatus>();
  for (const status of ctx.repo.statuses) if (status.sha === sha) latest.set(status.context, status);
  const newestFirst = [...latest.values()].sort((a, b) => b.id - a.id);
  const page = paginate(newestFirst, ctx);
  return { status: 200, body: ctx.render.combinedStatus(ctx.repo, sha, page.items), headers: page.headers };
}

function deployments(ctx: RepoContext): Reply {
  const q = ctx.url.searchParams;
  const filters = (["sha", "ref", "task", "environment"] as const).map((f) => [f, q.get(f)] as const);
  const found = ctx.repo.deployments
    .filter((d) => filters.every(([field, value]) => value === null || d[field] === value))
    .sort((a, b) => b.id - a.id);
  const page = paginate(found, ctx);
  return { status: 200, body: page.items.map((d) => ctx.render.deployment(ctx.repo, d)), headers: page.headers };
}

function deploymentStatuses(ctx: RepoContext): Reply {
  const deployment = ctx.repo.deployments.find((d) => String(d.id) === ctx.params["deployment_id"]);
  if (!deployment) throw notFound();
  const page = paginate([...deployment.statuses].reverse(), ctx);
  return {
    status: 200,
    body: page.items.map((s) => ctx.render.deploymentStatus(ctx.repo, deployment, s)),
    headers: page.headers,
  };
}

export const ciRoutes: Route[] = [
  repoRoute("GET", "/commits/{ref}/check-runs", checkRuns),
  repoRoute("GET", "/commits/{ref}/status", combinedStatus),
  repoRoute("GET", "/deployments", deployments),
  repoRoute("GET", "/deployments/{deployment_id}/statuses", deploymentStatuses),
];
