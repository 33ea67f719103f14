// REST routes for GitHub Actions: `workflow_dispatch` (204, or 200 with the run's
// ids when `return_run_details` is sent) and workflow runs (list with GitHub's
// filters, get), cancel and force-cancel (202 `{}`, 409 for a finished run). Owns those filters; the scripted world hears of a dispatch
// through the store.

import { z } from "zod";
import { GitHubHttpError, invalid, notFound } from "../http-error.js";
import type { Workflow, WorkflowRun } from "../store.js";
import { parseBody } from "./body.js";
import { paginate } from "./paginate.js";
import { repoRoute, type RepoContext, type Reply, type Route } from "./router.js";

const dispatchBody = z.object({
  ref: z.string({ error: '"ref" wasn\'t supplied.' }),
  inputs: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).optional(),
  return_run_details: z.boolean().optional(),
});

function pathWorkflow(ctx: RepoContext): Workflow {
  const workflow = ctx.store.findWorkflow(ctx.repo.fullName, ctx.params["workflow_id"] ?? "");
  if (!workflow) throw notFound();
  return workflow;
}

function dispatch(ctx: RepoContext): Reply {
  const workflow = pathWorkflow(ctx);
  const body = parseBody(dispatchBody, ctx.body);
  const branch = body.ref.replace(/^refs\/heads\//, "");
  const headSha = ctx.repo.branches.get(branch);
  if (headSha === undefined) throw invalid(`No ref found for: ${body.ref}`);
  if (Object.keys(body.inputs ?? {}).length > 25) throw invalid("Invalid request.\n\ninputs has too many properties.");
  const run = ctx.store.dispatchWorkflow(ctx.repo.fullName, {
    workflowId: workflow.id,
    headBranch: branch,
    headSha,
    inputs: body.inputs ?? {},
    actor: ctx.login,
  });
  if (body.return_run_details !== true) return { status: 204 };
  const rendered = ctx.render.workflowRun(ctx.repo, run);
  return { status: 200, body: { workflow_run_id: run.id, run_url: rendered.url, html_url: rendered.html_url } };
}

const STATUSES = new Set(["queued", "in_progress", "completed", "waiting", "requested", "pending"]);

/** `created` as GitHub's search syntax: `>=D`, `<=D`, `>D`, `<D`, `D..D`, or a day. */
function createdMatches(filter: string, createdAt: string): boolean {
  const range = /^(.+)\.\.(.+)$/.exec(filter);
  if (range?.[1] !== undefined && range[2] !== undefined) {
    return createdAt >= range[1] && (range[2] === "*" || createdAt.slice(0, range[2].length) <= range[2]);
  }
  const op = /^(>=|<=|>|<)(.+)$/.exec(filter);
  if (op?.[1] !== undefined && op[2] !== undefined) {
    const at = op[2];
    switch (op[1]) {
      case ">=":
        return createdAt >= at;
      case "<=":
        return createdAt.slice(0, at.length) <= at;
      case ">":
        return createdAt.slice(0, at.length) > at;
      default:
        return createdAt < at;
    }
  }
  return createdAt.startsWith(filter);
}

function listRuns(ctx: RepoContext, workflow: Workflow | null): Reply {
  const q = ctx.url.searchParams;
  const want = (name: string): string | null => q.get(name);
  const status = want("status");
  const matches = (run: WorkflowRun): boolean =>
    (workflow === null || run.workflowId === workflow.id) &&
    (want("event") === null || run.event === want("event")) &&
    (want("branch") === null || run.headBranch === want("branch")) &&
    (want("head_sha") === null || run.headSha === want("head_sha")) &&
    (want("actor") === null || run.actor.toLowerCase() === want("actor")?.toLowerCase()) &&
    (want("check_suite_id") === null || String(run.checkSuiteId) === want("check_suite_id")) &&
    (status === null || (STATUSES.has(status) ? run.status === status : run.conclusion === status)) &&
    (want("created") === null || createdMatches(want("created") ?? "", run.createdAt));
  const runs = ctx.repo.workflowRuns.filter(matches).sort((a, b) => b.id - a.id);
  const page = paginate(runs, ctx);
  return {
    status: 200,
    body: { total_count: runs.length, workflow_runs: page.items.map((r) => ctx.render.workflowRun(ctx.repo, r)) },
    headers: page.headers,
  };
}

function getRun(ctx: RepoContext): Reply {
  const run = ctx.repo.workflowRuns.find((r) => String(r.id) === ctx.params["run_id"]);
  if (!run) throw new GitHubHttpError(404, "Not Found");
  return { status: 200, body: ctx.render.workflowRun(ctx.repo, run) };
}

function cancel(ctx: RepoContext, force: boolean): Reply {
  const id = Number(ctx.params["run_id"]);
  const outcome = Number.isSafeInteger(id) ? ctx.store.cancelWorkflowRun(ctx.repo.fullName, id, force) : "not-found";
  if (outcome === "not-found") throw notFound();
  if (outcome === "conflict") throw new GitHubHttpError(409, "Cannot cancel a workflow run that is completed.");
  return { status: 202, body: {} };
}

export const actionsRoutes: Route[] = [
  repoRoute("POST", "/actions/workflows/{workflow_id}/dispatches", dispatch),
  repoRoute("GET", "/actions/workflows/{workflow_id}/runs", (ctx) => listRuns(ctx, pathWorkflow(ctx))),
  repoRoute("GET", "/actions/runs", (ctx) => listRuns(ctx, null)),
  repoRoute("GET", "/actions/runs/{run_id}", getRun),
  repoRoute("POST", "/actions/runs/{run_id}/cancel", (ctx) => cancel(ctx, false)),
  repoRoute("POST", "/actions/runs/{run_id}/force-cancel", (ctx) => cancel(ctx, true)),
];
