// The T3 executor against the T3 emulator, over real HTTP.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PROMPT_MAX_CHARS } from "../../src/core/prompt.js";
import { parseConfig, type T3Settings } from "../../src/core/config.js";
import { ExecutorError } from "../../src/executors/executor.js";
import { T3Executor, threadIdFor } from "../../src/executors/t3.js";
import { VirtualClock } from "../../src/sandbox/clock.js";
import { startT3Emulator, type T3Emulator } from "../../src/sandbox/t3/server.js";

const TOKEN = "t3-secret-token-value";
let clock: VirtualClock;
let t3: T3Emulator;

function settings(token = TOKEN): T3Settings {
  const config = parseConfig({ "kill-switch": "off", "github-token": "x", "t3-url": t3.url, "t3-token": token });
  if (config.executor.kind !== "t3") throw new Error("expected t3");
  return config.executor;
}
const executor = (token = TOKEN) => new T3Executor({ settings: settings(token), now: () => clock.now() });
const request = {
  repo: "acme/api",
  issue: 7,
  title: "Add rate limits",
  runId: "afk-acme-api-7-a1-0000abcd",
  prompt: "do the thing",
};

beforeEach(async () => {
  clock = new VirtualClock("2026-03-02T09:00:00Z");
  t3 = await startT3Emulator({
    tokens: { [TOKEN]: ["orchestration:read", "orchestration:operate"], "read-only": ["orchestration:read"] },
    clock,
  });
});
afterEach(() => t3.stop());

describe("dispatch", () => {
  it("creates the repo's project, a thread and its first turn, and reports the thread running", async () => {
    const result = await executor().dispatch(request);
    expect(result.threadId).toBe(threadIdFor(request.runId));
    const snapshot = t3.state.snapshot();
    expect(snapshot.projects).toHaveLength(1);
    expect(snapshot.threads.map((t) => t.id)).toEqual([result.threadId]);
    const status = await executor().status({ repo: "acme/api", runId: request.runId, threadId: null });
    expect(status).toMatchObject({ state: "running", threadId: result.threadId });
    expect(status.link).toContain(result.threadId);
  });

  it("refuses a prompt over the shared prompt cap whole, before any request", async () => {
    await expect(executor().dispatch({ ...request, prompt: "x".repeat(PROMPT_MAX_CHARS + 1) })).rejects.toMatchObject({
      rejected: true,
    });
    expect(t3.state.snapshot().threads).toHaveLength(0);
  });

  it("a repeated dispatch of the same run is recognised, not doubled", async () => {
    await executor().dispatch(request);
    await executor().dispatch(request);
    const threads = t3.state.snapshot().threads;
    expect(threads).toHaveLength(1);
    // One turn started, one prompt delivered: the second dispatch replayed, it did not start another turn.
    expect(threads[0]?.messages.filter((m) => m.role === "user")).toHaveLength(1);
  });

  it("a dispatch whose reply was lost is recognised on retry (commandId replay)", async () => {
    await t3.stop();
    t3 = await startT3Emulator({
      tokens: { [TOKEN]: ["orchestration:read", "orchestration:operate"] },
      clock,
      faults: [{ kind: "reset", route: "dispatch", commandType: "thread.turn.start", times: 1, afterApply: true }],
    });
    await expect(executor().dispatch(request)).rejects.toBeInstanceOf(ExecutorError);
    await executor().dispatch(request);
    const [thread] = t3.state.snapshot().threads;
    expect(t3.state.snapshot().threads).toHaveLength(1);
    expect(thread?.latestTurn?.state).toBe("running");
    expect(thread?.messages.filter((m) => m.role === "user")).toHaveLength(1);
  });

  it("one project per repository, whatever the number of runs", async () => {
    await executor().dispatch(request);
    await executor().dispatch({ ...request, issue: 8, runId: "afk-acme-api-8-a1-0000abcd" });
    expect(t3.state.snapshot().projects).toHaveLength(1);
    expect(t3.state.snapshot().threads).toHaveLength(2);
  });
});

