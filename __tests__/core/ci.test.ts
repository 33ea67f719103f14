import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { aCheckRun, aCommitStatus, aDeploymentStatus, ciRed, CI_GREEN, CI_PENDING } from "../../__fixtures__/core.js";
import {
  failureSignature,
  foldCi,
  sameFailureOnParent,
  type CheckRun,
  type CheckRunConclusion,
  type CiInputs,
  type CommitStatus,
  type DeploymentState,
} from "../../src/core/ci.js";
import { RECORD_LIMITS } from "../../src/core/run-record.js";

function inputs(overrides: Partial<CiInputs> = {}): CiInputs {
  return { checkRuns: [], statuses: [], deployments: null, rollout: null, excludeWorkflowRunId: null, ...overrides };
}

function build(...checkRuns: CheckRun[]): CiInputs {
  return inputs({ checkRuns });
}

describe("build stage: check runs", () => {
  it("nothing reported at all is none, not pending", () => {
    expect(foldCi(inputs())).toEqual({ state: "none", stage: "build", failing: [], signature: null });
  });

  it("all succeeded is green", () => {
    expect(foldCi(build(aCheckRun({ id: 1, name: "build" }), aCheckRun({ id: 2, name: "test" })))).toEqual({
      state: "green",
      stage: "build",
      failing: [],
      signature: null,
    });
  });

  // Typed by CheckRunConclusion, so a conclusion added to the vocabulary does not compile until it is here.
  const FOLDS: Record<CheckRunConclusion, "green" | "red"> = {
    success: "green",
    neutral: "green",
    skipped: "green",
    failure: "red",
    cancelled: "red",
    timed_out: "red",
    action_required: "red",
    stale: "red",
    startup_failure: "red",
  };

  it.each(Object.entries(FOLDS) as [CheckRunConclusion, "green" | "red"][])(
    "a completed run concluding %s folds %s",
    (conclusion, state) => {
      expect(foldCi(build(aCheckRun({ conclusion }))).state).toBe(state);
    },
  );

  it.each(["queued", "in_progress", "waiting", "requested", "pending"] as const)(
    "a run that is %s is pending, never success",
    (status) => {
      expect(foldCi(build(aCheckRun({ status, conclusion: null }))).state).toBe("pending");
    },
  );

  it("a completed run without a conclusion is pending, never success", () => {
    expect(foldCi(build(aCheckRun({ status: "completed", conclusion: null }))).state).toBe("pending");
  });

  it("any failure is red even while others are still running", () => {
    const verdict = foldCi(
      build(
        aCheckRun({ id: 1, name: "lint", conclusion: "failure" }),
        aCheckRun({ id: 2, name: "test", status: "in_progress", conclusion: null }),
      ),
    );
    expect(verdict.state).toBe("red");
    expect(verdict.failing).toEqual([{ name: "lint", url: "https://github.com/acme/api/runs/1" }]);
  });

  it("anything unconcluded with the rest green is pending", () => {
    const verdict = foldCi(
      build(aCheckRun({ id: 1 }), aCheckRun({ id: 2, name: "test", status: "queued", conclusion: null })),
    );
    expect(verdict).toEqual({ state: "pending", stage: "build", failing: [], signature: null });
  });
});

describe("build stage: legacy commit statuses", () => {
  it.each([
    ["success", "green"],
    ["pending", "pending"],
    ["failure", "red"],
    ["error", "red"],
  ] as const)("a status %s folds %s", (state, expected) => {
    expect(foldCi(inputs({ statuses: [aCommitStatus({ state })] })).state).toBe(expected);
  });

  it("statuses and check runs fold together", () => {
    const verdict = foldCi(
      inputs({ checkRuns: [aCheckRun()], statuses: [aCommitStatus({ context: "ci/jenkins", state: "failure" })] }),
    );
    expect(verdict.failing).toEqual([{ name: "ci/jenkins", url: "https://legacy.example/1" }]);
  });

  it("the latest status per context wins, by time", () => {
    const statuses: CommitStatus[] = [
      aCommitStatus({ state: "success", createdAt: "2026-03-02T10:00:00Z" }),
      aCommitStatus({ state: "failure", createdAt: "2026-03-02T09:00:00Z" }),
    ];
    expect(foldCi(inputs({ statuses })).state).toBe("green");
  });

  it("without times, the later status in the list wins", () => {
    expect(
      foldCi(inputs({ statuses: [aCommitStatus({ state: "failure" }), aCommitStatus({ state: "success" })] })).state,
    ).toBe("green");
    expect(
      foldCi(inputs({ statuses: [aCommitStatus({ state: "success" }), aCommitStatus({ state: "failure" })] })).state,
    ).toBe("red");
  });
});

