// What a watch tick reads from T3 for its in-flight runs, per-thread route vs
// whole snapshot, on a server that holds a long history of finished threads
// (issue 10's measure). Seeds one T3 state, serves it from two emulators (one
// with the per-thread route, one playing an older T3 without it) and reads
// every in-flight run's status the way the watch tick does: one executor per
// tick, one status per run. Counts come from the emulators' request logs.
// Never asserts a target itself: the caller judges the numbers.

import { parseConfig } from "../src/core/config.js";
import { T3Executor, projectIdFor, threadIdFor } from "../src/executors/t3.js";
import { VirtualClock } from "../src/sandbox/clock.js";
import { startT3Emulator } from "../src/sandbox/t3/server.js";
import { T3State } from "../src/sandbox/t3/state.js";

export interface T3ReadsSpec {
  /** Finished threads the server keeps from earlier runs. */
  history: number;
  inFlight: number;
  latencyMs: number;
}

interface T3ReadsMode {
  requests: number;
  bytes: number;
  wallSeconds: number;
}

export interface T3ReadsResult extends T3ReadsSpec {
  perThread: T3ReadsMode;
  snapshot: T3ReadsMode;
  /** snapshot bytes ÷ per-thread bytes. */
  bytesRatio: number;
}

const TOKEN = "bench-t3-token";
/** A prompt about the size the loop sends (issue text, rules, context). */
const PROMPT = "Implement the issue below, run the tests, push with the trailer.\n".repeat(40);

function seed(clock: VirtualClock, spec: T3ReadsSpec): { state: T3State; runIds: string[] } {
  const state = new T3State(clock);
  const createdAt = clock.now().toISOString();
  const projectId = projectIdFor("acme/api");
  const ok = (result: ReturnType<T3State["apply"]>) => {
    if (!result.ok) throw new Error(`bench seed: ${result.reason}`);
  };
  ok(
    state.apply({
      type: "project.create",
      commandId: "seed-project",
      projectId,
      title: "acme/api",
      workspaceRoot: "/w/acme/api",
      createdAt,
    }),
  );
  const runIds: string[] = [];
  for (let i = 0; i < spec.history + spec.inFlight; i++) {
    const runId = `afk-acme-api-${i + 1}-a1-bench0000`;
    const threadId = threadIdFor(runId);
    ok(
      state.apply({
        type: "thread.create",
        commandId: `seed-thread-${i}`,
        threadId,
        projectId,
        title: `acme/api#${i + 1}: bench issue ${i + 1}`,
        modelSelection: { instanceId: "claudeAgent", model: "claude-sonnet-4-5" },
        runtimeMode: "full-access",
        interactionMode: "default",
        branch: null,
        worktreePath: null,
        createdAt,
      }),
    );
    ok(
      state.apply({
        type: "thread.turn.start",
        commandId: `seed-turn-${i}`,
        threadId,
        message: { messageId: `seed-message-${i}`, role: "user", text: PROMPT, attachments: [] },
        runtimeMode: "full-access",
        interactionMode: "default",
        createdAt,
      }),
    );
    if (i < spec.history) state.settleTurn(threadId, "completed");
    else runIds.push(runId);
  }
  return { state, runIds };
}

async function tick(
  spec: T3ReadsSpec,
  state: T3State,
  clock: VirtualClock,
  runIds: string[],
  threadRoute: "served" | "404",
) {
  const t3 = await startT3Emulator({
    tokens: { [TOKEN]: ["orchestration:read"] },
    clock,
    state,
    latencyMs: spec.latencyMs,
    threadRoute,
  });
  try {
    const config = parseConfig({ "kill-switch": "off", "github-token": "x", "t3-url": t3.url, "t3-token": TOKEN });
    if (config.executor.kind !== "t3") throw new Error("bench: expected the t3 executor");
    const executor = new T3Executor({ settings: config.executor, now: () => clock.now() });
    const started = performance.now();
    for (const runId of runIds) {
      const status = await executor.status({ repo: "acme/api", runId, threadId: null });
      if (status.state !== "running") throw new Error(`bench: ${runId} read as ${status.state}`);
    }
    const wallSeconds = (performance.now() - started) / 1000;
    return { requests: t3.log.length, bytes: t3.log.reduce((sum, r) => sum + r.bytes, 0), wallSeconds };
  } finally {
    await t3.stop();
  }
}

export async function measureT3Reads(spec: T3ReadsSpec): Promise<T3ReadsResult> {
  const clock = new VirtualClock("2026-03-02T09:00:00Z");
  const { state, runIds } = seed(clock, spec);
  const perThread = await tick(spec, state, clock, runIds, "served");
  const snapshot = await tick(spec, state, clock, runIds, "404");
  return { ...spec, perThread, snapshot, bytesRatio: snapshot.bytes / Math.max(1, perThread.bytes) };
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

export function renderT3Reads(results: readonly T3ReadsResult[]): string {
  const rows = [
    [
      "history",
      "in flight",
      "|",
      "per-thread req",
      "bytes",
      "wall",
      "|",
      "snapshot req",
      "bytes",
      "wall",
      "|",
      "bytes ratio",
    ],
    ...results.map((r) => [
      String(r.history),
      String(r.inFlight),
      "|",
      String(r.perThread.requests),
      kb(r.perThread.bytes),
      `${r.perThread.wallSeconds.toFixed(2)} s`,
      "|",
      String(r.snapshot.requests),
      kb(r.snapshot.bytes),
      `${r.snapshot.wallSeconds.toFixed(2)} s`,
      "|",
      `${r.bytesRatio.toFixed(0)}×`,
    ]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
