// `npm run bench` (also alone: `npx vitest run --config bench/vitest.config.ts bench/t3-reads.perf.ts`):
// T3 bytes and requests of a watch tick's status reads over 5 in-flight runs, per-thread route vs
// snapshot, on servers holding 0 to 2,000 finished threads; prints the table and issue 10's target
// (at 2,000 threads, at least 50x fewer bytes than the snapshot), held or not, and writes
// bench/results/t3-reads.json.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { measureT3Reads, renderT3Reads, type T3ReadsResult } from "./t3-reads.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

it("measures T3 reads per watch tick: per-thread vs snapshot", async () => {
  const latencyMs = Number(process.env.AFK_BENCH_LATENCY_MS ?? 50);
  const results: T3ReadsResult[] = [];
  for (const history of [0, 200, 2_000]) results.push(await measureT3Reads({ history, inFlight: 5, latencyMs }));
  const last = results.at(-1);
  const held = last !== undefined && last.bytesRatio >= 50;
  const log = (line: string) => process.stdout.write(`${line}\n`);
  log(
    `\nT3 reads of one watch tick (5 in flight), T3 emulator at ${latencyMs} ms a request:\n${renderT3Reads(results)}`,
  );
  log(
    `${held ? "[held]" : "[NOT HELD]"} at 2,000 finished threads the per-thread reads take ≥ 50× fewer bytes` +
      ` than the snapshot: ${last?.bytesRatio.toFixed(0) ?? "?"}×`,
  );
  const dir = join(ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "t3-reads.json"),
    `${JSON.stringify({ at: new Date().toISOString(), latencyMs, results }, null, 2)}\n`,
  );
  expect(results).toHaveLength(3);
});
