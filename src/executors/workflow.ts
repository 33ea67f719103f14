// The GitHub workflow executor: runs the agent on GitHub itself by
// dispatching a workflow in the target repository. Owns the dispatch inputs,
// finding a run again by its run id (the agent workflow puts it in its
// `run-name`), and mapping a workflow run to a normalised status.
// A dispatch is not idempotent, so it is sent once; a repeat first looks for
// the run an earlier attempt may have started.

import type { WorkflowSettings } from "../core/config.js";
import type { AgentState, AgentStatus, RepoSlug } from "../core/types.js";
import { NO_RETRY, type GitHubClient } from "../github/client.js";
import { githubStatus } from "../github/errors.js";
import {
  checkPromptSize,
  ExecutorError,
  type DispatchRequest,
  type DispatchResult,
  type Executor,
  type FollowUpRequest,
  type StopRequest,
} from "./executor.js";

interface WorkflowRunJson {
  id: number;
  name?: string | null;
  display_title?: string;
  status: string | null;
  conclusion: string | null;
  html_url: string;
  created_at: string;
}

export class WorkflowExecutor implements Executor {
  readonly kind = "workflow" as const;

  constructor(
    private readonly client: GitHubClient,
    private readonly settings: WorkflowSettings,
  ) {}

  async dispatch(req: DispatchRequest): Promise<DispatchResult> {
    const existing = await this.findRun(req.repo, req.runId, 0);
    if (existing) return { threadId: String(existing.id), link: existing.html_url };
    return this.start(req, 0);
  }

  async followUp(req: FollowUpRequest): Promise<DispatchResult> {
    const existing = await this.findRun(req.repo, req.runId, req.turn);
    if (existing) return { threadId: String(existing.id), link: existing.html_url };
    return this.start(req, req.turn);
  }

  async status(run: {
    repo: RepoSlug;
    runId: string;
    threadId: string | null;
  }): Promise<AgentStatus & { threadId: string | null }> {
    const found =
      run.threadId !== null
        ? await this.getRun(run.repo, Number(run.threadId))
        : await this.findRun(run.repo, run.runId, null);
    if (!found) return { state: "missing", detail: null, link: null, threadId: null };
    return { ...runStatus(found), link: found.html_url, threadId: String(found.id) };
  }

  /**
   * Cancel the workflow run (`force-cancel` when forced: a run whose cancel did not take, for
   * example one stuck in an `always()` step). GitHub answers 409 for a run already finished:
   * nothing is left to stop. A run never found has nothing to stop either.
   */
  async stop(req: StopRequest): Promise<void> {
    const [owner = "", name = ""] = req.repo.split("/");
    const id =
      req.threadId !== null && /^\d+$/.test(req.threadId)
        ? Number(req.threadId)
        : (await this.findRun(req.repo, req.runId, null))?.id;
    if (id === undefined) return;
    const route = req.forced
      ? ("POST /repos/{owner}/{repo}/actions/runs/{run_id}/force-cancel" as const)
      : ("POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel" as const);
    try {
      await this.client.octokit.request(route, { owner, repo: name, run_id: id });
    } catch (error) {
      if ((error as { status?: number }).status === 409) return;
      throw error;
    }
  }

  link(threadId: string, repo: RepoSlug): string | null {
    return /^\d+$/.test(threadId) ? `https://github.com/${repo}/actions/runs/${threadId}` : null;
  }

  private async start(
    req: Pick<DispatchRequest, "repo" | "issue" | "runId" | "prompt" | "defaultBranch">,
    turn: number,
  ): Promise<DispatchResult> {
    const { repo, issue, runId, prompt } = req;
    checkPromptSize(prompt);
    const [owner = "", name = ""] = repo.split("/");
    // The tick's batched read gives the default branch; only an empty repository has none.
    const ref = this.settings.ref ?? req.defaultBranch ?? null;
    if (ref === null) {
      throw new ExecutorError(
        `${repo} has no default branch to run workflow ${this.settings.workflowFile} on; set workflow-ref`,
        true,
      );
    }
    const response = await this.client.octokit.request(
      "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches",
      {
        owner,
        repo: name,
        workflow_id: this.settings.workflowFile,
        ref,
        inputs: {
          issue: String(issue),
          "run-id": runKey(runId, turn),
          prompt,
        },
        return_run_details: true,
        ...NO_RETRY,
      },
    );
    // Since 2026 GitHub can answer with the run; older servers answer 204 and the run is found by name.
    const details = response.data as { workflow_run_id?: number; html_url?: string } | undefined;
    const status: number = response.status; // typed as 200 only, but older servers answer 204
    if (status === 200 && typeof details?.workflow_run_id === "number") {
      return { threadId: String(details.workflow_run_id), link: details.html_url ?? null };
    }
    const found = await this.findRun(repo, runId, turn);
    if (!found) {
      throw new ExecutorError(
        `workflow ${this.settings.workflowFile} was dispatched in ${repo} but its run is not listed yet`,
        false,
      );
    }
    return { threadId: String(found.id), link: found.html_url };
  }

  private async getRun(repo: RepoSlug, id: number): Promise<WorkflowRunJson | null> {
    const [owner = "", name = ""] = repo.split("/");
    try {
      return (await this.client.octokit.rest.actions.getWorkflowRun({ owner, repo: name, run_id: id })).data;
    } catch (error) {
      if (githubStatus(error) === 404) return null;
      throw error;
    }
  }

  /** The newest dispatch run whose name carries this run id (and turn, when given). */
  private async findRun(repo: RepoSlug, runId: string, turn: number | null): Promise<WorkflowRunJson | null> {
    const [owner = "", name = ""] = repo.split("/");
    let runs: WorkflowRunJson[];
    try {
      const { data } = await this.client.octokit.rest.actions.listWorkflowRuns({
        owner,
        repo: name,
        workflow_id: this.settings.workflowFile,
        event: "workflow_dispatch",
        per_page: 50,
      });
      runs = data.workflow_runs;
    } catch (error) {
      if (githubStatus(error) === 404) return null;
      throw error;
    }
    const key = turn === null ? runId : runKey(runId, turn);
    const matches = runs.filter((r) => {
      const title = `${r.display_title ?? ""} ${r.name ?? ""}`;
      return turn === null ? title.includes(key) : new RegExp(`(^|\\s)${escapeRegExp(key)}(\\s|$)`).test(title);
    });
    return matches.sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at))[0] ?? null;
  }
}

/** The id the agent workflow puts in its run-name: the run id, and the turn for follow-ups. */
export function runKey(runId: string, turn: number): string {
  return turn === 0 ? runId : `${runId}.t${turn}`;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

const RUNNING = new Set(["queued", "in_progress", "waiting", "requested", "pending"]);
const CONCLUSIONS: Record<string, AgentState> = {
  success: "idle",
  failure: "error",
  cancelled: "interrupted",
  timed_out: "error",
  startup_failure: "error",
  action_required: "needs-input",
};

function runStatus(run: Pick<WorkflowRunJson, "status" | "conclusion">): AgentStatus {
  if (run.status !== null && RUNNING.has(run.status)) return { state: "running", detail: null, link: null };
  if (run.status === "completed") {
    const state = (run.conclusion !== null ? CONCLUSIONS[run.conclusion] : undefined) ?? "unknown";
    return {
      state,
      detail: state === "idle" ? null : `workflow run ${run.conclusion ?? "ended without a conclusion"}`,
      link: null,
    };
  }
  return {
    state: "unknown",
    detail: `unknown workflow run status ${JSON.stringify(run.status).slice(0, 40)}`,
    link: null,
  };
}