describe("status", () => {
  it.each([
    ["completed", "idle"],
    ["interrupted", "interrupted"],
    ["error", "error"],
  ] as const)("a %s turn reads as %s", async (outcome, state) => {
    const { threadId } = await executor().dispatch(request);
    t3.state.settleTurn(threadId, outcome, outcome === "error" ? "provider crashed" : undefined);
    expect((await executor().status({ repo: "acme/api", runId: request.runId, threadId })).state).toBe(state);
  });

  it.each(["approval", "user-input"] as const)("a pending %s request reads as needs-input", async (kind) => {
    const { threadId } = await executor().dispatch(request);
    t3.state.requestHuman(threadId, kind, "may I?");
    expect((await executor().status({ repo: "acme/api", runId: request.runId, threadId })).state).toBe("needs-input");
  });

  it("a resolved request no longer needs input", async () => {
    const { threadId } = await executor().dispatch(request);
    const id = t3.state.requestHuman(threadId, "user-input", "which one?");
    t3.state.resolveHuman(threadId, "user-input", id);
    expect((await executor().status({ repo: "acme/api", runId: request.runId, threadId })).state).toBe("running");
  });

  it("a deleted thread, or none at all, is missing", async () => {
    const { threadId } = await executor().dispatch(request);
    t3.state.deleteThread(threadId);
    expect((await executor().status({ repo: "acme/api", runId: request.runId, threadId })).state).toBe("missing");
    expect(
      (await executor().status({ repo: "acme/api", runId: "afk-other-1-a1-00000000", threadId: null })).state,
    ).toBe("missing");
  });

  it("a follow-up turn goes to the same thread", async () => {
    const { threadId } = await executor().dispatch(request);
    t3.state.settleTurn(threadId, "completed");
    await executor().followUp({
      repo: "acme/api",
      issue: 7,
      runId: request.runId,
      threadId,
      turn: 1,
      prompt: "fix CI",
    });
    expect((await executor().status({ repo: "acme/api", runId: request.runId, threadId })).state).toBe("running");
    expect(t3.state.snapshot().threads).toHaveLength(1);
  });
});

describe("reads: one request per in-flight thread, the snapshot only on an older T3", () => {
  const runs = ["afk-acme-api-7-a1-0000abcd", "afk-acme-api-8-a1-0000abcd"];
  const reads = (route: "thread" | "snapshot") => t3.log.filter((r) => r.route === route);

  async function twoRunning(): Promise<void> {
    for (const [i, runId] of runs.entries()) await executor().dispatch({ ...request, issue: 7 + i, runId });
  }

  it("a status reads the thread by its own route, never the whole snapshot", async () => {
    await twoRunning();
    const watch = executor();
    for (const runId of runs) {
      expect(await watch.status({ repo: "acme/api", runId, threadId: null })).toMatchObject({ state: "running" });
    }
    expect(reads("thread").map((r) => r.path)).toEqual(
      expect.arrayContaining(runs.map((runId) => `/api/orchestration/threads/${threadIdFor(runId)}`)),
    );
    expect(reads("snapshot")).toEqual([]);
  });

  it("a dispatch reads no snapshot: the project create is idempotent by its derived commandId", async () => {
    await twoRunning();
    expect(reads("snapshot")).toEqual([]);
    const creates = t3.log.filter((r) => r.commandType === "project.create");
    expect(creates.map((r) => r.replayed)).toEqual([false, true]);
    expect(t3.state.snapshot().projects).toHaveLength(1);
  });

  it("a project made by another command is found in the snapshot, not refused", async () => {
    const { projectIdFor } = await import("../../src/executors/t3.js");
    t3.state.apply({
      type: "project.create",
      commandId: "made-by-hand",
      projectId: projectIdFor("acme/api"),
      title: "acme/api",
      workspaceRoot: "/elsewhere",
      createdAt: clock.now().toISOString(),
    });
    await executor().dispatch(request);
    expect(reads("snapshot")).toHaveLength(1);
    expect(t3.state.snapshot().threads).toHaveLength(1);
  });

  it("a thread T3 does not have (its JSON 404) is missing, and no fallback to the snapshot", async () => {
    await twoRunning();
    const status = await executor().status({ repo: "acme/api", runId: "afk-other-1-a1-00000000", threadId: null });
    expect(status.state).toBe("missing");
    expect(reads("thread").at(-1)?.status).toBe(404);
    expect(reads("snapshot")).toEqual([]);
  });

  it.each(["404", "spa"] as const)(
    "an older T3 without the route (%s): the snapshot instead, read once for the tick",
    async (threadRoute) => {
      await t3.stop();
      t3 = await startT3Emulator({
        tokens: { [TOKEN]: ["orchestration:read", "orchestration:operate"] },
        clock,
        threadRoute,
      });
      await twoRunning();
      t3.state.settleTurn(threadIdFor(runs[1] ?? ""), "completed");
      const before = t3.log.length;
      const watch = executor();
      const states = [];
      for (const runId of runs) states.push((await watch.status({ repo: "acme/api", runId, threadId: null })).state);
      states.push((await watch.status({ repo: "acme/api", runId: "afk-other-1-a1-00000000", threadId: null })).state);
      expect(states).toEqual(["running", "idle", "missing"]);
      // One probe of the route, then one snapshot for the whole tick.
      expect(t3.log.slice(before).map((r) => r.route)).toEqual(["other", "snapshot"]);
    },
  );
});

