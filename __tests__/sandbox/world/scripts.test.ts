// The scripted agent and CI, driven the way the loop drives them: commands
// to the T3 emulator and workflow dispatches to the GitHub emulator over real
// HTTP, world ticks in between, and the results read back over HTTP.

import { Agent, request } from "undici";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { implementerPrompt } from "../../../src/core/prompt.js";
import { runIdFor } from "../../../src/core/run-record.js";
import { projectIdFor, threadIdFor } from "../../../src/executors/t3.js";
import { startSandbox, type Sandbox } from "../../../src/sandbox/world/sandbox.js";
import type { WorldInput } from "../../../src/sandbox/world/schema.js";
import type { T3Snapshot } from "../../../src/sandbox/t3/state.js";

const dispatcher = new Agent();
afterAll(() => dispatcher.close());

const REPO = "acme/api";
const ISSUES: Record<number, Record<string, unknown>> = {
  1: { agent: { act: "push", afterTicks: 2 } },
  2: { agent: ["push", "push"], ci: [{ result: "red", failing: ["test"] }, "green"] },
  3: { ci: { result: "green", via: "statuses", checks: ["ci/build"], deploy: { environment: "production" } } },
  4: { ci: "none" },
  5: { ci: "pending" },
  6: { agent: "idle" },
  7: { agent: { act: "error", message: "ran out of context" } },
  8: { agent: { act: "needs-input", message: "Postgres or SQLite?" } },
  9: { agent: "needs-approval" },
  10: { agent: "run-forever" },
  11: { agent: "interrupt" },
  12: { agent: { act: "push", afterTicks: 0 } },
};

function world(): WorldInput {
  return {
    version: 1,
    start: "2026-03-02T09:00:00Z",
    github: { tokens: [{ token: "ghs_loop", login: "afk-loop[bot]" }] },
    t3: { tokens: { t3_operator: ["orchestration:operate", "orchestration:read"] } },
    inputs: { "github-token": "ghs_loop", "t3-token": "t3_operator" },
    repos: [
      {
        repo: REPO,
        workflows: ["afk-agent.yml"],
        issues: Object.entries(ISSUES).map(([number, scripts]) => ({
          number: Number(number),
          title: `Issue ${number}`,
          author: "acme",
          ...scripts,
        })),
      },
    ],
  };
}

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await startSandbox(world());
});
afterEach(() => sandbox.stop());

