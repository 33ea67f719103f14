import { describe, expect, it } from "vitest";
import {
  candidateShas,
  deliveredPullRequest,
  isAgentCommit,
  isOwnParent,
  notTheAgents,
  pickProgressComment,
  pushedCommit,
  type CommitReference,
  type PullRequestCandidate,
} from "../../src/core/evidence.js";

const comment = (id: number, login: string | null, createdAt = "2026-01-01T00:00:00Z") => ({
  id,
  author: login === null ? null : { login },
  body: `<!-- afk-loop:run v1 x --> ${id}`,
  createdAt,
});

describe("the progress comment", () => {
  it("counts only a comment written by the loop's own identity", () => {
    const choice = pickProgressComment(
      [comment(1, "mallory"), comment(2, "github-actions[bot]")],
      "github-actions[bot]",
    );
    expect(choice.own?.id).toBe(2);
    expect(choice.foreign.map((c) => c.id)).toEqual([1]);
  });

  it("compares the identity case-insensitively, as GitHub logins are", () => {
    expect(pickProgressComment([comment(1, "AFK-Bot[bot]")], "afk-bot[bot]").own?.id).toBe(1);
  });

  it("a spoofed comment alone leaves no record", () => {
    const choice = pickProgressComment([comment(1, "mallory"), comment(2, null)], "github-actions[bot]");
    expect(choice.own).toBeNull();
    expect(choice.foreign).toHaveLength(2);
  });

  it("when the loop's identity wrote two, the earliest is the record", () => {
    const choice = pickProgressComment(
      [comment(9, "bot", "2026-01-02T00:00:00Z"), comment(4, "bot", "2026-01-01T00:00:00Z")],
      "bot",
    );
    expect(choice.own?.id).toBe(4);
  });
});

const ref = (sha: string, at: string, repo: string | null = "acme/api"): CommitReference => ({ sha, at, repo });
const since = "2026-01-01T10:00:00Z";
const RUN_ID = "afk-acme-api-1-a1";

describe("the agent's commit", () => {
  it("carries the run's trailer on a line of its own", () => {
    expect(isAgentCommit(`Fix it\n\nRefs #1\nAFK-Run: ${RUN_ID}`, RUN_ID)).toBe(true);
    expect(isAgentCommit(`Fix it\r\n\r\nafk-run:   ${RUN_ID}  `, RUN_ID)).toBe(true);
  });

  it("not a message without it, with another run's id, or naming it only in passing", () => {
    expect(isAgentCommit("docs: typo, see #1", RUN_ID)).toBe(false);
    expect(isAgentCommit(`Fix\n\nAFK-Run: ${RUN_ID}-2`, RUN_ID)).toBe(false);
    expect(isAgentCommit(`Revert "AFK-Run: ${RUN_ID}"`, RUN_ID)).toBe(false);
    expect(isAgentCommit(null, RUN_ID)).toBe(false);
  });
});

describe("the run's own parent (a red parent that is a fix that did not fix)", () => {
  const run = { pushedSha: "a".repeat(40), runId: RUN_ID };

  it("the commit the run recorded pushing, or one carrying its trailer", () => {
    expect(isOwnParent({ sha: "a".repeat(40), message: "someone's words" }, run)).toBe(true);
    expect(isOwnParent({ sha: "b".repeat(40), message: `Fix\n\nAFK-Run: ${RUN_ID}` }, run)).toBe(true);
  });

  it("not someone else's commit, an unknown message, another run's trailer, or no parent", () => {
    expect(isOwnParent({ sha: "b".repeat(40), message: "main moved on" }, run)).toBe(false);
    expect(isOwnParent({ sha: "b".repeat(40), message: null }, run)).toBe(false);
    expect(isOwnParent({ sha: "b".repeat(40), message: `AFK-Run: ${RUN_ID}-2` }, run)).toBe(false);
    expect(isOwnParent({ sha: "b".repeat(40), message: "x" }, { ...run, pushedSha: null })).toBe(false);
    expect(isOwnParent(null, run)).toBe(false);
  });
});