/** The error a call rejects with (the test fails if it resolves). */
async function failure(call: Promise<unknown>): Promise<Error> {
  try {
    await call;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the call to fail");
}

describe("errors a person can act on, never showing the token", () => {
  it("a wrong token", async () => {
    const error = await failure(executor("wrong-token").dispatch(request));
    expect(error.message).toMatch(/refused the token.*401/);
    expect(error.message).not.toContain("wrong-token");
  });

  it("a token without the operate scope", async () => {
    const error = await failure(executor("read-only").dispatch(request));
    expect(error.message).toMatch(/403.*orchestration:operate/);
  });

  it("a thread read that is not JSON", async () => {
    await t3.stop();
    t3 = await startT3Emulator({
      tokens: { [TOKEN]: ["orchestration:read"] },
      clock,
      faults: [{ kind: "garbage", route: "thread" }],
    });
    const error = await failure(executor().status({ repo: "acme/api", runId: request.runId, threadId: null }));
    expect(error.message).toMatch(/unexpected thread read \(not JSON\)/);
    expect(error.message).not.toContain(TOKEN);
  });

  it("a snapshot that is not JSON, on an older T3", async () => {
    await t3.stop();
    t3 = await startT3Emulator({
      tokens: { [TOKEN]: ["orchestration:read"] },
      clock,
      threadRoute: "404",
      faults: [{ kind: "garbage", route: "snapshot" }],
    });
    const error = await failure(executor().status({ repo: "acme/api", runId: request.runId, threadId: null }));
    expect(error.message).toMatch(/unexpected snapshot \(not JSON\)/);
    expect(error.message).not.toContain(TOKEN);
  });

  it("an HTML error page from a proxy", async () => {
    await t3.stop();
    t3 = await startT3Emulator({
      tokens: { [TOKEN]: ["orchestration:read"] },
      clock,
      faults: [{ kind: "html", route: "thread" }],
    });
    const error = await failure(executor().status({ repo: "acme/api", runId: request.runId, threadId: null }));
    expect(error.message).toMatch(/HTTP 502/);
    // A proxy's 502 is a failure, never read as an older T3 without the route.
    expect(t3.log.filter((r) => r.route === "snapshot")).toEqual([]);
  });
});

describe("stop", () => {
  const stopRequest = { repo: request.repo, runId: request.runId, threadId: null, reason: "escalated", forced: false };

  it("interrupts the running turn by its id, then stops the session; the turn reads interrupted", async () => {
    await executor().dispatch(request);
    const turnId = t3.state.thread(threadIdFor(request.runId))?.latestTurn?.turnId;
    await executor().stop(stopRequest);
    const sent = t3.log.filter((r) => r.route === "dispatch").map((r) => r.commandType);
    expect(sent.slice(-2)).toEqual(["thread.turn.interrupt", "thread.session.stop"]);
    const thread = t3.state.thread(threadIdFor(request.runId));
    expect(thread?.latestTurn).toMatchObject({ turnId, state: "interrupted" });
    expect(thread?.session?.status).toBe("stopped");
    expect(await executor().status({ repo: request.repo, runId: request.runId, threadId: null })).toMatchObject({
      state: "interrupted",
    });
  });

  it("reads the turn, not the session: an interrupt that leaves the session running still reads interrupted", async () => {
    await executor().dispatch(request);
    const threadId = threadIdFor(request.runId);
    t3.state.apply({
      type: "thread.turn.interrupt",
      commandId: "by-hand",
      threadId,
      createdAt: clock.now().toISOString(),
    });
    expect(t3.state.thread(threadId)?.session?.status).toBe("running");
    expect((await executor().status({ repo: request.repo, runId: request.runId, threadId })).state).toBe("interrupted");
  });

  it("a repeated stop for the same reason is recognised by its command ids, not applied twice", async () => {
    await executor().dispatch(request);
    await executor().stop(stopRequest);
    const sequence = t3.state.snapshot().snapshotSequence;
    await executor().stop(stopRequest);
    expect(t3.log.filter((r) => r.commandType === "thread.session.stop").map((r) => r.replayed)).toEqual([false, true]);
    expect(t3.state.snapshot().snapshotSequence).toBe(sequence);
  });

  it("sends nothing for a thread T3 does not have", async () => {
    await executor().stop(stopRequest);
    expect(t3.log.filter((r) => r.route === "dispatch")).toEqual([]);
  });

  it("a refused stop is an ExecutorError that never shows the token", async () => {
    await executor().dispatch(request);
    t3.addFault({ route: "dispatch", commandType: "thread.turn.interrupt", kind: "status", status: 503 });
    const error = await executor()
      .stop(stopRequest)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExecutorError);
    expect((error as Error).message).not.toContain(TOKEN);
  });
});
