// Drives the real ticks over a running sandbox on its virtual clock: each
// round, the world takes one step (time passes, agents push, CI reports),
// then a watch tick and a poll tick run exactly as the action runs them.
// Owns the round loop and the final-state snapshot; decides nothing itself.

import { parseConfig, type Config } from "../core/config.js";
import { decodeRunRecord } from "../core/record-codec.js";
import type { RequestCounts } from "../github/client.js";
import { pollTick, type PollReport } from "../ticks/poll.js";
import { createTickContext } from "../ticks/setup.js";
import { watchTick, type WatchReport } from "../ticks/watch.js";
import type { Sandbox } from "./world/sandbox.js";

export interface RoundReport {
  round: number;
  at: string;
  config: Config;
  watch: WatchReport | null;
  poll: PollReport | null;
  requests: RequestCounts;
  executorRequests: number | null;
}

export interface SimulateOptions {
  rounds: number;
  /** Input overrides on top of the world's (e.g. dry-run, kill-switch). */
  inputs?: Record<string, string>;
  /** Called after each round, for printing as it goes. */
  onRound?: (report: RoundReport) => void;
}

/** Run `rounds` rounds; the first runs at the world's start, before any step. */
export async function simulate(sandbox: Sandbox, options: SimulateOptions): Promise<RoundReport[]> {
  const config = parseConfig({ ...sandbox.inputs, ...options.inputs });
  const reports: RoundReport[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    if (round > 1) sandbox.tick();
    const report = await runRound(sandbox, config, round);
    reports.push(report);
    options.onRound?.(report);
  }
  return reports;
}

export async function runRound(sandbox: Sandbox, config: Config, round: number): Promise<RoundReport> {
  const clock = sandbox.world.clock;
  const ctx = createTickContext(config, { now: () => clock.now(), pacing: "none", retryUnitMs: 1 });
  const armed = config.killSwitch !== "on";
  // Watch first, so a repository it frees can take new work in the same round.
  const watch = armed && config.ticks.includes("watch") ? await watchTick(ctx) : null;
  const poll = armed && config.ticks.includes("poll") ? await pollTick(ctx) : null;
  return {
    round,
    at: clock.now().toISOString(),
    config,
    watch,
    poll,
    requests: ctx.github.counts,
    executorRequests: ctx.executorRequests(),
  };
}

export interface FinalState {
  at: string;
  issues: {
    repo: string;
    number: number;
    title: string;
    state: string;
    labels: string[];
    /** The loop's progress comments on the issue (there must never be more than one). */
    progressComments: number;
    run: { phase: string; attempt: number; fixForwards: number; reason: string | null } | null;
  }[];
  threads: { id: string; title: string; turns: number; state: string | null }[];
  doorbells: { kind: unknown; issue: unknown; status: number }[];
  requests: { github: ReturnType<Sandbox["github"]["log"]["counts"]>; t3: number };
}

/** Everything a person (or a test) wants to see after a simulation, as plain JSON. */
export function finalState(sandbox: Sandbox): FinalState {
  const { store } = sandbox.world;
  const loop = sandbox.world.loopLogin?.toLowerCase() ?? "";
  const issues: FinalState["issues"] = [];
  for (const repo of store.allRepos()) {
    for (const issue of repo.issues.values()) {
      const own = issue.comments.filter((c) => c.author.toLowerCase() === loop && c.body.includes("<!-- afk-loop:run"));
      const decoded = own[0] ? decodeRunRecord(own[0].body) : null;
      issues.push({
        repo: repo.fullName,
        number: issue.number,
        title: issue.title,
        state: issue.state,
        labels: [...issue.labels],
        progressComments: own.length,
        run:
          decoded?.ok === true
            ? {
                phase: decoded.record.phase,
                attempt: decoded.record.attempt,
                fixForwards: decoded.record.fixForwards,
                reason: decoded.record.reason,
              }
            : null,
      });
    }
  }
  const snapshot = sandbox.t3.state.snapshot();
  return {
    at: sandbox.world.clock.now().toISOString(),
    issues,
    threads: snapshot.threads.map((t) => ({
      id: t.id,
      title: t.title,
      turns: t.messages.filter((m) => m.role === "user").length,
      state: t.latestTurn?.state ?? null,
    })),
    doorbells: sandbox.doorbells.deliveries.map((d) => {
      const body = (typeof d.body === "object" && d.body !== null ? d.body : {}) as {
        kind?: unknown;
        repo?: unknown;
        issue?: unknown;
      };
      return { kind: body.kind, issue: `${String(body.repo)}#${String(body.issue)}`, status: d.status };
    }),
    requests: { github: sandbox.github.log.counts(), t3: sandbox.t3.log.length },
  };
}
