// The emulator's REST surface, driven by the loop's own client (@actions/github's
// Octokit with `baseUrl`) over real HTTP: every served route round-trips, lists
// paginate like GitHub, writes land in the store as GitHub records them, and
// tokens see exactly what GitHub would let them see.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { octokitFor, smallWorld, TOKENS, type SmallWorld } from "../../../__fixtures__/sandbox-github.js";
import { startGitHubEmulator, type GitHubEmulator } from "../../../src/sandbox/github/server.js";

let world: SmallWorld;
let emulator: GitHubEmulator;
let octokit: ReturnType<typeof octokitFor>;
const api = { owner: "acme", repo: "api" } as const;

beforeAll(async () => {
  world = smallWorld();
  emulator = await startGitHubEmulator({ store: world.store });
  octokit = octokitFor(TOKENS.pat, emulator.url);
});
afterAll(() => emulator.stop());

/** The status of a request expected to fail. */
async function statusOf(request: Promise<unknown>): Promise<number> {
  try {
    await request;
  } catch (error) {
    return (error as { status: number }).status;
  }
  throw new Error("request succeeded");
}

describe("issues", () => {
  it("gets an issue with labels, author and dependency summary", async () => {
    const { data } = await octokit.rest.issues.get({ ...api, issue_number: 1 });
    expect(data).toMatchObject({
      number: 1,
      title: "Add rate limiting",
      state: "open",
      user: { login: "maintainer", type: "User" },
      labels: [{ name: "ready-for-agent" }],
      comments: 2,
      issue_dependencies_summary: { blocked_by: 1, total_blocked_by: 1 },
    });
  });

  it("lists by label and state, newest first, like GitHub", async () => {
    const { data } = await octokit.rest.issues.listForRepo({ ...api, labels: "ready-for-agent", state: "open" });
    expect(data.map((i) => i.number)).toEqual([2, 1]);
    const all = await octokit.rest.issues.listForRepo({ ...api, state: "all", direction: "asc" });
    expect(all.data.map((i) => i.number)).toEqual([1, 2, 3]);
  });

  it("requires every listed label (REST's AND)", async () => {
    const { data } = await octokit.rest.issues.listForRepo({ ...api, labels: "ready-for-agent,bug" });
    expect(data).toEqual([]);
  });

  it("paginates past 100 with Link headers that octokit.paginate follows", async () => {
    const { store } = smallWorld();
    store.createRepo({ owner: "acme", name: "big" });
    for (let i = 0; i < 230; i++)
      store.createIssue("acme/big", { author: "maintainer", title: `#${i}`, labels: ["x"] });
    const local = await startGitHubEmulator({ store });
    try {
      const client = octokitFor(TOKENS.pat, local.url);
      const first = await client.rest.issues.listForRepo({ owner: "acme", repo: "big", per_page: 100 });
      expect(first.headers.link).toContain('rel="next"');
      expect(first.headers.link).toContain(`${local.url}/repos/acme/big/issues?`);
      const issues = await client.paginate(client.rest.issues.listForRepo, {
        owner: "acme",
        repo: "big",
        per_page: 100,
      });
      expect(issues).toHaveLength(230);
      expect(new Set(issues.map((i) => i.number)).size).toBe(230);
      expect(local.log.counts().rest).toBe(4);
    } finally {
      await local.stop();
    }
  });

  it("closes with a state reason and records who closed it", async () => {
    const { store } = smallWorld();
    const local = await startGitHubEmulator({ store });
    try {
      const client = octokitFor(TOKENS.app, local.url);
      const { data } = await client.rest.issues.update({
        ...api,
        issue_number: 2,
        state: "closed",
        state_reason: "completed",
      });
      expect(data).toMatchObject({ state: "closed", state_reason: "completed", closed_by: { login: "afk-app[bot]" } });
      const events = await client.rest.issues.listEvents({ ...api, issue_number: 2 });
      expect(events.data.at(-1)).toMatchObject({ event: "closed", actor: { login: "afk-app[bot]" } });
    } finally {
      await local.stop();
    }
  });

  it("refuses an invalid state with 422", async () => {
    // A route typed as a plain string lets the test send what Octokit's types would refuse.
    const route: string = "PATCH /repos/{owner}/{repo}/issues/{issue_number}";
    const request = octokit.request(route, { ...api, issue_number: 3, state: "archived" });
    expect(await statusOf(request)).toBe(422);
  });

  it("edits title and body, marking the issue edited", async () => {
    await octokit.rest.issues.update({ ...api, issue_number: 3, body: "the" });
    const found = world.store.lookupIssue("acme/api", 3);
    expect("issue" in found && found.issue).toMatchObject({ body: "the", editor: "maintainer" });
  });
});

