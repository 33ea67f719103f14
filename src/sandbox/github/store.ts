// The GitHub emulator's state: users, tokens, repos and everything in them, as
// plain in-memory data with a mutation API the scripted world and the HTTP
// routes share. Owns the rules GitHub applies on write (label events, commit
// references, closing keywords, ids, timestamps from the injected clock).
// Never speaks HTTP, never decides who may see what (the server does), and
// never reads the wall clock except through `now`.

import { createHash } from "node:crypto";
import { parseCommitRefs } from "./commit-refs.js";
import type {
  Instant,
  Role,
  AccountType,
  User,
  TokenGrant,
  Commit,
  Label,
  IssueRef,
  IssueComment,
  IssueEvent,
  Issue,
  PullRequest,
  PullRequestReview,
  App,
  CheckStatus,
  CheckConclusion,
  CheckRun,
  CommitState,
  CommitStatus,
  DeploymentState,
  DeploymentStatus,
  Deployment,
  Workflow,
  RunStatus,
  RunConclusion,
  WorkflowRun,
  Repo,
  IssueLookup,
} from "./model.js";

export type * from "./model.js";

export class StoreError extends Error {
  constructor(
    readonly kind: "not-found" | "gone" | "invalid",
    message: string,
  ) {
    super(message);
    this.name = "StoreError";
  }
}

export interface StoreOptions {
  /** The shared (usually virtual) clock. Defaults to the wall clock. */
  now?: () => Date;
}

/** GitHub Actions' own identity (the built-in token), with its real account id. */
const ACTIONS_BOT = "github-actions[bot]";
const ACTIONS_APP: App = { id: 15368, slug: "github-actions", name: "GitHub Actions" };

