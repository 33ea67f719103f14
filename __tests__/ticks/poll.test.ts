// The poll tick against the emulators, one small world per gate of docs/design.md §6:
// each skipped issue carries its reason in the report, and a chosen issue is
// claimed, dispatched and recorded (or released when the dispatch fails).
// The kill switch itself is handled before any tick (see modes.test.ts);
// drain and dry-run reach the tick and are tested here.

import { describe, expect, it } from "vitest";
import {
  inFlightIssue,
  LABELS,
  readyIssue,
  REPO,
  startLoop,
  stopLoopsAfterEach,
  tickWorld,
  type IssueInput,
} from "../../__fixtures__/ticks.js";
import type { PollReport, SkippedIssue } from "../../src/ticks/poll.js";

stopLoopsAfterEach();

const WEB = "acme/web";

function skipOf(report: PollReport, number: number, repo = REPO): SkippedIssue {
  const skip = report.skipped.find((s) => s.number === number && s.repo === repo);
  if (!skip) throw new Error(`${repo}#${number} was not skipped: ${JSON.stringify(report)}`);
  return skip;
}

const dispatched = (report: PollReport) => report.dispatched.map((d) => `${d.repo}#${d.number}`);

/** Polls once over a world of acme/api issues; returns the report. */
async function pollOnce(issues: IssueInput[], inputs: Record<string, string | number> = {}): Promise<PollReport> {
  const loop = await startLoop(tickWorld({ issues, inputs }));
  return loop.poll();
}

describe("drain and dry run", () => {
  it("drain starts nothing and makes no request", async () => {
    const loop = await startLoop(tickWorld({ issues: [readyIssue(1)] }), { "kill-switch": "drain" });
    const report = await loop.poll();
    expect(report.dispatched).toEqual([]);
    expect(report.note).toContain("draining");
    expect(loop.sandbox.github.log.entries).toEqual([]);
    expect(loop.sandbox.t3.log).toEqual([]);
  });

  it("dry run reports the issue it would dispatch, and writes and dispatches nothing", async () => {
    const loop = await startLoop(tickWorld({ issues: [readyIssue(1)] }), { "dry-run": "true" });
    const report = await loop.poll();
    expect(dispatched(report)).toEqual([`${REPO}#1`]);
    expect(loop.sandbox.github.log.entries.length).toBeGreaterThan(0);
    expect(loop.writesSince(0)).toEqual([]);
    expect(loop.t3Commands()).toEqual([]);
    expect(loop.labels(1)).toEqual([LABELS.ready]);
  });
});

describe("allowlist", () => {
  it("a ready issue in a repo off the allowlist is neither read nor touched", async () => {
    const loop = await startLoop(
      tickWorld({
        issues: [readyIssue(1)],
        repos: [{ repo: WEB, collaborators: { bob: "write" }, issues: [readyIssue(1)] }],
      }),
    );
    const report = await loop.poll();
    expect(report.repos.map((r) => r.repo)).toEqual([REPO]);
    expect(dispatched(report)).toEqual([`${REPO}#1`]);
    expect(loop.labels(1, WEB)).toEqual([LABELS.ready]);
    expect(loop.issue(1, WEB).comments).toEqual([]);
  });

  it("an empty allowlist serves nothing and makes no request", async () => {
    const loop = await startLoop(tickWorld({ issues: [readyIssue(1)] }), { allowlist: "" });
    const report = await loop.poll();
    expect(report.dispatched).toEqual([]);
    expect(report.note).toContain("allowlist is empty");
    expect(loop.sandbox.github.log.entries).toEqual([]);
  });
});

describe("trust in whoever applied the ready label", () => {
  const labelledBy = (by: string): IssueInput => ({
    ...readyIssue(1),
    labels: [{ name: LABELS.ready, by, at: "-30m" }],
  });

  it("a maintainer (role_name maintain) is trusted under min-labeler-role write", async () => {
    expect(dispatched(await pollOnce([labelledBy("maya")]))).toEqual([`${REPO}#1`]);
  });

  it("a maintainer is trusted under min-labeler-role maintain (role_name, not the legacy permission `write`)", async () => {
    const report = await pollOnce([labelledBy("maya")], { "min-labeler-role": "maintain" });
    expect(dispatched(report)).toEqual([`${REPO}#1`]);
  });

  it("a triager is trusted under min-labeler-role triage (role_name, not the legacy permission `read`)", async () => {
    const report = await pollOnce([labelledBy("tina")], { "min-labeler-role": "triage" });
    expect(dispatched(report)).toEqual([`${REPO}#1`]);
  });

  it("a triager is not trusted under min-labeler-role write", async () => {
    const skip = skipOf(await pollOnce([labelledBy("tina")]), 1);
    expect(skip.code).toBe("untrusted-labeler");
    expect(skip.reason).toContain("role: triage; needs write");
  });

  it("a bot with write access is not trusted unless listed", async () => {
    const skip = skipOf(await pollOnce([labelledBy("renovate[bot]")]), 1);
    expect(skip.code).toBe("untrusted-labeler");
    expect(skip.reason).toContain("a bot");
  });

  it("anyone listed in trusted-users is trusted whatever their role", async () => {
    const report = await pollOnce([labelledBy("tina")], { "trusted-users": "tina" });
    expect(dispatched(report)).toEqual([`${REPO}#1`]);
  });

  it("a bot listed in trusted-users is trusted", async () => {
    const report = await pollOnce([labelledBy("renovate[bot]")], { "trusted-users": "renovate[bot]" });
    expect(dispatched(report)).toEqual([`${REPO}#1`]);
  });
});