describe("labels", () => {
  it("adds labels, recording a labeled event by the token's identity", async () => {
    const { data } = await octokit.rest.issues.addLabels({ ...api, issue_number: 3, labels: ["triaged", "P1"] });
    expect(data.map((l) => l.name)).toEqual(["bug", "triaged", "P1"]);
    const timeline = await octokit.rest.issues.listEventsForTimeline({ ...api, issue_number: 3 });
    expect(timeline.data.filter((e) => e.event === "labeled").map((e) => "actor" in e && e.actor?.login)).toEqual([
      "reader",
      "maintainer",
      "maintainer",
    ]);
  });

  it("removes a label, and answers 404 for one the issue does not carry", async () => {
    const { data } = await octokit.rest.issues.removeLabel({ ...api, issue_number: 3, name: "triaged" });
    expect(data.map((l) => l.name)).toEqual(["bug", "P1"]);
    expect(await statusOf(octokit.rest.issues.removeLabel({ ...api, issue_number: 3, name: "triaged" }))).toBe(404);
  });

  it("lists an issue's labels", async () => {
    const { data } = await octokit.rest.issues.listLabelsOnIssue({ ...api, issue_number: 1 });
    expect(data.map((l) => l.name)).toEqual(["ready-for-agent"]);
  });
});

describe("comments", () => {
  it("lists, creates, gets and updates comments", async () => {
    const listed = await octokit.rest.issues.listComments({ ...api, issue_number: 1 });
    expect(listed.data.map((c) => c.user?.login)).toEqual(["maintainer", "afk-app[bot]"]);
    expect(listed.data[1]?.user?.type).toBe("Bot");

    const created = await octokit.rest.issues.createComment({ ...api, issue_number: 2, body: "progress" });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({
      body: "progress",
      user: { login: "maintainer" },
      author_association: "COLLABORATOR",
    });

    const updated = await octokit.rest.issues.updateComment({
      ...api,
      comment_id: created.data.id,
      body: "progress 2",
    });
    expect(updated.data.body).toBe("progress 2");
    const fetched = await octokit.rest.issues.getComment({ ...api, comment_id: created.data.id });
    expect(fetched.data.body).toBe("progress 2");
  });

  it("answers 422 for a comment without a body", async () => {
    const route: string = "POST /repos/{owner}/{repo}/issues/{issue_number}/comments";
    const request = octokit.request(route, { ...api, issue_number: 2 });
    expect(await statusOf(request)).toBe(422);
  });
});

describe("timeline, events, dependencies", () => {
  it("shows labeled, commented and referenced items in order, with commit_id", async () => {
    const { data } = await octokit.rest.issues.listEventsForTimeline({ ...api, issue_number: 1 });
    expect(data.map((e) => e.event)).toEqual(["labeled", "commented", "commented", "referenced"]);
    expect(data[3]).toMatchObject({ commit_id: world.pushedSha, actor: { login: "agent-bot[bot]" } });
    expect(data[0]).toMatchObject({ label: { name: "ready-for-agent" }, created_at: "2026-03-01T12:02:00Z" });
  });

  it("lists events without comments", async () => {
    const { data } = await octokit.rest.issues.listEvents({ ...api, issue_number: 1 });
    expect(data.map((e) => e.event)).toEqual(["labeled", "referenced"]);
  });

  it("lists native blocked-by dependencies as issues", async () => {
    const { data } = await octokit.rest.issues.listDependenciesBlockedBy({ ...api, issue_number: 1 });
    expect(data.map((i) => [i.number, i.state])).toEqual([[2, "open"]]);
  });

  it("answers 410 for a deleted issue and 301 to the new home of a transferred one", async () => {
    const { store } = smallWorld();
    store.deleteIssue("acme/api", 3);
    store.transferIssue("acme/api", 2, "acme/web");
    const local = await startGitHubEmulator({ store });
    try {
      const client = octokitFor(TOKENS.pat, local.url);
      expect(await statusOf(client.rest.issues.get({ ...api, issue_number: 3 }))).toBe(410);
      const moved = await client.rest.issues.get({ ...api, issue_number: 2 });
      expect(moved.data).toMatchObject({ number: 2, title: "Add a cache" });
      expect(moved.url).toContain("/repos/acme/web/issues/2");
    } finally {
      await local.stop();
    }
  });
});

