// The workflow executor against the GitHub emulator, over real HTTP: dispatch
// (200 with the run's id, or 204 and a lookup by run-name), replay, status
// mapping, follow-up turns, and a dispatch that is never retried.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { WorkflowSettings } from "../../src/core/config.js";
import { PROMPT_MAX_CHARS } from "../../src/core/prompt.js";
import { ExecutorError } from "../../src/executors/executor.js";
import { runKey, WorkflowExecutor } from "../../src/executors/workflow.js";
import { createGitHubClient } from "../../src/github/client.js";
import { startGitHubEmulator, type GitHubEmulator } from "../../src/sandbox/github/server.js";
import { GitHubStore } from "../../src/sandbox/github/store.js";
import type { RunConclusion, RunStatus } from "../../src/sandbox/github/model.js";
import { DEFAULT_RUN_NAME } from "../../src/sandbox/world/schema.js";

const REPO = "acme/api";
const WORKFLOW_FILE = "afk-agent.yml";
const DISPATCH_ROUTE = "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches";
/**
 * With no ref configured the executor reads the default branch from
 * `GET /repos/{owner}/{repo}`, a route the emulator does not serve yet; until
 * it does, the other tests configure the ref and that one test waits.
 */
const request = {
  repo: REPO,
  issue: 7,
  title: "Add rate limits",
  runId: "afk-acme-api-7-a1-0000abcd",
  prompt: "do the thing",
};

let store: GitHubStore;
let emulator: GitHubEmulator;
let proxy: Server | undefined;

beforeEach(async () => {
  let now = Date.parse("2026-03-02T09:00:00Z");
  store = new GitHubStore({ now: () => new Date((now += 1000)) });
  store.addToken("app-token", { login: "afk-app[bot]", reach: "all" });
  // Not "main", so a dispatch that hard-coded the branch would miss it.
  store.createRepo({ owner: "acme", name: "api", defaultBranch: "trunk" });
  // The example agent workflow: `run-name: afk-agent ${{ inputs.run-id }}`.
  store.addWorkflow(REPO, { path: WORKFLOW_FILE, name: "afk-agent", runName: DEFAULT_RUN_NAME });
  emulator = await startGitHubEmulator({ store });
});
afterEach(async () => {
  await emulator.stop();
  if (proxy) await new Promise((resolve) => proxy?.close(resolve));
  proxy = undefined;
});

function executor(options: { ref?: string | null; apiUrl?: string } = {}): WorkflowExecutor {
  const ref = options.ref === undefined ? "trunk" : options.ref;
  const client = createGitHubClient({
    token: "app-token",
    apiUrl: options.apiUrl ?? emulator.url,
    pacing: "none",
    retryUnitMs: 1,
  });
  const settings: WorkflowSettings = { kind: "workflow", workflowFile: WORKFLOW_FILE, ref };
  return new WorkflowExecutor(client, settings);
}

const runs = () => store.repo(REPO)?.workflowRuns ?? [];
const dispatchRequests = () => emulator.log.entries.filter((e) => e.route === DISPATCH_ROUTE);

/**
 * A server that ignores `return_run_details` (as GitHub did before 2026, and
 * GHES may still): a pass-through to the emulator that drops the field, so the
 * emulator's own 204 path answers and creates the run.
 */
