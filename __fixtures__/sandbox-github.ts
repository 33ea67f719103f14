// A small GitHub world for the emulator's own tests: three repos, a handful of
// issues with label events, comments, a pushed commit that references one,
// CI results, a deployment and a dispatchable workflow, plus the tokens that
// see (or do not see) them. Shared by the REST, GraphQL, knob and contract tests.

import { getOctokit } from "@actions/github";
import { GitHubStore } from "../src/sandbox/github/store.js";

export const TOKENS = {
  /** A maintainer's PAT reaching every repo. */
  pat: "ghp_maintainer_pat",
  /** An App installation token for acme/api and acme/web only. */
  app: "ghs_app_installation",
  /** The control repo's GITHUB_TOKEN. */
  builtin: "ghs_builtin_actions",
  readOnly: "ghp_read_only",
} as const;

export const START = Date.parse("2026-03-01T12:00:00Z");

export interface VirtualClock {
  now: () => Date;
  advance: (ms: number) => void;
}

export function virtualClock(start = START): VirtualClock {
  let t = start;
  return { now: () => new Date(t), advance: (ms) => void (t += ms) };
}

export interface SmallWorld {
  store: GitHubStore;
  clock: VirtualClock;
  /** The sha of the commit that references acme/api#1. */
  pushedSha: string;
  parentSha: string;
  workflowId: number;
  runId: number;
  deploymentId: number;
}

export function smallWorld(): SmallWorld {
  const clock = virtualClock();
  const store = new GitHubStore({ now: clock.now });
  store.createRepo({ owner: "acme", name: "api", ownerType: "Organization" });
  store.createRepo({ owner: "acme", name: "web", ownerType: "Organization" });
  store.createRepo({ owner: "acme", name: "secret", ownerType: "Organization", private: true });
  store.createRepo({ owner: "acme", name: "control", ownerType: "Organization" });

  store.addCollaborator("acme/api", "maintainer", "maintain");
  store.addCollaborator("acme/api", "triager", "triage");
  store.addCollaborator("acme/api", "writer", "write");
  store.addCollaborator("acme/api", "reader", "read");
  store.addToken(TOKENS.pat, { login: "maintainer", reach: "all" });
  store.addToken(TOKENS.app, { login: "afk-app[bot]", reach: ["acme/api", "acme/web"] });
  store.addToken(TOKENS.readOnly, { login: "reader", reach: "all", readOnly: true });
  store.addBuiltinToken(TOKENS.builtin, "acme/control");

  store.createIssue("acme/api", { author: "maintainer", title: "Add rate limiting", body: "Blocked by #2" });
  clock.advance(60_000);
  store.createIssue("acme/api", { author: "writer", title: "Add a cache", body: "The cache." });
  store.createIssue("acme/api", { author: "reader", title: "Typo", body: "teh" });
  store.createIssue("acme/web", { author: "maintainer", title: "Landing page", body: "" });
  store.createIssue("acme/secret", { author: "maintainer", title: "Secret plan", body: "" });
  store.addBlockedBy("acme/api", 1, { repo: "acme/api", number: 2 });

  clock.advance(60_000);
  store.applyLabel("acme/api", 1, "ready-for-agent", "triager");
  store.applyLabel("acme/api", 2, "ready-for-agent", "maintainer");
  store.applyLabel("acme/api", 3, "bug", "reader");
  clock.advance(60_000);
  store.addComment("acme/api", 1, "Please keep it small.", "maintainer");
  store.addComment("acme/api", 1, "<!-- afk-loop:run v1 e30= -->", "afk-app[bot]");
  clock.advance(60_000);
  store.editIssue("acme/api", 1, { body: "Blocked by #2\n\nAlso add a header." }, "reader");

  const parentSha = store.repo("acme/api")?.branches.get("main") ?? "";
  clock.advance(60_000);
  const pushed = store.pushCommit("acme/api", "Add rate limiting\n\nRefs #1", "agent-bot[bot]");

  const workflow = store.addWorkflow("acme/api", {
    path: "ci.yml",
    name: "CI",
    runName: "CI for ${{ inputs.run-id }}",
  });
  store.addWorkflow("acme/api", { path: "agent.yml", name: "Agent" });
  const run = store.createWorkflowRun("acme/api", { workflowId: workflow.id, event: "push", headSha: pushed.sha });
  store.updateWorkflowRun("acme/api", run.id, { status: "completed", conclusion: "failure" });
  store.addCheckRun("acme/api", { headSha: pushed.sha, name: "build", conclusion: "success", workflowRunId: run.id });
  store.addCheckRun("acme/api", { headSha: pushed.sha, name: "test", conclusion: "failure", workflowRunId: run.id });
  store.addCheckRun("acme/api", { headSha: pushed.sha, name: "lint", status: "in_progress" });
  store.addStatus("acme/api", { sha: pushed.sha, state: "pending", context: "ci/legacy" });
  store.addStatus("acme/api", {
    sha: pushed.sha,
    state: "success",
    context: "ci/legacy",
    targetUrl: "https://ci.example/1",
  });
  const deployment = store.createDeployment("acme/api", { sha: pushed.sha, environment: "production" });
  store.addDeploymentStatus("acme/api", deployment.id, { state: "in_progress" });
  store.addDeploymentStatus("acme/api", deployment.id, { state: "success", environmentUrl: "https://api.example" });

  return {
    store,
    clock,
    pushedSha: pushed.sha,
    parentSha,
    workflowId: workflow.id,
    runId: run.id,
    deploymentId: deployment.id,
  };
}

/** The loop's client, unmodified, pointed at the emulator. Retries off so every request shows in the log. */
export function octokitFor(token: string, baseUrl: string) {
  return getOctokit(token, { baseUrl, request: { retries: 0 } });
}
