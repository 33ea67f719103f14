// The T3 emulator over real HTTP, row by row against docs/design.md §8: auth, the
// field-by-field schema (400, empty body), business rules (500), commandId
// replay, the snapshot read model, and the test knobs (faults, latency, log).

import { Agent, request } from "undici";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { VirtualClock } from "../../../src/sandbox/clock.js";
import { startT3Emulator, type T3Emulator, type T3EmulatorOptions } from "../../../src/sandbox/t3/server.js";
import type { T3Snapshot, TurnStarted } from "../../../src/sandbox/t3/state.js";
import {
  AT,
  OPERATOR,
  READER,
  TOKENS,
  WRITER_ONLY,
  client,
  projectCreate,
  threadCreate,
  turnStart,
  withField,
} from "./commands.js";

const dispatcher = new Agent();
const http = client(dispatcher);
afterAll(() => dispatcher.close());

let emulator: T3Emulator;
let clock: VirtualClock;
let turns: TurnStarted[];

async function start(options: Partial<T3EmulatorOptions> = {}): Promise<T3Emulator> {
  await emulator.stop();
  emulator = await startT3Emulator({ tokens: TOKENS, clock, onTurnStart: (t) => turns.push(t), ...options });
  return emulator;
}

beforeEach(async () => {
  clock = new VirtualClock(AT);
  turns = [];
  emulator = await startT3Emulator({ tokens: TOKENS, clock, onTurnStart: (t) => turns.push(t) });
});
afterEach(() => emulator.stop());

async function snapshot(): Promise<T3Snapshot> {
  const answer = await http.snapshot(emulator.url);
  expect(answer.status).toBe(200);
  return JSON.parse(answer.text) as T3Snapshot;
}

/** project.create + thread.create + thread.turn.start, each expected to succeed. */
async function startedThread(): Promise<void> {
  for (const command of [projectCreate(), threadCreate(), turnStart()]) {
    expect((await http.dispatch(emulator.url, command)).status).toBe(200);
  }
}

describe("auth", () => {
  it("answers 401 with a JSON code when the bearer token is missing", async () => {
    const answer = await http.dispatch(emulator.url, projectCreate(), null);
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.text)).toMatchObject({ code: expect.any(String) as unknown });
  });

  it("answers 401 with a JSON code for an unknown token", async () => {
    const answer = await http.snapshot(emulator.url, "not-a-token");
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.text)).toHaveProperty("code");
  });

  it("answers 403 with a JSON code when a dispatch lacks orchestration:operate", async () => {
    const answer = await http.dispatch(emulator.url, projectCreate(), READER);
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.text)).toMatchObject({ code: "insufficient_scope" });
    expect(emulator.state.snapshot().projects).toEqual([]);
  });

  it("answers 403 with a JSON code when a snapshot lacks orchestration:read", async () => {
    const answer = await http.snapshot(emulator.url, WRITER_ONLY);
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.text)).toHaveProperty("code");
  });

  it("checks credentials before the body: a malformed command without a token is 401, not 400", async () => {
    expect((await http.dispatch(emulator.url, "{nope", null)).status).toBe(401);
  });
});