describe("collaborator permission", () => {
  it.each([
    ["maintainer", "write", "maintain"],
    ["triager", "read", "triage"],
    ["writer", "write", "write"],
    ["reader", "read", "read"],
    ["acme", "admin", "admin"],
  ])("%s: legacy permission %s, role_name %s", async (username, permission, role) => {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ ...api, username });
    expect(data).toMatchObject({ permission, role_name: role, user: { login: username } });
  });

  it("answers 404 for an account that does not exist", async () => {
    const request = octokit.rest.repos.getCollaboratorPermissionLevel({ ...api, username: "nobody-at-all" });
    expect(await statusOf(request)).toBe(404);
  });
});

describe("commits and compare", () => {
  it("gets a commit and lists a branch's history, newest first", async () => {
    const commit = await octokit.rest.repos.getCommit({ ...api, ref: world.pushedSha });
    expect(commit.data).toMatchObject({ sha: world.pushedSha, parents: [{ sha: world.parentSha }] });
    expect(commit.data.commit.message).toContain("Refs #1");
    const list = await octokit.rest.repos.listCommits({ ...api, sha: "main" });
    expect(list.data.map((c) => c.sha)).toEqual([world.pushedSha, world.parentSha]);
  });

  it.each([
    ["parent...pushed", "ahead", 1, 0],
    ["pushed...parent", "behind", 0, 1],
    ["pushed...pushed", "identical", 0, 0],
  ])("compares %s as %s", async (pair, status, ahead, behind) => {
    const basehead = pair.replace("parent", world.parentSha).replace(/pushed/g, world.pushedSha);
    const { data } = await octokit.rest.repos.compareCommitsWithBasehead({ ...api, basehead });
    expect(data).toMatchObject({ status, ahead_by: ahead, behind_by: behind });
  });

  it("reports diverged branches", async () => {
    const { store } = smallWorld();
    const base = store.repo("acme/api")?.branches.get("main") ?? "";
    store.createBranch("acme/api", "side", base);
    store.pushCommit("acme/api", "side work", "writer", { branch: "side" });
    store.pushCommit("acme/api", "main work", "writer");
    const local = await startGitHubEmulator({ store });
    try {
      const client = octokitFor(TOKENS.pat, local.url);
      const { data } = await client.rest.repos.compareCommitsWithBasehead({ ...api, basehead: "main...side" });
      expect(data).toMatchObject({ status: "diverged", ahead_by: 1, behind_by: 1 });
    } finally {
      await local.stop();
    }
  });

  it("answers 422 for a ref that names no commit", async () => {
    expect(await statusOf(octokit.rest.repos.getCommit({ ...api, ref: "deadbeefdeadbeef" }))).toBe(422);
  });
});

