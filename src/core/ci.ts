// CI fold (docs/design.md §7): a commit's check runs, legacy statuses, deployment
// statuses and rollout probe, folded stage by stage into one CiVerdict.
// Owns which conclusions count as success or failure, re-run handling, the
// exclusion of the loop's own run, and the failure signature. Never fetches
// anything: the adapter reads GitHub and passes plain data in.
//
// Conclusions: success, neutral and skipped count as success (GitHub's own
// merge rules treat them so). Every other conclusion counts as failure:
// cancelled, timed_out, startup_failure and stale never produced a green
// result, and action_required waits for a human, who by definition is not
// at the keyboard. An unconcluded run, or one completed without a
// conclusion, is pending: never success.

import { assertNever } from "./assert-never.js";
import { cutAt } from "./markdown.js";
import { RECORD_LIMITS } from "./run-record.js";
import type { CiStage, CiState, CiVerdict, FailingCheck, Instant } from "./types.js";
import { fnv1a } from "./hash.js";

export const CHECK_RUN_STATUSES = ["queued", "in_progress", "completed", "waiting", "requested", "pending"] as const;
export type CheckRunStatus = (typeof CHECK_RUN_STATUSES)[number];

export const CHECK_RUN_CONCLUSIONS = [
  "success",
  "failure",
  "neutral",
  "cancelled",
  "skipped",
  "timed_out",
  "action_required",
  "stale",
  "startup_failure",
] as const;
export type CheckRunConclusion = (typeof CHECK_RUN_CONCLUSIONS)[number];

export interface CheckRun {
  /** GitHub's id; ids grow, so among runs sharing a name the highest is the latest re-run. */
  id: number;
  name: string;
  status: CheckRunStatus;
  conclusion: CheckRunConclusion | null;
  url: string | null;
  /** The Actions workflow run this check belongs to, when it is one. */
  workflowRunId?: number | null;
}

export const COMMIT_STATUS_STATES = ["error", "failure", "pending", "success"] as const;
type CommitStatusState = (typeof COMMIT_STATUS_STATES)[number];

export interface CommitStatus {
  context: string;
  state: CommitStatusState;
  url: string | null;
  /** When several statuses share a context the latest wins; without times, the later in the list. */
  createdAt?: Instant | null;
}

export const DEPLOYMENT_STATES = [
  "error",
  "failure",
  "inactive",
  "in_progress",
  "queued",
  "pending",
  "success",
] as const;
export type DeploymentState = (typeof DEPLOYMENT_STATES)[number];

/** The latest status of one deployment of the commit to the configured environment. */
export interface DeploymentStatus {
  /** Ids grow: a redeploy of the same commit supersedes the earlier deployment. */
  deploymentId: number;
  state: DeploymentState;
  url: string | null;
}

export interface RolloutProbe {
  /** true: the target reports the commit; false: it reports a failure; null: not yet. */
  ok: boolean | null;
  detail: string | null;
  url: string | null;
}

export interface CiInputs {
  checkRuns: readonly CheckRun[];
  statuses: readonly CommitStatus[];
  /** null: no deploy stage configured. */
  deployments: readonly DeploymentStatus[] | null;
  /** null: no rollout stage configured. */
  rollout: RolloutProbe | null;
  /** The loop's own workflow run: it sits on the same sha and would keep CI pending forever. */
  excludeWorkflowRunId: number | null;
  /** Check run names and status contexts to ignore (e.g. the loop's own job). */
  excludeCheckNames?: readonly string[];
}

interface StageVerdict {
  state: CiState;
  failing: FailingCheck[];
}

/** The rollout probe's name in failing lists and signatures. */
const ROLLOUT_CHECK_NAME = "rollout";
/** A failed deployment's name in failing lists and signatures. */
const DEPLOY_CHECK_NAME = "deploy";

type Outcome = "success" | "failure" | "pending";

interface Signal {
  name: string;
  url: string | null;
  outcome: Outcome;
}

/** Fold every configured stage in order; the first stage that is not green decides. */
export function foldCi(inputs: CiInputs): CiVerdict {
  const stages: [CiStage, () => StageVerdict][] = [["build", () => foldBuildStage(inputs)]];
  const { deployments, rollout } = inputs;
  if (deployments !== null) stages.push(["deploy", () => foldDeployStage(deployments)]);
  if (rollout !== null) stages.push(["rollout", () => foldRolloutStage(rollout)]);

  let last: CiStage = "build";
  for (const [stage, fold] of stages) {
    last = stage;
    const verdict = fold();
    if (verdict.state !== "green") return toVerdict(stage, verdict);
  }
  return { state: "green", stage: last, failing: [], signature: null };
}

/** Check runs and legacy statuses on the commit, after exclusions and re-runs. */
function foldBuildStage(
  inputs: Pick<CiInputs, "checkRuns" | "statuses" | "excludeWorkflowRunId" | "excludeCheckNames">,
): StageVerdict {
  const excluded = new Set(inputs.excludeCheckNames ?? []);
  const excludedRun = inputs.excludeWorkflowRunId;
  // Exclude before picking the latest per name, so our own run cannot shadow a real check of the same name.
  const runs = inputs.checkRuns.filter(
    (run) => !excluded.has(run.name) && !(excludedRun !== null && run.workflowRunId === excludedRun),
  );
  const latestRuns = latestBy(
    runs,
    (run) => run.name,
    (a, b) => a.id - b.id,
  );
  const statuses = inputs.statuses
    .map((status, index) => ({ status, index }))
    .filter(({ status }) => !excluded.has(status.context));
  const latestStatuses = latestBy(
    statuses,
    ({ status }) => status.context,
    (a, b) => compareInstants(a.status.createdAt, b.status.createdAt) || a.index - b.index,
  );
  return foldSignals([
    ...latestRuns.map((run) => ({ name: run.name, url: run.url, outcome: checkRunOutcome(run) })),
    ...latestStatuses.map(({ status }) => ({
      name: status.context,
      url: status.url,
      outcome: statusOutcome(status.state),
    })),
  ]);
}

