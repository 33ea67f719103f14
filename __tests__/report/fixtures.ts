// A fixed fleet for the report tests: every section populated, plain data as
// the ticks return it (the renderer is pure, so no emulator is needed here).

import type { PollReport } from "../../src/ticks/poll.js";
import type { HandedIssue, WatchedRun, WatchReport } from "../../src/ticks/watch.js";
import type { ReportMeta } from "../../src/report/model.js";

export const NOW = "2026-03-02T12:00:00Z";
const SHA = "a".repeat(40);
const SHA2 = "b".repeat(40);

export function aRun(overrides: Partial<WatchedRun> = {}): WatchedRun {
  const repo = overrides.repo ?? "acme/api";
  const number = overrides.number ?? 1;
  return {
    repo,
    number,
    title: `Task ${number}`,
    url: `https://github.com/${repo}/issues/${number}`,
    runId: `afk-${number}-1`,
    attempt: 1,
    agent: "running",
    agentLink: `https://t3.example/threads/${number}`,
    sha: null,
    ci: null,
    failing: null,
    action: "wait",
    reason: "the agent is working",
    phase: "dispatched",
    since: "2026-03-02T11:20:00Z",
    fixForwards: 0,
    ciStage: null,
    doorbell: null,
    ...overrides,
  };
}

export function aHanded(overrides: Partial<HandedIssue> = {}): HandedIssue {
  const repo = overrides.repo ?? "acme/web";
  const number = overrides.number ?? 7;
  return {
    repo,
    number,
    title: `Handed ${number}`,
    url: `https://github.com/${repo}/issues/${number}`,
    reason: "the agent stopped and waits for input",
    since: "2026-03-01T09:00:00Z",
    agentLink: `https://t3.example/threads/h${number}`,
    sha: null,
    ...overrides,
  };
}

export function fixedWorld(): { meta: ReportMeta; watch: WatchReport; poll: PollReport } {
  const watch: WatchReport = {
    tick: "watch",
    identity: "afk-loop[bot]",
    repos: [
      { repo: "acme/api", error: null },
      { repo: "acme/web", error: null },
      { repo: "acme/gone", error: "Not Found" },
    ],
    runs: [
      aRun({ number: 1 }),
      aRun({ number: 2, sha: SHA, ci: "pending", ciStage: "build", since: "2026-03-02T09:00:00Z" }),
      aRun({
        number: 3,
        sha: SHA2,
        ci: "red",
        failing: "test, lint",
        fixForwards: 1,
        action: "fix-forward",
        reason: "CI red: test, lint; fix-forward 1 of 3",
      }),
      aRun({ repo: "acme/web", number: 4, sha: SHA, ci: "pending", ciStage: "deploy" }),
      aRun({ repo: "acme/web", number: 5, phase: "claimed", agent: null, agentLink: null }),
      aRun({ number: 6, sha: SHA, ci: "green", action: "close", phase: "closed", reason: "CI green" }),
      aRun({
        number: 8,
        action: "escalate-prepush",
        phase: "escalated",
        reason: "the agent stopped and waits for input",
        doorbell: { kind: "needs-human", sent: ["slack"], failed: [] },
      }),
    ],
    handed: [
      aHanded({ repo: "acme/api", number: 8, since: NOW }),
      aHanded(),
      aHanded({
        number: 9,
        sha: SHA,
        reason: "frozen: the same checks failed twice in a row",
        since: "2026-02-27T12:00:00Z",
      }),
    ],
    failures: [{ repo: "acme/web", issue: 12, stage: "act", error: "HTTP 502 from GitHub" }],
    note: null,
  };
  const skip = (number: number, code: PollReport["skipped"][number]["code"], reason: string, repo = "acme/api") => ({
    repo,
    number,
    title: `Waiting ${number}`,
    url: `https://github.com/${repo}/issues/${number}`,
    code,
    reason,
  });
  const poll: PollReport = {
    tick: "poll",
    identity: "afk-loop[bot]",
    guard: null,
    repos: [
      { repo: "acme/api", error: null },
      { repo: "acme/web", error: null },
      { repo: "acme/gone", error: "Not Found" },
    ],
    dispatched: [
      {
        repo: "acme/docs",
        number: 10,
        title: "Fix the typo",
        url: "https://github.com/acme/docs/issues/10",
        runId: "afk-10-1",
        attempt: 1,
        link: "https://t3.example/threads/10",
      },
    ],
    skipped: [
      skip(20, "untrusted-labeler", "labelled by @mallory (role: read; needs write)"),
      skip(21, "untrusted-labeler", "labelled by @dependabot[bot] (a bot; bots need to be in trusted-users)"),
      skip(22, "blocked", "blocked by #3 (open)"),
      skip(23, "repo-busy", "repo busy: #1, #2 in flight (max-per-repo 1)"),
      skip(24, "duplicate", "listed 2 times in the ready set; none started"),
      skip(24, "duplicate", "listed 2 times in the ready set; none started"),
    ],
    deferred: [],
    locked: [],
    failures: [],
    note: null,
  };
  const meta: ReportMeta = {
    mode: "armed",
    dryRun: false,
    repos: ["acme/api", "acme/web", "acme/docs", "acme/gone"],
    requests: {
      rest: 12,
      graphql: 3,
      graphqlPoints: 4,
      writes: 5,
      logical: 14,
      rateLimitRemaining: { core: 4980, graphql: 4996 },
    },
    executorRequests: 1,
    now: NOW,
  };
  return { meta, watch, poll };
}
