// GitHub misbehaving or changing under the loop: 5xx on every read, a repo
// deleted (404), an issue deleted (410) or transferred (301) between the
// tick's read and its write, or between ticks. Each gives a specific message;
// a tick that cannot read at all stops before writing anything; one repo's or
// one issue's trouble never stops the others; nothing is silently lost.

import { describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../src/sandbox/world/sandbox.js";
import { driveRounds } from "../../__fixtures__/faults.js";
import {
  approved,
  hostileSuiteWorld,
  HOSTILE_LOOP,
  onRequest,
  runBundle,
  type IssueInput,
} from "../../__fixtures__/faults-hostile.js";

const served = (repos: Record<string, IssueInput[]>) =>
  hostileSuiteWorld({ repos, reach: "all", agent: "run-forever", extraRepos: [{ repo: "acme/elsewhere" }] });

const writes = (sandbox: Sandbox) => sandbox.github.log.entries.filter((e) => e.mutation);
const issueOf = (sandbox: Sandbox, repo: string, number: number) => {
  const found = sandbox.world.store.lookupIssue(repo, number);
  if (!("issue" in found)) throw new Error(`${repo}#${number} is gone`);
  return found.issue;
};

describe("GitHub answering 5xx to every read", () => {
  const world = () => served({ "acme/api": [approved(1), approved(2, { run: { since: "-5m" } })] });

  it("each tick stops with GitHub's answer and writes nothing", async () => {
    const sandbox = await startSandbox(world());
    try {
      sandbox.github.faults.add({ method: "GET", action: { kind: "status", status: 502, message: "Server Error" } });
      sandbox.github.faults.add({
        route: "/graphql",
        action: { kind: "status", status: 502, message: "Server Error" },
      });
      const rounds = await driveRounds(sandbox, 1, 2, { requestTimeoutMs: 500 });
      expect(rounds.map((r) => r.crashed)).toEqual([
        expect.stringMatching(/^Server Error/),
        expect.stringMatching(/^Server Error/),
      ]);
      expect(writes(sandbox)).toEqual([]);
      expect(sandbox.t3.log.filter((r) => r.route === "dispatch")).toEqual([]);
    } finally {
      await sandbox.stop();
    }
  });

  it("the step fails with one annotation naming the tick and the status, and no write", async () => {
    const sandbox = await startSandbox(world());
    try {
      sandbox.github.faults.add({ method: "GET", action: { kind: "status", status: 502, message: "Server Error" } });
      sandbox.github.faults.add({
        route: "/graphql",
        action: { kind: "status", status: 502, message: "Server Error" },
      });
      for (const tick of ["watch", "poll"]) {
        const { code, out } = await runBundle([tick], sandbox.inputs);
        expect(code, out).toBe(1);
        const errors = out.split("\n").filter((line) => line.startsWith("::error::"));
        expect(errors).toHaveLength(1);
        expect(errors[0]).toMatch(
          new RegExp(`^::error::afk-loop: the ${tick} tick stopped: Server Error.*\\(HTTP 502\\)$`),
        );
        expect(out).not.toMatch(/RequestError|at fetchWrapper|query Afk/);
      }
      expect(writes(sandbox)).toEqual([]);
    } finally {
      await sandbox.stop();
    }
  });

  it("once GitHub answers again, the next tick picks up where nothing was done", async () => {
    const sandbox = await startSandbox(world());
    try {
      const clear = [
        sandbox.github.faults.add({ method: "GET", action: { kind: "status", status: 503 } }),
        sandbox.github.faults.add({ route: "/graphql", action: { kind: "status", status: 503 } }),
      ];
      await driveRounds(sandbox, 1, 1, { requestTimeoutMs: 500 });
      for (const undo of clear) undo();
      const [round] = await driveRounds(sandbox, 2, 2);
      expect(round?.crashed).toBeNull();
      expect(round?.watch?.runs.map((r) => `#${r.number} ${r.action}`)).toEqual(["#2 wait"]);
      expect(round?.poll?.skipped.map((s) => `#${s.number} ${s.code}`)).toContain("#1 repo-busy");
    } finally {
      await sandbox.stop();
    }
  });
});

describe("a deleted repository (404)", () => {
  it("is reported on its own; the other repos are watched and served", async () => {
    const sandbox = await startSandbox(
      served({
        "acme/api": [approved(1), approved(2, { run: { since: "-5m" } })],
        "acme/web": [approved(1), approved(2, { run: { since: "-5m" } })],
      }),
    );
    try {
      sandbox.world.store.deleteRepo("acme/web");
      const [round] = await driveRounds(sandbox, 1, 1);
      expect(round?.crashed).toBeNull();
      for (const report of [round?.watch, round?.poll]) {
        const web = report?.repos.find((r) => r.repo === "acme/web");
        expect(web?.error).toBe("not found, or the token cannot see it");
        expect(report?.repos.find((r) => r.repo === "acme/api")?.error).toBeNull();
      }
      expect(round?.watch?.runs.map((r) => `${r.repo}#${r.number} ${r.action}`)).toEqual(["acme/api#2 wait"]);
      expect(round?.poll?.skipped.map((s) => `${s.repo}#${s.number} ${s.code}`)).toContain("acme/api#1 repo-busy");
    } finally {
      await sandbox.stop();
    }
  });
});

describe("an issue deleted mid-tick (410)", () => {
  it("between the poll's read and its claim: a specific failure, no agent, the next issue is served", async () => {
    const sandbox = await startSandbox(served({ "acme/api": [approved(1)], "acme/web": [approved(1)] }));
    try {
      onRequest(
        sandbox,
        (t) => t.method === "POST" && t.path === "/repos/acme/api/issues/1/comments",
        () => sandbox.world.store.deleteIssue("acme/api", 1),
      );
      const [round] = await driveRounds(sandbox, 1, 1);
      expect(round?.poll?.failures).toEqual([
        {
          repo: "acme/api",
          issue: 1,
          stage: "dispatch",
          error: expect.stringContaining("This issue was deleted") as unknown,
        },
      ]);
      expect(round?.poll?.dispatched.map((d) => d.repo)).toEqual(["acme/web"]);
      expect(sandbox.t3.state.snapshot().threads.map((t) => t.title.split(":")[0])).toEqual(["acme/web#1"]);
    } finally {
      await sandbox.stop();
    }
  });

  it("between the watch's read and its write: a specific failure, the other run is driven", async () => {
    const sandbox = await startSandbox(
      served({
        "acme/api": [approved(1, { run: { since: "-5m" } })],
        "acme/web": [approved(1, { run: { since: "-5m" } })],
      }),
    );
    try {
      // Both agents stop, so the watch escalates both: acme/api's issue vanishes as its lock comes off.
      for (const thread of sandbox.t3.state.snapshot().threads) sandbox.t3.state.settleTurn(thread.id, "completed");
      onRequest(
        sandbox,
        (t) => t.method === "DELETE" && t.path.startsWith("/repos/acme/api/issues/1/labels/"),
        () => sandbox.world.store.deleteIssue("acme/api", 1),
      );
      const [round] = await driveRounds(sandbox, 1, 1);
      expect(round?.crashed).toBeNull();
      expect(round?.watch?.failures).toEqual([
        {
          repo: "acme/api",
          issue: 1,
          stage: "act",
          error: expect.stringContaining("This issue was deleted") as unknown,
        },
      ]);
      expect(round?.watch?.runs.map((r) => `${r.repo}#${r.number} ${r.action}`)).toEqual([
        "acme/web#1 escalate-prepush",
      ]);
    } finally {
      await sandbox.stop();
    }
  });
});

describe("an issue transferred to another repository (301)", () => {
  it("between the poll's read and its claim: the write is refused, not replayed as a read, and no agent starts", async () => {
    const sandbox = await startSandbox(served({ "acme/api": [approved(1)], "acme/web": [approved(1)] }));
    try {
      onRequest(
        sandbox,
        (t) => t.method === "POST" && t.path === "/repos/acme/api/issues/1/comments",
        () => sandbox.world.store.transferIssue("acme/api", 1, "acme/elsewhere"),
      );
      const [round] = await driveRounds(sandbox, 1, 1);
      expect(round?.poll?.failures).toEqual([
        {
          repo: "acme/api",
          issue: 1,
          stage: "dispatch",
          error: expect.stringMatching(
            /answered 301 .*moved to .*\/repos\/acme\/elsewhere\/issues\/1; nothing was written/,
          ) as unknown,
        },
      ]);
      expect(round?.poll?.dispatched.map((d) => d.repo)).toEqual(["acme/web"]);
      expect(sandbox.t3.state.snapshot().threads.map((t) => t.title.split(":")[0])).toEqual(["acme/web#1"]);
      expect(issueOf(sandbox, "acme/elsewhere", 1).comments).toEqual([]);
    } finally {
      await sandbox.stop();
    }
  });

  it("between the claim and its lock label: no agent starts on an issue the loop no longer holds", async () => {
    const sandbox = await startSandbox(served({ "acme/api": [approved(1)], "acme/web": [approved(1)] }));
    try {
      onRequest(
        sandbox,
        (t) => t.method === "POST" && t.path === "/repos/acme/api/issues/1/labels",
        () => sandbox.world.store.transferIssue("acme/api", 1, "acme/elsewhere"),
      );
      const [round] = await driveRounds(sandbox, 1, 1);
      expect(round?.poll?.failures[0]?.error).toMatch(/answered 301 .*; nothing was written/);
      expect(sandbox.t3.state.snapshot().threads.map((t) => t.title.split(":")[0])).toEqual(["acme/web#1"]);
    } finally {
      await sandbox.stop();
    }
  });

  it("while in flight, into another served repo: handed to a human there, with the reason, once", async () => {
    const sandbox = await startSandbox(
      served({ "acme/api": [approved(1, { run: { since: "-5m" } })], "acme/web": [approved(1, { title: "Web" })] }),
    );
    try {
      const moved = sandbox.world.store.transferIssue("acme/api", 1, "acme/web");
      const rounds = await driveRounds(sandbox, 1, 3);
      const runs = rounds.flatMap((r) => r.watch?.runs ?? []).filter((r) => r.number === moved.number);
      expect(runs.map((r) => `${r.repo} ${r.action}`)).toEqual(["acme/web escalate-bad-record"]);
      expect(runs[0]?.reason).toContain("the record names another issue");
      const issue = issueOf(sandbox, "acme/web", moved.number);
      expect(issue.labels).toContain("ready-for-human");
      expect(issue.labels).not.toContain("agent-in-progress");
      expect(issue.comments.filter((c) => c.author === HOSTILE_LOOP)).toHaveLength(1);
      const rung = sandbox.doorbells.deliveries.map((d) => d.body as { repo: string; issue: number; kind: string });
      expect(rung.filter((d) => d.issue === moved.number && d.repo === "acme/web").map((d) => d.kind)).toEqual([
        "needs-human",
      ]);
    } finally {
      await sandbox.stop();
    }
  });
});
