// Measuring instruments for the benchmark: a memory high-water sampler for
// the duration of one tick, the cold start of the bundled entry against bare
// node, and the bundle's sizes. Owns how each number is taken; decides
// nothing about what counts as good (report.ts does).

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { getHeapStatistics } from "node:v8";

export interface MemoryPeak {
  /** Highest resident set size of the process seen during the measured work, MB. */
  peakRssMb: number;
  /** Highest V8 heap use during the work, less the heap use at its start, MB. */
  heapGrowthMb: number;
}

const MB = 1024 * 1024;

/**
 * Samples RSS and heap every few milliseconds while `work` runs (the ticks
 * wait on the network most of the time, so the timer gets its turns), plus
 * once before and once after.
 */
export async function withMemoryPeak<T>(work: () => Promise<T>): Promise<{ result: T; memory: MemoryPeak }> {
  const heapAtStart = getHeapStatistics().used_heap_size;
  let peakRss = process.memoryUsage.rss();
  let peakHeap = heapAtStart;
  const sample = () => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    peakHeap = Math.max(peakHeap, getHeapStatistics().used_heap_size);
  };
  const timer = setInterval(sample, 5);
  try {
    const result = await work();
    sample();
    return { result, memory: { peakRssMb: peakRss / MB, heapGrowthMb: (peakHeap - heapAtStart) / MB } };
  } finally {
    clearInterval(timer);
  }
}

export interface ColdStart {
  bundle: string;
  runs: number;
  /** Median wall time of `node <bundle> poll` with no inputs (the kill switch on), ms. */
  disarmedMs: number;
  /** Median wall time of `node -e ""`, ms. */
  bareMs: number;
  ratio: number;
  /** The disarmed run said it was disarmed and exited 0 (so the time is of the right path). */
  disarmedOk: boolean;
  /** The bundle is older than the newest file under src/: the figure is of a stale build. */
  stale: boolean;
}

/**
 * Cold start, as a runner starts the step: a fresh process with no inputs
 * (so the kill switch is on) and the runner's output and summary files. The
 * two commands alternate, so load on the machine hits both alike; one
 * unmeasured run of each warms the file cache first.
 */
export function measureColdStart(root: string, bundle: string, runs: number): ColdStart | null {
  const entry = join(root, bundle, "index.js");
  if (!existsSync(entry)) return null;
  const scratch = mkdtempSync(join(tmpdir(), "afk-bench-"));
  try {
    const env = {
      PATH: process.env.PATH ?? "",
      GITHUB_OUTPUT: join(scratch, "output"),
      GITHUB_STEP_SUMMARY: join(scratch, "summary"),
    };
    writeFileSync(env.GITHUB_OUTPUT, "");
    writeFileSync(env.GITHUB_STEP_SUMMARY, "");
    const time = (args: string[]) => {
      const started = process.hrtime.bigint();
      const child = spawnSync(process.execPath, args, { cwd: root, env, encoding: "utf8" });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      return { ms, ok: child.status === 0 && child.stdout.includes("disarmed") };
    };
    const disarmedArgs = [entry, "poll"];
    const bareArgs = ["-e", ""];
    const disarmedOk = time(disarmedArgs).ok;
    time(bareArgs);
    const disarmed: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < runs; i++) {
      disarmed.push(time(disarmedArgs).ms);
      bare.push(time(bareArgs).ms);
    }
    const disarmedMs = median(disarmed);
    const bareMs = median(bare);
    return {
      bundle: relative(root, entry),
      runs,
      disarmedMs,
      bareMs,
      ratio: disarmedMs / bareMs,
      disarmedOk,
      stale: statSync(entry).mtimeMs < newestMtime(join(root, "src")),
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export interface BundleSizes {
  /** Path relative to the repo -> bytes. */
  files: Record<string, number>;
  /** dist/index.js alone: what a disarmed step loads. */
  entryBytes: number;
  /** dist/index.js and its lazily loaded chunks: what an armed step loads. */
  actionBytes: number;
  cliBytes: number | null;
}

export function bundleSizes(root: string, bundle: string): BundleSizes | null {
  const dir = join(root, bundle);
  if (!existsSync(join(dir, "index.js"))) return null;
  const files: Record<string, number> = {};
  for (const name of readdirSync(dir)) {
    if (/^(?:\d+\.)?index\.js$/.test(name)) files[join(bundle, name)] = statSync(join(dir, name)).size;
  }
  const cli = join(dir, "cli", "index.js");
  const cliBytes = existsSync(cli) ? statSync(cli).size : null;
  if (cliBytes !== null) files[join(bundle, "cli", "index.js")] = cliBytes;
  const actionBytes = Object.entries(files)
    .filter(([path]) => !path.includes("/cli/"))
    .reduce((sum, [, bytes]) => sum + bytes, 0);
  return { files, entryBytes: files[join(bundle, "index.js")] ?? 0, actionBytes, cliBytes };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}
