// Builders for the core's plain data: one sensible default per type, so a
// test spells out only the facts it is about. Add new builders here by name;
// keep them free of behaviour (no assertions, no I/O).

import { parseConfig, type Config } from "../src/core/config.js";
import { runIdFor, type RunRecord } from "../src/core/run-record.js";
import type { Actor, Blocker, IssueRef, ReadyIssue } from "../src/core/types.js";
import type { CheckRun, CommitStatus, DeploymentStatus } from "../src/core/ci.js";
import type { ProgressView } from "../src/core/progress.js";
import type { RunState, StateMachineConfig } from "../src/core/state-machine.js";
import type { AgentState, AgentStatus, CiVerdict, FailingCheck, Instant } from "../src/core/types.js";

/** The repo every builder defaults to; it is on the default allowlist. */
export const REPO = "acme/api";
/** A second allowlisted repo, for tests about more than one repo. */
export const OTHER_REPO = "acme/web";

/** When the default issue got its ready label. */
export const LABELED_AT = "2026-06-01T10:00:00Z";

/** A person with write access: trusted under the default config. */
export function anActor(overrides: Partial<Actor> = {}): Actor {
  return { login: "maintainer", isBot: false, role: "write", ...overrides };
}

export function aBot(login = "dependabot[bot]", overrides: Partial<Actor> = {}): Actor {
  return anActor({ login, isBot: true, role: "write", ...overrides });
}

export function aRef(number: number, repo: string = REPO): IssueRef {
  return { repo, number };
}

export function aBlocker(number: number, overrides: Partial<Omit<Blocker, "ref">> & { repo?: string } = {}): Blocker {
  const { repo = REPO, ...rest } = overrides;
  return { ref: aRef(number, repo), state: "open", source: "text", ...rest };
}

/**
 * An open issue with the ready label, applied by a trusted maintainer, never
 * edited, unblocked and never run: dispatchable under `aConfig()`.
 */
export function aReadyIssue(overrides: Partial<ReadyIssue> = {}): ReadyIssue {
  const repo = overrides.repo ?? REPO;
  const number = overrides.number ?? 1;
  return {
    repo,
    number,
    title: `Issue ${number}`,
    body: "",
    url: `https://github.com/${repo}/issues/${number}`,
    labels: ["ready-for-agent"],
    readyLabeledBy: anActor(),
    readyLabeledAt: LABELED_AT,
    edits: [],
    editHistoryComplete: true,
    blockers: [],
    previousAttempts: 0,
    comments: [],
    ...overrides,
  };
}

/**
 * An armed config (kill switch off) over REPO and OTHER_REPO, otherwise the
 * action's defaults. `inputs` are raw action inputs, as a user would write them.
 */
export function aConfig(inputs: Record<string, string> = {}): Config {
  return parseConfig({
    "kill-switch": "off",
    "github-token": "ghs_test",
    "t3-url": "https://t3.test",
    "t3-token": "t3_test",
    allowlist: `${REPO}\n${OTHER_REPO}`,
    ...inputs,
  });
}

// --- run records --------------------------------------------------------------

/** When the default run was claimed and dispatched. */
export const RUN_T0 = "2026-03-02T09:00:00Z";

/** A valid record of a run dispatched at RUN_T0 on acme/api#42, nothing pushed yet. */
export function aRunRecord(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    v: 1,
    runId: runIdFor(REPO, 42, 1),
    repo: REPO,
    issue: 42,
    attempt: 1,
    phase: "dispatched",
    executor: "t3",
    threadId: "thread-42",
    claimedAt: RUN_T0,
    leaseExpiresAt: "2026-03-02T09:15:00Z",
    dispatchedAt: RUN_T0,
    turnStartedAt: RUN_T0,
    issueSha256: "0".repeat(64),
    pushedSha: null,
    fixForwards: 0,
    firstRedAt: null,
    lastFailureSignature: null,
    sameFailureStreak: 0,
    lastAction: null,
    reason: null,
    doorbell: null,
    ...overrides,
  };
}

// --- CI, state machine and progress (ci / state-machine / progress tests) ----

/** RUN_T0 plus `minutes` (fractions allowed), as an ISO instant. */
export function runMinute(minutes: number): Instant {
  return new Date(Date.parse(RUN_T0) + minutes * 60_000).toISOString();
}

/** A commit that went red; NEW_SHA is the agent's next push. */
export const RED_SHA = "a".repeat(40);
export const NEW_SHA = "b".repeat(40);

/** The action's default limits (fix-forward 3 attempts / 120 min, same failure 2, run 90, CI 60), no-ci escalate. */
export const RUN_LIMITS: StateMachineConfig = { limits: aConfig().limits, noCi: "escalate" };

/** Failing checks with a link each. */
export function failing(...names: string[]): FailingCheck[] {
  return names.map((name) => ({ name, url: `https://ci.example/${encodeURIComponent(name)}` }));
}

export const CI_NONE: CiVerdict = { state: "none", stage: "build", failing: [], signature: null };
export const CI_PENDING: CiVerdict = { state: "pending", stage: "build", failing: [], signature: null };
export const CI_GREEN: CiVerdict = { state: "green", stage: "build", failing: [], signature: null };

/** A red build verdict failing `names`, shaped as core/ci.ts folds it. */
export function ciRed(...names: string[]): CiVerdict {
  const checks = failing(...names).sort((a, b) => (a.name < b.name ? -1 : 1));
  return { state: "red", stage: "build", failing: checks, signature: checks.map((c) => c.name).join(", ") };
}

export function anAgent(state: AgentState, detail: string | null = null): AgentStatus {
  return { state, detail, link: "https://t3.example/threads/thread-42" };
}

/** The default run (aRunRecord) ten minutes in: agent running, nothing pushed. */
export function aRunState(
  overrides: Partial<Omit<RunState, "record">> & { record?: Partial<RunRecord> } = {},
): RunState {
  const { record, ...rest } = overrides;
  return {
    record: aRunRecord(record),
    agent: anAgent("running"),
    threadId: "thread-42",
    pushed: null,
    ci: CI_NONE,
    parentAlreadyRed: false,
    issueOpen: true,
    now: runMinute(10),
    ...rest,
  };
}

/** `pushed` for a commit made `minutes` after RUN_T0. */
export function pushedAt(minutes: number, sha: string = RED_SHA): RunState["pushed"] {
  return { sha, at: runMinute(minutes) };
}

export function aCheckRun(overrides: Partial<CheckRun> = {}): CheckRun {
  return {
    id: 1,
    name: "build",
    status: "completed",
    conclusion: "success",
    url: "https://github.com/acme/api/runs/1",
    workflowRunId: 100,
    ...overrides,
  };
}

export function aCommitStatus(overrides: Partial<CommitStatus> = {}): CommitStatus {
  return { context: "ci/legacy", state: "success", url: "https://legacy.example/1", ...overrides };
}

export function aDeploymentStatus(overrides: Partial<DeploymentStatus> = {}): DeploymentStatus {
  return { deploymentId: 1, state: "success", url: "https://github.com/acme/api/deployments/1", ...overrides };
}

/** The progress view of the default run: dispatched, agent link known, nothing pushed. */
export function aProgressView(overrides: Partial<ProgressView> = {}): ProgressView {
  return {
    record: aRunRecord(),
    issue: { repo: REPO, number: 42, url: `https://github.com/${REPO}/issues/42` },
    agentLink: "https://t3.example/threads/thread-42",
    pushed: null,
    ci: null,
    delivery: "push",
    deployStage: false,
    maxFixForwards: 3,
    maxReviewRounds: 3,
    ...overrides,
  };
}