describe("schema: 400 with an empty body", () => {
  const rows: [string, Record<string, unknown>][] = [
    ...["commandId", "projectId", "title", "workspaceRoot", "createdAt"].map(
      (field): [string, Record<string, unknown>] => [
        `project.create without ${field}`,
        withField(projectCreate(), field),
      ],
    ),
    ...[
      "commandId",
      "threadId",
      "projectId",
      "title",
      "modelSelection",
      "modelSelection.instanceId",
      "modelSelection.model",
      "runtimeMode",
      "interactionMode",
      "branch",
      "worktreePath",
      "createdAt",
    ].map((field): [string, Record<string, unknown>] => [
      `thread.create without ${field}`,
      withField(threadCreate(), field),
    ]),
    ...[
      "commandId",
      "threadId",
      "message",
      "message.messageId",
      "message.role",
      "message.text",
      "message.attachments",
      "runtimeMode",
      "interactionMode",
      "createdAt",
    ].map((field): [string, Record<string, unknown>] => [
      `thread.turn.start without ${field}`,
      withField(turnStart(), field),
    ]),
    ["thread.create with runtimeMode yolo", withField(threadCreate(), "runtimeMode", "yolo")],
    ["thread.create with interactionMode fast", withField(threadCreate(), "interactionMode", "fast")],
    [
      "thread.create with an instanceId that is not a slug",
      withField(threadCreate(), "modelSelection.instanceId", "9 lives"),
    ],
    ["thread.create with a numeric branch", withField(threadCreate(), "branch", 7)],
    ["thread.turn.start with runtimeMode auto", withField(turnStart(), "runtimeMode", "auto")],
    ["thread.turn.start with interactionMode chat", withField(turnStart(), "interactionMode", "chat")],
    ["thread.turn.start with role assistant", withField(turnStart(), "message.role", "assistant")],
    ["thread.turn.start with attachments that is not an array", withField(turnStart(), "message.attachments", {})],
    ["project.create with a blank title", withField(projectCreate(), "title", "   ")],
    [
      "project.create with a non-boolean createWorkspaceRootIfMissing",
      withField(projectCreate(), "createWorkspaceRootIfMissing", "yes"),
    ],
    ["project.create with createdAt that is not an instant", withField(projectCreate(), "createdAt", "yesterday")],
    ["project.create with an unknown extra field", { ...projectCreate(), createWorkspaceRootIfMisssing: true }],
    ["a command with an unknown type", { ...turnStart(), type: "thread.delete" }],
    ["a command without a type", withField(projectCreate(), "type")],
    ["an array of commands", [projectCreate()] as unknown as Record<string, unknown>],
  ];

  it.each(rows)("rejects %s", async (_name, command) => {
    const answer = await http.dispatch(emulator.url, command);
    expect(answer.status).toBe(400);
    expect(answer.text).toBe("");
  });

  it("rejects a body that is not JSON", async () => {
    const answer = await http.dispatch(emulator.url, '{"type": "project.create",');
    expect(answer.status).toBe(400);
    expect(answer.text).toBe("");
  });

  it("accepts optional fields left out and model options in either form", async () => {
    const bare = withField(withField(projectCreate(), "createWorkspaceRootIfMissing"), "defaultModelSelection");
    expect((await http.dispatch(emulator.url, bare)).status).toBe(200);
    const options = { instanceId: "codex", model: "gpt-5", options: [{ id: "reasoningEffort", value: "high" }] };
    expect((await http.dispatch(emulator.url, threadCreate({ modelSelection: options }))).status).toBe(200);
    const legacy = { instanceId: "codex_work", model: "gpt-5", options: { fastMode: true } };
    const second = threadCreate({ commandId: "cmd-thread-2", threadId: "thread-2", modelSelection: legacy });
    expect((await http.dispatch(emulator.url, second)).status).toBe(200);
  });

  it("changes nothing when it rejects a command", async () => {
    await http.dispatch(emulator.url, withField(projectCreate(), "title"));
    expect(emulator.state.snapshot()).toMatchObject({ snapshotSequence: 0, projects: [] });
  });
});

describe("business rules: 500", () => {
  it("rejects a second project with the same projectId", async () => {
    expect((await http.dispatch(emulator.url, projectCreate())).status).toBe(200);
    const answer = await http.dispatch(emulator.url, projectCreate({ commandId: "cmd-project-again" }));
    expect(answer.status).toBe(500);
    expect(emulator.state.snapshot().projects).toHaveLength(1);
  });

  it("rejects a second thread with the same threadId", async () => {
    await startedThread();
    const answer = await http.dispatch(emulator.url, threadCreate({ commandId: "cmd-thread-again" }));
    expect(answer.status).toBe(500);
  });

  it("rejects thread.create in a project that does not exist", async () => {
    const answer = await http.dispatch(emulator.url, threadCreate({ projectId: "nowhere" }));
    expect(answer.status).toBe(500);
  });

  it("rejects thread.turn.start on a thread that does not exist", async () => {
    const answer = await http.dispatch(emulator.url, turnStart({ threadId: "ghost" }));
    expect(answer.status).toBe(500);
    expect(turns).toEqual([]);
  });

  it("rejects thread.turn.start on a deleted thread", async () => {
    await startedThread();
    emulator.state.deleteThread("thread-1");
    const answer = await http.dispatch(emulator.url, turnStart({ commandId: "cmd-turn-2" }));
    expect(answer.status).toBe(500);
  });
});

