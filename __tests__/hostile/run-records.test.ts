// Hostile run records (docs/design.md §3): the record in a progress comment is the
// loop's only memory, so every way it can be wrong is tried. A look-alike by
// another author is ignored; the loop's own comment holding a tampered,
// truncated, future-version, oversized or doubled record is never guessed at:
// the run goes to a human with the decoder's specific reason, no agent is
// asked anything, and the other repos are served as usual.

import { describe, expect, it } from "vitest";
import { runIdFor, type RunRecord } from "../../src/core/run-record.js";
import { decodeRunRecord, encodeRunRecord } from "../../src/core/record-codec.js";
import { renderMarkdown } from "../../src/report/render.js";
import { recordSealFor } from "../../src/ticks/setup.js";
import type { WatchReport } from "../../src/ticks/watch.js";
import { threadIdFor } from "../../src/executors/t3.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/world/sandbox.js";
import { driveRounds } from "../../__fixtures__/faults.js";
import { approved, hostileSuiteWorld, HOSTILE_LOOP, type IssueInput } from "../../__fixtures__/faults-hostile.js";

const REPO = "acme/api";

function record(issue: number, overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    v: 1,
    runId: runIdFor(REPO, issue, 1),
    repo: REPO,
    issue,
    attempt: 1,
    phase: "dispatched",
    executor: "t3",
    threadId: threadIdFor(runIdFor(REPO, issue, 1)),
    claimedAt: "2026-03-02T08:50:00.000Z",
    leaseExpiresAt: "2026-03-02T09:05:00.000Z",
    dispatchedAt: "2026-03-02T08:50:00.000Z",
    turnStartedAt: "2026-03-02T08:50:00.000Z",
    issueSha256: "a".repeat(64),
    pushedSha: null,
    fixForwards: 0,
    firstRedAt: null,
    lastFailureSignature: null,
    sameFailureStreak: 0,
    lastAction: null,
    reason: null,
    doorbell: null,
    ...overrides,
  };
}

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
const progress = (marker: string) => `### afk-loop: ${REPO}, attempt 1\n\n**Status:** agent working\n\n${marker}`;

/** An issue the loop locked, its progress comment written by `by` with `body`. */
function locked(number: number, by: string, body: string): IssueInput {
  return {
    ...approved(number, { labels: [{ name: "agent-in-progress", by: HOSTILE_LOOP, at: "-10m" }] }),
    title: `Locked ${number}`,
    comments: [{ by, at: "-10m", body }],
  };
}

/** Each broken record, and the words of the reason it must be escalated with. */
const BROKEN: { number: number; what: string; marker: string; reason: RegExp }[] = [
  {
    number: 2,
    what: "tampered (a field outside the schema)",
    marker: `<!-- afk-loop:run v1 ${b64(JSON.stringify({ ...record(2), phase: "owned-by-mallory" }))} -->`,
    reason: /fails validation: phase/,
  },
  {
    number: 3,
    what: "tampered (payload bytes flipped)",
    marker: encodeRunRecord(record(3)).replace(/v1 (.)(.)/, (_, a: string, b: string) => `v1 ${b}${a}`),
    reason: /not UTF-8 JSON|not valid base64/,
  },
  {
    number: 4,
    what: "truncated",
    marker: encodeRunRecord(record(4)).slice(0, 60),
    reason: /not terminated/,
  },
  {
    number: 5,
    what: "from a future version (v2)",
    marker: `<!-- afk-loop:run v2 ${b64(JSON.stringify({ ...record(5), v: 2, lanes: ["a", "b"] }))} -->`,
    reason: /version v2 is not supported/,
  },
  {
    number: 6,
    what: "oversized",
    marker: `<!-- afk-loop:run v1 ${b64(JSON.stringify({ ...record(6), reason: "x".repeat(40_000) }))} -->`,
    reason: /over the 16384 cap/,
  },
  {
    number: 7,
    what: "doubled (two markers)",
    marker: `${encodeRunRecord(record(7))}\n${encodeRunRecord(record(7, { phase: "closed" }))}`,
    reason: /2 run record markers/,
  },
  {
    number: 8,
    what: "naming another issue",
    marker: encodeRunRecord(record(1)),
    reason: /names another issue/,
  },
];