describe("re-runs: the latest check run per name wins", () => {
  it("a re-run that passed replaces the failure it re-ran", () => {
    const verdict = foldCi(
      build(aCheckRun({ id: 5, conclusion: "failure" }), aCheckRun({ id: 9, conclusion: "success" })),
    );
    expect(verdict.state).toBe("green");
  });

  it("a re-run that failed replaces the earlier pass, whatever the list order", () => {
    const verdict = foldCi(
      build(aCheckRun({ id: 9, conclusion: "failure" }), aCheckRun({ id: 5, conclusion: "success" })),
    );
    expect(verdict.state).toBe("red");
  });

  it("a re-run still in progress makes the check pending again", () => {
    const verdict = foldCi(
      build(aCheckRun({ id: 5, conclusion: "failure" }), aCheckRun({ id: 6, status: "in_progress", conclusion: null })),
    );
    expect(verdict.state).toBe("pending");
  });
});

describe("excluding the loop's own run", () => {
  const own = aCheckRun({ id: 50, name: "tick", status: "in_progress", conclusion: null, workflowRunId: 777 });

  it("the loop's own in-progress run would keep CI pending forever", () => {
    expect(foldCi(build(aCheckRun(), own)).state).toBe("pending");
  });

  it("excluded by workflow run id, the rest decides", () => {
    expect(foldCi({ ...build(aCheckRun(), own), excludeWorkflowRunId: 777 }).state).toBe("green");
  });

  it("excluded by check name", () => {
    expect(foldCi({ ...build(aCheckRun(), own), excludeCheckNames: ["tick"] }).state).toBe("green");
  });

  it("a status context can be excluded by name too", () => {
    const statuses = [aCommitStatus({ context: "afk-loop", state: "pending" })];
    expect(foldCi(inputs({ checkRuns: [aCheckRun()], statuses, excludeCheckNames: ["afk-loop"] })).state).toBe("green");
  });

  it("only its own run is excluded: only that run leaves none, not green", () => {
    expect(foldCi({ ...build(own), excludeWorkflowRunId: 777 }).state).toBe("none");
  });

  it("is excluded before re-runs are resolved, so it cannot shadow a real check of the same name", () => {
    const real = aCheckRun({ id: 10, name: "test", conclusion: "failure", workflowRunId: 100 });
    const ours = aCheckRun({ id: 11, name: "test", conclusion: "success", workflowRunId: 777 });
    expect(foldCi({ ...build(real, ours), excludeWorkflowRunId: 777 }).state).toBe("red");
  });

  it("a null exclusion excludes runs without a workflow run id by accident never", () => {
    expect(
      foldCi({ ...build(aCheckRun({ workflowRunId: null, conclusion: "failure" })), excludeWorkflowRunId: null }).state,
    ).toBe("red");
  });
});

describe("stages fold in order and stop at the first that is not green", () => {
  const green = build(aCheckRun());

  it("without deploy or rollout configured, a green build is green at the build stage", () => {
    expect(foldCi(green)).toMatchObject({ state: "green", stage: "build" });
  });

  it("a red build is red at the build stage, whatever the deploy says", () => {
    const verdict = foldCi({ ...build(aCheckRun({ conclusion: "failure" })), deployments: [aDeploymentStatus()] });
    expect(verdict).toMatchObject({ state: "red", stage: "build" });
  });

  it("a pending build stops the fold at build even when the deploy failed", () => {
    const verdict = foldCi({
      ...build(aCheckRun({ status: "queued", conclusion: null })),
      deployments: [aDeploymentStatus({ state: "failure" })],
    });
    expect(verdict).toMatchObject({ state: "pending", stage: "build" });
  });

  it("a green build with the deploy configured but nothing deployed is none at the deploy stage", () => {
    expect(foldCi({ ...green, deployments: [] })).toMatchObject({ state: "none", stage: "deploy" });
  });

  it.each<[DeploymentState, string]>([
    ["success", "green"],
    ["inactive", "green"],
    ["queued", "pending"],
    ["pending", "pending"],
    ["in_progress", "pending"],
    ["failure", "red"],
    ["error", "red"],
  ])("a deployment %s folds %s", (state, expected) => {
    expect(foldCi({ ...green, deployments: [aDeploymentStatus({ state })] }).state).toBe(expected);
  });

  it("a failed deployment is named deploy, with its link", () => {
    const verdict = foldCi({
      ...green,
      deployments: [aDeploymentStatus({ state: "failure", url: "https://d.example/1" })],
    });
    expect(verdict).toEqual({
      state: "red",
      stage: "deploy",
      failing: [{ name: "deploy", url: "https://d.example/1" }],
      signature: "deploy",
    });
  });

  it("the newest deployment decides: a redeploy supersedes a failed one", () => {
    const redeployed = [
      aDeploymentStatus({ deploymentId: 1, state: "failure" }),
      aDeploymentStatus({ deploymentId: 2, state: "success" }),
    ];
    expect(foldCi({ ...green, deployments: redeployed }).state).toBe("green");
    expect(foldCi({ ...green, deployments: [...redeployed].reverse() }).state).toBe("green");
    const brokenByRedeploy = [aDeploymentStatus({ deploymentId: 3, state: "error" }), ...redeployed];
    expect(foldCi({ ...green, deployments: brokenByRedeploy }).state).toBe("red");
  });

  it("green through deploy and rollout is green at the rollout stage", () => {
    const verdict = foldCi({
      ...green,
      deployments: [aDeploymentStatus()],
      rollout: { ok: true, detail: null, url: "https://api.example/version" },
    });
    expect(verdict).toEqual({ state: "green", stage: "rollout", failing: [], signature: null });
  });

  it("rollout configured without deploy: green build, probe not yet answered is pending at rollout", () => {
    expect(foldCi({ ...green, rollout: { ok: null, detail: "reports an older sha", url: null } })).toMatchObject({
      state: "pending",
      stage: "rollout",
    });
  });

  it("a failed rollout probe is red, named rollout", () => {
    const verdict = foldCi({
      ...green,
      rollout: { ok: false, detail: "HTTP 503", url: "https://api.example/version" },
    });
    expect(verdict).toMatchObject({ state: "red", stage: "rollout", signature: "rollout" });
  });

  it("a pending deploy stops the fold before the rollout", () => {
    const verdict = foldCi({
      ...green,
      deployments: [aDeploymentStatus({ state: "in_progress" })],
      rollout: { ok: false, detail: null, url: null },
    });
    expect(verdict).toMatchObject({ state: "pending", stage: "deploy" });
  });
});

