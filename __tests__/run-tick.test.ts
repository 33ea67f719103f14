// run-tick's exit-code rule, in process over the sandbox: a tick that serves
// every issue exits 0; one issue failing fails the step (1) after the others
// were served; a tick that stops outright (no issue owns the failure) exits 1
// with one line saying why.

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
