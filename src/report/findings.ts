// Carries the watch step's findings to the poll step, so the job summary is
// one report per run, not one per step. Composite steps share the runner's
// RUNNER_TEMP; the watch step writes a small JSON file there and the poll step
// takes it (reads, then deletes it). Owns the file's name and its shape check.
// Must never carry a secret (a WatchReport holds none) and must never let a
// file from another run (or a broken one) into this run's report: it is keyed
// by the run, and anything that does not parse is ignored.

import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { RequestCounts } from "../github/client.js";
import type { WatchReport } from "../ticks/watch.js";

const FINDINGS_FILE = "afk-loop-watch-findings.json";

export interface WatchFindings {
  /** GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT and GITHUB_JOB: a file from another run is not this run's. */
  run: string;
  report: WatchReport;
  requests: RequestCounts | null;
  executorRequests: number | null;
}

/** Where the findings go, or null outside a runner (no RUNNER_TEMP): then each step reports on its own. */
export function findingsPath(env: NodeJS.ProcessEnv): { path: string; run: string } | null {
  const dir = env.RUNNER_TEMP;
  if (!dir) return null;
  const run = [env.GITHUB_RUN_ID ?? "", env.GITHUB_RUN_ATTEMPT ?? "", env.GITHUB_JOB ?? ""].join(":");
  return { path: join(dir, FINDINGS_FILE), run };
}

export async function saveWatchFindings(path: string, findings: WatchFindings): Promise<void> {
  await writeFile(path, JSON.stringify(findings), { mode: 0o600 });
}

/** This run's findings, once: the file is removed after reading, whatever it held. */
export async function takeWatchFindings(path: string, run: string): Promise<WatchFindings | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return null;
  }
  await rm(path, { force: true });
  try {
    const parsed = JSON.parse(text) as Partial<WatchFindings> | null;
    const report = parsed?.report;
    if (
      parsed?.run !== run ||
      report?.tick !== "watch" ||
      !Array.isArray(report.runs) ||
      !Array.isArray(report.handed) ||
      !Array.isArray(report.repos) ||
      !Array.isArray(report.failures)
    ) {
      return null;
    }
    return {
      run,
      report,
      requests: parsed.requests ?? null,
      executorRequests: typeof parsed.executorRequests === "number" ? parsed.executorRequests : null,
    };
  } catch {
    return null;
  }
}

/** Both steps' GitHub requests, as one run's spend; the rate limit left is the later step's. */
export function addCounts(a: RequestCounts | null, b: RequestCounts | null): RequestCounts | null {
  if (a === null || b === null) return a ?? b;
  return {
    rest: a.rest + b.rest,
    graphql: a.graphql + b.graphql,
    graphqlPoints: a.graphqlPoints + b.graphqlPoints,
    writes: a.writes + b.writes,
    logical: a.logical + b.logical,
    rateLimitRemaining: { ...a.rateLimitRemaining, ...b.rateLimitRemaining },
  };
}