describe("sequence and commandId replay", () => {
  it("answers every accepted command with a rising sequence and no ids", async () => {
    const sequences: number[] = [];
    for (const command of [projectCreate(), threadCreate(), turnStart()]) {
      const answer = await http.dispatch(emulator.url, command);
      const body = JSON.parse(answer.text) as Record<string, unknown>;
      expect(Object.keys(body)).toEqual(["sequence"]);
      sequences.push(body.sequence as number);
    }
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    expect(new Set(sequences).size).toBe(3);
  });

  it("returns the original sequence for a resent commandId and applies nothing", async () => {
    await startedThread();
    const first = await http.dispatch(emulator.url, turnStart({ commandId: "cmd-turn-2" }));
    const before = emulator.state.snapshot();
    const again = await http.dispatch(emulator.url, turnStart({ commandId: "cmd-turn-2" }));
    expect(again).toEqual(first);
    expect(emulator.state.snapshot()).toEqual(before);
    expect(turns).toHaveLength(2);
    expect(emulator.log.at(-1)).toMatchObject({ commandId: "cmd-turn-2", status: 200, replayed: true });
  });

  it("replays a resent project.create instead of calling it a duplicate", async () => {
    const first = await http.dispatch(emulator.url, projectCreate());
    expect(await http.dispatch(emulator.url, projectCreate())).toEqual(first);
  });
});

describe("snapshot", () => {
  it("shows the running turn and session after a turn starts", async () => {
    await startedThread();
    const { threads, projects, snapshotSequence } = await snapshot();
    expect(snapshotSequence).toBe(3);
    expect(projects).toMatchObject([{ id: "project-1", workspaceRoot: "/workspace/acme/api", deletedAt: null }]);
    expect(threads).toMatchObject([
      {
        id: "thread-1",
        projectId: "project-1",
        branch: null,
        worktreePath: null,
        deletedAt: null,
        latestTurn: { state: "running", requestedAt: AT, startedAt: AT, completedAt: null },
        session: { status: "running", lastError: null },
        activities: [],
      },
    ]);
    expect(turns).toMatchObject([{ text: "Implement acme/api#7.", thread: { id: "thread-1" } }]);
  });

  it("has no turn and no session on a fresh thread", async () => {
    await http.dispatch(emulator.url, projectCreate());
    await http.dispatch(emulator.url, threadCreate());
    expect((await snapshot()).threads[0]).toMatchObject({ latestTurn: null, session: null });
  });

  it("shows a completed turn with a ready session, and an errored one with its lastError", async () => {
    await startedThread();
    clock.advance(60_000);
    emulator.state.settleTurn("thread-1", "completed");
    expect((await snapshot()).threads[0]).toMatchObject({
      latestTurn: { state: "completed", completedAt: "2026-03-02T09:01:00.000Z" },
      session: { status: "ready", activeTurnId: null },
    });
    await http.dispatch(emulator.url, turnStart({ commandId: "cmd-turn-2" }));
    emulator.state.settleTurn("thread-1", "error", "provider crashed");
    expect((await snapshot()).threads[0]).toMatchObject({
      latestTurn: { state: "error" },
      session: { status: "error", lastError: "provider crashed" },
    });
  });

  it("lists approval and user-input requests and their resolutions as activities matched on requestId", async () => {
    await startedThread();
    const approval = emulator.state.requestHuman("thread-1", "approval", "rm -rf build/");
    const question = emulator.state.requestHuman("thread-1", "user-input", "Which database?");
    emulator.state.resolveHuman("thread-1", "approval", approval);
    const { activities } = (await snapshot()).threads[0] ?? { activities: [] };
    expect(activities.map((a) => [a.kind, a.payload.requestId])).toEqual([
      ["approval.requested", approval],
      ["user-input.requested", question],
      ["approval.resolved", approval],
    ]);
    expect(approval).not.toBe(question);
  });

  it("includes deleted and archived threads, marked", async () => {
    await startedThread();
    await http.dispatch(emulator.url, threadCreate({ commandId: "cmd-thread-2", threadId: "thread-2" }));
    emulator.state.deleteThread("thread-1");
    emulator.state.archiveThread("thread-2");
    const { threads } = await snapshot();
    expect(threads.map((t) => [t.id, t.deletedAt !== null, t.archivedAt !== null])).toEqual([
      ["thread-1", true, false],
      ["thread-2", false, true],
    ]);
  });
});

