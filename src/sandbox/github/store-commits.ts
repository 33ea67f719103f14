// The GitHub emulator's commits, branches and pull requests: a pushed commit
// references (and on the default branch, closes) the issues its message
// names, as GitHub does; a merged pull request closes the issues its
// description names with a keyword, and may delete its head branch; reviews
// carry their inline comments. One layer of the store (see store-base.ts).

import { parseCommitRefs } from "./commit-refs.js";
import type { Commit, PullRequest, PullRequestReview } from "./model.js";
import { iso, nodeId, StoreError } from "./store-base.js";
import { IssueStore } from "./store-issues.js";

export abstract class CommitStore extends IssueStore {
  // --- commits ---------------------------------------------------------------

  /**
   * A commit on `branch` (default: the default branch). Every issue its message
   * names gets a `referenced` event; on the default branch a closing keyword
   * also closes the issue, as GitHub does.
   */
  pushCommit(
    fullName: string,
    message: string,
    author: string,
    options: { branch?: string; at?: Date; parents?: string[] } = {},
  ): Commit {
    const repo = this.mustRepo(fullName);
    this.ensureUser(author);
    const branch = options.branch ?? repo.defaultBranch;
    const at = iso(options.at ?? this.now());
    const commit = this.commitOn(repo, branch, message, author, at, options.parents);
    for (const ref of parseCommitRefs(message)) {
      const target = this.lookupIssue(ref.repo ?? fullName, ref.number);
      if (!("issue" in target)) continue;
      this.event(target.issue, {
        event: "referenced",
        actor: author,
        createdAt: at,
        commitId: commit.sha,
        commitRepo: repo.fullName,
      });
      if (ref.closes && branch === repo.defaultBranch && target.issue.state === "open") {
        this.close(target.issue, author, at, "completed", { sha: commit.sha, repo: repo.fullName });
      }
    }
    return commit;
  }

  createBranch(fullName: string, branch: string, fromSha: string): void {
    const repo = this.mustRepo(fullName);
    if (!repo.commits.has(fromSha)) throw new StoreError("not-found", `no commit ${fromSha} in ${fullName}`);
    repo.branches.set(branch, fromSha);
  }

  /**
   * Open a pull request from `headBranch` of `headRepo` (default: this
   * repository; another one is a fork) into the default branch. The head
   * branch must exist there; it takes the next issue number.
   */
  openPullRequest(
    fullName: string,
    spec: { author: string; title: string; body?: string; headBranch: string; headRepo?: string; at?: Date },
  ): PullRequest {
    const repo = this.mustRepo(fullName);
    const headRepo = this.mustRepo(spec.headRepo ?? fullName);
    if (!headRepo.branches.has(spec.headBranch)) {
      throw new StoreError("invalid", `no branch ${spec.headBranch} in ${headRepo.fullName}`);
    }
    this.ensureUser(spec.author);
    const id = this.id();
    const at = iso(spec.at ?? this.now());
    const pull: PullRequest = {
      id,
      nodeId: nodeId("PullRequest", id),
      number: repo.nextIssueNumber++,
      title: spec.title,
      body: spec.body ?? "",
      author: spec.author,
      state: "open",
      headRepo: headRepo.fullName,
      headBranch: spec.headBranch,
      baseBranch: repo.defaultBranch,
      createdAt: at,
      updatedAt: at,
      closedHeadSha: null,
      mergedAt: null,
      closedAt: null,
      reviews: [],
    };
    repo.pullRequests.push(pull);
    return pull;
  }

  /**
   * Close a pull request without merging it, or (`merged`) as merged, keeping its head commit (GitHub's
   * `headRefOid`). The head branch is left as it is; `mergePullRequest` is the merge as GitHub does it.
   */
  closePullRequest(fullName: string, number: number, how: "closed" | "merged" = "closed"): void {
    const pull = this.mustPull(fullName, number);
    if (pull.state !== "open") throw new StoreError("invalid", `pull request ${fullName}#${number} is ${pull.state}`);
    const at = iso(this.now());
    pull.closedHeadSha = this.repo(pull.headRepo)?.branches.get(pull.headBranch) ?? null;
    pull.state = how;
    pull.closedAt = at;
    pull.mergedAt = how === "merged" ? at : null;
    pull.updatedAt = at;
  }

  /**
   * Merge a pull request as GitHub does: the issues its description closes with a keyword
   * (`Closes #N`, this repository) are closed as completed, and with `deleteBranch` (the
   * repository's "automatically delete head branches", or an auto-merge) its head branch is gone.
   */
  mergePullRequest(fullName: string, number: number, options: { by: string; deleteBranch?: boolean }): void {
    const pull = this.mustPull(fullName, number);
    this.closePullRequest(fullName, number, "merged");
    const at = iso(this.now());
    for (const ref of parseCommitRefs(pull.body)) {
      if (!ref.closes || (ref.repo !== null && ref.repo.toLowerCase() !== fullName.toLowerCase())) continue;
      const issue = this.mustRepo(fullName).issues.get(ref.number);
      if (issue?.state === "open") this.close(issue, options.by, at, "completed", null);
    }
    if (options.deleteBranch) this.repo(pull.headRepo)?.branches.delete(pull.headBranch);
  }

  /** A submitted review, with its inline comments (file, line, text). */
  addReview(
    fullName: string,
    number: number,
    spec: {
      author: string;
      state: PullRequestReview["state"];
      body?: string;
      comments?: { path: string; line: number | null; body: string }[];
    },
  ): PullRequestReview {
    const pull = this.mustPull(fullName, number);
    this.ensureUser(spec.author);
    const id = this.id();
    const review: PullRequestReview = {
      id,
      nodeId: nodeId("PullRequestReview", id),
      author: spec.author,
      state: spec.state,
      body: spec.body ?? "",
      submittedAt: iso(this.now()),
      comments: (spec.comments ?? []).map((c) => {
        const commentId = this.id();
        return { ...c, id: commentId, nodeId: nodeId("PullRequestReviewComment", commentId) };
      }),
    };
    pull.reviews.push(review);
    pull.updatedAt = review.submittedAt;
    return review;
  }

  private mustPull(fullName: string, number: number): PullRequest {
    const pull = this.mustRepo(fullName).pullRequests.find((p) => p.number === number);
    if (!pull) throw new StoreError("not-found", `no pull request ${fullName}#${number}`);
    return pull;
  }
}
