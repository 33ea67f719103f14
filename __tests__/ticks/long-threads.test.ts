// An issue with more comments than the batched read takes: a re-run must still
// find the loop's earlier progress comment, count its attempt, and edit that
// comment rather than post a second one; the watch tick must still find a
// run's record behind a long discussion.
import { afterEach, expect, it } from "vitest";
import { parseConfig } from "../../src/core/config.js";
import { COMMENTS_PER_READY_ISSUE } from "../../src/github/poll-reads.js";
import { COMMENTS_PER_RUN_ISSUE } from "../../src/github/watch-reads.js";
import { finalState, runRound } from "../../src/sandbox/simulate.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/world/sandbox.js";
import type { WorldInput } from "../../src/sandbox/world/schema.js";

let sandbox: Sandbox | undefined;
afterEach(() => sandbox?.stop());

const LIST_COMMENTS = "GET /repos/{owner}/{repo}/issues/{issue_number}/comments";
/** The REST reads of every comment: the fallback when the batched read took only part of a thread. */
const fallbackReads = (s: Sandbox) => s.github.log.entries.filter((e) => e.route === LIST_COMMENTS).length;

type IssueInput = NonNullable<NonNullable<WorldInput["repos"]>[number]["issues"]>[number];

/** One repo, one issue with `comments` chatter comments, and whatever run the test seeds. */
function oneIssueWorld(issue: Partial<IssueInput>, comments: number): WorldInput {
  return {
    version: 1,
    start: "2026-03-02T09:00:00Z",
    users: ["maya"],
    github: { tokens: [{ token: "ghs_app", login: "afk-loop[bot]" }] },
    t3: { tokens: { t3_op: ["orchestration:operate", "orchestration:read"] } },
    inputs: {
      "github-token": "ghs_app",
      "kill-switch": "off",
      allowlist: "acme/api",
      executor: "t3",
      "t3-token": "t3_op",
    },
    repos: [
      {
        repo: "acme/api",
        collaborators: { maya: "admin" },
        issues: [
          {
            number: 1,
            title: "Retry the flaky upload",
            author: "maya",
            comments: Array.from({ length: comments }, (_, i) => ({
              by: "maya",
              at: `-${comments + 5 - i}m`,
              body: `comment ${i}`,
            })),
            ...issue,
          },
        ],
      },
    ],
  };
}

it("a re-labelled issue with a long thread gets attempt 2 on its one progress comment", async () => {
  sandbox = await startSandbox(
    oneIssueWorld(
      {
        run: { attempt: 1, phase: "escalated", since: "-40m", reason: "the agent stopped" },
        labels: [{ name: "ready-for-agent", by: "maya", at: "-1m" }],
      },
      COMMENTS_PER_READY_ISSUE + 5,
    ),
  );
  const round = await runRound(sandbox, parseConfig(sandbox.inputs), 1);
  expect(fallbackReads(sandbox)).toBeGreaterThan(0);
  expect(round.poll?.dispatched.map((d) => d.attempt)).toEqual([2]);
  const issue = finalState(sandbox).issues[0];
  expect(issue?.progressComments).toBe(1);
  expect(issue?.run).toMatchObject({ phase: "dispatched", attempt: 2 });
});

it("the watch tick finds a run's progress comment behind more comments than the batch read takes", async () => {
  sandbox = await startSandbox(
    oneIssueWorld(
      {
        run: { attempt: 1, phase: "dispatched", since: "-50m" },
        labels: [{ name: "ready-for-agent", by: "maya", at: "-60m" }],
      },
      COMMENTS_PER_RUN_ISSUE + 5,
    ),
  );
  const round = await runRound(sandbox, parseConfig(sandbox.inputs), 1);
  expect(fallbackReads(sandbox)).toBeGreaterThan(0);
  expect(round.watch?.runs.map((r) => [r.action, r.runId !== null])).toEqual([["wait", true]]);
});
