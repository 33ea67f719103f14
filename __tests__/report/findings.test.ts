// The watch step's findings reach the poll step through RUNNER_TEMP (issue 11):
// only this run's, only once, and a broken file is ignored, never guessed at.

import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { addCounts, findingsPath, saveWatchFindings, takeWatchFindings } from "../../src/report/findings.js";
import { fixedWorld } from "./fixtures.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function runnerTemp(): string {
  const dir = mkdtempSync(join(tmpdir(), "afk-findings-"));
  dirs.push(dir);
  return dir;
}
const env = (dir: string, run = "41") => ({
  RUNNER_TEMP: dir,
  GITHUB_RUN_ID: run,
  GITHUB_RUN_ATTEMPT: "1",
  GITHUB_JOB: "tick",
});

describe("watch findings", () => {
  it("outside a runner there is nowhere to put them: each step reports on its own", () => {
    expect(findingsPath({})).toBeNull();
  });

  it("the poll step takes what the watch step saved, once", async () => {
    const dir = runnerTemp();
    const where = findingsPath(env(dir));
    if (where === null) throw new Error("no path");
    const { watch, meta } = fixedWorld();
    await saveWatchFindings(where.path, {
      run: where.run,
      report: watch,
      requests: meta.requests,
      executorRequests: 2,
    });
    expect(await takeWatchFindings(where.path, where.run)).toEqual({
      run: where.run,
      report: watch,
      requests: meta.requests,
      executorRequests: 2,
    });
    expect(readdirSync(dir)).toEqual([]);
    expect(await takeWatchFindings(where.path, where.run)).toBeNull();
  });

  it("ignores (and removes) another run's findings", async () => {
    const dir = runnerTemp();
    const old = findingsPath(env(dir, "40"));
    const now = findingsPath(env(dir, "41"));
    if (old === null || now === null) throw new Error("no path");
    const { watch } = fixedWorld();
    await saveWatchFindings(old.path, { run: old.run, report: watch, requests: null, executorRequests: null });
    expect(await takeWatchFindings(now.path, now.run)).toBeNull();
    expect(readdirSync(dir)).toEqual([]);
  });

  it.each(["", "not json", "null", '{"run":"41:1:tick","report":{"tick":"poll"}}'])(
    "ignores a broken file (%j)",
    async (text) => {
      const dir = runnerTemp();
      const where = findingsPath(env(dir));
      if (where === null) throw new Error("no path");
      writeFileSync(where.path, text);
      expect(await takeWatchFindings(where.path, where.run)).toBeNull();
    },
  );

  it("adds both steps' requests; the rate limit left is the later step's", () => {
    const a = {
      rest: 1,
      graphql: 2,
      graphqlPoints: 3,
      writes: 4,
      logical: 3,
      rateLimitRemaining: { core: 10, graphql: 5 },
    };
    const b = { rest: 10, graphql: 20, graphqlPoints: 30, writes: 40, logical: 30, rateLimitRemaining: { core: 9 } };
    expect(addCounts(a, b)).toEqual({
      rest: 11,
      graphql: 22,
      graphqlPoints: 33,
      writes: 44,
      logical: 33,
      rateLimitRemaining: { core: 9, graphql: 5 },
    });
    expect(addCounts(null, b)).toBe(b);
  });
});
