// The emulator's data model: the shapes of everything the store holds, named
// after GitHub's own fields. Types only: no behaviour, no defaults.

export type Instant = string;
export type Role = "none" | "read" | "triage" | "write" | "maintain" | "admin";
export type AccountType = "User" | "Bot" | "Organization";

export interface User {
  login: string;
  id: number;
  nodeId: string;
  type: AccountType;
}

/** What a token acts as, and which repos (`owner/name`) it can reach. */
export interface TokenGrant {
  login: string;
  reach: "all" | string[];
  /** Hourly primary limits; the server's defaults when absent. */
  limits?: { core?: number; graphql?: number };
  /** Reads only: every write answers 403 "Resource not accessible by integration". */
  readOnly?: boolean;
}

export interface Commit {
  sha: string;
  message: string;
  author: string;
  parents: string[];
  date: Instant;
}

export interface Label {
  id: number;
  nodeId: string;
  name: string;
  color: string;
  description: string | null;
}

export interface IssueRef {
  repo: string;
  number: number;
}

export interface IssueComment {
  id: number;
  nodeId: string;
  author: string;
  body: string;
  createdAt: Instant;
  updatedAt: Instant;
  lastEditedAt: Instant | null;
  editor: string | null;
}

interface EventBase {
  id: number;
  nodeId: string;
  actor: string;
  createdAt: Instant;
}
export type IssueEvent =
  | (EventBase & { event: "labeled" | "unlabeled"; label: string })
  | (EventBase & { event: "referenced"; commitId: string; commitRepo: string })
  | (EventBase & { event: "closed"; stateReason: StateReason; commitId: string | null; commitRepo: string | null })
  | (EventBase & { event: "reopened" })
  | (EventBase & { event: "renamed"; from: string; to: string });

type StateReason = "completed" | "not_planned" | "reopened" | "duplicate";

export interface Issue {
  id: number;
  nodeId: string;
  number: number;
  title: string;
  body: string;
  state: "open" | "closed";
  stateReason: StateReason | null;
  author: string;
  /** Label names, in the order they were applied. */
  labels: string[];
  createdAt: Instant;
  updatedAt: Instant;
  closedAt: Instant | null;
  closedBy: string | null;
  lastEditedAt: Instant | null;
  editor: string | null;
  /**
   * The body's edit history (`userContentEdits`), newest first. Empty until the body is first
   * edited; GitHub then keeps the original text as an entry of its own, by the author at creation.
   */
  contentEdits: { id: number; nodeId: string; editedAt: Instant; editor: string | null }[];
  comments: IssueComment[];
  events: IssueEvent[];
  /** GitHub's native "blocked by" issue dependencies. */
  blockedBy: IssueRef[];
}

/**
 * A pull request. It shares the issue numbers of its repository, as on GitHub;
 * its head is a branch of `headRepo` (the base repository itself, or a fork).
 */
export interface PullRequest {
  id: number;
  nodeId: string;
  number: number;
  title: string;
  body: string;
  author: string;
  state: "open" | "closed" | "merged";
  headRepo: string;
  headBranch: string;
  baseBranch: string;
  createdAt: Instant;
  updatedAt: Instant;
  /** The head commit when the pull request was merged or closed (GitHub keeps it as `headRefOid`); null while open. */
  closedHeadSha: string | null;
  mergedAt: Instant | null;
  closedAt: Instant | null;
  /** Submitted reviews, oldest first. */
  reviews: PullRequestReview[];
}

/** A submitted review: its state, summary and inline comments, as the reviews tab shows them. */
export interface PullRequestReview {
  id: number;
  nodeId: string;
  author: string;
  state: "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "DISMISSED";
  body: string;
  submittedAt: Instant;
  comments: { id: number; nodeId: string; path: string; line: number | null; body: string }[];
}

/** An issue number that no longer answers: deleted (410) or transferred (301 to its new home). */
type GoneIssue = { gone: "deleted" } | { gone: "transferred"; to: IssueRef };