describe("CI", () => {
  it("lists check runs for a ref with total_count", async () => {
    const { data } = await octokit.rest.checks.listForRef({ ...api, ref: world.pushedSha });
    expect(data.total_count).toBe(3);
    const byName = Object.fromEntries(data.check_runs.map((r) => [r.name, [r.status, r.conclusion]]));
    expect(byName).toEqual({
      build: ["completed", "success"],
      test: ["completed", "failure"],
      lint: ["in_progress", null],
    });
    expect(data.check_runs.find((r) => r.name === "test")?.html_url).toContain(`/actions/runs/${world.runId}/job/`);
  });

  it("paginates check runs", async () => {
    const { data } = await octokit.rest.checks.listForRef({ ...api, ref: "main", per_page: 2, page: 2 });
    expect(data.total_count).toBe(3);
    expect(data.check_runs).toHaveLength(1);
  });

  it("combines legacy statuses, latest per context", async () => {
    const { data } = await octokit.rest.repos.getCombinedStatusForRef({ ...api, ref: world.pushedSha });
    expect(data).toMatchObject({
      state: "success",
      total_count: 1,
      statuses: [{ context: "ci/legacy", state: "success" }],
    });
  });

  it("lists deployments by sha and environment, and their statuses newest first", async () => {
    const deployments = await octokit.rest.repos.listDeployments({
      ...api,
      sha: world.pushedSha,
      environment: "production",
    });
    expect(deployments.data.map((d) => d.id)).toEqual([world.deploymentId]);
    const none = await octokit.rest.repos.listDeployments({ ...api, environment: "staging" });
    expect(none.data).toEqual([]);
    const statuses = await octokit.rest.repos.listDeploymentStatuses({ ...api, deployment_id: world.deploymentId });
    expect(statuses.data.map((s) => s.state)).toEqual(["success", "in_progress"]);
  });
});

describe("workflows", () => {
  it("dispatches with 204, and with 200 and the run's ids when return_run_details is sent", async () => {
    const plain = await octokit.rest.actions.createWorkflowDispatch({ ...api, workflow_id: "agent.yml", ref: "main" });
    expect(plain.status).toBe(204);
    const heard: number[] = [];
    const stopListening = world.store.onWorkflowDispatch((_repo, run) => heard.push(run.id));
    const detailed = await octokit.request("POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches", {
      ...api,
      workflow_id: world.workflowId,
      ref: "main",
      inputs: { "run-id": "afk-1-2" },
      return_run_details: true,
    });
    stopListening();
    expect(detailed.status).toBe(200);
    const details = detailed.data as unknown as { workflow_run_id: number; run_url: string; html_url: string };
    expect(heard).toEqual([details.workflow_run_id]);
    expect(details.run_url).toBe(`${emulator.url}/repos/acme/api/actions/runs/${details.workflow_run_id}`);
    const run = await octokit.rest.actions.getWorkflowRun({ ...api, run_id: details.workflow_run_id });
    expect(run.data).toMatchObject({ event: "workflow_dispatch", status: "queued", display_title: "CI for afk-1-2" });
  });

  it("answers 422 for a ref that does not exist and 404 for an unknown workflow", async () => {
    const badRef = octokit.rest.actions.createWorkflowDispatch({ ...api, workflow_id: "ci.yml", ref: "nope" });
    expect(await statusOf(badRef)).toBe(422);
    const badWorkflow = octokit.rest.actions.createWorkflowDispatch({ ...api, workflow_id: "nope.yml", ref: "main" });
    expect(await statusOf(badWorkflow)).toBe(404);
  });

  it("lists runs with GitHub's filters, newest first", async () => {
    const dispatched = await octokit.rest.actions.listWorkflowRunsForRepo({ ...api, event: "workflow_dispatch" });
    expect(dispatched.data.workflow_runs.length).toBeGreaterThan(0);
    expect(dispatched.data.workflow_runs.every((r) => r.event === "workflow_dispatch")).toBe(true);
    expect(dispatched.data.total_count).toBeGreaterThanOrEqual(2);
    const failed = await octokit.rest.actions.listWorkflowRunsForRepo({ ...api, status: "failure" });
    expect(failed.data.workflow_runs.map((r) => r.id)).toEqual([world.runId]);
    const bySha = await octokit.rest.actions.listWorkflowRuns({
      ...api,
      workflow_id: "ci.yml",
      head_sha: world.pushedSha,
    });
    expect(bySha.data.workflow_runs.map((r) => r.id)).toContain(world.runId);
    const created = await octokit.rest.actions.listWorkflowRunsForRepo({
      ...api,
      created: ">=2026-03-01",
      branch: "main",
    });
    expect(created.data.total_count).toBe(dispatched.data.total_count + 1);
    const future = await octokit.rest.actions.listWorkflowRunsForRepo({ ...api, created: ">=2027-01-01" });
    expect(future.data.total_count).toBe(0);
  });
});

