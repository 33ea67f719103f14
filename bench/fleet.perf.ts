// `npm run bench`: afk-loop's ticks against the original's access pattern on
// fleets of 1x5 to 200x20, the disarmed cold start and the bundle sizes;
// prints the table and each target of issue 6 held or not, and writes
// bench/results/latest.json. See bench/README.md for the knobs.

import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { fleetName, measureFleet, type FleetResult, type FleetSpec } from "./fleet.js";
import { bundleSizes, measureColdStart } from "./measure.js";
import { judge, render, type BenchResults } from "./report.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

function settings() {
  const env = process.env;
  const latencyMs = Number(env.AFK_BENCH_LATENCY_MS ?? 50);
  const fleets = (env.AFK_BENCH_FLEETS ?? "1x5,10x20,50x20,200x20").split(",").map((text): FleetSpec => {
    const [repos, readyPerRepo] = text.trim().split("x").map(Number);
    if (!Number.isInteger(repos) || !Number.isInteger(readyPerRepo)) throw new Error(`bad fleet "${text}"`);
    return { repos: repos ?? 0, readyPerRepo: readyPerRepo ?? 0 };
  });
  const coldRuns = Number(env.AFK_BENCH_COLD_RUNS ?? 9);
  if (!Number.isInteger(latencyMs) || latencyMs < 0) throw new Error("AFK_BENCH_LATENCY_MS: a whole number of ms");
  if (!Number.isInteger(coldRuns) || coldRuns < 1) throw new Error("AFK_BENCH_COLD_RUNS: at least 1");
  return { latencyMs, fleets, coldRuns, bundle: env.AFK_BENCH_DIST ?? "dist" };
}

it("measures afk-loop against the original's access pattern", async () => {
  const started = performance.now();
  const { latencyMs, fleets, coldRuns, bundle } = settings();
  const log = (line: string) => process.stdout.write(`${line}\n`);

  const measured: FleetResult[] = [];
  for (const spec of fleets) {
    log(`bench: ${fleetName(spec)} at ${latencyMs} ms a request...`);
    const fleetStarted = performance.now();
    measured.push(await measureFleet(spec, latencyMs));
    log(`bench: ${fleetName(spec)} done in ${((performance.now() - fleetStarted) / 1000).toFixed(0)} s`);
  }
  log(`bench: cold start, ${coldRuns} runs each...`);
  const coldStart = measureColdStart(ROOT, bundle, coldRuns);
  const sizes = bundleSizes(ROOT, bundle);

  const results: BenchResults = {
    at: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: availableParallelism(),
    latencyMs,
    fleets: measured,
    coldStart,
    bundle: sizes,
    targets: judge(measured, coldStart, sizes),
    durationSeconds: (performance.now() - started) / 1000,
  };
  const dir = join(ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "latest.json"), `${JSON.stringify(results, null, 2)}\n`);
  log(`\n${render(results)}\nbench: wrote bench/results/latest.json`);
  expect(measured).toHaveLength(fleets.length);
});
