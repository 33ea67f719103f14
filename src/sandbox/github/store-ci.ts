// The GitHub emulator's CI: check runs and suites, commit statuses,
// deployments, workflows and their runs (dispatch, cancel, force-cancel).
// One layer of the store (see store-base.ts).

import type {
  App,
  CheckStatus,
  CheckConclusion,
  CheckRun,
  CommitState,
  CommitStatus,
  DeploymentState,
  DeploymentStatus,
  Deployment,
  Workflow,
  RunStatus,
  RunConclusion,
  WorkflowRun,
  Repo,
} from "./model.js";
import { ACTIONS_APP, ACTIONS_BOT, iso, nodeId, StoreError } from "./store-base.js";
import { CommitStore } from "./store-commits.js";

export abstract class CiStore extends CommitStore {
  // --- CI --------------------------------------------------------------------

  addCheckRun(
    fullName: string,
    spec: {
      headSha: string;
      name: string;
      status?: CheckStatus;
      conclusion?: CheckConclusion | null;
      detailsUrl?: string | null;
      app?: App;
      workflowRunId?: number | null;
      at?: Date;
    },
  ): CheckRun {
    const repo = this.mustRepo(fullName);
    const id = this.id();
    const at = iso(spec.at ?? this.now());
    const conclusion = spec.conclusion ?? null;
    const status = spec.status ?? (conclusion ? "completed" : "queued");
    const run: CheckRun = {
      id,
      nodeId: nodeId("CheckRun", id),
      headSha: spec.headSha,
      name: spec.name,
      status,
      conclusion,
      startedAt: at,
      completedAt: status === "completed" ? at : null,
      detailsUrl: spec.detailsUrl ?? null,
      externalId: "",
      app: spec.app ?? ACTIONS_APP,
      checkSuiteId: this.suiteFor(repo, spec.workflowRunId ?? null),
      workflowRunId: spec.workflowRunId ?? null,
    };
    repo.checkRuns.push(run);
    return run;
  }

  updateCheckRun(
    fullName: string,
    id: number,
    patch: { status?: CheckStatus; conclusion?: CheckConclusion | null; detailsUrl?: string | null; at?: Date },
  ): CheckRun {
    const run = this.mustRepo(fullName).checkRuns.find((r) => r.id === id);
    if (!run) throw new StoreError("not-found", `no check run ${id} in ${fullName}`);
    if (patch.conclusion !== undefined) run.conclusion = patch.conclusion;
    run.status = patch.status ?? (patch.conclusion ? "completed" : run.status);
    if (patch.detailsUrl !== undefined) run.detailsUrl = patch.detailsUrl;
    run.completedAt = run.status === "completed" ? iso(patch.at ?? this.now()) : null;
    return run;
  }

  addStatus(
    fullName: string,
    spec: {
      sha: string;
      state: CommitState;
      context?: string;
      description?: string | null;
      targetUrl?: string | null;
      creator?: string;
      at?: Date;
    },
  ): CommitStatus {
    const repo = this.mustRepo(fullName);
    const id = this.id();
    const at = iso(spec.at ?? this.now());
    const creator = spec.creator ?? ACTIONS_BOT;
    this.ensureUser(creator);
    const status: CommitStatus = {
      id,
      nodeId: nodeId("StatusContext", id),
      sha: spec.sha,
      state: spec.state,
      context: spec.context ?? "default",
      description: spec.description ?? null,
      targetUrl: spec.targetUrl ?? null,
      creator,
      createdAt: at,
      updatedAt: at,
    };
    repo.statuses.push(status);
    return status;
  }

  createDeployment(
    fullName: string,
    spec: {
      sha: string;
      environment: string;
      ref?: string;
      task?: string;
      description?: string;
      creator?: string;
      at?: Date;
    },
  ): Deployment {
    const repo = this.mustRepo(fullName);
    const id = this.id();
    const at = iso(spec.at ?? this.now());
    const creator = spec.creator ?? ACTIONS_BOT;
    this.ensureUser(creator);
    const deployment: Deployment = {
      id,
      nodeId: nodeId("Deployment", id),
      sha: spec.sha,
      ref: spec.ref ?? repo.defaultBranch,
      task: spec.task ?? "deploy",
      environment: spec.environment,
      description: spec.description ?? null,
      creator,
      createdAt: at,
      updatedAt: at,
      statuses: [],
    };
    repo.deployments.push(deployment);
    return deployment;
  }

  addDeploymentStatus(
    fullName: string,
    deploymentId: number,
    spec: {
      state: DeploymentState;
      description?: string;
      environmentUrl?: string;
      logUrl?: string;
      creator?: string;
      at?: Date;
    },
  ): DeploymentStatus {
    const deployment = this.mustRepo(fullName).deployments.find((d) => d.id === deploymentId);
    if (!deployment) throw new StoreError("not-found", `no deployment ${deploymentId} in ${fullName}`);
    const id = this.id();
    const at = iso(spec.at ?? this.now());
    const creator = spec.creator ?? ACTIONS_BOT;
    this.ensureUser(creator);
    const status: DeploymentStatus = {
      id,
      nodeId: nodeId("DeploymentStatus", id),
      state: spec.state,
      description: spec.description ?? "",
      environment: deployment.environment,
      // GitHub sends "" when these are unset, but its description says `uri`: default to the deployments page.
      environmentUrl: spec.environmentUrl ?? `https://github.com/${fullName}/deployments`,
      logUrl: spec.logUrl ?? `https://github.com/${fullName}/deployments`,
      targetUrl: spec.logUrl ?? `https://github.com/${fullName}/deployments`,
      creator,
      createdAt: at,
      updatedAt: at,
    };
    deployment.statuses.push(status);
    deployment.updatedAt = at;
    return status;
  }

