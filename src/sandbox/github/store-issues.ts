// The GitHub emulator's issues: create, label, edit, close and reopen,
// comments, blocked-by links, transfers and deletions, each with the timeline
// events GitHub records. One layer of the store (see store-base.ts).

import type { Instant, IssueRef, IssueComment, Issue } from "./model.js";
import { StoreBase, iso, key, nodeId, StoreError } from "./store-base.js";

export abstract class IssueStore extends StoreBase {
  // --- issues ----------------------------------------------------------------

  createIssue(
    fullName: string,
    spec: { author: string; title: string; body?: string; labels?: string[]; at?: Date; number?: number },
  ): Issue {
    const repo = this.mustRepo(fullName);
    this.ensureUser(spec.author);
    const number = spec.number ?? repo.nextIssueNumber;
    if (repo.issues.has(number) || repo.goneIssues.has(number) || repo.pullRequests.some((p) => p.number === number)) {
      throw new StoreError("invalid", `${fullName}#${number} already exists`);
    }
    repo.nextIssueNumber = Math.max(repo.nextIssueNumber, number + 1);
    const id = this.id();
    const at = iso(spec.at ?? this.now());
    const issue: Issue = {
      id,
      nodeId: nodeId("Issue", id),
      number,
      title: spec.title,
      body: spec.body ?? "",
      state: "open",
      stateReason: null,
      author: spec.author,
      labels: [],
      createdAt: at,
      updatedAt: at,
      closedAt: null,
      closedBy: null,
      lastEditedAt: null,
      editor: null,
      contentEdits: [],
      comments: [],
      events: [],
      blockedBy: [],
    };
    repo.issues.set(number, issue);
    for (const label of spec.labels ?? []) this.labelIssue(repo, issue, label, spec.author, at);
    return issue;
  }

  applyLabel(fullName: string, number: number, label: string, by: string, at?: Date): Issue {
    const repo = this.mustRepo(fullName);
    const issue = this.mustIssue(fullName, number);
    this.ensureUser(by);
    this.labelIssue(repo, issue, label, by, iso(at ?? this.now()));
    return issue;
  }

  /** Throws not-found when the issue does not carry the label (GitHub answers 404). */
  removeLabel(fullName: string, number: number, label: string, by: string, at?: Date): Issue {
    const issue = this.mustIssue(fullName, number);
    const index = issue.labels.findIndex((l) => key(l) === key(label));
    const name = issue.labels[index];
    if (name === undefined) throw new StoreError("not-found", `Label does not exist`);
    this.ensureUser(by);
    issue.labels.splice(index, 1);
    this.event(issue, { event: "unlabeled", actor: by, createdAt: iso(at ?? this.now()), label: name });
    return issue;
  }

  /** Edits title and/or body; either change marks the issue edited by `by`. */
  editIssue(fullName: string, number: number, patch: { title?: string; body?: string }, by: string, at?: Date): Issue {
    const issue = this.mustIssue(fullName, number);
    this.ensureUser(by);
    const when = iso(at ?? this.now());
    const title = patch.title ?? issue.title;
    const body = patch.body ?? issue.body;
    if (title === issue.title && body === issue.body) return issue;
    if (title !== issue.title)
      this.event(issue, { event: "renamed", actor: by, createdAt: when, from: issue.title, to: title });
    if (body !== issue.body) {
      if (issue.contentEdits.length === 0) issue.contentEdits.unshift(this.contentEdit(issue.createdAt, issue.author));
      issue.contentEdits.unshift(this.contentEdit(when, by));
    }
    issue.title = title;
    issue.body = body;
    issue.lastEditedAt = when;
    issue.editor = by;
    issue.updatedAt = when;
    return issue;
  }

  private contentEdit(editedAt: Instant, editor: string): Issue["contentEdits"][number] {
    const id = this.id();
    return { id, nodeId: nodeId("UserContentEdit", id), editedAt, editor };
  }