async function call(
  url: string,
  init: { method?: "GET" | "POST"; token: string; body?: unknown },
): Promise<{ status: number; json: unknown }> {
  const response = await request(url, {
    method: init.method ?? "GET",
    headers: {
      authorization: `Bearer ${init.token}`,
      "content-type": "application/json",
      "user-agent": "afk-loop-tests",
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    dispatcher,
  });
  const text = await response.body.text();
  return { status: response.statusCode, json: text === "" ? null : (JSON.parse(text) as unknown) };
}

async function github<T>(path: string): Promise<T> {
  const answer = await call(`${sandbox.githubUrl}/repos/${REPO}${path}`, { token: "ghs_loop" });
  expect(answer.status).toBe(200);
  return answer.json as T;
}

async function t3(command: Record<string, unknown>): Promise<void> {
  const answer = await call(`${sandbox.t3Url}/api/orchestration/dispatch`, {
    method: "POST",
    token: "t3_operator",
    body: command,
  });
  expect(answer.status).toBe(200);
}

async function snapshotThread(number: number) {
  const answer = await call(`${sandbox.t3Url}/api/orchestration/snapshot`, { token: "t3_operator" });
  const { threads } = answer.json as T3Snapshot;
  return threads.find((t) => t.id === threadIdFor(runIdFor(REPO, number, 1)));
}

/** What the loop's T3 executor sends for a first dispatch (and `turn` > 0 for a follow-up). */
async function dispatchT3(number: number, turn = 0): Promise<void> {
  const runId = runIdFor(REPO, number, 1);
  const threadId = threadIdFor(runId);
  const createdAt = sandbox.world.clock.now().toISOString();
  if (turn === 0) {
    // Resent for every issue: the same commandId replays instead of colliding.
    await t3({
      type: "project.create",
      commandId: `project:${REPO}`,
      projectId: projectIdFor(REPO),
      title: REPO,
      workspaceRoot: "/workspace/acme/api",
      createdAt,
    });
    await t3({
      type: "thread.create",
      commandId: `thread:${runId}`,
      threadId,
      projectId: projectIdFor(REPO),
      title: `${REPO}#${number}`,
      modelSelection: { instanceId: "claudeAgent", model: "claude-sonnet-4-5" },
      runtimeMode: "full-access",
      interactionMode: "default",
      branch: null,
      worktreePath: null,
      createdAt,
    });
  }
  const text =
    turn === 0
      ? implementerPrompt({
          issue: {
            repo: REPO,
            number,
            title: `Issue ${number}`,
            body: "",
            url: `https://github.com/${REPO}/issues/${number}`,
          },
          comments: [],
          runId,
          delivery: "push",
        })
      : "CI is red on your commit; fix the failing checks.";
  await t3({
    type: "thread.turn.start",
    commandId: `turn:${runId}:${turn}`,
    threadId,
    message: { messageId: `message:${runId}:${turn}`, role: "user", text, attachments: [] },
    runtimeMode: "full-access",
    interactionMode: "default",
    createdAt,
  });
}

interface CommitJson {
  sha: string;
  commit: { message: string };
}
interface CheckRunsJson {
  check_runs: { name: string; status: string; conclusion: string | null; details_url: string | null }[];
}

async function agentCommits(): Promise<CommitJson[]> {
  const commits = await github<CommitJson[]>("/commits");
  return commits.filter((c) => c.commit.message.includes("Refs #"));
}

async function checksOn(sha: string): Promise<Record<string, string | null>> {
  const { check_runs } = await github<CheckRunsJson>(`/commits/${sha}/check-runs`);
  return Object.fromEntries(check_runs.map((r) => [r.name, r.conclusion ?? r.status]));
}

describe("scripted agent on T3", () => {
  it("pushes a commit that references the issue after K ticks, then completes the turn", async () => {
    await dispatchT3(1);
    sandbox.tick();
    expect(await agentCommits()).toEqual([]);
    expect((await snapshotThread(1))?.latestTurn?.state).toBe("running");
    sandbox.tick();
    const [commit] = await agentCommits();
    expect(commit?.commit.message).toBe(`Scripted change, turn 1\n\nRefs #1\nAFK-Run: ${runIdFor(REPO, 1, 1)}`);
    const timeline = await github<{ event: string; commit_id?: string }[]>("/issues/1/timeline");
    expect(timeline).toContainEqual(expect.objectContaining({ event: "referenced", commit_id: commit?.sha }));
    expect(await snapshotThread(1)).toMatchObject({ latestTurn: { state: "completed" }, session: { status: "ready" } });
  });

  it("acts as the turn starts when afterTicks is 0", async () => {
    await dispatchT3(12);
    expect(await agentCommits()).toHaveLength(1);
  });

  it("follows the script turn by turn while CI reports the scripted sequence: red, then green", async () => {
    await dispatchT3(2);
    sandbox.tick();
    const [red] = await agentCommits();
    expect(await checksOn(red?.sha ?? "")).toEqual({ build: "in_progress", test: "in_progress" });
    sandbox.tick();
    expect(await checksOn(red?.sha ?? "")).toEqual({ build: "success", test: "failure" });
    const { check_runs } = await github<CheckRunsJson>(`/commits/${red?.sha ?? ""}/check-runs`);
    expect(check_runs).toHaveLength(2);
    expect(check_runs.every((r) => r.details_url?.startsWith("https://ci.sandbox.test/acme/api/commit/"))).toBe(true);

    await dispatchT3(2, 1);
    sandbox.tick();
    const green = (await agentCommits()).find((c) => c.sha !== red?.sha);
    expect(green?.commit.message).toContain("turn 2");
    sandbox.tick();
    expect(await checksOn(green?.sha ?? "")).toEqual({ build: "success", test: "success" });
  });

  it("finishes without pushing when idle", async () => {
    await dispatchT3(6);
    sandbox.tick();
    expect(await agentCommits()).toEqual([]);
    expect(await snapshotThread(6)).toMatchObject({ latestTurn: { state: "completed" }, session: { status: "ready" } });
  });

  it("fails the turn with the scripted error", async () => {
    await dispatchT3(7);
    sandbox.tick();
    expect(await snapshotThread(7)).toMatchObject({
      latestTurn: { state: "error" },
      session: { status: "error", lastError: "ran out of context" },
    });
  });

  it("asks for user input and keeps waiting", async () => {
    await dispatchT3(8);
    sandbox.tick();
    sandbox.tick();
    const thread = await snapshotThread(8);
    expect(thread?.latestTurn?.state).toBe("running");
    expect(thread?.activities).toMatchObject([
      { kind: "user-input.requested", payload: { requestId: expect.any(String) as unknown } },
    ]);
    expect(JSON.stringify(thread?.activities)).toContain("Postgres or SQLite?");
  });

  it("asks for an approval", async () => {
    await dispatchT3(9);
    sandbox.tick();
    expect((await snapshotThread(9))?.activities.map((a) => a.kind)).toEqual(["approval.requested"]);
  });

  it("runs forever", async () => {
    await dispatchT3(10);
    for (let i = 0; i < 20; i++) sandbox.tick();
    expect(await snapshotThread(10)).toMatchObject({
      latestTurn: { state: "running" },
      session: { status: "running" },
    });
    expect(await agentCommits()).toEqual([]);
  });

  it("is interrupted", async () => {
    await dispatchT3(11);
    sandbox.tick();
    expect(await snapshotThread(11)).toMatchObject({
      latestTurn: { state: "interrupted" },
      session: { status: "interrupted" },
    });
  });

  it("finishes a turn it cannot tie to an issue at once, without pushing", async () => {
    await t3({
      type: "project.create",
      commandId: "p",
      projectId: "p",
      title: "p",
      workspaceRoot: "/w",
      createdAt: "2026-03-02T09:00:00Z",
    });
    await t3({
      type: "thread.create",
      commandId: "t",
      threadId: "t",
      projectId: "p",
      title: "t",
      modelSelection: { instanceId: "codex", model: "gpt-5" },
      runtimeMode: "full-access",
      interactionMode: "default",
      branch: null,
      worktreePath: null,
      createdAt: "2026-03-02T09:00:00Z",
    });
    await t3({
      type: "thread.turn.start",
      commandId: "u",
      threadId: "t",
      message: { messageId: "m", role: "user", text: "hello", attachments: [] },
      runtimeMode: "full-access",
      interactionMode: "default",
      createdAt: "2026-03-02T09:00:00Z",
    });
    expect(sandbox.t3.state.thread("t")?.latestTurn?.state).toBe("completed");
    expect(sandbox.world.agent.journal).toMatchObject([{ event: "unmatched", issue: null }]);
  });

  it("drops a scripted act when a newer turn has superseded it", async () => {
    await dispatchT3(1);
    await dispatchT3(1, 1);
    sandbox.tick();
    sandbox.tick();
    expect(sandbox.world.agent.journal.map((e) => e.event)).toEqual(["started", "started", "superseded", "push"]);
    expect(await agentCommits()).toHaveLength(1);
  });
});

describe("scripted CI", () => {
  it("reports statuses and then a deployment in the environment", async () => {
    await dispatchT3(3);
    sandbox.tick();
    const [commit] = await agentCommits();
    const sha = commit?.sha ?? "";
    expect(await github<{ state: string }>(`/commits/${sha}/status`)).toMatchObject({ state: "pending" });
    sandbox.tick();
    expect(await github<{ state: string; statuses: { context: string }[] }>(`/commits/${sha}/status`)).toMatchObject({
      state: "success",
      statuses: [{ context: "ci/build" }],
    });
    const [deployment] = await github<{ id: number; environment: string }[]>(`/deployments?sha=${sha}`);
    expect(deployment?.environment).toBe("production");
    const running = await github<{ state: string }[]>(`/deployments/${deployment?.id ?? 0}/statuses`);
    expect(running.map((s) => s.state)).toEqual(["in_progress"]);
    sandbox.tick();
    const done = await github<{ state: string }[]>(`/deployments/${deployment?.id ?? 0}/statuses`);
    expect(done[0]?.state).toBe("success");
  });

  it("reports nothing at all for `none`", async () => {
    await dispatchT3(4);
    for (let i = 0; i < 3; i++) sandbox.tick();
    const [commit] = await agentCommits();
    expect((await github<CheckRunsJson>(`/commits/${commit?.sha ?? ""}/check-runs`)).check_runs).toEqual([]);
  });

  it("never concludes for `pending`", async () => {
    await dispatchT3(5);
    for (let i = 0; i < 10; i++) sandbox.tick();
    const [commit] = await agentCommits();
    expect(await checksOn(commit?.sha ?? "")).toEqual({ build: "in_progress", test: "in_progress" });
  });
});

describe("scripted agent on a workflow run", () => {
  async function dispatchWorkflow(number: number): Promise<number> {
    const answer = await call(`${sandbox.githubUrl}/repos/${REPO}/actions/workflows/afk-agent.yml/dispatches`, {
      method: "POST",
      token: "ghs_loop",
      body: {
        ref: "main",
        inputs: { issue: String(number), "run-id": runIdFor(REPO, number, 1), prompt: "..." },
        return_run_details: true,
      },
    });
    expect(answer.status).toBe(200);
    return (answer.json as { workflow_run_id: number }).workflow_run_id;
  }

  it("runs the issue's script: in progress, then a push and a successful conclusion", async () => {
    const id = await dispatchWorkflow(1);
    expect(await github<{ status: string; display_title: string }>(`/actions/runs/${id}`)).toMatchObject({
      status: "in_progress",
      display_title: `afk-agent ${runIdFor(REPO, 1, 1)}`,
    });
    sandbox.tick();
    sandbox.tick();
    expect(await agentCommits()).toHaveLength(1);
    expect(await github(`/actions/runs/${id}`)).toMatchObject({ status: "completed", conclusion: "success" });
  });

  it.each([
    [7, "failure"],
    [8, "action_required"],
    [11, "cancelled"],
  ])("concludes issue %i's run as %s", async (number, conclusion) => {
    const id = await dispatchWorkflow(number);
    sandbox.tick();
    expect(await github(`/actions/runs/${id}`)).toMatchObject({ status: "completed", conclusion });
  });
});