  addWorkflow(fullName: string, spec: { path: string; name?: string; runName?: string; at?: Date }): Workflow {
    const repo = this.mustRepo(fullName);
    const id = this.id();
    const file = spec.path.split("/").pop() ?? spec.path;
    const workflow: Workflow = {
      id,
      nodeId: nodeId("Workflow", id),
      name: spec.name ?? file,
      path: spec.path.includes("/") ? spec.path : `.github/workflows/${spec.path}`,
      runName: spec.runName ?? null,
      createdAt: iso(spec.at ?? this.now()),
    };
    repo.workflows.push(workflow);
    return workflow;
  }

  /** By numeric id or by file name (`afk.yml`), as the Actions API accepts either. */
  findWorkflow(fullName: string, idOrFile: string | number): Workflow | undefined {
    const wanted = String(idOrFile);
    return this.mustRepo(fullName).workflows.find((w) => String(w.id) === wanted || w.path.split("/").pop() === wanted);
  }

  createWorkflowRun(
    fullName: string,
    spec: {
      workflowId: number;
      event?: string;
      headBranch?: string;
      headSha?: string;
      displayTitle?: string;
      inputs?: Record<string, string>;
      actor?: string;
      status?: RunStatus;
      at?: Date;
    },
  ): WorkflowRun {
    const repo = this.mustRepo(fullName);
    const workflow = repo.workflows.find((w) => w.id === spec.workflowId);
    if (!workflow) throw new StoreError("not-found", `no workflow ${spec.workflowId} in ${fullName}`);
    const headBranch = spec.headBranch ?? repo.defaultBranch;
    const headSha = spec.headSha ?? repo.branches.get(headBranch);
    if (headSha === undefined) throw new StoreError("invalid", `No ref found for: ${headBranch}`);
    const actor = spec.actor ?? repo.owner;
    this.ensureUser(actor);
    const id = this.id();
    const at = iso(spec.at ?? this.now());
    const run: WorkflowRun = {
      id,
      nodeId: nodeId("WorkflowRun", id),
      workflowId: workflow.id,
      name: workflow.name,
      displayTitle: spec.displayTitle ?? renderRunName(workflow, spec.inputs ?? {}),
      event: spec.event ?? "workflow_dispatch",
      status: spec.status ?? "queued",
      conclusion: null,
      headSha,
      headBranch,
      runNumber: repo.workflowRuns.filter((r) => r.workflowId === workflow.id).length + 1,
      runAttempt: 1,
      actor,
      createdAt: at,
      updatedAt: at,
      runStartedAt: at,
      inputs: { ...spec.inputs },
      checkSuiteId: this.id(),
    };
    repo.workflowRuns.push(run);
    return run;
  }

  /** Called by the server on `workflow_dispatch`: the run is created, then the scripted world hears of it. */
  dispatchWorkflow(fullName: string, run: Parameters<CiStore["createWorkflowRun"]>[1]): WorkflowRun {
    const created = this.createWorkflowRun(fullName, { ...run, event: "workflow_dispatch" });
    const repo = this.mustRepo(fullName);
    for (const listener of this.dispatchListeners) listener(repo, created);
    return created;
  }

  updateWorkflowRun(
    fullName: string,
    id: number,
    patch: { status?: RunStatus; conclusion?: RunConclusion | null; displayTitle?: string; at?: Date },
  ): WorkflowRun {
    const run = this.mustRepo(fullName).workflowRuns.find((r) => r.id === id);
    if (!run) throw new StoreError("not-found", `no workflow run ${id} in ${fullName}`);
    if (patch.conclusion !== undefined) run.conclusion = patch.conclusion;
    run.status = patch.status ?? (patch.conclusion ? "completed" : run.status);
    if (patch.displayTitle !== undefined) run.displayTitle = patch.displayTitle;
    run.updatedAt = iso(patch.at ?? this.now());
    return run;
  }

  /** A run whose plain cancel does not take (an `always()` step that hangs): only force-cancel ends it. */
  resistCancel(fullName: string, id: number): void {
    this.mustRepo(fullName);
    this.cancelResistant.add(id);
  }

  /**
   * GitHub's cancel and force-cancel: `conflict` for a run already completed; otherwise the run
   * ends `cancelled` (at once here; GitHub takes a moment), unless it resists a plain cancel.
   */
  cancelWorkflowRun(fullName: string, id: number, force: boolean): "accepted" | "conflict" | "not-found" {
    const run = this.mustRepo(fullName).workflowRuns.find((r) => r.id === id);
    if (!run) return "not-found";
    if (run.status === "completed") return "conflict";
    if (!force && this.cancelResistant.has(id)) return "accepted";
    this.updateWorkflowRun(fullName, id, { status: "completed", conclusion: "cancelled" });
    return "accepted";
  }

  private suiteFor(repo: Repo, workflowRunId: number | null): number {
    if (workflowRunId === null) return this.id();
    return repo.workflowRuns.find((r) => r.id === workflowRunId)?.checkSuiteId ?? this.id();
  }
}

/** Expands `${{ inputs.x }}` / `${{ github.event.inputs.x }}` in a workflow's `run-name`, as Actions does. */
function renderRunName(workflow: Workflow, inputs: Record<string, string>): string {
  if (workflow.runName === null) return workflow.name;
  return workflow.runName.replace(
    /\$\{\{\s*(?:github\.event\.)?inputs\.([\w-]+)\s*\}\}/g,
    (_, name: string) => inputs[name] ?? "",
  );
}