export function iso(at: Date): Instant {
  // GitHub's REST timestamps carry whole seconds.
  return at.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function nodeId(type: string, id: number): string {
  // GitHub's legacy global ids: base64("<len>:<Type><id>").
  return Buffer.from(`${String(type.length).padStart(2, "0")}:${type}${id}`).toString("base64");
}

const key = (s: string): string => s.toLowerCase();

export type DispatchListener = (repo: Repo, run: WorkflowRun) => void;

export class GitHubStore {
  readonly now: () => Date;
  private nextId = 1000;
  private readonly users = new Map<string, User>();
  private readonly tokens = new Map<string, TokenGrant>();
  private readonly repos = new Map<string, Repo>();
  private readonly dispatchListeners = new Set<DispatchListener>();
  private readonly cancelResistant = new Set<number>();
  /** Reverse of every issue's `blockedBy`: "owner/name#n" (lower-cased) -> the issues it blocks. */
  private readonly blockingIndex = new Map<string, IssueRef[]>();

  constructor(options: StoreOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.users.set(key(ACTIONS_BOT), { login: ACTIONS_BOT, id: 41898282, nodeId: "MDM6Qm90NDE4OTgyODI=", type: "Bot" });
  }

  // --- reads -----------------------------------------------------------------

  user(login: string): User | undefined {
    return this.users.get(key(login));
  }

  /** The account for a login, created on first sight (`…[bot]` logins are bots). */
  ensureUser(login: string, type?: AccountType): User {
    const existing = this.users.get(key(login));
    if (existing) return existing;
    const id = this.id();
    const resolved = type ?? (login.endsWith("[bot]") ? "Bot" : "User");
    const user: User = { login, id, nodeId: nodeId(resolved, id), type: resolved };
    this.users.set(key(login), user);
    return user;
  }

  grant(token: string): TokenGrant | undefined {
    return this.tokens.get(token);
  }

  canReach(grant: TokenGrant, fullName: string): boolean {
    return grant.reach === "all" || grant.reach.some((r) => key(r) === key(fullName));
  }

  /** A live repo; undefined once deleted or never created. */
  repo(fullName: string): Repo | undefined {
    return this.repos.get(key(fullName));
  }

  allRepos(): Repo[] {
    return [...this.repos.values()];
  }

  lookupIssue(fullName: string, number: number): IssueLookup {
    const repo = this.repo(fullName);
    if (!repo) return { missing: true };
    const issue = repo.issues.get(number);
    if (issue) return { issue };
    return repo.goneIssues.get(number) ?? { missing: true };
  }

  roleOf(fullName: string, login: string): Role {
    const repo = this.mustRepo(fullName);
    if (key(repo.owner) === key(login)) return "admin";
    return repo.collaborators.get(key(login)) ?? (repo.private ? "none" : "read");
  }

  /** GitHub's `author_association` of a login on a repo (org membership is not modelled). */
  associationOf(fullName: string, login: string): "OWNER" | "COLLABORATOR" | "CONTRIBUTOR" | "NONE" {
    const repo = this.mustRepo(fullName);
    if (key(repo.owner) === key(login)) return "OWNER";
    const role = repo.collaborators.get(key(login));
    if (role !== undefined && role !== "none") return "COLLABORATOR";
    for (const commit of repo.commits.values()) if (key(commit.author) === key(login)) return "CONTRIBUTOR";
    return "NONE";
  }

  /** Resolve a branch name or a (possibly abbreviated, >= 7 chars) sha. */
  resolveRef(fullName: string, ref: string): Commit | undefined {
    const repo = this.mustRepo(fullName);
    const branchSha = repo.branches.get(ref.replace(/^refs\/heads\//, ""));
    if (branchSha !== undefined) return repo.commits.get(branchSha);
    const exact = repo.commits.get(ref);
    if (exact || ref.length < 7 || !/^[0-9a-f]+$/i.test(ref)) return exact;
    for (const commit of repo.commits.values()) if (commit.sha.startsWith(ref.toLowerCase())) return commit;
    return undefined;
  }

  /** Every commit reachable from `sha`, itself first, then parents breadth-first. */
  history(fullName: string, sha: string): Commit[] {
    const repo = this.mustRepo(fullName);
    const seen = new Set<string>();
    const out: Commit[] = [];
    const queue = [sha];
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const commit = repo.commits.get(next);
      if (!commit || seen.has(next)) continue;
      seen.add(next);
      out.push(commit);
      queue.push(...commit.parents);
    }
    return out;
  }

  onWorkflowDispatch(listener: DispatchListener): () => void {
    this.dispatchListeners.add(listener);
    return () => this.dispatchListeners.delete(listener);
  }

  // --- accounts and tokens ---------------------------------------------------

  addUser(login: string, type: AccountType = login.endsWith("[bot]") ? "Bot" : "User"): User {
    return this.ensureUser(login, type);
  }

  addToken(token: string, grant: TokenGrant): void {
    this.ensureUser(grant.login);
    this.tokens.set(token, { ...grant, reach: grant.reach === "all" ? "all" : [...grant.reach] });
  }

  /** The workflow's `GITHUB_TOKEN`: acts as github-actions[bot], reaches only its own repo, 1,000 requests an hour. */
  addBuiltinToken(token: string, ownRepo: string): void {
    this.addToken(token, { login: ACTIONS_BOT, reach: [ownRepo], limits: { core: 1000, graphql: 1000 } });
  }

  // --- repos -----------------------------------------------------------------

  createRepo(spec: {
    owner: string;
    name: string;
    private?: boolean;
    defaultBranch?: string;
    ownerType?: "User" | "Organization";
    at?: Date;
  }): Repo {
    const fullName = `${spec.owner}/${spec.name}`;
    if (this.repos.has(key(fullName))) throw new StoreError("invalid", `repository ${fullName} already exists`);
    this.ensureUser(spec.owner, spec.ownerType ?? "User");
    const id = this.id();
    const at = iso(spec.at ?? this.now());
    const repo: Repo = {
      id,
      nodeId: nodeId("Repository", id),
      owner: spec.owner,
      name: spec.name,
      fullName,
      private: spec.private ?? false,
      defaultBranch: spec.defaultBranch ?? "main",
      createdAt: at,
      collaborators: new Map(),
      branches: new Map(),
      commits: new Map(),
      labels: new Map(),
      issues: new Map(),
      goneIssues: new Map(),
      pullRequests: [],
      nextIssueNumber: 1,
      checkRuns: [],
      statuses: [],
      deployments: [],
      workflows: [],
      workflowRuns: [],
    };
    this.repos.set(key(fullName), repo);
    this.commitOn(repo, repo.defaultBranch, "Initial commit", spec.owner, at);
    return repo;
  }

  deleteRepo(fullName: string): void {
    this.mustRepo(fullName);
    this.repos.delete(key(fullName));
  }

  addCollaborator(fullName: string, login: string, role: Role): void {
    const repo = this.mustRepo(fullName);
    this.ensureUser(login);
    repo.collaborators.set(key(login), role);
  }

  /** The repo's label, created with a stable colour on first use (adding a missing label creates it, as GitHub does). */
  ensureLabel(fullName: string, name: string, color?: string, description?: string): Label {
    const repo = this.mustRepo(fullName);
    const existing = repo.labels.get(key(name));
    if (existing) return existing;
    const id = this.id();
    const label: Label = {
      id,
      nodeId: nodeId("Label", id),
      name,
      color: color ?? createHash("sha1").update(name).digest("hex").slice(0, 6),
      description: description ?? null,
    };
    repo.labels.set(key(name), label);
    return label;
  }

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

  // --- CI --------------------------------------------------------------------

  addCheckRun(
    fullName: string,
    spec: {
      headSha: string;
      name: string;
      status?: CheckStatus;
      conclusion?: CheckConclusion | null;
      detailsUrl?: string | null;
      app?: App;
      workflowRunId?: number | null;
      at?: Date;
    },
  ): CheckRun {
    const repo = this.mustRepo(fullName);
    const id = this.id();
    const at = iso(spec.at ?? this.now());
    const conclusion = spec.conclusion ?? null;
    const status = spec.status ?? (conclusion ? "completed" : "queued");
    const run: CheckRun = {
      id,
      nodeId: nodeId("CheckRun", id),
      headSha: spec.headSha,
      name: spec.name,
      status,
      conclusion,
      startedAt: at,
      completedAt: status === "completed" ? at : null,
      detailsUrl: spec.detailsUrl ?? null,
      externalId: "",
      app: spec.app ?? ACTIONS_APP,
      checkSuiteId: this.suiteFor(repo, spec.workflowRunId ?? null),
      workflowRunId: spec.workflowRunId ?? null,
    };
    repo.checkRuns.push(run);
    return run;
  }

  updateCheckRun(
    fullName: string,
    id: number,
    patch: { status?: CheckStatus; conclusion?: CheckConclusion | null; detailsUrl?: string | null; at?: Date },
  ): CheckRun {
    const run = this.mustRepo(fullName).checkRuns.find((r) => r.id === id);
    if (!run) throw new StoreError("not-found", `no check run ${id} in ${fullName}`);
    if (patch.conclusion !== undefined) run.conclusion = patch.conclusion;
    run.status = patch.status ?? (patch.conclusion ? "completed" : run.status);
    if (patch.detailsUrl !== undefined) run.detailsUrl = patch.detailsUrl;
    run.completedAt = run.status === "completed" ? iso(patch.at ?? this.now()) : null;
    return run;
  }

  addStatus(
    fullName: string,
    spec: {
      sha: string;
      state: CommitState;
      context?: string;
      description?: string | null;
      targetUrl?: string | null;
      creator?: string;
      at?: Date;
    },
  ): CommitStatus {
    const repo = this.mustRepo(fullName);
    const id = this.id();
    const at = iso(spec.at ?? this.now());
    const creator = spec.creator ?? ACTIONS_BOT;
    this.ensureUser(creator);
    const status: CommitStatus = {
      id,
      nodeId: nodeId("StatusContext", id),
      sha: spec.sha,
      state: spec.state,
      context: spec.context ?? "default",
      description: spec.description ?? null,
      targetUrl: spec.targetUrl ?? null,
      creator,
      createdAt: at,
      updatedAt: at,
    };
    repo.statuses.push(status);
    return status;
  }

  createDeployment(
    fullName: string,
    spec: {
      sha: string;
      environment: string;
      ref?: string;
      task?: string;
      description?: string;
      creator?: string;
      at?: Date;
    },
  ): Deployment {
    const repo = this.mustRepo(fullName);
    const id = this.id();
    const at = iso(spec.at ?? this.now());
    const creator = spec.creator ?? ACTIONS_BOT;
    this.ensureUser(creator);
    const deployment: Deployment = {
      id,
      nodeId: nodeId("Deployment", id),
      sha: spec.sha,
      ref: spec.ref ?? repo.defaultBranch,
      task: spec.task ?? "deploy",
      environment: spec.environment,
      description: spec.description ?? null,
      creator,
      createdAt: at,
      updatedAt: at,
      statuses: [],
    };
    repo.deployments.push(deployment);
    return deployment;
  }

  addDeploymentStatus(
    fullName: string,
    deploymentId: number,
    spec: {
      state: DeploymentState;
      description?: string;
      environmentUrl?: string;
      logUrl?: string;
      creator?: string;
      at?: Date;
    },
  ): DeploymentStatus {
    const deployment = this.mustRepo(fullName).deployments.find((d) => d.id === deploymentId);
    if (!deployment) throw new StoreError("not-found", `no deployment ${deploymentId} in ${fullName}`);
    const id = this.id();
    const at = iso(spec.at ?? this.now());
    const creator = spec.creator ?? ACTIONS_BOT;
    this.ensureUser(creator);
    const status: DeploymentStatus = {
      id,
      nodeId: nodeId("DeploymentStatus", id),
      state: spec.state,
      description: spec.description ?? "",
      environment: deployment.environment,
      // GitHub sends "" when these are unset, but its description says `uri`: default to the deployments page.
      environmentUrl: spec.environmentUrl ?? `https://github.com/${fullName}/deployments`,
      logUrl: spec.logUrl ?? `https://github.com/${fullName}/deployments`,
      targetUrl: spec.logUrl ?? `https://github.com/${fullName}/deployments`,
      creator,
      createdAt: at,
      updatedAt: at,
    };
    deployment.statuses.push(status);
    deployment.updatedAt = at;
    return status;
  }

  addWorkflow(fullName: string, spec: { path: string; name?: string; runName?: string; at?: Date }): Workflow {
    const repo = this.mustRepo(fullName);
    const id = this.id();
    const file = spec.path.split("/").pop() ?? spec.path;
    const workflow: Workflow = {
      id,
      nodeId: nodeId("Workflow", id),
      name: spec.name ?? file,
      path: spec.path.includes("/") ? spec.path : `.github/workflows/${spec.path}`,
      runName: spec.runName ?? null,
      createdAt: iso(spec.at ?? this.now()),
    };
    repo.workflows.push(workflow);
    return workflow;
  }

  /** By numeric id or by file name (`afk.yml`), as the Actions API accepts either. */
  findWorkflow(fullName: string, idOrFile: string | number): Workflow | undefined {
    const wanted = String(idOrFile);
    return this.mustRepo(fullName).workflows.find((w) => String(w.id) === wanted || w.path.split("/").pop() === wanted);
  }

  createWorkflowRun(
    fullName: string,
    spec: {
      workflowId: number;
      event?: string;
      headBranch?: string;
      headSha?: string;
      displayTitle?: string;
      inputs?: Record<string, string>;
      actor?: string;
      status?: RunStatus;
      at?: Date;
    },
  ): WorkflowRun {
    const repo = this.mustRepo(fullName);
    const workflow = repo.workflows.find((w) => w.id === spec.workflowId);
    if (!workflow) throw new StoreError("not-found", `no workflow ${spec.workflowId} in ${fullName}`);
    const headBranch = spec.headBranch ?? repo.defaultBranch;
    const headSha = spec.headSha ?? repo.branches.get(headBranch);
    if (headSha === undefined) throw new StoreError("invalid", `No ref found for: ${headBranch}`);
    const actor = spec.actor ?? repo.owner;
    this.ensureUser(actor);
    const id = this.id();
    const at = iso(spec.at ?? this.now());
    const run: WorkflowRun = {
      id,
      nodeId: nodeId("WorkflowRun", id),
      workflowId: workflow.id,
      name: workflow.name,
      displayTitle: spec.displayTitle ?? renderRunName(workflow, spec.inputs ?? {}),
      event: spec.event ?? "workflow_dispatch",
      status: spec.status ?? "queued",
      conclusion: null,
      headSha,
      headBranch,
      runNumber: repo.workflowRuns.filter((r) => r.workflowId === workflow.id).length + 1,
      runAttempt: 1,
      actor,
      createdAt: at,
      updatedAt: at,
      runStartedAt: at,
      inputs: { ...spec.inputs },
      checkSuiteId: this.id(),
    };
    repo.workflowRuns.push(run);
    return run;
  }

  /** Called by the server on `workflow_dispatch`: the run is created, then the scripted world hears of it. */
  dispatchWorkflow(fullName: string, run: Parameters<GitHubStore["createWorkflowRun"]>[1]): WorkflowRun {
    const created = this.createWorkflowRun(fullName, { ...run, event: "workflow_dispatch" });
    const repo = this.mustRepo(fullName);
    for (const listener of this.dispatchListeners) listener(repo, created);
    return created;
  }

  updateWorkflowRun(
    fullName: string,
    id: number,
    patch: { status?: RunStatus; conclusion?: RunConclusion | null; displayTitle?: string; at?: Date },
  ): WorkflowRun {
    const run = this.mustRepo(fullName).workflowRuns.find((r) => r.id === id);
    if (!run) throw new StoreError("not-found", `no workflow run ${id} in ${fullName}`);
    if (patch.conclusion !== undefined) run.conclusion = patch.conclusion;
    run.status = patch.status ?? (patch.conclusion ? "completed" : run.status);
    if (patch.displayTitle !== undefined) run.displayTitle = patch.displayTitle;
    run.updatedAt = iso(patch.at ?? this.now());
    return run;
  }

  /** A run whose plain cancel does not take (an `always()` step that hangs): only force-cancel ends it. */
  resistCancel(fullName: string, id: number): void {
    this.mustRepo(fullName);
    this.cancelResistant.add(id);
  }

  /**
   * GitHub's cancel and force-cancel: `conflict` for a run already completed; otherwise the run
   * ends `cancelled` (at once here; GitHub takes a moment), unless it resists a plain cancel.
   */
  cancelWorkflowRun(fullName: string, id: number, force: boolean): "accepted" | "conflict" | "not-found" {
    const run = this.mustRepo(fullName).workflowRuns.find((r) => r.id === id);
    if (!run) return "not-found";
    if (run.status === "completed") return "conflict";
    if (!force && this.cancelResistant.has(id)) return "accepted";
    this.updateWorkflowRun(fullName, id, { status: "completed", conclusion: "cancelled" });
    return "accepted";
  }

  // --- internals -------------------------------------------------------------

  private id(): number {
    return this.nextId++;
  }

  private mustRepo(fullName: string): Repo {
    const repo = this.repo(fullName);
    if (!repo) throw new StoreError("not-found", `no repository ${fullName}`);
    return repo;
  }

  private mustIssue(fullName: string, number: number): Issue {
    const found = this.lookupIssue(fullName, number);
    if ("issue" in found) return found.issue;
    if ("gone" in found) throw new StoreError("gone", `${fullName}#${number} was ${found.gone}`);
    throw new StoreError("not-found", `no issue ${fullName}#${number}`);
  }

  private commitOn(
    repo: Repo,
    branch: string,
    message: string,
    author: string,
    at: Instant,
    parents?: string[],
  ): Commit {
    const head = repo.branches.get(branch) ?? repo.branches.get(repo.defaultBranch);
    const resolvedParents = parents ?? (head === undefined ? [] : [head]);
    const sha = createHash("sha1")
      .update(`${repo.fullName}\0${branch}\0${resolvedParents.join(",")}\0${author}\0${at}\0${message}\0${this.id()}`)
      .digest("hex");
    const commit: Commit = { sha, message, author, parents: resolvedParents, date: at };
    repo.commits.set(sha, commit);
    repo.branches.set(branch, sha);
    return commit;
  }

  private labelIssue(repo: Repo, issue: Issue, name: string, by: string, at: Instant): void {
    const label = this.ensureLabel(repo.fullName, name);
    // GitHub records no event when the label is already there.
    if (issue.labels.some((l) => key(l) === key(label.name))) return;
    issue.labels.push(label.name);
    this.event(issue, { event: "labeled", actor: by, createdAt: at, label: label.name });
  }

  private close(
    issue: Issue,
    by: string,
    at: Instant,
    stateReason: "completed" | "not_planned" | "duplicate",
    commit: { sha: string; repo: string } | null,
  ): void {
    issue.state = "closed";
    issue.stateReason = stateReason;
    issue.closedAt = at;
    issue.closedBy = by;
    this.event(issue, {
      event: "closed",
      actor: by,
      createdAt: at,
      stateReason,
      commitId: commit?.sha ?? null,
      commitRepo: commit?.repo ?? null,
    });
  }

  private event(issue: Issue, event: DistributiveOmit<IssueEvent, "id" | "nodeId">): void {
    const id = this.id();
    issue.events.push({ ...event, id, nodeId: nodeId(eventNodeType[event.event], id) });
    if (event.createdAt > issue.updatedAt) issue.updatedAt = event.createdAt;
  }

  private suiteFor(repo: Repo, workflowRunId: number | null): number {
    if (workflowRunId === null) return this.id();
    return repo.workflowRuns.find((r) => r.id === workflowRunId)?.checkSuiteId ?? this.id();
  }
}

/** Expands `${{ inputs.x }}` / `${{ github.event.inputs.x }}` in a workflow's `run-name`, as Actions does. */
function renderRunName(workflow: Workflow, inputs: Record<string, string>): string {
  if (workflow.runName === null) return workflow.name;
  return workflow.runName.replace(
    /\$\{\{\s*(?:github\.event\.)?inputs\.([\w-]+)\s*\}\}/g,
    (_, name: string) => inputs[name] ?? "",
  );
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const eventNodeType = {
  labeled: "LabeledEvent",
  unlabeled: "UnlabeledEvent",
  referenced: "ReferencedEvent",
  closed: "ClosedEvent",
  reopened: "ReopenedEvent",
  renamed: "RenamedTitleEvent",
} satisfies Record<IssueEvent["event"], string>;