describe("failing checks and the failure signature", () => {
  it("lists failing checks sorted by name, and the signature joins them with a comma", () => {
    const verdict = foldCi(
      build(
        aCheckRun({ id: 1, name: "test", conclusion: "failure", url: "https://ci/test" }),
        aCheckRun({ id: 2, name: "build", conclusion: "success" }),
        aCheckRun({ id: 3, name: "lint", conclusion: "timed_out", url: null }),
      ),
    );
    expect(verdict.failing).toEqual([
      { name: "lint", url: null },
      { name: "test", url: "https://ci/test" },
    ]);
    expect(verdict.signature).toBe("lint, test");
  });

  it("is the same for the same failing set in any order", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 10 }),
        (names) => {
          const runs = names.map((name, i) => aCheckRun({ id: i + 1, name, conclusion: "failure" }));
          expect(foldCi(build(...runs)).signature).toBe(foldCi(build(...[...runs].reverse())).signature);
        },
      ),
    );
  });

  it("a name failing as both a check run and a status appears once in the signature", () => {
    expect(failureSignature(["test", "lint", "test"])).toBe("lint, test");
  });

  it("stays within the record's bound, and different long sets stay different", () => {
    const many = Array.from({ length: 200 }, (_, i) => `integration-test-shard-${String(i).padStart(3, "0")}`);
    const a = failureSignature(many);
    const b = failureSignature([...many.slice(0, -1), "another-check"]);
    expect(a.length).toBeLessThanOrEqual(RECORD_LIMITS.failureSignature);
    expect(b.length).toBeLessThanOrEqual(RECORD_LIMITS.failureSignature);
    expect(a).not.toBe(b);
  });

  it("green and pending verdicts carry no failing checks and no signature", () => {
    expect(foldCi(build(aCheckRun())).signature).toBeNull();
    expect(foldCi(build(aCheckRun({ status: "queued", conclusion: null }))).failing).toEqual([]);
  });
});

describe("already red on the parent", () => {
  it("the same failing checks on the parent: not the agent's doing", () => {
    expect(sameFailureOnParent(ciRed("test"), ciRed("test"))).toBe(true);
  });

  it("the parent failing a superset of the child's checks: not the agent's doing", () => {
    expect(sameFailureOnParent(ciRed("test"), ciRed("lint", "test"))).toBe(true);
  });

  it("a check failing on the child but not the parent: the agent's doing", () => {
    expect(sameFailureOnParent(ciRed("lint", "test"), ciRed("test"))).toBe(false);
  });

  it.each([
    ["green", CI_GREEN],
    ["pending", CI_PENDING],
  ])("a %s parent means the agent broke it", (_, parent) => {
    expect(sameFailureOnParent(ciRed("test"), parent)).toBe(false);
  });

  it("a child that is not red is never 'already red on the parent'", () => {
    expect(sameFailureOnParent(CI_GREEN, ciRed("test"))).toBe(false);
  });

  it("a red child with no named failures proves nothing", () => {
    expect(sameFailureOnParent({ state: "red", stage: "build", failing: [], signature: "" }, ciRed("test"))).toBe(
      false,
    );
  });
});
