// run-tick's exit-code rule, in process over the sandbox: a tick that serves
// every issue exits 0; one issue failing fails the step (1) after the others
// were served; a tick that stops outright (no issue owns the failure) exits 1
// with one line saying why.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { inFlightIssue, readyIssue, startLoop, stopLoopsAfterEach, tickWorld } from "../__fixtures__/ticks.js";
import { runTick } from "../src/run-tick.js";

stopLoopsAfterEach();

let out: string[];
const exitCode = process.exitCode;

beforeEach(() => {
  out = [];
  // @actions/core writes its workflow commands (::error::, outputs) to stdout.
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = exitCode;
});

const errors = () => out.filter((line) => line.startsWith("::error::"));

describe("runTick's exit code", () => {
  it("0 when every issue was served", async () => {
    const loop = await startLoop(tickWorld({ issues: [] }));
    expect(await runTick("poll", loop.config)).toBe(0);
    expect(await runTick("watch", loop.config)).toBe(0);
    expect(errors()).toEqual([]);
  });

  it("1 when an issue failed", async () => {
    // The agent's service refuses the loop's token: the run's status cannot be read.
    const loop = await startLoop(tickWorld({ issues: [inFlightIssue(1)] }), {
      "t3-token": "t3_revoked",
    });
    expect(await runTick("watch", loop.config)).toBe(1);
    expect(errors()).toEqual([expect.stringContaining("1 issue(s) failed this watch tick")]);
  });

  it("1 when the tick stops outright, with the reason on one line", async () => {
    const loop = await startLoop(tickWorld({ issues: [readyIssue(1)] }), { "github-token": "ghs_revoked" });
    expect(await runTick("poll", loop.config)).toBe(1);
    expect(errors()).toEqual([expect.stringMatching(/^::error::afk-loop: the poll tick stopped: .*\(HTTP 401\)/)]);
  });
});

describe("the dashboard, written by the step that writes the summary", () => {
  it("the watch step hands on and writes nothing; the poll step writes it once; a dry run only says it would", async () => {
    const temp = mkdtempSync(join(tmpdir(), "afk-run-tick-"));
    vi.stubEnv("RUNNER_TEMP", temp);
    vi.stubEnv("GITHUB_RUN_ID", "42");
    vi.stubEnv("GITHUB_RUN_ATTEMPT", "1");
    vi.stubEnv("GITHUB_JOB", "tick");
    try {
      const loop = await startLoop(tickWorld({ issues: [readyIssue(1)] }), {
        dashboard: "true",
        "dashboard-repo": "acme/api",
      });
      // Only the dashboard uses these routes (the ticks read issues with GraphQL, and edit them by label routes).
      const DASHBOARD_ROUTES = [
        "GET /repos/{owner}/{repo}/issues",
        "POST /repos/{owner}/{repo}/issues",
        "PATCH /repos/{owner}/{repo}/issues/{issue_number}",
      ];
      const dashboardRoutes = (mark: number) =>
        loop
          .githubSince(mark)
          .map((e) => e.route)
          .filter((r) => DASHBOARD_ROUTES.includes(r));

      let mark = loop.mark();
      expect(await runTick("watch", loop.config)).toBe(0);
      expect(dashboardRoutes(mark)).toEqual([]);
      expect(await runTick("poll", loop.config)).toBe(0);
      // The dispatch's start is recorded before the agent starts (issue 12: here, by creating the dashboard),
      // then the full text is written once.
      expect(dashboardRoutes(mark)).toEqual([
        "GET /repos/{owner}/{repo}/issues",
        "POST /repos/{owner}/{repo}/issues",
        "PATCH /repos/{owner}/{repo}/issues/{issue_number}",
      ]);
      expect(out.join("")).toContain("Dashboard: created acme/api#");

      const dry = await startLoop(tickWorld({ issues: [readyIssue(1)] }), {
        dashboard: "true",
        "dashboard-repo": "acme/api",
        "dry-run": "true",
      });
      mark = dry.mark();
      expect(await runTick("poll", dry.config)).toBe(0);
      expect(dry.writesSince(mark)).toEqual([]);
      expect(out.join("")).toContain("Dashboard: dry run, would create it in acme/api.");
    } finally {
      vi.unstubAllEnvs();
      rmSync(temp, { recursive: true, force: true });
    }
  });
});
