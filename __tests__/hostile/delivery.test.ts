// Only the agent's own commits are a run's delivery. Anyone can reference an
// issue from a commit: a maintainer's unrelated `docs: typo, see #1`, merged
// green while the agent works, must not close the issue or ring `done`, and a
// stray reference must not stand in for the agent's red commit. A commit is
// the agent's when its message carries the trailer `AFK-Run: <this run's id>`.

import { describe, expect, it } from "vitest";
import { runIdFor } from "../../src/core/run-record.js";
import {
  inFlightIssue,
  REPO,
  startLoop,
  stopLoopsAfterEach,
  tickWorld,
  watchUntilAction,
  type Loop,
} from "../../__fixtures__/ticks.js";

stopLoopsAfterEach();

/** maya pushes a green commit to the default branch that mentions #1 but is not the agent's. */
function strayGreenReference(loop: Loop, message = "docs: typo, see #1"): string {
  const store = loop.sandbox.world.store;
  const sha = store.pushCommit(REPO, message, "maya").sha;
  for (const name of ["build", "test"]) store.addCheckRun(REPO, { headSha: sha, name, conclusion: "success" });
  return sha;
}

const agentCommits = (loop: Loop) =>
  [...(loop.sandbox.world.store.repo(REPO)?.commits.values() ?? [])].filter((c) =>
    c.message.includes(`AFK-Run: ${runIdFor(REPO, 1, 1)}`),
  );

describe("a maintainer's commit that mentions the issue while the agent works", () => {
  it("does not close the issue or ring done, and is listed as not the agent's", async () => {
    const loop = await startLoop(tickWorld({ issues: [inFlightIssue(1, { agent: ["run-forever"] })] }));
    const sha = strayGreenReference(loop);
    for (let i = 0; i < 4; i++) {
      loop.advance();
      const report = await loop.watch();
      expect(report.runs.find((r) => r.number === 1)?.action).toBe("wait");
    }
    expect(loop.issue(1).state).toBe("open");
    expect(loop.record(1)).toMatchObject({ phase: "dispatched", pushedSha: null });
    expect(loop.doorbells()).toEqual([]);
    const progress = loop.progressComments(1)[0]?.body ?? "";
    expect(progress).toMatch(/not the agent's/i);
    expect(progress).toContain(sha.slice(0, 7));
  });
});

describe("a stray reference after the agent's red commit", () => {
  it("does not replace it: the run fixes forward from red, the issue stays open", async () => {
    const loop = await startLoop(
      tickWorld({ issues: [inFlightIssue(1, { agent: ["push", "run-forever"], ci: [{ result: "red" }] })] }),
    );
    loop.advance();
    expect(agentCommits(loop)).toHaveLength(1);
    strayGreenReference(loop, "chore: bump deps (refs #1)");
    const report = await watchUntilAction(loop, 1);
    expect(report.runs.find((r) => r.number === 1)).toMatchObject({ action: "fix-forward", ci: "red" });
    expect(loop.record(1)?.pushedSha).toBe(agentCommits(loop)[0]?.sha);
    expect(loop.issue(1).state).toBe("open");
    expect(loop.doorbells()).toEqual([]);
  });
});