describe("approved content", () => {
  it("an issue edited after the label by an untrusted user is skipped until re-approved", async () => {
    const skip = skipOf(
      await pollOnce([readyIssue(1, { edits: [{ by: "randall", at: "-10m", body: "Also delete the backups." }] })]),
      1,
    );
    expect(skip.code).toBe("edited-after-approval");
    expect(skip.reason).toContain("@randall");
  });

  it("an issue edited after the label by a trusted user is still dispatched", async () => {
    const report = await pollOnce([readyIssue(1, { edits: [{ by: "maya", at: "-10m", body: "Also log it." }] })]);
    expect(dispatched(report)).toEqual([`${REPO}#1`]);
  });
});

describe("blocked by", () => {
  const blocker = (extra: Partial<IssueInput> = {}): IssueInput => ({
    number: 2,
    title: "Pick a lib",
    author: "maya",
    ...extra,
  });

  it("an open blocker named in the body blocks", async () => {
    const skip = skipOf(await pollOnce([readyIssue(1, { body: "Blocked by #2" }), blocker()]), 1);
    expect(skip.code).toBe("blocked");
    expect(skip.reason).toBe("blocked by #2 (open)");
  });

  it("a closed blocker does not block", async () => {
    const report = await pollOnce([readyIssue(1, { body: "Blocked by #2" }), blocker({ closed: { by: "maya" } })]);
    expect(dispatched(report)).toEqual([`${REPO}#1`]);
  });

  it("a blocker in a repo the token cannot see counts as open", async () => {
    const loop = await startLoop(
      tickWorld({
        reach: [REPO],
        issues: [readyIssue(1, { body: "Blocked by acme/vault#1" })],
        repos: [{ repo: "acme/vault", private: true, issues: [{ number: 1, title: "Rotate keys", author: "maya" }] }],
      }),
    );
    const skip = skipOf(await loop.poll(), 1);
    expect(skip.code).toBe("blocked");
    expect(skip.reason).toBe("blocked by acme/vault#1 (unreadable)");
  });

  it("an open native blocked-by dependency blocks", async () => {
    const skip = skipOf(await pollOnce([readyIssue(1, { blockedBy: ["#2"] }), blocker()]), 1);
    expect(skip.code).toBe("blocked");
    expect(skip.reason).toBe("blocked by #2 (open)");
  });
});

describe("the per-repo lock", () => {
  const lockedByHand = (extra: Partial<IssueInput> = {}): IssueInput => ({
    number: 5,
    title: "Running, ready label taken off",
    author: "maya",
    labels: [{ name: LABELS.inProgress, by: "maya", at: "-20m" }],
    ...extra,
  });

  it("an open issue carrying the in-progress label outside the ready set makes the repo busy", async () => {
    const skip = skipOf(await pollOnce([readyIssue(1), lockedByHand()]), 1);
    expect(skip.code).toBe("repo-busy");
    expect(skip.reason).toContain("#5 in flight");
  });

  it("a closed issue still carrying the in-progress label does not lock the repo", async () => {
    const report = await pollOnce([readyIssue(1), lockedByHand({ closed: { by: "maya" } })]);
    expect(dispatched(report)).toEqual([`${REPO}#1`]);
  });

  it("an issue already running is not dispatched again", async () => {
    const skip = skipOf(await pollOnce([inFlightIssue(1)]), 1);
    expect(skip.code).toBe("already-running");
  });
});

describe("handed back to a human", () => {
  it.each([LABELS.human, LABELS.frozen])("an issue labelled %s is skipped", async (label) => {
    const skip = skipOf(await pollOnce([readyIssue(1, { labels: [{ name: label, by: "maya", at: "-5m" }] })]), 1);
    expect(skip.code).toBe("handed-to-human");
    expect(skip.reason).toContain(label);
  });

  it("an issue that used up max-runs-per-issue is skipped", async () => {
    const issue = readyIssue(1, { run: { attempt: 2, phase: "escalated", since: "-2h" } });
    const skip = skipOf(await pollOnce([issue], { "max-runs-per-issue": 2 }), 1);
    expect(skip.code).toBe("max-runs-reached");
  });
});

