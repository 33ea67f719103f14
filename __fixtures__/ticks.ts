// Small sandbox worlds for the tick tests, and a harness that drives the real
// watch and poll ticks over HTTP on the world's virtual clock. A test names
// only the issues, scripts and inputs it is about; everything else is one
// trusted repo (acme/api) served by a loop armed with the T3 executor and the
// sandbox's doorbell receiver. The harness reads outcomes from the emulators'
// own state and logs (labels, comments, threads, deliveries), never from the
// loop's reports alone. No assertions here.

import { afterEach } from "vitest";
import { parseConfig, type Config } from "../src/core/config.js";
import { RECORD_MARKER_PREFIX } from "../src/github/poll-reads.js";
import { runIdFor, type RunRecord } from "../src/core/run-record.js";
import { decodeRunRecord } from "../src/core/record-codec.js";
import { threadIdFor } from "../src/executors/t3.js";
import type { LogEntry } from "../src/sandbox/github/request-log.js";
import type { Issue } from "../src/sandbox/github/store.js";
import type { T3Thread } from "../src/sandbox/t3/state.js";
import type { WorldInput } from "../src/sandbox/world/schema.js";
import { startSandbox, type Sandbox } from "../src/sandbox/world/sandbox.js";
import { pollTick, type PollReport } from "../src/ticks/poll.js";
import { createTickContext } from "../src/ticks/setup.js";
import { watchTick, type WatchReport } from "../src/ticks/watch.js";

export const REPO = "acme/api";
export const LOOP_LOGIN = "afk-loop[bot]";
export const LABELS = {
  ready: "ready-for-agent",
  inProgress: "agent-in-progress",
  human: "ready-for-human",
  frozen: "frozen",
  owed: "afk-doorbell-owed",
} as const;

type RepoInput = WorldInput["repos"][number];
export type IssueInput = NonNullable<RepoInput["issues"]>[number];

/**
 * An issue a trusted writer (bob) labelled ready an hour ago. `extra` adds or
 * replaces fields; `labels` given there are added after the ready label.
 */
export function readyIssue(number: number, extra: Partial<IssueInput> = {}): IssueInput {
  const { labels = [], ...rest } = extra;
  return {
    number,
    title: `Issue ${number}`,
    body: `Do thing ${number}.`,
    author: "maya",
    ...rest,
    labels: [{ name: LABELS.ready, by: "bob", at: "-1h" }, ...labels],
  };
}

/** An issue the loop already dispatched `since` ago (default 5 minutes), its agent following `agent`. */
export function inFlightIssue(number: number, extra: Partial<IssueInput> = {}): IssueInput {
  return readyIssue(number, { run: { since: "-5m" }, ...extra });
}

export interface WorldOptions {
  issues?: IssueInput[];
  /** Overrides and additions to the default inputs. */
  inputs?: Record<string, string | number | boolean>;
  /** Extra repos beside acme/api. */
  repos?: RepoInput[];
  /** Changes to acme/api itself (collaborators, workflows, scripts). */
  repo?: Partial<RepoInput>;
  /** The loop token's reach (default: every repo). */
  reach?: "all" | string[];
  agent?: WorldInput["agent"];
  ci?: WorldInput["ci"];
}

/**
 * One repo, acme/api: maya maintains it, bob writes, tina triages, randall
 * reads, renovate[bot] has write access. Ten-minute ticks; lease 15 minutes,
 * max-run 60, ci-timeout 30, two fix-forwards, freeze after the same failure
 * twice. Unless a test says otherwise the agent pushes after one tick and CI
 * goes green one tick later.
 */
export function tickWorld(options: WorldOptions = {}): WorldInput {
  return {
    version: 1,
    start: "2026-03-02T09:00:00Z",
    tickMinutes: 10,
    users: ["maya", "bob", "tina", "randall", "renovate[bot]"],
    github: { tokens: [{ token: "ghs_loop", login: LOOP_LOGIN, reach: options.reach ?? "all" }] },
    t3: { tokens: { t3_operator: ["orchestration:operate", "orchestration:read"] } },
    inputs: {
      "github-token": "ghs_loop",
      "kill-switch": "off",
      allowlist: REPO,
      executor: "t3",
      "t3-token": "t3_operator",
      "lease-minutes": 15,
      "max-run-minutes": 60,
      "ci-timeout-minutes": 30,
      "fix-forward-attempts": 2,
      "same-failure-limit": 2,
      "max-per-repo": 1,
      "max-in-flight": 5,
      ...options.inputs,
    },
    ...(options.agent === undefined ? {} : { agent: options.agent }),
    ...(options.ci === undefined ? {} : { ci: options.ci }),
    repos: [
      {
        repo: REPO,
        collaborators: { maya: "maintain", bob: "write", tina: "triage", randall: "read", "renovate[bot]": "write" },
        workflows: ["afk-agent.yml"],
        issues: options.issues ?? [],
        ...options.repo,
      },
      ...(options.repos ?? []),
    ],
  };
}

export interface Round {
  watch: WatchReport;
  poll: PollReport;
}

/** A running sandbox with the loop pointed at it, and the questions tests ask of it. */
export class Loop {
  readonly config: Config;

  constructor(
    readonly sandbox: Sandbox,
    inputs: Record<string, string> = {},
  ) {
    this.config = parseConfig({ ...sandbox.inputs, ...inputs });
  }

