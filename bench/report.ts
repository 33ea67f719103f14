// The benchmark's verdicts and its printed form: the table of both access
// patterns side by side with their ratios, the cold start and bundle sizes,
// and each target of issue 6 marked held or not with the number behind it.
// Owns the targets' thresholds; measures nothing itself.

import type { FleetResult } from "./fleet.js";
import type { BundleSizes, ColdStart } from "./measure.js";

const TARGETS = {
  /** At 50x20, a quiet tick reads in at most this many requests. */
  quietRequests: 8,
  /** afk-loop's requests and wall time at least this many times lower than the baseline's, at 50x20. */
  ratio: 25,
  /** At 200x20, GraphQL points per tick stay under this (GITHUB_TOKEN: 1,000 points an hour). */
  points: 1000,
  /** A disarmed cold start at most this many times a bare `node -e ""` (issue 13). */
  coldStart: 2,
  /** What `node dist/index.js` may load, entry and chunks together, at most this many bytes (issue 13). */
  bundleBytes: 1.5 * 1024 * 1024,
} as const;

export interface Target {
  name: string;
  held: boolean | null;
  measured: string;
}

export interface BenchResults {
  at: string;
  node: string;
  platform: string;
  cpus: number;
  latencyMs: number;
  fleets: FleetResult[];
  coldStart: ColdStart | null;
  bundle: BundleSizes | null;
  targets: Target[];
  durationSeconds: number;
}

function ratio(baseline: number, afk: number): number {
  return afk === 0 ? Infinity : baseline / afk;
}

export function judge(
  fleets: readonly FleetResult[],
  coldStart: ColdStart | null,
  bundle: BundleSizes | null = null,
): Target[] {
  const targets: Target[] = [];
  const at = (name: string) => fleets.find((f) => f.name === name);

  const mid = at("50x20");
  const quiet = mid?.afk.quiet;
  targets.push({
    name: `50x20: a quiet tick in at most ${TARGETS.quietRequests} requests and 0 writes`,
    held: quiet ? quiet.requests <= TARGETS.quietRequests && quiet.writes === 0 && quiet.problems.length === 0 : null,
    measured: quiet ? `${quiet.requests} requests, ${quiet.writes} writes` : "not run",
  });
  for (const tick of ["quiet", "busy"] as const) {
    const afk = mid?.afk[tick];
    const base = mid?.baseline[tick];
    const requests = afk && base ? ratio(base.requests, afk.requests) : null;
    const wall = afk && base ? ratio(base.wallMs, afk.wallMs) : null;
    targets.push({
      name: `50x20 ${tick} tick: requests and wall time at least ${TARGETS.ratio}x lower than the baseline`,
      held: requests === null || wall === null ? null : requests >= TARGETS.ratio && wall >= TARGETS.ratio,
      measured:
        requests === null || wall === null ? "not run" : `${times(requests)} fewer requests, ${times(wall)} less time`,
    });
  }

  const large = at("200x20");
  const points = large ? Math.max(large.afk.quiet.points, large.afk.busy.points) : null;
  targets.push({
    name: `200x20: under ${TARGETS.points.toLocaleString("en")} GraphQL points per tick`,
    held: points === null ? null : points < TARGETS.points,
    measured: large ? `quiet ${large.afk.quiet.points}, busy ${large.afk.busy.points} points` : "not run",
  });

  targets.push({
    name: `disarmed cold start at most ${TARGETS.coldStart}x bare node`,
    held: coldStart ? coldStart.disarmedOk && coldStart.ratio <= TARGETS.coldStart : null,
    measured: coldStart
      ? `${coldStart.disarmedMs.toFixed(0)} ms vs ${coldStart.bareMs.toFixed(0)} ms = ${coldStart.ratio.toFixed(2)}x` +
        (coldStart.stale ? " (bundle older than src: rebuild for a current figure)" : "") +
        (coldStart.disarmedOk ? "" : " (the bundle did not run disarmed!)")
      : "no bundle: run npm run build",
  });
  targets.push({
    name: `action bundle at most ${kb(TARGETS.bundleBytes)}`,
    held: bundle ? bundle.actionBytes <= TARGETS.bundleBytes : null,
    measured: bundle ? kb(bundle.actionBytes) : "no bundle: run npm run build",
  });
  return targets;
}