function world() {
  return hostileSuiteWorld({
    repos: {
      [REPO]: [
        // A look-alike: a valid marker, written by mallory, on an issue she put the lock label on.
        {
          ...approved(1, { labels: [{ name: "agent-in-progress", by: "mallory", at: "-10m" }] }),
          comments: [{ by: "mallory", at: "-10m", body: progress(encodeRunRecord(record(1))) }],
        },
        ...BROKEN.map((b) => locked(b.number, HOSTILE_LOOP, progress(b.marker))),
      ],
      "acme/web": [approved(1, { title: "An honest issue" })],
    },
  });
}

async function firstRound(): Promise<{ sandbox: Sandbox; round: Awaited<ReturnType<typeof driveRounds>>[number] }> {
  const sandbox = await startSandbox(world());
  const [round] = await driveRounds(sandbox, 1, 1);
  if (!round) throw new Error("no round");
  return { sandbox, round };
}

describe("a look-alike record by another author", () => {
  it("is ignored with the reason, never driven: no label, comment or agent touched", async () => {
    const { sandbox, round } = await firstRound();
    try {
      const run = round.watch?.runs.find((r) => r.repo === REPO && r.number === 1);
      expect(run).toMatchObject({ action: "ignored" });
      expect(run?.reason).toMatch(/no run record from afk-loop\[bot\].*look-alike/);
      const issue = sandbox.world.store.lookupIssue(REPO, 1);
      expect("issue" in issue && issue.issue.labels).toEqual(["ready-for-agent", "agent-in-progress"]);
      expect("issue" in issue && issue.issue.comments.map((c) => c.author)).toEqual(["mallory"]);
      expect(sandbox.t3.state.thread(threadIdFor(runIdFor(REPO, 1, 1)))).toBeUndefined();
    } finally {
      await sandbox.stop();
    }
  });
});

describe("the loop's own comment with a broken record", () => {
  it.each(BROKEN)("#$number $what: handed to a human with the decoder's reason", async ({ number, reason }) => {
    const { sandbox, round } = await firstRound();
    try {
      const run = round.watch?.runs.find((r) => r.repo === REPO && r.number === number);
      expect(run?.action).toBe("escalate-bad-record");
      expect(run?.reason).toMatch(reason);
      expect(run?.reason).toContain("nothing was guessed");
      const found = sandbox.world.store.lookupIssue(REPO, number);
      if (!("issue" in found)) throw new Error("issue gone");
      expect(found.issue.labels).toEqual(["ready-for-human"]);
      expect(found.issue.comments).toHaveLength(1);
      expect(found.issue.comments[0]?.body).toContain("handed to a human");
      const rung = sandbox.doorbells.deliveries.filter((d) => (d.body as { issue?: number }).issue === number);
      expect(rung.map((d) => (d.body as { kind?: string }).kind)).toEqual(["needs-human"]);
    } finally {
      await sandbox.stop();
    }
  });

  it("starts or sends nothing for any of them: no dispatch, no follow-up, no stop without an agent", async () => {
    const { sandbox, round } = await firstRound();
    try {
      expect(round.watch?.failures).toEqual([]);
      // The only T3 thread is the honest issue's in acme/web; the broken records' agents are looked
      // for by the run ids the loop derives (none exists), never by what a record says.
      const titles = sandbox.t3.state.snapshot().threads.map((t) => t.title);
      expect(titles).toEqual(["acme/web#1: An honest issue"]);
      const commands = sandbox.t3.log.filter((r) => r.route === "dispatch").map((r) => r.commandType);
      expect(commands.filter((c) => c === "thread.turn.interrupt" || c === "thread.session.stop")).toEqual([]);
    } finally {
      await sandbox.stop();
    }
  });

  it("the other repo is served in the same tick", async () => {
    const { sandbox, round } = await firstRound();
    try {
      expect(round.crashed).toBeNull();
      expect(round.poll?.dispatched.map((d) => `${d.repo}#${d.number}`)).toEqual(["acme/web#1"]);
    } finally {
      await sandbox.stop();
    }
  });

  it("a later tick leaves the escalated issues alone: nothing rings or writes twice", async () => {
    const sandbox = await startSandbox(world());
    try {
      const apiWrites = () => sandbox.github.log.entries.filter((e) => e.mutation && e.path.includes(`/${REPO}/`));
      const apiDoorbells = () =>
        sandbox.doorbells.deliveries.filter((d) => (d.body as { repo?: string }).repo === REPO);
      await driveRounds(sandbox, 1, 1);
      const [writes, rung] = [apiWrites().length, apiDoorbells().length];
      expect(rung).toBe(BROKEN.length);
      await driveRounds(sandbox, 2, 3);
      expect([apiWrites().length, apiDoorbells().length]).toEqual([writes, rung]);
    } finally {
      await sandbox.stop();
    }
  });
});