describe("knobs", () => {
  it("fails the chosen route with a status until the rule is spent", async () => {
    emulator.addFault({ kind: "status", status: 503, route: "dispatch", times: 1 });
    expect((await http.dispatch(emulator.url, projectCreate())).status).toBe(503);
    expect((await http.dispatch(emulator.url, projectCreate())).status).toBe(200);
  });

  it("fails a request by its index with a garbage body or an HTML page", async () => {
    await start({
      faults: [
        { kind: "garbage", index: 0 },
        { kind: "html", index: 1 },
      ],
    });
    const garbage = await http.snapshot(emulator.url);
    expect(garbage.status).toBe(200);
    expect(() => JSON.parse(garbage.text) as unknown).toThrow();
    const html = await http.snapshot(emulator.url);
    expect(html.status).toBe(502);
    expect(html.contentType).toMatch(/text\/html/);
    expect((await http.snapshot(emulator.url)).status).toBe(200);
  });

  it("resets the connection", async () => {
    emulator.addFault({ kind: "reset", route: "snapshot" });
    await expect(http.snapshot(emulator.url)).rejects.toThrow();
  });

  it("hangs until the client gives up", async () => {
    emulator.addFault({ kind: "hang", route: "snapshot" });
    const answer = request(`${emulator.url}/api/orchestration/snapshot`, {
      headers: { authorization: `Bearer ${OPERATOR}` },
      signal: AbortSignal.timeout(200),
      dispatcher,
    });
    await expect(answer).rejects.toThrow();
    expect(emulator.log[0]).toMatchObject({ fault: "hang", status: null });
  });

  it("can apply a command and then lose the answer, so a replay returns the sequence it got", async () => {
    emulator.addFault({ kind: "reset", commandType: "project.create", afterApply: true, times: 1 });
    await expect(http.dispatch(emulator.url, projectCreate())).rejects.toThrow();
    expect(emulator.state.snapshot().projects).toHaveLength(1);
    const retry = await http.dispatch(emulator.url, projectCreate());
    expect(retry).toMatchObject({ status: 200, text: JSON.stringify({ sequence: 1 }) });
  });

  it("delays every answer by the configured latency", async () => {
    await start({ latencyMs: 120 });
    const started = performance.now();
    await http.snapshot(emulator.url);
    expect(performance.now() - started).toBeGreaterThanOrEqual(100);
  });

  it("logs each request with its route, command type and status, for counting", async () => {
    await startedThread();
    await http.dispatch(emulator.url, withField(turnStart(), "createdAt"));
    await http.snapshot(emulator.url, READER);
    expect(emulator.log.map((r) => [r.route, r.commandType, r.status])).toEqual([
      ["dispatch", "project.create", 200],
      ["dispatch", "thread.create", 200],
      ["dispatch", "thread.turn.start", 200],
      ["dispatch", "thread.turn.start", 400],
      ["snapshot", null, 200],
    ]);
    expect(emulator.log.filter((r) => r.commandType === "thread.turn.start")).toHaveLength(2);
  });

  it("answers 404 off the API and 405 for the wrong method", async () => {
    const missing = await request(`${emulator.url}/api/nope`, { dispatcher });
    expect(missing.statusCode).toBe(404);
    await missing.body.dump();
    const wrong = await request(`${emulator.url}/api/orchestration/dispatch`, {
      headers: { authorization: `Bearer ${OPERATOR}` },
      dispatcher,
    });
    expect(wrong.statusCode).toBe(405);
    await wrong.body.dump();
  });
});

