// An executor that answers garbage: a 200 that is not JSON, a proxy's HTML
// page, 4xx and 5xx statuses, a dropped connection, or nothing at all. Each
// is one issue's failure with a message that says what T3 did; every other
// issue is served and the tick completes. A refused dispatch gives its claim
// back at once; one whose outcome is unknown keeps it for the watch tick.

import { describe, expect, it } from "vitest";
import type { T3Fault } from "../../src/sandbox/t3/faults.js";
import { startSandbox } from "../../src/sandbox/world/sandbox.js";
import { driveRounds } from "../../__fixtures__/faults.js";
import { approved, hostileSuiteWorld, HOSTILE_LOOP } from "../../__fixtures__/faults-hostile.js";
import { decodeRunRecord } from "../../src/core/record-codec.js";

const TIMEOUT_MS = 400;
const REPOS = ["acme/a", "acme/b", "acme/c"] as const;

interface Case {
  name: string;
  fault: T3Fault;
  message: RegExp;
  /** T3 certainly did not act on it (so a dispatch's claim is released at once). */
  refused: boolean;
}

const CASES: Case[] = [
  {
    name: "garbage JSON",
    fault: { kind: "garbage" },
    message: /T3 sent an unexpected .* \(not JSON\)/,
    refused: false,
  },
  { name: "an HTML error page", fault: { kind: "html", status: 502 }, message: /failed with HTTP 502/, refused: false },
  { name: "400", fault: { kind: "status", status: 400 }, message: /malformed \(400\)/, refused: true },
  {
    name: "401",
    fault: { kind: "status", status: 401, body: '{"code":"unauthorized"}' },
    message: /refused the token .* \(401 \(unauthorized\)\): check t3-token/,
    refused: true,
  },
  {
    name: "403",
    fault: { kind: "status", status: 403, body: '{"code":"insufficient_scope"}' },
    message: /lacks the scope .* orchestration:operate/,
    refused: true,
  },
  {
    name: "500",
    fault: { kind: "status", status: 500, body: '{"code":"command_rejected"}' },
    message: /refused the .* command \(500 \(command_rejected\)\)/,
    refused: true,
  },
  { name: "503", fault: { kind: "status", status: 503 }, message: /failed with HTTP 503/, refused: false },
  {
    name: "a reset",
    fault: { kind: "reset" },
    message: /T3 (GET|POST) \/api\/orchestration\/[\w/-]+: /,
    refused: false,
  },
  { name: "a hang", fault: { kind: "hang" }, message: new RegExp(`no answer within ${TIMEOUT_MS} ms`), refused: false },
];

const world = (inFlight: boolean) =>
  hostileSuiteWorld({
    repos: Object.fromEntries(REPOS.map((repo) => [repo, [approved(1, inFlight ? { run: { since: "-5m" } } : {})]])),
    agent: "run-forever",
  });

describe("T3 answering garbage to a dispatch", () => {
  it.each(CASES)("$name: that issue fails with a clear message, the others are dispatched", async (c) => {
    const sandbox = await startSandbox(world(false));
    try {
      // The first command of the tick is acme/a's project.create.
      sandbox.t3.addFault({ ...c.fault, route: "dispatch", times: 1 });
      const [round] = await driveRounds(sandbox, 1, 1, { requestTimeoutMs: TIMEOUT_MS });
      expect(round?.crashed).toBeNull();
      expect(round?.poll?.failures).toEqual([
        { repo: "acme/a", issue: 1, stage: "dispatch", error: expect.stringMatching(c.message) as unknown },
      ]);
      expect(round?.poll?.dispatched.map((d) => d.repo)).toEqual(["acme/b", "acme/c"]);

      const found = sandbox.world.store.lookupIssue("acme/a", 1);
      if (!("issue" in found)) throw new Error("issue gone");
      const own = found.issue.comments.filter((comment) => comment.author === HOSTILE_LOOP);
      expect(own).toHaveLength(1);
      const record = decodeRunRecord(own[0]?.body ?? "");
      if (c.refused) {
        // Certainly not started: the claim is given back in the same tick.
        expect(record).toMatchObject({ ok: true, record: { phase: "released" } });
        expect(found.issue.labels).toEqual(["ready-for-agent"]);
      } else {
        // Maybe started: the claim and its lock stay until the watch tick knows.
        expect(record).toMatchObject({ ok: true, record: { phase: "claimed" } });
        expect(found.issue.labels).toContain("agent-in-progress");
        expect(round?.poll?.failures[0]?.error).toContain("the claim stays until the watch tick finds the run");
      }
    } finally {
      await sandbox.stop();
    }
  });

  it.each(CASES.filter((c) => !c.refused))(
    "$name: the kept claim is resolved later, and the issue ends with one agent",
    async (c) => {
      const sandbox = await startSandbox(world(false));
      try {
        sandbox.t3.addFault({ ...c.fault, route: "dispatch", times: 1 });
        const rounds = await driveRounds(sandbox, 1, 4, { requestTimeoutMs: TIMEOUT_MS });
        expect(rounds.map((r) => r.crashed)).toEqual([null, null, null, null]);
        const threads = sandbox.t3.state.snapshot().threads.filter((t) => t.title.startsWith("acme/a#1:"));
        expect(threads).toHaveLength(1);
        expect(threads[0]?.messages.filter((m) => m.role === "user")).toHaveLength(1);
        expect(threads[0]?.latestTurn?.state).toBe("running");
      } finally {
        await sandbox.stop();
      }
    },
  );
});

describe("T3 answering garbage to a status read", () => {
  it.each(CASES)("$name: one run's status fails with a clear message, the others are watched", async (c) => {
    const sandbox = await startSandbox(world(true));
    try {
      sandbox.t3.addFault({ ...c.fault, route: "thread", times: 1 });
      const [round] = await driveRounds(sandbox, 1, 1, { requestTimeoutMs: TIMEOUT_MS });
      expect(round?.crashed).toBeNull();
      expect(round?.watch?.failures).toEqual([
        { repo: "acme/a", issue: 1, stage: "status", error: expect.stringMatching(c.message) as unknown },
      ]);
      expect(round?.watch?.runs.map((r) => `${r.repo} ${r.action}`)).toEqual(["acme/b wait", "acme/c wait"]);
      // Nothing was decided for the run whose status is unknown: its record and lock are as they were.
      const found = sandbox.world.store.lookupIssue("acme/a", 1);
      expect("issue" in found && found.issue.labels).toEqual(["ready-for-agent", "agent-in-progress"]);
    } finally {
      await sandbox.stop();
    }
  });

  it("a T3 that refuses the token on every read fails each run clearly and still completes the tick", async () => {
    const sandbox = await startSandbox(world(true));
    try {
      sandbox.t3.addFault({ kind: "status", status: 401, body: '{"code":"unauthorized"}', route: "thread" });
      const [round] = await driveRounds(sandbox, 1, 1, { requestTimeoutMs: TIMEOUT_MS });
      expect(round?.crashed).toBeNull();
      expect(round?.watch?.failures.map((f) => `${f.repo} ${f.error}`)).toEqual(
        REPOS.map((repo) => `${repo} T3 refused the token for thread read (401 (unauthorized)): check t3-token`),
      );
      expect(round?.poll?.note ?? null).toBeNull();
    } finally {
      await sandbox.stop();
    }
  });
});