  /** A fresh context per tick, as each scheduled run is a fresh process. */
  context() {
    const clock = this.sandbox.world.clock;
    return createTickContext(this.config, { now: () => clock.now(), pacing: "none", retryUnitMs: 1 });
  }

  watch(): Promise<WatchReport> {
    return watchTick(this.context());
  }

  poll(): Promise<PollReport> {
    return pollTick(this.context());
  }

  /** One scheduled run of the action: watch, then poll. */
  async round(): Promise<Round> {
    return { watch: await this.watch(), poll: await this.poll() };
  }

  /** `ticks` scheduled intervals pass in the world: the clock moves, CI and the agent act. */
  advance(ticks = 1): void {
    for (let i = 0; i < ticks; i++) this.sandbox.tick();
  }

  now(): Date {
    return this.sandbox.world.clock.now();
  }

  issue(number: number, repo = REPO): Issue {
    const found = this.sandbox.world.store.lookupIssue(repo, number);
    if (!("issue" in found)) throw new Error(`${repo}#${number} is not in the world`);
    return found.issue;
  }

  labels(number: number, repo = REPO): string[] {
    return [...this.issue(number, repo).labels];
  }

  /** The loop's own progress comments on the issue (there must only ever be one). */
  progressComments(number: number, repo = REPO): Issue["comments"] {
    return this.issue(number, repo).comments.filter(
      (c) => c.author === LOOP_LOGIN && c.body.includes(RECORD_MARKER_PREFIX),
    );
  }

  /** The run record in the loop's progress comment, or null when there is none (or it does not decode). */
  record(number: number, repo = REPO): RunRecord | null {
    const comment = this.progressComments(number, repo)[0];
    if (!comment) return null;
    const decoded = decodeRunRecord(comment.body);
    return decoded.ok ? decoded.record : null;
  }

  /** Every T3 thread ever created for the issue (its title starts `owner/name#N:`), deleted ones included. */
  threadsFor(number: number, repo = REPO): T3Thread[] {
    return this.sandbox.t3.state.snapshot().threads.filter((t) => t.title.startsWith(`${repo}#${number}:`));
  }

  /** The T3 thread of one attempt, by the id the T3 executor derives from the run id. */
  thread(number: number, attempt = 1, repo = REPO): Readonly<T3Thread> | undefined {
    return this.sandbox.t3.state.thread(threadIdFor(runIdFor(repo, number, attempt)));
  }

  /** User messages (the dispatch prompt, then one per fix-forward) across every thread of the issue. */
  userMessages(number: number, repo = REPO): string[] {
    return this.threadsFor(number, repo).flatMap((t) => t.messages.filter((m) => m.role === "user").map((m) => m.text));
  }

  /** Doorbells the receiver answered 2xx, as `kind repo#N`. */
  doorbells(): string[] {
    return this.sandbox.doorbells.deliveries
      .filter((d) => d.status < 300)
      .map((d) => {
        const body = d.body as { kind?: string; repo?: string; issue?: number };
        return `${body.kind ?? "?"} ${body.repo ?? "?"}#${body.issue ?? "?"}`;
      });
  }

  /** A position in the GitHub log; pass it to `githubSince` to see what came after. */
  mark(): number {
    return this.sandbox.github.log.entries.length;
  }

  githubSince(mark: number): readonly LogEntry[] {
    return this.sandbox.github.log.entries.slice(mark);
  }

  writesSince(mark: number): LogEntry[] {
    return this.githubSince(mark).filter((e) => e.mutation);
  }

  /** T3 commands sent (dispatch route), as their types. */
  t3Commands(): string[] {
    return this.sandbox.t3.log.filter((r) => r.route === "dispatch").map((r) => r.commandType ?? "?");
  }
}

/**
 * Starts a world and hands back a Loop over it; every Loop started in a test
 * file that called `stopLoopsAfterEach()` is stopped after its test.
 */
const running = new Set<Sandbox>();

export async function startLoop(world: WorldInput, inputs: Record<string, string> = {}): Promise<Loop> {
  const sandbox = await startSandbox(world);
  running.add(sandbox);
  return new Loop(sandbox, inputs);
}

export function stopLoopsAfterEach(): void {
  afterEach(async () => {
    const stopping = [...running];
    running.clear();
    await Promise.all(stopping.map((s) => s.stop()));
  });
}

/** Rounds (a world tick, then watch and poll) until `done` says so, at most `limit`; returns the rounds run. */
export async function roundsUntil(loop: Loop, done: (round: Round) => boolean, limit = 12): Promise<Round[]> {
  const rounds: Round[] = [];
  for (let i = 0; i < limit; i++) {
    loop.advance();
    const round = await loop.round();
    rounds.push(round);
    if (done(round)) break;
  }
  return rounds;
}

/** Watch ticks (each after a world tick) until one takes an action other than wait, at most `limit`. */
export async function watchUntilAction(loop: Loop, number: number, limit = 12): Promise<WatchReport> {
  for (let i = 0; i < limit; i++) {
    loop.advance();
    const report = await loop.watch();
    const run = report.runs.find((r) => r.number === number);
    if (run && run.action !== "wait") return report;
  }
  throw new Error(`#${number} was still waiting after ${limit} ticks`);
}