async function startServerIgnoringRunDetails(): Promise<string> {
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      let body = Buffer.concat(chunks).toString("utf8");
      if (req.method === "POST" && req.url?.endsWith("/dispatches") === true) {
        const parsed = JSON.parse(body) as Record<string, unknown>;
        delete parsed["return_run_details"];
        body = JSON.stringify(parsed);
      }
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(
          (entry): entry is [string, string] =>
            typeof entry[1] === "string" && !["host", "content-length", "connection"].includes(entry[0]),
        ),
      );
      fetch(`${emulator.url}${req.url ?? "/"}`, {
        method: req.method ?? "GET",
        headers,
        ...(body === "" ? {} : { body }),
      })
        .then(async (reply) => {
          const text = await reply.text();
          const replyHeaders = Object.fromEntries(
            [...reply.headers].filter(
              ([name]) => !["content-length", "transfer-encoding", "connection"].includes(name),
            ),
          );
          res.writeHead(reply.status, replyHeaders);
          res.end(text);
        })
        .catch(() => res.destroy());
    });
  });
  const server = proxy;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("dispatch", () => {
  it("starts a workflow_dispatch run on the configured ref with issue, run-id and prompt inputs", async () => {
    await executor().dispatch(request);
    expect(runs()).toHaveLength(1);
    expect(runs()[0]).toMatchObject({
      event: "workflow_dispatch",
      headBranch: "trunk",
      inputs: { issue: "7", "run-id": request.runId, prompt: "do the thing" },
      displayTitle: `afk-agent ${request.runId}`,
    });
  });

  it("returns the run id and link from the 200 reply to return_run_details, without listing runs", async () => {
    const result = await executor().dispatch(request);
    const [run] = runs();
    expect(result).toEqual({
      threadId: String(run?.id),
      link: `https://github.com/${REPO}/actions/runs/${run?.id}`,
    });
    expect(dispatchRequests().map((e) => e.status)).toEqual([200]);
    // One list before dispatching (is the run already there?), none after: the reply named the run.
    const lists = emulator.log.entries.filter((e) => e.route.endsWith("/runs"));
    expect(lists).toHaveLength(1);
    expect(lists[0]?.index).toBeLessThan(dispatchRequests()[0]?.index ?? -1);
  });

  it("with no ref configured, runs on the default branch the tick read", async () => {
    await executor({ ref: null }).dispatch({ ...request, defaultBranch: "trunk" });
    expect(runs().map((r) => r.headBranch)).toEqual(["trunk"]);
  });

  it("with no ref and no default branch (an empty repository), refuses before dispatching", async () => {
    const error = await executor({ ref: null })
      .dispatch({ ...request, defaultBranch: null })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExecutorError);
    expect((error as ExecutorError).rejected).toBe(true);
    expect((error as ExecutorError).message).toContain("set workflow-ref");
    expect(dispatchRequests()).toEqual([]);
  });

  it("runs on the configured ref instead of the default branch, without reading the repository", async () => {
    const trunk = store.repo(REPO)?.branches.get("trunk") ?? "";
    store.createBranch(REPO, "agents", trunk);
    await executor({ ref: "agents" }).dispatch(request);
    expect(runs().map((r) => r.headBranch)).toEqual(["agents"]);
    expect(emulator.log.entries.some((e) => e.route === "GET /repos/{owner}/{repo}")).toBe(false);
  });

  it("when the server answers 204, finds the run it started by the run id in its run-name", async () => {
    const result = await executor({ apiUrl: await startServerIgnoringRunDetails() }).dispatch(request);
    expect(dispatchRequests().map((e) => e.status)).toEqual([204]);
    expect(runs()).toHaveLength(1);
    expect(result.threadId).toBe(String(runs()[0]?.id));
    expect(result.link).toBe(`https://github.com/${REPO}/actions/runs/${runs()[0]?.id}`);
  });

  it("a 204 whose run is not listed yet fails without claiming the dispatch was refused", async () => {
    // GitHub accepted the dispatch but has not created the run yet.
    emulator.faults.add({ route: DISPATCH_ROUTE, times: 1, action: { kind: "status", status: 204 } });
    const error = await executor()
      .dispatch(request)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExecutorError);
    expect((error as ExecutorError).rejected).toBe(false);
    expect((error as Error).message).toContain("not listed yet");
  });

  it("a repeated dispatch for the same run id finds the existing run instead of starting another", async () => {
    const first = await executor().dispatch(request);
    const second = await executor().dispatch(request);
    expect(second.threadId).toBe(first.threadId);
    expect(runs()).toHaveLength(1);
    expect(dispatchRequests()).toHaveLength(1);
  });

  it("a dispatch for another run id in the same workflow starts its own run", async () => {
    const first = await executor().dispatch(request);
    const other = await executor().dispatch({ ...request, issue: 8, runId: "afk-acme-api-8-a1-0000abcd" });
    expect(other.threadId).not.toBe(first.threadId);
    expect(runs()).toHaveLength(2);
  });

  it("a 5xx on the dispatch is not retried: exactly one dispatch request, and no run", async () => {
    emulator.faults.add({ route: DISPATCH_ROUTE, action: { kind: "status", status: 502 } });
    await expect(executor().dispatch(request)).rejects.toMatchObject({ status: 502 });
    expect(dispatchRequests()).toHaveLength(1);
    expect(runs()).toHaveLength(0);
  });

  it("refuses a prompt over the prompt cap whole, before any request (never cuts off its end)", async () => {
    await expect(executor().dispatch({ ...request, prompt: "x".repeat(PROMPT_MAX_CHARS + 1) })).rejects.toMatchObject({
      rejected: true,
      message: expect.stringMatching(/over the 60000-character cap/) as unknown,
    });
    expect(dispatchRequests()).toHaveLength(0);
    expect(runs()).toHaveLength(0);
  });
});

describe("status", () => {
  async function dispatchedRun(status: RunStatus, conclusion: RunConclusion | null) {
    const { threadId } = await executor().dispatch(request);
    store.updateWorkflowRun(REPO, Number(threadId), { status, conclusion });
    return threadId;
  }

  it.each([
    ["queued", null, "running"],
    ["in_progress", null, "running"],
    ["completed", "success", "idle"],
    ["completed", "failure", "error"],
    ["completed", "timed_out", "error"],
    ["completed", "startup_failure", "error"],
    ["completed", "cancelled", "interrupted"],
    ["completed", "action_required", "needs-input"],
    ["completed", "neutral", "unknown"],
    ["completed", "skipped", "unknown"],
  ] as const)("%s + %s reads as %s", async (status, conclusion, expected) => {
    const threadId = await dispatchedRun(status, conclusion);
    const byId = await executor().status({ repo: REPO, runId: request.runId, threadId });
    expect(byId).toMatchObject({ state: expected, threadId });
    expect(byId.link).toBe(`https://github.com/${REPO}/actions/runs/${threadId}`);
    // A process that died before recording the run id finds the same run by its run-name.
    const byRunId = await executor().status({ repo: REPO, runId: request.runId, threadId: null });
    expect(byRunId).toMatchObject({ state: expected, threadId });
  });

  it("a finished run that did not succeed says how it ended", async () => {
    const threadId = await dispatchedRun("completed", "timed_out");
    const status = await executor().status({ repo: REPO, runId: request.runId, threadId });
    expect(status.detail).toBe("workflow run timed_out");
  });

  it("an unknown run id is missing", async () => {
    await executor().dispatch(request);
    expect(await executor().status({ repo: REPO, runId: "afk-acme-api-99-a1-0000abcd", threadId: null })).toEqual({
      state: "missing",
      detail: null,
      link: null,
      threadId: null,
    });
  });

  it("a recorded run id GitHub no longer knows is missing", async () => {
    expect(await executor().status({ repo: REPO, runId: request.runId, threadId: "424242" })).toMatchObject({
      state: "missing",
      threadId: null,
    });
  });
});