describe("after a broken record was handed to a human", () => {
  it("re-applying the ready label starts a run whose agent really gets the new prompt", async () => {
    const sandbox = await startSandbox(hostileSuiteWorld({ repos: { [REPO]: [approved(1)] }, agent: "run-forever" }));
    try {
      const { store } = sandbox.world;
      await driveRounds(sandbox, 1, 1);
      // The run is in flight; then its record is overwritten (say, by a newer afk-loop writing v2).
      const found = store.lookupIssue(REPO, 1);
      const own = "issue" in found ? found.issue.comments.find((c) => c.author === HOSTILE_LOOP) : undefined;
      if (!own) throw new Error("no progress comment");
      store.updateComment(REPO, own.id, progress(`<!-- afk-loop:run v2 ${b64("{}")} -->`), HOSTILE_LOOP);

      const [second] = await driveRounds(sandbox, 2, 2);
      expect(second?.watch?.runs[0]?.action).toBe("escalate-bad-record");

      // A maintainer looks, then hands the issue back to the loop.
      store.removeLabel(REPO, 1, "ready-for-human", "maya");
      store.applyLabel(REPO, 1, "ready-for-agent", "maya");
      const rounds = await driveRounds(sandbox, 3, 4);
      expect(rounds.flatMap((r) => r.poll?.dispatched ?? [])).toHaveLength(1);
      const prompts = sandbox.t3.state.snapshot().threads.flatMap((t) => t.messages.filter((m) => m.role === "user"));
      // The first run's prompt, plus the new run's: a new prompt reached an agent.
      expect(prompts).toHaveLength(2);
      expect(rounds.flatMap((r) => r.watch?.runs ?? []).map((r) => r.action)).not.toContain("escalate-prepush");
    } finally {
      await sandbox.stop();
    }
  });
});

