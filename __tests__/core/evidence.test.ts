import { describe, expect, it } from "vitest";
import {
  candidateShas,
  deliveredPullRequest,
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

describe("the pushed commit", () => {
  const everywhere = () => true;

  it("ignores commits referenced before the dispatch", () => {
    expect(
      pushedCommit([ref("a", "2026-01-01T09:59:59Z")], { repo: "acme/api", since, onDefaultBranch: everywhere }),
    ).toBeNull();
  });

  it("ignores a commit exactly at the dispatch instant", () => {
    expect(pushedCommit([ref("a", since)], { repo: "acme/api", since, onDefaultBranch: everywhere })).toBeNull();
  });

  it("ignores commits not reachable from the default branch", () => {
    const onBranch = (sha: string) => sha === "b";
    expect(
      pushedCommit([ref("a", "2026-01-01T11:00:00Z"), ref("b", "2026-01-01T10:30:00Z")], {
        repo: "acme/api",
        since,
        onDefaultBranch: onBranch,
      })?.sha,
    ).toBe("b");
  });

  it("ignores commits in another repository that mention the issue", () => {
    expect(
      pushedCommit([ref("a", "2026-01-01T11:00:00Z", "fork/api")], {
        repo: "acme/api",
        since,
        onDefaultBranch: everywhere,
      }),
    ).toBeNull();
  });

  it("takes the newest qualifying commit after fix-forwards", () => {
    const refs = [
      ref("first", "2026-01-01T10:10:00Z"),
      ref("fix", "2026-01-01T10:40:00Z"),
      ref("mid", "2026-01-01T10:20:00Z"),
    ];
    expect(pushedCommit(refs, { repo: "acme/api", since, onDefaultBranch: everywhere })?.sha).toBe("fix");
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
    head: { sha: `head${number}`, committedAt: "2026-01-01T10:05:00Z" },
    ...over,
  });

  it("is the pull request from the run's branch in the issue's own repository", () => {
    expect(deliveredPullRequest([pull(7)], { since })?.head.sha).toBe("head7");
  });

  it("never one from a fork: anyone can name a branch after the run", () => {
    expect(deliveredPullRequest([pull(7, { crossRepository: true })], { since })).toBeNull();
    expect(deliveredPullRequest([pull(8, { crossRepository: true }), pull(7)], { since })?.number).toBe(7);
  });

  it("not one whose head predates the dispatch: nothing new was pushed to it", () => {
    const head = (committedAt: string | null) => ({ head: { sha: "head7", committedAt } });
    expect(deliveredPullRequest([pull(7, head("2026-01-01T09:59:00Z"))], { since })).toBeNull();
    expect(deliveredPullRequest([pull(7, head(since))], { since })).toBeNull();
    expect(deliveredPullRequest([pull(7, head(null))], { since })).toBeNull();
  });

  it("not one whose head branch is gone", () => {
    expect(deliveredPullRequest([pull(7, { head: null })], { since })).toBeNull();
  });

  it("the newest when several qualify, whatever order GitHub listed them in", () => {
    expect(deliveredPullRequest([pull(7), pull(12), pull(9)], { since })?.number).toBe(12);
  });

  it("none when there is none", () => {
    expect(deliveredPullRequest([], { since })).toBeNull();
  });
});
