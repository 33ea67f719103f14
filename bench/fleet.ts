// One fleet size, measured: afk-loop's real watch + poll ticks and the
// original's access pattern (baseline.ts), each against its own GitHub
// emulator holding the same generated fleet, with the same fixed latency per
// request. Counts come from the emulator's request log, which is what GitHub
// would bill. Owns the setup of each measured tick; report.ts judges them.
//
// afk-loop, per fleet: about 20% of repos have a run in flight, every agent
// runs forever (no push, no CI), max-in-flight is the fleet world's default
// (the repo count, at most 50). One watch-only round first, unmeasured and
// without latency: the sandbox seeds the in-flight runs' progress comments
// without the agent link a real dispatch records, and the first watch tick
// fills it in. Then, measured:
// - busy: watch + poll, where every free slot takes an issue;
// - quiet: the next watch + poll, where nothing changes (every run still
//   working, max-in-flight reached).

import { parseConfig, type Config } from "../src/core/config.js";
import { runRound } from "../src/sandbox/simulate.js";
import { startSandbox, type Sandbox } from "../src/sandbox/world/sandbox.js";
import type { WorldInput } from "../src/sandbox/world/schema.js";
import { fleetWorld } from "../src/sandbox/worlds/index.js";
import { baselineTick } from "./baseline.js";
import { withMemoryPeak } from "./measure.js";

export interface FleetSpec {
  repos: number;
  readyPerRepo: number;
}

interface TickMeasure {
  /** HTTP requests GitHub received (REST + GraphQL). */
  requests: number;
  rest: number;
  graphql: number;
  /** GraphQL points charged, by GitHub's formula as the emulator applies it. */
  points: number;
  writes: number;
  /** Requests to the agent executor (T3 emulator); the baseline makes none. */
  executorRequests: number;
  wallMs: number;
  peakRssMb: number;
  heapGrowthMb: number;
  dispatched: number;
  /** Anything that makes the measure not what it claims to be (a failure, a quiet tick that changed something). */
  problems: string[];
}

export interface FleetResult extends FleetSpec {
  name: string;
  busyRepos: number;
  maxInFlight: number;
  afk: { busy: TickMeasure; quiet: TickMeasure };
  baseline: { busy: TickMeasure; quiet: TickMeasure };
}

export function fleetName(spec: FleetSpec): string {
  return `${spec.repos}x${spec.readyPerRepo}`;
}

export async function measureFleet(spec: FleetSpec, latencyMs: number): Promise<FleetResult> {
  const busyRepos = Math.round(spec.repos * 0.2);
  const world: WorldInput = { ...fleetWorld({ ...spec, inFlight: busyRepos }), agent: { act: "run-forever" } };

  const sandbox = await startSandbox(world, { t3: { latencyMs } });
  let afk: FleetResult["afk"];
  let config: Config;
  try {
    config = parseConfig(sandbox.inputs);
    await runRound(sandbox, parseConfig({ ...sandbox.inputs, ticks: "watch" }), 0);
    sandbox.github.setLatency(latencyMs);
    const busy = await afkTick(sandbox, config, 1);
    const quiet = await afkTick(sandbox, config, 2);
    if (quiet.writes > 0 || quiet.dispatched > 0) quiet.problems.push("the quiet tick changed something");
    afk = { busy, quiet };
  } finally {
    await sandbox.stop();
  }

  const baselineSandbox = await startSandbox(world, { github: { latencyMs } });
  let baseline: FleetResult["baseline"];
  try {
    baseline = await baselineTicks(baselineSandbox, config, afk.busy.dispatched);
  } finally {
    await baselineSandbox.stop();
  }
  return {
    ...spec,
    name: fleetName(spec),
    busyRepos,
    maxInFlight: config.limits.maxInFlight,
    afk,
    baseline,
  };
}

async function afkTick(sandbox: Sandbox, config: Config, round: number): Promise<TickMeasure> {
  sandbox.tick();
  sandbox.github.log.reset();
  let wallMs = 0;
  const { result: report, memory } = await withMemoryPeak(async () => {
    const started = performance.now();
    const result = await runRound(sandbox, config, round);
    wallMs = performance.now() - started;
    return result;
  });
  const counts = sandbox.github.log.counts();
  const failures = [...(report.watch?.failures ?? []), ...(report.poll?.failures ?? [])];
  const changed = (report.watch?.runs ?? []).filter((r) => r.action !== "wait");
  return {
    requests: counts.total,
    rest: counts.rest,
    graphql: counts.graphql,
    points: counts.points,
    writes: counts.writes,
    executorRequests: report.executorRequests ?? 0,
    wallMs,
    ...memory,
    dispatched: report.poll?.dispatched.length ?? 0,
    problems: [
      ...failures.map((f) => `${f.repo}#${f.issue} ${f.stage}: ${f.error}`),
      ...changed.map((r) => `${r.repo}#${r.number} ${r.action}: ${r.reason}`),
    ],
  };
}

/**
 * The baseline's busy tick, measured whole; its quiet tick is the read pass of
 * the same run. That is exact, not an estimate: the original reads the same
 * lists and timelines every tick and writes only to claim, so a tick with
 * nothing to claim is its read pass and nothing else. (Running it twice would
 * double the longest part of the benchmark for the same numbers.)
 */
async function baselineTicks(
  sandbox: Sandbox,
  config: Config,
  dispatches: number,
): Promise<{ busy: TickMeasure; quiet: TickMeasure }> {
  sandbox.github.log.reset();
  const { result: tick, memory } = await withMemoryPeak(() =>
    baselineTick({
      apiUrl: sandbox.githubUrl,
      token: config.github.token,
      repos: config.allowlist,
      readyLabel: config.labels.ready,
      inProgressLabel: config.labels.inProgress,
      dispatches,
      maxPerRepo: config.limits.maxPerRepo,
    }),
  );
  const counts = sandbox.github.log.counts();
  const reads = counts.total - counts.writes;
  const problems = tick.dispatched === dispatches ? [] : [`claimed ${tick.dispatched}, afk-loop ${dispatches}`];
  const common = { graphql: 0, points: 0, executorRequests: 0, ...memory, problems };
  return {
    busy: {
      ...common,
      requests: counts.total,
      rest: counts.rest,
      writes: counts.writes,
      wallMs: tick.totalMs,
      dispatched: tick.dispatched,
    },
    quiet: { ...common, requests: reads, rest: reads, writes: 0, wallMs: tick.readMs, dispatched: 0 },
  };
}