describe("with record-key set: a record is the loop's only if its MAC says so", () => {
  // The loop's login is shared (as github-actions[bot] is by every workflow of a repo): a comment
  // by that login is not proof the loop wrote it. Only the MAC is.
  const KEY = "record-key-of-the-hostile-suite-0123456789";
  const seal = recordSealFor(KEY);
  const wrongSeal = recordSealFor("another-key-of-some-other-workflow-0123456789");
  const sealed = (r: RunRecord) => encodeRunRecord(r, seal);
  // A valid MAC moved onto another payload: the phase changed, the MAC kept.
  const moved = sealed(record(4)).replace(
    /v1 \S+ mac=/,
    `v1 ${encodeRunRecord(record(4, { phase: "closed", lastAction: "close" })).split(" ")[3] ?? ""} mac=`,
  );
  const SEALED_BROKEN: { number: number; what: string; marker: string; reason: RegExp }[] = [
    { number: 2, what: "no MAC", marker: encodeRunRecord(record(2)), reason: /carries no MAC, and record-key is set/ },
    {
      number: 3,
      what: "a MAC under another key",
      marker: encodeRunRecord(record(3), wrongSeal),
      reason: /MAC does not match/,
    },
    { number: 4, what: "a valid MAC over another payload", marker: moved, reason: /MAC does not match/ },
  ];

  async function round(rounds = 1) {
    const sandbox = await startSandbox(
      hostileSuiteWorld({
        repos: {
          [REPO]: [
            approved(1, { title: "Fresh" }),
            ...SEALED_BROKEN.map((b) => locked(b.number, HOSTILE_LOOP, progress(b.marker))),
            // Seeded as the loop writes it: sealed with the key.
            approved(5, { title: "In flight", run: { since: "-5m" } }),
          ],
        },
        inputs: { "record-key": KEY, "max-per-repo": 10 },
        agent: "run-forever",
      }),
    );
    return { sandbox, rounds: await driveRounds(sandbox, 1, rounds) };
  }

  it.each(SEALED_BROKEN)("#$number with $what is never used: handed to a human with the reason", async (b) => {
    const { sandbox, rounds } = await round();
    try {
      const run = rounds[0]?.watch?.runs.find((r) => r.repo === REPO && r.number === b.number);
      expect(run?.action).toBe("escalate-bad-record");
      expect(run?.reason).toMatch(b.reason);
      expect(sandbox.t3.state.thread(threadIdFor(runIdFor(REPO, b.number, 1)))).toBeUndefined();
      const found = sandbox.world.store.lookupIssue(REPO, b.number);
      if (!("issue" in found)) throw new Error("issue gone");
      expect(found.issue.labels).toEqual(["ready-for-human"]);
    } finally {
      await sandbox.stop();
    }
  });

  it("the loop's own records carry a MAC that the next tick accepts", async () => {
    const { sandbox, rounds } = await round(2);
    try {
      expect(rounds[0]?.poll?.dispatched.map((d) => d.number)).toEqual([1]);
      const found = sandbox.world.store.lookupIssue(REPO, 1);
      if (!("issue" in found)) throw new Error("issue gone");
      const body = found.issue.comments.find((c) => c.author === HOSTILE_LOOP)?.body ?? "";
      expect(body).toMatch(/<!-- afk-loop:run v1 \S+ mac=[0-9a-f]{64} -->$/);
      expect(decodeRunRecord(body, seal).ok).toBe(true);
      for (const number of [1, 5]) {
        const run = rounds[1]?.watch?.runs.find((r) => r.repo === REPO && r.number === number);
        expect(run?.action, `#${number}`).not.toBe("escalate-bad-record");
      }
      // The key itself is written nowhere.
      expect(JSON.stringify(sandbox.world.store.lookupIssue(REPO, 1))).not.toContain(KEY);
    } finally {
      await sandbox.stop();
    }
  });
});

describe("without record-key, the job summary warns about the shared identity", () => {
  const meta = { mode: "armed" as const, dryRun: false, repos: [REPO], requests: null, executorRequests: null };
  const watch = (identity: string): WatchReport => ({
    tick: "watch",
    identity,
    repos: [],
    runs: [],
    handed: [],
    failures: [],
    note: null,
  });
  const WARNING =
    /github-actions\\?\[bot\\?\], which every workflow of a repository shares, and record-key is not set/g;

  it("once, when the loop writes as github-actions[bot] with no key", () => {
    expect(
      renderMarkdown({ ...meta, recordKey: false }, watch("github-actions[bot]"), null).match(WARNING),
    ).toHaveLength(1);
  });

  it("not with a key, nor for the loop's own App identity", () => {
    expect(renderMarkdown({ ...meta, recordKey: true }, watch("github-actions[bot]"), null)).not.toMatch(WARNING);
    expect(renderMarkdown({ ...meta, recordKey: false }, watch(HOSTILE_LOOP), null)).not.toMatch(WARNING);
  });
});
