// The key lifecycle again with `executor: workflow`: the poll tick dispatches
// the agent workflow in the target repo, the sandbox's scripted agent runs as
// that workflow run (it hears the dispatch and pushes, finishes or asks), and
// the watch tick follows the run by its id. A fix-forward is a new run.

import { describe, expect, it } from "vitest";
import {
  LABELS,
  readyIssue,
  REPO,
  roundsUntil,
  startLoop,
  stopLoopsAfterEach,
  tickWorld,
  type IssueInput,
  type Loop,
} from "../../__fixtures__/ticks.js";
import { PROMPT_MAX_CHARS } from "../../src/core/prompt.js";
import { runIdFor } from "../../src/core/run-record.js";

stopLoopsAfterEach();

// No workflow-ref: the ticks take the default branch from their batched read.
const startWorkflowWorld = (issue: IssueInput) =>
  startLoop(
    tickWorld({
      inputs: { executor: "workflow", "workflow-file": "afk-agent.yml" },
      issues: [issue],
    }),
  );

/** The agent workflow's runs for acme/api#1, oldest first, as `run-id` input and conclusion. */
function agentRuns(loop: Loop): { id: number; runId: string | undefined; conclusion: string | null }[] {
  const repo = loop.sandbox.world.store.repo(REPO);
  return (repo?.workflowRuns ?? [])
    .filter((r) => r.inputs.issue === "1")
    .map((r) => ({ id: r.id, runId: r.inputs["run-id"], conclusion: r.conclusion }));
}

describe("executor: workflow", () => {
  it("cuts a long issue inside the data fence only: the fence's end and the closing reminder reach the agent", async () => {
    const body = "Make the parser faster. ".repeat(2730); // 65,520 characters, over the prompt cap
    const loop = await startWorkflowWorld(readyIssue(1, { body }));
    const { poll } = await loop.round();
    expect(poll.failures).toEqual([]);
    const prompt = loop.sandbox.world.store.repo(REPO)?.workflowRuns.find((r) => r.inputs.issue === "1")?.inputs.prompt;
    if (prompt === undefined) throw new Error("no agent workflow run");
    expect(prompt.length).toBeLessThanOrEqual(PROMPT_MAX_CHARS);
    const end = /^\[afk-loop issue data ([0-9a-f]+) ends\]$/m.exec(prompt);
    expect(end).not.toBeNull();
    expect(prompt).toContain(`[afk-loop issue data ${end?.[1] ?? ""} begins]`);
    expect(prompt).toMatch(
      /[a-z. ]\n\n\[afk-loop: the issue text was cut here to fit the 60000-character prompt limit\]\n`{3,}\n\[afk-loop issue data [0-9a-f]+ ends\]\n/,
    );
    expect(prompt).toMatch(
      /\nReminder: `Refs #1` and `AFK-Run: [a-z0-9-]+` in every commit message;[^\n]*no skipped CI\.$/,
    );
  });

  it("dispatches one agent workflow run and records its id", async () => {
    const loop = await startWorkflowWorld(readyIssue(1));
    const { poll } = await loop.round();
    expect(poll.failures).toEqual([]);
    const runs = agentRuns(loop);
    expect(runs).toMatchObject([{ runId: runIdFor(REPO, 1, 1) }]);
    expect(loop.record(1)).toMatchObject({ phase: "dispatched", executor: "workflow", threadId: String(runs[0]?.id) });
    expect(loop.labels(1)).toContain(LABELS.inProgress);
    expect(loop.sandbox.t3.log).toEqual([]);
  });

  it("a run that pushes and goes green closes the issue and rings done", async () => {
    const loop = await startWorkflowWorld(readyIssue(1));
    await loop.round();
    await roundsUntil(loop, () => loop.issue(1).state === "closed", 5);
    expect(loop.issue(1)).toMatchObject({ state: "closed", stateReason: "completed" });
    expect(loop.labels(1)).not.toContain(LABELS.inProgress);
    expect(loop.doorbells()).toEqual([`done ${REPO}#1`]);
    expect(agentRuns(loop)).toHaveLength(1);
  });

  it("red CI fixes forward with a new workflow run for the same attempt, keeping the lock", async () => {
    const loop = await startWorkflowWorld(
      readyIssue(1, { agent: ["push", "push"], ci: [{ result: "red", failing: ["test"] }, "green"] }),
    );
    await loop.round();
    const rounds = await roundsUntil(loop, (r) => r.watch.runs.some((w) => w.action === "fix-forward"), 5);
    expect(rounds.at(-1)?.watch.runs.map((w) => w.action)).toEqual(["fix-forward"]);
    const runs = agentRuns(loop);
    expect(runs.map((r) => r.runId)).toEqual([runIdFor(REPO, 1, 1), `${runIdFor(REPO, 1, 1)}.t1`]);
    expect(loop.record(1)).toMatchObject({ phase: "dispatched", fixForwards: 1, threadId: String(runs[1]?.id) });
    expect(loop.labels(1)).toContain(LABELS.inProgress);
    expect(loop.doorbells()).toEqual([]);
  });

  it("after the fix-forward run pushes a green commit, the issue closes", async () => {
    const loop = await startWorkflowWorld(
      readyIssue(1, { agent: ["push", "push"], ci: [{ result: "red", failing: ["test"] }, "green"] }),
    );
    await loop.round();
    const rounds = await roundsUntil(loop, () => loop.issue(1).state === "closed", 8);
    expect(rounds.flatMap((r) => r.watch.runs.map((w) => w.action))).toEqual(
      expect.arrayContaining(["fix-forward", "close"]),
    );
    expect(loop.issue(1).state).toBe("closed");
  });

  it("a run that ends needing an approval (action_required) is handed to a human before any push", async () => {
    const loop = await startWorkflowWorld(readyIssue(1, { agent: "needs-approval" }));
    await loop.round();
    const rounds = await roundsUntil(loop, (r) => r.watch.runs.some((w) => w.action !== "wait"), 4);
    expect(rounds.at(-1)?.watch.runs.map((w) => [w.action, w.reason])).toEqual([
      ["escalate-prepush", expect.stringContaining("waiting for input or an approval") as unknown],
    ]);
    expect(loop.labels(1)).toContain(LABELS.human);
  });
});