describe("per-thread read", () => {
  const read = async (threadId: string, token: string | null = READER) => {
    const answer = await request(`${emulator.url}/api/orchestration/threads/${encodeURIComponent(threadId)}`, {
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
      dispatcher,
    });
    return { status: answer.statusCode, type: String(answer.headers["content-type"]), text: await answer.body.text() };
  };

  it("answers {snapshotSequence, thread} with the same thread the snapshot holds", async () => {
    await startedThread();
    const answer = await read("thread-1");
    expect(answer.status).toBe(200);
    const detail = JSON.parse(answer.text) as { snapshotSequence: number; thread: unknown };
    const whole = await snapshot();
    expect(detail).toEqual({ snapshotSequence: whole.snapshotSequence, thread: whole.threads[0] });
    expect(emulator.log.at(-2)).toMatchObject({ route: "thread", status: 200, bytes: Buffer.byteLength(answer.text) });
  });

  it("answers a thread it does not have with T3's JSON 404 thread_not_found", async () => {
    const answer = await read("no-such-thread");
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.text)).toMatchObject({
      _tag: "EnvironmentResourceNotFoundError",
      code: "not_found",
      reason: "thread_not_found",
    });
  });

  it("needs the read scope like the snapshot", async () => {
    await startedThread();
    expect((await read("thread-1", null)).status).toBe(401);
    expect((await read("thread-1", WRITER_ONLY)).status).toBe(403);
  });

  it("plays an older T3 without the route: a plain 404, or the web app's HTML with 200", async () => {
    await start({ threadRoute: "404" });
    await startedThread();
    expect(await read("thread-1")).toMatchObject({ status: 404, text: "Not Found" });
    await start({ threadRoute: "spa" });
    await startedThread();
    const spa = await read("thread-1");
    expect(spa.status).toBe(200);
    expect(spa.type).toMatch(/^text\/html/);
    expect(emulator.log.map((r) => r.route)).toContain("other");
  });
});

describe("lifecycle", () => {
  it("listens on a different free port on 127.0.0.1 each time", async () => {
    const other = await startT3Emulator({ tokens: TOKENS, clock });
    try {
      expect(other.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(other.url).not.toBe(emulator.url);
    } finally {
      await other.stop();
    }
  });

  it("stops with open keep-alive and hung connections, and leaves no server or socket behind", async () => {
    const before = await settledHandles();
    const local = new Agent();
    const other = await startT3Emulator({ tokens: TOKENS, clock, faults: [{ kind: "hang", index: 1 }] });
    await request(`${other.url}/api/orchestration/snapshot`, { dispatcher: local }).then((r) => r.body.dump());
    const hung = request(`${other.url}/api/orchestration/snapshot`, { dispatcher: local }).catch(() => "aborted");
    await other.stop();
    expect(await hung).toBe("aborted");
    await local.close();
    expect(await settledHandles()).toEqual(before);
    await expect(request(`${other.url}/api/orchestration/snapshot`, { dispatcher })).rejects.toThrow();
  });
});

/** Open TCP servers and sockets, read once closes still in flight (earlier tests' too) have landed. */
async function settledHandles(): Promise<Record<string, number>> {
  await new Promise((resolve) => setTimeout(resolve, 50));
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === "TCPServerWrap" || kind === "TCPSocketWrap") counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}