describe("the pushed commit", () => {
  const everywhere = () => true;

  it("ignores commits referenced before the dispatch", () => {
    expect(
      pushedCommit([ref("a", "2026-01-01T09:59:59Z")], {
        repo: "acme/api",
        since,
        onDefaultBranch: everywhere,
        isAgents: everywhere,
      }),
    ).toBeNull();
  });

  it("ignores a commit exactly at the dispatch instant", () => {
    expect(
      pushedCommit([ref("a", since)], { repo: "acme/api", since, onDefaultBranch: everywhere, isAgents: everywhere }),
    ).toBeNull();
  });

  it("ignores commits not reachable from the default branch", () => {
    const onBranch = (sha: string) => sha === "b";
    expect(
      pushedCommit([ref("a", "2026-01-01T11:00:00Z"), ref("b", "2026-01-01T10:30:00Z")], {
        repo: "acme/api",
        since,
        onDefaultBranch: onBranch,
        isAgents: everywhere,
      })?.sha,
    ).toBe("b");
  });

  it("ignores commits in another repository that mention the issue", () => {
    expect(
      pushedCommit([ref("a", "2026-01-01T11:00:00Z", "fork/api")], {
        repo: "acme/api",
        since,
        onDefaultBranch: everywhere,
        isAgents: everywhere,
      }),
    ).toBeNull();
  });

  it("takes the newest qualifying commit after fix-forwards", () => {
    const refs = [
      ref("first", "2026-01-01T10:10:00Z"),
      ref("fix", "2026-01-01T10:40:00Z"),
      ref("mid", "2026-01-01T10:20:00Z"),
    ];
    expect(
      pushedCommit(refs, { repo: "acme/api", since, onDefaultBranch: everywhere, isAgents: everywhere })?.sha,
    ).toBe("fix");
  });

  it("ignores a commit that mentions the issue but is not the agent's, however new and green", () => {
    const agents = (sha: string) => sha === "agent";
    const refs = [ref("agent", "2026-01-01T10:10:00Z"), ref("stray", "2026-01-01T10:40:00Z")];
    const options = { repo: "acme/api", since, onDefaultBranch: everywhere, isAgents: agents };
    expect(pushedCommit(refs, options)?.sha).toBe("agent");
    expect(pushedCommit([ref("stray", "2026-01-01T10:40:00Z")], options)).toBeNull();
  });

  it("lists the other same-repo commits since the dispatch as not the agent's, oldest first, once each", () => {
    const refs = [
      ref("late", "2026-01-01T10:50:00Z"),
      ref("agent", "2026-01-01T10:10:00Z"),
      ref("early", "2026-01-01T10:20:00Z"),
      ref("early", "2026-01-01T10:30:00Z"),
      ref("before", "2026-01-01T09:00:00Z"),
      ref("fork", "2026-01-01T10:30:00Z", "fork/api"),
    ];
    expect(notTheAgents(refs, { repo: "acme/api", since, isAgents: (sha) => sha === "agent" })).toEqual([
      "early",
      "late",
    ]);
  });

  it("candidate shas are the newest distinct same-repo references after dispatch, capped", () => {
    const refs = [
      ref("old", "2026-01-01T09:00:00Z"),
      ref("a", "2026-01-01T10:10:00Z"),
      ref("b", "2026-01-01T10:20:00Z"),
      ref("b", "2026-01-01T10:25:00Z"),
      ref("c", "2026-01-01T10:30:00Z", "other/repo"),
      ref("d", "2026-01-01T10:40:00Z"),
    ];
    expect(candidateShas(refs, { repo: "ACME/api", since, limit: 2 })).toEqual(["d", "b"]);
  });
});

describe("the pull request a run delivered through", () => {
  const pull = (number: number, over: Partial<PullRequestCandidate> = {}): PullRequestCandidate => ({
    number,
    crossRepository: false,
    head: { sha: `head${number}`, committedAt: "2026-01-01T10:05:00Z", message: `Fix\n\nRefs #1\nAFK-Run: ${RUN_ID}` },
    ...over,
  });

  it("is the pull request from the run's branch in the issue's own repository", () => {
    expect(deliveredPullRequest([pull(7)], { since, runId: RUN_ID })?.head.sha).toBe("head7");
  });

  it("never one from a fork: anyone can name a branch after the run", () => {
    expect(deliveredPullRequest([pull(7, { crossRepository: true })], { since, runId: RUN_ID })).toBeNull();
    expect(deliveredPullRequest([pull(8, { crossRepository: true }), pull(7)], { since, runId: RUN_ID })?.number).toBe(
      7,
    );
  });

  it("not one whose head predates the dispatch: nothing new was pushed to it", () => {
    const head = (committedAt: string | null) => ({
      head: { sha: "head7", committedAt, message: `AFK-Run: ${RUN_ID}` },
    });
    expect(deliveredPullRequest([pull(7, head("2026-01-01T09:59:00Z"))], { since, runId: RUN_ID })).toBeNull();
    expect(deliveredPullRequest([pull(7, head(since))], { since, runId: RUN_ID })).toBeNull();
    expect(deliveredPullRequest([pull(7, head(null))], { since, runId: RUN_ID })).toBeNull();
  });

  it("not one whose head branch is gone", () => {
    expect(deliveredPullRequest([pull(7, { head: null })], { since, runId: RUN_ID })).toBeNull();
  });

  it("the newest when several qualify, whatever order GitHub listed them in", () => {
    expect(deliveredPullRequest([pull(7), pull(12), pull(9)], { since, runId: RUN_ID })?.number).toBe(12);
  });

  it("none when there is none", () => {
    expect(deliveredPullRequest([], { since, runId: RUN_ID })).toBeNull();
  });

  it("not one whose head is someone else's commit on the run's branch (no run trailer, or another run's)", () => {
    const headBy = (message: string | null) => ({
      head: { sha: "head7", committedAt: "2026-01-01T10:05:00Z", message },
    });
    expect(deliveredPullRequest([pull(7, headBy("Merge main into the branch"))], { since, runId: RUN_ID })).toBeNull();
    expect(deliveredPullRequest([pull(7, headBy("AFK-Run: afk-other-run"))], { since, runId: RUN_ID })).toBeNull();
    expect(deliveredPullRequest([pull(7, headBy(null))], { since, runId: RUN_ID })).toBeNull();
  });
});
