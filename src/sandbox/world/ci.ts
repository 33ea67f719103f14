// Scripted CI: for each commit the scripted agent pushes for an issue, report
// what the issue's CI script says for that push (the n-th push gets the n-th
// entry; the last repeats): check runs and/or commit statuses that start at
// once and conclude green or red after M ticks, an optional deployment after
// a green build, or nothing at all. Owns the script format and the CI
// records it writes through the store; never reads the loop's verdict.

import { z } from "zod";
import type { IssueRef } from "../../core/types.js";
import type { Clock } from "../clock.js";
import type { GitHubStore } from "../github/store.js";

const CI_RESULTS = ["green", "red", "pending", "none"] as const;
const DEFAULT_CHECKS = ["build", "test"];

const DeploySchema = z.strictObject({
  environment: z.string().min(1),
  result: z.enum(["success", "failure", "pending"]).default("success"),
  /** Ticks from the green build until the deployment concludes. */
  afterTicks: z.int().min(0).max(100_000).default(1),
});

const CiRunSchema = z
  .strictObject({
    /** `none`: nothing is ever reported; `pending`: checks start and never finish. */
    result: z.enum(CI_RESULTS),
    /** Ticks from the push until the build concludes; 0 concludes at once. */
    afterTicks: z.int().min(0).max(100_000).default(1),
    checks: z.array(z.string().min(1)).min(1).optional(),
    /** Which checks fail on red; default: all of them. */
    failing: z.array(z.string().min(1)).min(1).optional(),
    via: z.enum(["checks", "statuses", "both"]).default("checks"),
    deploy: DeploySchema.optional(),
  })
  .superRefine((run, ctx) => {
    if (run.failing === undefined) return;
    if (run.result !== "red")
      ctx.addIssue({ code: "custom", path: ["failing"], message: "failing only goes with result: red" });
    const checks = run.checks ?? DEFAULT_CHECKS;
    for (const [i, name] of run.failing.entries()) {
      if (!checks.includes(name)) {
        ctx.addIssue({
          code: "custom",
          path: ["failing", i],
          message: `"${name}" is not one of the checks (${checks.join(", ")})`,
        });
      }
    }
  });
type CiRun = z.output<typeof CiRunSchema>;

/** One entry per push the agent makes for the issue; the last repeats. A bare result is `{result}`. */
export const CiScriptSchema = z.preprocess(
  (value): unknown => (Array.isArray(value) ? (value as unknown[]) : [value]),
  z.array(z.preprocess((value) => (typeof value === "string" ? { result: value } : value), CiRunSchema)).min(1),
);
export type CiScript = CiRun[];
export const DEFAULT_CI_SCRIPT: CiScript = [{ result: "green", afterTicks: 1, via: "checks" }];

export interface CiEvent {
  at: string;
  repo: string;
  sha: string;
  event: "none" | "started" | "green" | "red" | "deploying" | "deployed" | "deploy-failed";
  failing?: string[];
}

export interface CiDeps {
  store: GitHubStore;
  clock: Clock;
  scriptFor(issue: IssueRef): CiScript;
}

interface Pending {
  repo: string;
  sha: string;
  run: CiRun;
  stage: "build" | "deploy";
  ticksLeft: number;
  checkIds: number[];
  deploymentId: number | null;
}

export class ScriptedCi {
  readonly journal: CiEvent[] = [];
  private readonly pending: Pending[] = [];
  private readonly pushes = new Map<string, number>();

  constructor(private readonly deps: CiDeps) {}

  /** A commit landed for `issue`: start its build as the script says. */
  onPush(issue: IssueRef, sha: string): void {
    const key = `${issue.repo.toLowerCase()}#${issue.number}`;
    const index = this.pushes.get(key) ?? 0;
    this.pushes.set(key, index + 1);
    const script = this.deps.scriptFor(issue);
    const run = script[Math.min(index, script.length - 1)] ?? DEFAULT_CI_SCRIPT[0];
    if (!run || run.result === "none") {
      this.note(issue.repo, sha, "none");
      return;
    }
    const build: Pending = {
      repo: issue.repo,
      sha,
      run,
      stage: "build",
      ticksLeft: run.afterTicks,
      checkIds: [],
      deploymentId: null,
    };
    for (const name of run.checks ?? DEFAULT_CHECKS) {
      if (run.via !== "statuses") {
        const check = this.deps.store.addCheckRun(issue.repo, {
          headSha: sha,
          name,
          status: "in_progress",
          detailsUrl: detailsUrl(issue.repo, sha, name),
        });
        build.checkIds.push(check.id);
      }
      if (run.via !== "checks") this.status(build, name, "pending");
    }
    this.note(issue.repo, sha, "started");
    this.schedule(build);
  }

  /** One world tick: builds and deployments come one tick closer to concluding. */
  step(): void {
    const due = this.pending.filter((p) => --p.ticksLeft <= 0);
    for (const stage of due) {
      this.pending.splice(this.pending.indexOf(stage), 1);
      this.conclude(stage);
    }
  }

  private schedule(stage: Pending): void {
    const result = stage.stage === "build" ? stage.run.result : stage.run.deploy?.result;
    if (result === "pending") return;
    if (stage.ticksLeft <= 0) this.conclude(stage);
    else this.pending.push(stage);
  }

  private conclude(stage: Pending): void {
    const { store } = this.deps;
    const { run, repo, sha } = stage;
    if (stage.stage === "deploy") {
      const ok = run.deploy?.result === "success";
      if (stage.deploymentId !== null)
        store.addDeploymentStatus(repo, stage.deploymentId, { state: ok ? "success" : "failure" });
      this.note(repo, sha, ok ? "deployed" : "deploy-failed");
      return;
    }
    const checks = run.checks ?? DEFAULT_CHECKS;
    const failing = run.result === "red" ? (run.failing ?? checks) : [];
    for (const [i, name] of checks.entries()) {
      const ok = !failing.includes(name);
      const id = stage.checkIds[i];
      if (id !== undefined)
        store.updateCheckRun(repo, id, { status: "completed", conclusion: ok ? "success" : "failure" });
      if (run.via !== "checks") this.status(stage, name, ok ? "success" : "failure");
    }
    this.note(repo, sha, run.result === "red" ? "red" : "green", failing.length > 0 ? failing : undefined);
    if (run.result !== "green" || !run.deploy) return;
    const deployment = store.createDeployment(repo, { sha, environment: run.deploy.environment });
    store.addDeploymentStatus(repo, deployment.id, { state: "in_progress" });
    this.note(repo, sha, "deploying");
    this.schedule({ ...stage, stage: "deploy", ticksLeft: run.deploy.afterTicks, deploymentId: deployment.id });
  }

  private status(stage: Pending, context: string, state: "pending" | "success" | "failure"): void {
    this.deps.store.addStatus(stage.repo, {
      sha: stage.sha,
      state,
      context,
      description: state === "pending" ? "Running" : state === "success" ? "Passed" : "Failed",
      targetUrl: detailsUrl(stage.repo, stage.sha, context),
    });
  }

  private note(repo: string, sha: string, event: CiEvent["event"], failing?: string[]): void {
    this.journal.push({ at: this.deps.clock.now().toISOString(), repo, sha, event, ...(failing ? { failing } : {}) });
  }
}

/** A stable, obviously fake link per check, so a fix-forward prompt has something to name. */
function detailsUrl(repo: string, sha: string, check: string): string {
  return `https://ci.sandbox.test/${repo}/commit/${sha.slice(0, 12)}/${encodeURIComponent(check)}`;
}