export interface App {
  id: number;
  slug: string;
  name: string;
}

export type CheckStatus = "queued" | "in_progress" | "completed" | "waiting" | "requested" | "pending";
export type CheckConclusion =
  "success" | "failure" | "neutral" | "cancelled" | "skipped" | "timed_out" | "action_required" | "stale";

export interface CheckRun {
  id: number;
  nodeId: string;
  headSha: string;
  name: string;
  status: CheckStatus;
  conclusion: CheckConclusion | null;
  startedAt: Instant;
  completedAt: Instant | null;
  detailsUrl: string | null;
  externalId: string;
  app: App;
  checkSuiteId: number;
  /** The Actions run that produced it, when it came from a workflow job. */
  workflowRunId: number | null;
}

export type CommitState = "error" | "failure" | "pending" | "success";
export interface CommitStatus {
  id: number;
  nodeId: string;
  sha: string;
  state: CommitState;
  context: string;
  description: string | null;
  targetUrl: string | null;
  creator: string;
  createdAt: Instant;
  updatedAt: Instant;
}

export type DeploymentState = "error" | "failure" | "inactive" | "in_progress" | "queued" | "pending" | "success";
export interface DeploymentStatus {
  id: number;
  nodeId: string;
  state: DeploymentState;
  description: string;
  environment: string;
  environmentUrl: string;
  logUrl: string;
  targetUrl: string;
  creator: string;
  createdAt: Instant;
  updatedAt: Instant;
}
export interface Deployment {
  id: number;
  nodeId: string;
  sha: string;
  ref: string;
  task: string;
  environment: string;
  description: string | null;
  creator: string;
  createdAt: Instant;
  updatedAt: Instant;
  /** Newest last. */
  statuses: DeploymentStatus[];
}

export interface Workflow {
  id: number;
  nodeId: string;
  name: string;
  /** `.github/workflows/<file>`; dispatch accepts the id or the file name. */
  path: string;
  /** The workflow file's `run-name` template, if any (`${{ inputs.x }}` is expanded on dispatch). */
  runName: string | null;
  createdAt: Instant;
}

export type RunStatus = "queued" | "in_progress" | "completed" | "waiting" | "requested" | "pending";
export type RunConclusion =
  | "success"
  | "failure"
  | "neutral"
  | "cancelled"
  | "skipped"
  | "timed_out"
  | "action_required"
  | "stale"
  | "startup_failure";

export interface WorkflowRun {
  id: number;
  nodeId: string;
  workflowId: number;
  name: string;
  /** The rendered `run-name` (GitHub's `display_title`). */
  displayTitle: string;
  event: string;
  status: RunStatus;
  conclusion: RunConclusion | null;
  headSha: string;
  headBranch: string;
  runNumber: number;
  runAttempt: number;
  actor: string;
  createdAt: Instant;
  updatedAt: Instant;
  runStartedAt: Instant;
  inputs: Record<string, string>;
  checkSuiteId: number;
}

export interface Repo {
  id: number;
  nodeId: string;
  owner: string;
  name: string;
  fullName: string;
  private: boolean;
  defaultBranch: string;
  createdAt: Instant;
  /** Lower-cased login -> role. The owner is implicitly admin. */
  collaborators: Map<string, Role>;
  branches: Map<string, string>;
  commits: Map<string, Commit>;
  /** Lower-cased name -> label. */
  labels: Map<string, Label>;
  issues: Map<number, Issue>;
  goneIssues: Map<number, GoneIssue>;
  pullRequests: PullRequest[];
  nextIssueNumber: number;
  checkRuns: CheckRun[];
  statuses: CommitStatus[];
  deployments: Deployment[];
  workflows: Workflow[];
  workflowRuns: WorkflowRun[];
}

export type IssueLookup = { issue: Issue } | GoneIssue | { missing: true };
