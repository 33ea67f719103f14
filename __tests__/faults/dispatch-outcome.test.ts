// A dispatch whose outcome the loop cannot know (T3 applied the command, the
// reply was lost) must keep its claim: the agent may be working, so the repo
// stays locked until the watch tick finds the run (or the lease ends), and no
// second agent starts in that repo in the meantime (docs/design.md §6).

import { getOctokit } from "@actions/github";
import { describe, expect, it } from "vitest";
import { startSandbox } from "../../src/sandbox/world/sandbox.js";
import { driveRounds, runningAgentsByRepo } from "../../__fixtures__/faults.js";
import type { WorldInput } from "../../src/sandbox/world/schema.js";

const BOB_TOKEN = "ghp_bob_maintainer";

function world(): WorldInput {
  return {
    version: 1,
    start: "2026-03-02T09:00:00Z",
    users: ["maya", "bob"],
    github: {
      tokens: [
        { token: "ghs_loop", login: "afk-loop[bot]", reach: "all" },
        { token: BOB_TOKEN, login: "bob", reach: "all" },
      ],
    },
    t3: { tokens: { t3_operator: ["orchestration:operate", "orchestration:read"] } },
    inputs: { "github-token": "ghs_loop", "t3-token": "t3_operator", "kill-switch": "off", allowlist: "acme/api" },
    agent: { act: "push", afterTicks: 3 },
    repos: [
      {
        repo: "acme/api",
        collaborators: { maya: "admin", bob: "write" },
        issues: [
          {
            number: 1,
            title: "Add a health endpoint",
            author: "maya",
            labels: [
              { name: "ready-for-agent", by: "bob", at: "-1h" },
              { name: "P2", by: "bob", at: "-1h" },
            ],
          },
          { number: 2, title: "Patch the login bypass", author: "maya" },
        ],
      },
    ],
  };
}

describe("a dispatch whose reply is lost", () => {
  it("keeps the repo locked, so an urgent issue labelled meanwhile waits instead of starting a second agent", async () => {
    const sandbox = await startSandbox(world());
    try {
      sandbox.t3.addFault({ kind: "reset", commandType: "thread.turn.start", times: 1, afterApply: true });
      const first = await driveRounds(sandbox, 1, 1);
      expect(first[0]?.poll?.failures[0]?.error).toMatch(/other side closed/);

      // A maintainer marks a new issue urgent and ready while the first agent is at work.
      const bob = getOctokit(BOB_TOKEN, { baseUrl: sandbox.githubUrl });
      await bob.rest.issues.addLabels({
        owner: "acme",
        repo: "api",
        issue_number: 2,
        labels: ["ready-for-agent", "P0"],
      });

      const rounds = await driveRounds(sandbox, 2, 5, {
        afterRound: () => expect(runningAgentsByRepo(sandbox)).not.toEqual(expect.objectContaining({ "acme/api": 2 })),
      });
      const issue1 = rounds.flatMap((r) => r.watch?.runs ?? []).find((r) => r.number === 1);
      expect(issue1?.action).toBe("adopt");
      expect(rounds[0]?.poll?.skipped.find((s) => s.number === 2)?.code).toBe("repo-busy");
    } finally {
      await sandbox.stop();
    }
  });
});