/** The newest deployment of the commit decides: a redeploy supersedes a failed one. */
function foldDeployStage(deployments: readonly DeploymentStatus[]): StageVerdict {
  const latest = deployments.reduce<DeploymentStatus | null>(
    (best, d) => (best === null || d.deploymentId > best.deploymentId ? d : best),
    null,
  );
  if (latest === null) return { state: "none", failing: [] };
  return foldSignals([{ name: DEPLOY_CHECK_NAME, url: latest.url, outcome: deploymentOutcome(latest.state) }]);
}

function foldRolloutStage(probe: RolloutProbe): StageVerdict {
  const outcome: Outcome = probe.ok === null ? "pending" : probe.ok ? "success" : "failure";
  return foldSignals([{ name: ROLLOUT_CHECK_NAME, url: probe.url, outcome }]);
}

/**
 * True when the parent commit was already red on every check that fails on
 * the child (the same set or more): the agent did not cause the failure, so
 * fix-forward turns would be spent on someone else's breakage.
 */
export function sameFailureOnParent(child: CiVerdict, parent: CiVerdict): boolean {
  if (child.state !== "red" || parent.state !== "red" || child.failing.length === 0) return false;
  const parentNames = new Set(parent.failing.map((check) => check.name));
  return child.failing.every((check) => parentNames.has(check.name));
}

/**
 * Sorted, de-duplicated failing names joined with `, ` (code-unit order, so
 * the same set always gives the same string). Capped to fit the run record;
 * a capped signature ends with a hash of the whole, so two different long
 * sets still compare unequal.
 */
export function failureSignature(names: readonly string[]): string {
  const joined = [...new Set(names)].sort(compareCodeUnits).join(", ");
  const cap = RECORD_LIMITS.failureSignature;
  if (joined.length <= cap) return joined;
  const suffix = ` … #${fnv1a(joined).toString(16).padStart(8, "0")}`;
  return cutAt(joined, cap - suffix.length) + suffix;
}

function toVerdict(stage: CiStage, verdict: StageVerdict): CiVerdict {
  if (verdict.state !== "red") return { state: verdict.state, stage, failing: [], signature: null };
  return {
    state: "red",
    stage,
    failing: verdict.failing,
    signature: failureSignature(verdict.failing.map((check) => check.name)),
  };
}

/** Any failure: red. Else anything unconcluded: pending. Nothing at all: none. Else green. */
function foldSignals(signals: readonly Signal[]): StageVerdict {
  if (signals.length === 0) return { state: "none", failing: [] };
  const failing = signals
    .filter((signal) => signal.outcome === "failure")
    .map(({ name, url }) => ({ name, url }))
    .sort((a, b) => compareCodeUnits(a.name, b.name) || compareCodeUnits(a.url ?? "", b.url ?? ""));
  if (failing.length > 0) return { state: "red", failing };
  if (signals.some((signal) => signal.outcome === "pending")) return { state: "pending", failing: [] };
  return { state: "green", failing: [] };
}

function checkRunOutcome(run: CheckRun): Outcome {
  switch (run.status) {
    case "queued":
    case "in_progress":
    case "waiting":
    case "requested":
    case "pending":
      return "pending";
    case "completed":
      return run.conclusion === null ? "pending" : conclusionOutcome(run.conclusion);
    default:
      return assertNever(run.status);
  }
}

function conclusionOutcome(conclusion: CheckRunConclusion): Outcome {
  switch (conclusion) {
    case "success":
    case "neutral":
    case "skipped":
      return "success";
    case "failure":
    case "cancelled":
    case "timed_out":
    case "action_required":
    case "stale":
    case "startup_failure":
      return "failure";
    default:
      return assertNever(conclusion);
  }
}

function statusOutcome(state: CommitStatusState): Outcome {
  switch (state) {
    case "success":
      return "success";
    case "error":
    case "failure":
      return "failure";
    case "pending":
      return "pending";
    default:
      return assertNever(state);
  }
}

function deploymentOutcome(state: DeploymentState): Outcome {
  switch (state) {
    // GitHub marks a deployment inactive only after it succeeded and a newer
    // deployment replaced it: this commit did reach the environment.
    case "success":
    case "inactive":
      return "success";
    case "error":
    case "failure":
      return "failure";
    case "in_progress":
    case "queued":
    case "pending":
      return "pending";
    default:
      return assertNever(state);
  }
}

function latestBy<T>(items: readonly T[], key: (item: T) => string, compare: (a: T, b: T) => number): T[] {
  const latest = new Map<string, T>();
  for (const item of items) {
    const k = key(item);
    const seen = latest.get(k);
    if (seen === undefined || compare(item, seen) >= 0) latest.set(k, item);
  }
  return [...latest.values()];
}

/** Missing or unreadable times sort first, so a timed entry beats an untimed one. */
function compareInstants(a: Instant | null | undefined, b: Instant | null | undefined): number {
  const ta = a == null ? Number.NEGATIVE_INFINITY : Date.parse(a);
  const tb = b == null ? Number.NEGATIVE_INFINITY : Date.parse(b);
  const na = Number.isNaN(ta) ? Number.NEGATIVE_INFINITY : ta;
  const nb = Number.isNaN(tb) ? Number.NEGATIVE_INFINITY : tb;
  return na === nb ? 0 : na < nb ? -1 : 1;
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
