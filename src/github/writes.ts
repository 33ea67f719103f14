// The loop's writes to issues: labels, the single progress comment, closing.
// Sequential by construction (each call awaits), as GitHub asks of writes.
// Owns which writes may be retried: label and comment edits and closing are
// idempotent; creating a comment is not, so it is tried exactly once.
// A dry run gets the same interface and records what it would have done; the
// production writer keeps no record of its own (the job summary reads the reports).

import type { IssueRef } from "../core/types.js";
import { NO_RETRY, type GitHubClient } from "./client.js";
import { githubStatus } from "./errors.js";

export interface IssueWriter {
  addLabels(issue: IssueRef, labels: string[]): Promise<void>;
  /** Removing a label the issue does not carry is not an error. */
  removeLabel(issue: IssueRef, label: string): Promise<void>;
  /** Create the progress comment, or edit it in place; no request at all when the text is unchanged. */
  writeProgress(
    issue: IssueRef,
    existing: { id: number; body: string } | null,
    body: string,
  ): Promise<{ id: number; wrote: boolean }>;
  closeAsCompleted(issue: IssueRef): Promise<void>;
}

/** A write a dry run would have made. */
export interface WriteRecord {
  kind: "add-labels" | "remove-label" | "create-comment" | "update-comment" | "close";
  issue: IssueRef;
  detail: string;
}

function split(issue: IssueRef): { owner: string; repo: string; issue_number: number } {
  const [owner = "", repo = ""] = issue.repo.split("/");
  return { owner, repo, issue_number: issue.number };
}

export class GitHubIssueWriter implements IssueWriter {
  constructor(private readonly client: GitHubClient) {}

  async addLabels(issue: IssueRef, labels: string[]): Promise<void> {
    if (labels.length === 0) return;
    await this.client.octokit.rest.issues.addLabels({ ...split(issue), labels });
  }

  async removeLabel(issue: IssueRef, label: string): Promise<void> {
    try {
      await this.client.octokit.rest.issues.removeLabel({ ...split(issue), name: label });
    } catch (error) {
      if (githubStatus(error) !== 404) throw error;
    }
  }

  async writeProgress(
    issue: IssueRef,
    existing: { id: number; body: string } | null,
    body: string,
  ): Promise<{ id: number; wrote: boolean }> {
    if (existing !== null) {
      if (existing.body === body) return { id: existing.id, wrote: false };
      const { owner, repo } = split(issue);
      await this.client.octokit.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body });
      return { id: existing.id, wrote: true };
    }
    // Not idempotent: a retried create after a lost response would post a second progress comment.
    const { data } = await this.client.octokit.rest.issues.createComment({ ...split(issue), body, ...NO_RETRY });
    return { id: data.id, wrote: true };
  }

  async closeAsCompleted(issue: IssueRef): Promise<void> {
    await this.client.octokit.rest.issues.update({ ...split(issue), state: "closed", state_reason: "completed" });
  }
}

/** Performs nothing; remembers every write a real run would have made. */
export class DryRunIssueWriter implements IssueWriter {
  readonly done: WriteRecord[] = [];
  private nextId = -1;

  addLabels(issue: IssueRef, labels: string[]): Promise<void> {
    if (labels.length > 0) this.done.push({ kind: "add-labels", issue, detail: labels.join(", ") });
    return Promise.resolve();
  }

  removeLabel(issue: IssueRef, label: string): Promise<void> {
    this.done.push({ kind: "remove-label", issue, detail: label });
    return Promise.resolve();
  }

  writeProgress(
    issue: IssueRef,
    existing: { id: number; body: string } | null,
    body: string,
  ): Promise<{ id: number; wrote: boolean }> {
    if (existing?.body === body) return Promise.resolve({ id: existing.id, wrote: false });
    const id = existing?.id ?? this.nextId--;
    this.done.push({ kind: existing ? "update-comment" : "create-comment", issue, detail: `comment ${id}` });
    return Promise.resolve({ id, wrote: true });
  }

  closeAsCompleted(issue: IssueRef): Promise<void> {
    this.done.push({ kind: "close", issue, detail: "completed" });
    return Promise.resolve();
  }
}