describe("identity and rate limit", () => {
  it("reports the rate limit without spending it", async () => {
    const before = await octokit.rest.rateLimit.get();
    const after = await octokit.rest.rateLimit.get();
    expect(after.data.resources.core.used).toBe(before.data.resources.core.used);
    expect(before.data.rate.limit).toBe(5000);
    expect(before.headers["x-ratelimit-resource"]).toBe("core");
  });

  it("answers GET /user for a user token and 403 for an installation token", async () => {
    const me = await octokit.rest.users.getAuthenticated();
    expect(me.data.login).toBe("maintainer");
    expect(await statusOf(octokitFor(TOKENS.app, emulator.url).rest.users.getAuthenticated())).toBe(403);
  });

  it("puts GitHub's headers on every response", async () => {
    const { headers } = await octokit.rest.issues.get({ ...api, issue_number: 1 });
    for (const name of ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-used", "x-ratelimit-reset"]) {
      expect(Number(headers[name as keyof typeof headers])).toBeGreaterThanOrEqual(0);
    }
    expect(headers["x-github-request-id"]).toMatch(/^[0-9A-F:]+$/);
    expect(headers["content-type"]).toBe("application/json; charset=utf-8");
  });
});

describe("authentication and reach", () => {
  it("answers 401 Bad credentials for an unknown token, 401 for none", async () => {
    const bad = octokitFor("ghp_wrong", emulator.url).rest.issues.get({ ...api, issue_number: 1 });
    expect(await statusOf(bad)).toBe(401);
    const response = await fetch(`${emulator.url}/repos/acme/api/issues/1`);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      message: "Requires authentication",
      documentation_url: "https://docs.github.com/rest",
      status: "401",
    });
  });

  it("answers 404 Not Found for a repo outside the token's reach, exactly as for a missing one", async () => {
    const app = octokitFor(TOKENS.app, emulator.url);
    const hidden = await fetch(`${emulator.url}/repos/acme/secret/issues/1`, {
      headers: { authorization: `token ${TOKENS.app}` },
    });
    const missing = await fetch(`${emulator.url}/repos/acme/nope/issues/1`, {
      headers: { authorization: `token ${TOKENS.app}` },
    });
    expect([hidden.status, missing.status]).toEqual([404, 404]);
    expect(await hidden.json()).toEqual(await missing.json());
    expect((await app.rest.issues.get({ owner: "acme", repo: "web", issue_number: 1 })).status).toBe(200);
  });

  it("lets the built-in token see only its own repo, as github-actions[bot]", async () => {
    const builtin = octokitFor(TOKENS.builtin, emulator.url);
    world.store.createIssue("acme/control", { author: "maintainer", title: "Control" });
    const comment = await builtin.rest.issues.createComment({
      owner: "acme",
      repo: "control",
      issue_number: 1,
      body: "hi",
    });
    expect(comment.data.user).toMatchObject({ login: "github-actions[bot]", type: "Bot", id: 41898282 });
    expect(await statusOf(builtin.rest.issues.get({ ...api, issue_number: 1 }))).toBe(404);
    const limit = await builtin.rest.rateLimit.get();
    expect(limit.data.rate.limit).toBe(1000);
  });

  it("refuses writes from a read-only token with 403", async () => {
    const reader = octokitFor(TOKENS.readOnly, emulator.url);
    expect((await reader.rest.issues.get({ ...api, issue_number: 1 })).status).toBe(200);
    expect(await statusOf(reader.rest.issues.addLabels({ ...api, issue_number: 1, labels: ["x"] }))).toBe(403);
  });

  it("answers 404 for a deleted repo", async () => {
    const { store } = smallWorld();
    store.deleteRepo("acme/web");
    const local = await startGitHubEmulator({ store });
    try {
      const client = octokitFor(TOKENS.pat, local.url);
      expect(await statusOf(client.rest.issues.get({ owner: "acme", repo: "web", issue_number: 1 }))).toBe(404);
    } finally {
      await local.stop();
    }
  });
});