  closeIssue(
    fullName: string,
    number: number,
    by: string,
    stateReason: "completed" | "not_planned" | "duplicate" = "completed",
    at?: Date,
  ): Issue {
    const issue = this.mustIssue(fullName, number);
    this.ensureUser(by);
    if (issue.state === "closed") {
      issue.stateReason = stateReason;
      return issue;
    }
    this.close(issue, by, iso(at ?? this.now()), stateReason, null);
    return issue;
  }

  reopenIssue(fullName: string, number: number, by: string, at?: Date): Issue {
    const issue = this.mustIssue(fullName, number);
    if (issue.state === "open") return issue;
    this.ensureUser(by);
    const when = iso(at ?? this.now());
    issue.state = "open";
    issue.stateReason = "reopened";
    issue.closedAt = null;
    issue.closedBy = null;
    this.event(issue, { event: "reopened", actor: by, createdAt: when });
    return issue;
  }

  addComment(fullName: string, number: number, body: string, by: string, at?: Date): IssueComment {
    const issue = this.mustIssue(fullName, number);
    this.ensureUser(by);
    const id = this.id();
    const when = iso(at ?? this.now());
    const comment: IssueComment = {
      id,
      nodeId: nodeId("IssueComment", id),
      author: by,
      body,
      createdAt: when,
      updatedAt: when,
      lastEditedAt: null,
      editor: null,
    };
    issue.comments.push(comment);
    issue.updatedAt = when;
    return comment;
  }

  /** Finds a comment by id anywhere in the repo, as GitHub's comment routes do. */
  findComment(fullName: string, commentId: number): { issue: Issue; comment: IssueComment } | undefined {
    for (const issue of this.mustRepo(fullName).issues.values()) {
      const comment = issue.comments.find((c) => c.id === commentId);
      if (comment) return { issue, comment };
    }
    return undefined;
  }

  updateComment(fullName: string, commentId: number, body: string, by: string, at?: Date): IssueComment {
    const found = this.findComment(fullName, commentId);
    if (!found) throw new StoreError("not-found", `no comment ${commentId} in ${fullName}`);
    const when = iso(at ?? this.now());
    if (found.comment.body !== body) {
      found.comment.body = body;
      found.comment.lastEditedAt = when;
      found.comment.editor = by;
    }
    found.comment.updatedAt = when;
    found.issue.updatedAt = when;
    return found.comment;
  }

  addBlockedBy(fullName: string, number: number, blocker: IssueRef): void {
    const issue = this.mustIssue(fullName, number);
    if (issue.blockedBy.some((b) => key(b.repo) === key(blocker.repo) && b.number === blocker.number)) return;
    issue.blockedBy.push({ ...blocker });
    const index = key(`${blocker.repo}#${blocker.number}`);
    this.blockingIndex.set(index, [
      ...(this.blockingIndex.get(index) ?? []),
      { repo: this.mustRepo(fullName).fullName, number },
    ]);
  }

  /** The issues that name this one in their native "blocked by" dependencies. */
  blocking(fullName: string, number: number): IssueRef[] {
    return this.blockingIndex.get(key(`${fullName}#${number}`)) ?? [];
  }

  /** Moves the issue to `toRepo` under a new number; the old number answers 301 from then on. */
  transferIssue(fullName: string, number: number, toRepo: string): Issue {
    const from = this.mustRepo(fullName);
    const to = this.mustRepo(toRepo);
    const issue = this.mustIssue(fullName, number);
    from.issues.delete(number);
    const moved: Issue = { ...issue, number: to.nextIssueNumber++ };
    to.issues.set(moved.number, moved);
    from.goneIssues.set(number, { gone: "transferred", to: { repo: to.fullName, number: moved.number } });
    return moved;
  }

  /** The number answers 410 "This issue was deleted" from then on. */
  deleteIssue(fullName: string, number: number): void {
    const repo = this.mustRepo(fullName);
    this.mustIssue(fullName, number);
    repo.issues.delete(number);
    repo.goneIssues.set(number, { gone: "deleted" });
  }
}