describe("follow-up", () => {
  it("starts a new run whose run-id input carries the turn", async () => {
    const first = await executor().dispatch(request);
    const next = await executor().followUp({
      repo: REPO,
      issue: 7,
      runId: request.runId,
      threadId: first.threadId,
      turn: 1,
      prompt: "CI failed: fix it",
    });
    expect(next.threadId).not.toBe(first.threadId);
    expect(runs()).toHaveLength(2);
    const run = runs().find((r) => String(r.id) === next.threadId);
    expect(run?.inputs).toMatchObject({ "run-id": `${request.runId}.t1`, prompt: "CI failed: fix it" });
    expect(run?.displayTitle).toBe(`afk-agent ${runKey(request.runId, 1)}`);
  });

  it("a repeated follow-up for the same turn finds its run; the first turn's run is still told apart", async () => {
    const first = await executor().dispatch(request);
    const turn = { repo: REPO, issue: 7, runId: request.runId, threadId: first.threadId, turn: 1, prompt: "again" };
    const next = await executor().followUp(turn);
    expect((await executor().followUp(turn)).threadId).toBe(next.threadId);
    expect((await executor().dispatch(request)).threadId).toBe(first.threadId);
    expect(runs()).toHaveLength(2);
    expect(dispatchRequests()).toHaveLength(2);
  });

  it("status by run id alone reports the newest turn's run", async () => {
    const first = await executor().dispatch(request);
    store.updateWorkflowRun(REPO, Number(first.threadId), { conclusion: "success" });
    const next = await executor().followUp({
      repo: REPO,
      issue: 7,
      runId: request.runId,
      threadId: first.threadId,
      turn: 1,
      prompt: "again",
    });
    expect(await executor().status({ repo: REPO, runId: request.runId, threadId: null })).toMatchObject({
      state: "running",
      threadId: next.threadId,
    });
  });
});

describe("link", () => {
  it("links a numeric run id to its run page and refuses anything else", () => {
    expect(executor().link("1234", REPO)).toBe(`https://github.com/${REPO}/actions/runs/1234`);
    expect(executor().link("thread-abc", REPO)).toBeNull();
  });
});

describe("stop", () => {
  const CANCEL = "POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel";
  const FORCE = "POST /repos/{owner}/{repo}/actions/runs/{run_id}/force-cancel";
  const routes = () => emulator.log.entries.map((e) => e.route);
  const stopRequest = (threadId: string | null, forced = false) => ({
    repo: REPO,
    runId: request.runId,
    threadId,
    reason: "escalated",
    forced,
  });

  it("cancels the run; its status then reads interrupted", async () => {
    const { threadId } = await executor().dispatch(request);
    await executor().stop(stopRequest(threadId));
    expect(routes()).toContain(CANCEL);
    expect(runs()[0]).toMatchObject({ status: "completed", conclusion: "cancelled" });
    expect((await executor().status({ repo: REPO, runId: request.runId, threadId })).state).toBe("interrupted");
  });

  it("forced: force-cancels a run whose cancel did not take", async () => {
    const { threadId } = await executor().dispatch(request);
    store.resistCancel(REPO, Number(threadId));
    await executor().stop(stopRequest(threadId));
    expect(runs()[0]?.status).not.toBe("completed");
    await executor().stop(stopRequest(threadId, true));
    expect(routes()).toContain(FORCE);
    expect(runs()[0]).toMatchObject({ status: "completed", conclusion: "cancelled" });
  });

  it("a run already finished (409) has nothing left to stop: no error", async () => {
    const { threadId } = await executor().dispatch(request);
    store.updateWorkflowRun(REPO, Number(threadId), { status: "completed", conclusion: "success" });
    await expect(executor().stop(stopRequest(threadId))).resolves.toBeUndefined();
    expect(runs()[0]?.conclusion).toBe("success");
  });

  it("finds the run by its run id when the record never stored it", async () => {
    await executor().dispatch(request);
    await executor().stop(stopRequest(null));
    expect(runs()[0]).toMatchObject({ conclusion: "cancelled" });
  });
});