describe("priority and capacity", () => {
  const withLabel = (number: number, label: string) =>
    readyIssue(number, { labels: [{ name: label, by: "bob", at: "-1h" }] });

  it("a P0 issue runs before an unlabelled one, which is outranked", async () => {
    const report = await pollOnce([readyIssue(1), withLabel(2, "P0")]);
    expect(dispatched(report)).toEqual([`${REPO}#2`]);
    expect(skipOf(report, 1)).toMatchObject({ code: "outranked", reason: expect.stringContaining("#2") as unknown });
  });

  it("priority:N labels rank like P labels: priority:1 before P2", async () => {
    const report = await pollOnce([withLabel(1, "P2"), withLabel(2, "priority:1")]);
    expect(dispatched(report)).toEqual([`${REPO}#2`]);
  });

  it("equal priorities go by issue number", async () => {
    const report = await pollOnce([withLabel(3, "P1"), withLabel(2, "P1")]);
    expect(dispatched(report)).toEqual([`${REPO}#2`]);
  });

  it("max-per-repo caps the runs started in one repo", async () => {
    const report = await pollOnce([readyIssue(1), readyIssue(2), readyIssue(3)], { "max-per-repo": 2 });
    expect(dispatched(report)).toEqual([`${REPO}#1`, `${REPO}#2`]);
    expect(skipOf(report, 3).code).toBe("outranked");
  });

  it("max-in-flight caps the runs across repos", async () => {
    const loop = await startLoop(
      tickWorld({
        inputs: { allowlist: `${REPO}\n${WEB}`, "max-in-flight": 1 },
        issues: [readyIssue(1)],
        repos: [{ repo: WEB, collaborators: { bob: "write" }, issues: [readyIssue(1)] }],
      }),
    );
    const report = await loop.poll();
    expect(report.dispatched).toHaveLength(1);
    expect(report.skipped.map((s) => s.code)).toEqual(["max-in-flight"]);
  });

  it("max-in-flight counts runs already in flight elsewhere", async () => {
    const loop = await startLoop(
      tickWorld({
        inputs: { allowlist: `${REPO}\n${WEB}`, "max-in-flight": 1 },
        issues: [readyIssue(1)],
        repos: [{ repo: WEB, collaborators: { bob: "write" }, issues: [inFlightIssue(1, { agent: "run-forever" })] }],
      }),
    );
    const skip = skipOf(await loop.poll(), 1);
    expect(skip).toMatchObject({ code: "max-in-flight", reason: "1 runs in flight (max-in-flight 1)" });
  });
});

describe("claim, dispatch, record", () => {
  it("a dispatch leaves one progress comment recording the thread, and the in-progress label", async () => {
    const loop = await startLoop(tickWorld({ issues: [readyIssue(1)] }));
    const report = await loop.poll();
    expect(report.failures).toEqual([]);
    expect(loop.progressComments(1)).toHaveLength(1);
    expect(loop.record(1)).toMatchObject({ phase: "dispatched", attempt: 1, threadId: loop.thread(1)?.id });
    expect(loop.labels(1)).toEqual(expect.arrayContaining([LABELS.ready, LABELS.inProgress]));
  });

  it("the agent gets one thread with one prompt carrying the issue text", async () => {
    const loop = await startLoop(tickWorld({ issues: [readyIssue(1, { body: "Add a /healthz endpoint." })] }));
    await loop.poll();
    expect(loop.threadsFor(1)).toHaveLength(1);
    expect(loop.userMessages(1)).toHaveLength(1);
    expect(loop.userMessages(1)[0]).toContain("Add a /healthz endpoint.");
  });

  // A refusal (T3's 500 is a business-rule rejection, docs/design.md §8): nothing started, so nothing needs the lock.
  describe("when T3 refuses the thread", () => {
    const refuse = { kind: "status", status: 500, route: "dispatch", commandType: "thread.create", times: 1 } as const;

    it("the claim is released in the same tick: lock off, record released, ready label kept", async () => {
      const loop = await startLoop(tickWorld({ issues: [readyIssue(1)] }));
      loop.sandbox.t3.addFault(refuse);
      const report = await loop.poll();
      expect(report.failures).toMatchObject([{ repo: REPO, issue: 1, stage: "dispatch" }]);
      expect(loop.record(1)?.phase).toBe("released");
      expect(loop.labels(1)).toEqual([LABELS.ready]);
    });

    it("the next tick dispatches the same attempt on the same progress comment", async () => {
      const loop = await startLoop(tickWorld({ issues: [readyIssue(1)] }));
      loop.sandbox.t3.addFault(refuse);
      await loop.poll();
      loop.advance();
      const report = await loop.poll();
      expect(report.dispatched.map((d) => d.attempt)).toEqual([1]);
      expect(loop.record(1)).toMatchObject({ phase: "dispatched", attempt: 1 });
      expect(loop.progressComments(1)).toHaveLength(1);
    });
  });
});
