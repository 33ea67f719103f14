// The GitHub emulator's commits, branches and pull requests: a pushed commit
// references (and on the default branch, closes) the issues its message
// names, as GitHub does. One layer of the store (see store-base.ts).

import { parseCommitRefs } from "./commit-refs.js";
import type { Commit, PullRequest } from "./model.js";
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
    };
    repo.pullRequests.push(pull);
    return pull;
  }

  /** Close a pull request without merging it, or (`merged`) as merged: the head branch is left as it is. */
  closePullRequest(fullName: string, number: number, how: "closed" | "merged" = "closed"): void {
    const pull = this.mustRepo(fullName).pullRequests.find((p) => p.number === number);
    if (!pull) throw new StoreError("not-found", `no pull request ${fullName}#${number}`);
    pull.state = how;
    pull.updatedAt = iso(this.now());
  }
}
