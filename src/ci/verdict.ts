// Judges one pushed commit: folds its checks and statuses, the deployments of
// the configured environment and, only once those are green, the rollout
// probe. Also says whether the same checks were already red on the parent.
// The rules live in core/ci.ts; this module only gathers their inputs.

import { foldCi, sameFailureOnParent, type CiInputs, type CommitStatus, type DeploymentStatus } from "../core/ci.js";
import type { CiVerdict, RepoSlug } from "../core/types.js";
import type { CommitAnswer, CommitChecks } from "../github/commits.js";
import { probeRollout, rolloutUrl } from "./rollout-probe.js";

export interface CommitJudgement {
  verdict: CiVerdict;
  parentAlreadyRed: boolean;
}

export interface JudgeOptions {
  repo: RepoSlug;
  commit: CommitAnswer;
  /** The environment's deployments (all shas); null when no deploy stage is configured. */
  deployments: (DeploymentStatus & { sha: string })[] | null;
  rollout: { urlTemplate: string; timeoutMs: number } | null;
  /** The loop's own workflow run (GITHUB_RUN_ID): excluded, or it would keep CI pending forever. */
  ownWorkflowRunId: number | null;
}

export async function judgeCommit(options: JudgeOptions): Promise<CommitJudgement> {
  const build = buildInputs(options.commit.checks, options.ownWorkflowRunId);
  const deployments = options.deployments?.filter((d) => d.sha === options.commit.sha) ?? null;
  let verdict = foldCi({ ...build, deployments, rollout: null });
  if (verdict.state === "green" && options.rollout) {
    const [owner = "", repo = ""] = options.repo.split("/");
    const url = rolloutUrl(options.rollout.urlTemplate, { sha: options.commit.sha, owner, repo });
    const probe = await probeRollout(url, options.commit.sha, options.rollout.timeoutMs);
    verdict = foldCi({ ...build, deployments, rollout: probe });
  }
  let parentAlreadyRed = false;
  if (verdict.state === "red" && options.commit.parent) {
    const parent = foldCi({
      ...buildInputs(options.commit.parent.checks, options.ownWorkflowRunId),
      deployments: null,
      rollout: null,
    });
    parentAlreadyRed = sameFailureOnParent(verdict, parent);
  }
  return { verdict, parentAlreadyRed };
}

function buildInputs(
  checks: CommitChecks | null,
  ownWorkflowRunId: number | null,
): Omit<CiInputs, "deployments" | "rollout"> {
  const statuses: CommitStatus[] = [...(checks?.statuses ?? [])];
  // More checks than one page: some verdicts are unread, so never call it green.
  if (checks?.truncated) statuses.push({ context: "more checks than one page", state: "pending", url: null });
  return { checkRuns: checks?.checkRuns ?? [], statuses, excludeWorkflowRunId: ownWorkflowRunId };
}