export function render(results: BenchResults): string {
  const lines: string[] = [];
  lines.push(
    `afk-loop against the original's access pattern: GitHub emulator at ${results.latencyMs} ms a request` +
      ` (the T3 emulator too); node ${results.node}, ${results.cpus} CPUs`,
    "",
  );
  const header = [
    "fleet",
    "tick",
    "|",
    "req",
    "REST",
    "GQL",
    "points",
    "writes",
    "T3",
    "wall",
    "RSS MB",
    "heap+ MB",
    "|",
    "base req",
    "writes",
    "wall",
    "|",
    "req ratio",
    "wall ratio",
  ];
  const rows: string[][] = [header];
  for (const fleet of results.fleets) {
    for (const tick of ["quiet", "busy"] as const) {
      const afk = fleet.afk[tick];
      const base = fleet.baseline[tick];
      rows.push([
        fleet.name,
        tick === "busy" ? `busy (${afk.dispatched} new)` : "quiet",
        "|",
        String(afk.requests),
        String(afk.rest),
        String(afk.graphql),
        String(afk.points),
        String(afk.writes),
        String(afk.executorRequests),
        ms(afk.wallMs),
        afk.peakRssMb.toFixed(0),
        afk.heapGrowthMb.toFixed(1),
        "|",
        String(base.requests),
        String(base.writes),
        ms(base.wallMs),
        "|",
        times(ratio(base.requests, afk.requests)),
        times(ratio(base.wallMs, afk.wallMs)),
      ]);
    }
  }
  lines.push(...table(rows));
  lines.push(
    "",
    "req = HTTP requests GitHub received (REST + GraphQL); T3 = executor requests (the baseline makes none);",
    "RSS MB = the process's peak resident set during the tick (the emulators run in the same process);",
    "heap+ MB = peak V8 heap growth during the tick. The baseline's quiet tick is the read pass of its busy tick:",
    "the original reads the same lists and timelines every tick and writes only to claim.",
  );
  const problems = results.fleets.flatMap((f) =>
    (["quiet", "busy"] as const).flatMap((tick) => [
      ...f.afk[tick].problems.map((p) => `${f.name} ${tick} afk-loop: ${p}`),
      ...f.baseline[tick].problems.map((p) => `${f.name} ${tick} baseline: ${p}`),
    ]),
  );
  if (problems.length > 0) lines.push("", "Problems:", ...problems.slice(0, 20).map((p) => `  ${p}`));

  if (results.coldStart) {
    const c = results.coldStart;
    lines.push(
      "",
      `Cold start (median of ${c.runs}): node ${c.bundle} poll, disarmed, ${c.disarmedMs.toFixed(1)} ms;` +
        ` node -e "" ${c.bareMs.toFixed(1)} ms; ${c.ratio.toFixed(2)}x`,
    );
  }
  if (results.bundle) {
    const sizes = Object.entries(results.bundle.files).map(([path, bytes]) => `${path} ${kb(bytes)}`);
    lines.push(
      `Bundle: ${sizes.join(", ")}; a disarmed step loads ${kb(results.bundle.entryBytes)},` +
        ` an armed one ${kb(results.bundle.actionBytes)}`,
    );
  }

  lines.push("", "Targets:");
  for (const target of results.targets) {
    const mark = target.held === null ? "[not run] " : target.held ? "[held]    " : "[NOT HELD]";
    lines.push(`  ${mark} ${target.name}: ${target.measured}`);
  }
  lines.push("", `Benchmark took ${results.durationSeconds.toFixed(0)} s.`);
  return lines.join("\n");
}

function table(rows: readonly string[][]): string[] {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, c) => (c < 2 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)))
      .join(" ")
      .trimEnd(),
  );
}

function ms(value: number): string {
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${value.toFixed(0)} ms`;
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(0)} kB`;
}

function times(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(1)}x` : "n/a";
}
