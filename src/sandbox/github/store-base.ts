// The GitHub emulator's state, base layer: users, tokens, repos, the clock and
// ids, the reads every route shares, and the write rules other layers build on
// (label and closing events, commits on a branch). The store is layered by
// resource (base, issues, commits and pull requests, CI); GitHubStore in
// store.ts is the whole. Never speaks HTTP, never decides who may see what
// (the server does), and never reads the wall clock except through `now`.

import { createHash } from "node:crypto";
import type {
  Instant,
  Role,
  AccountType,
  User,
  TokenGrant,
  Commit,
  Label,
  IssueRef,
  IssueEvent,
  Issue,
  App,
  WorkflowRun,
  Repo,
  IssueLookup,
} from "./model.js";

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
export const ACTIONS_BOT = "github-actions[bot]";
export const ACTIONS_APP: App = { id: 15368, slug: "github-actions", name: "GitHub Actions" };

export function iso(at: Date): Instant {
  // GitHub's REST timestamps carry whole seconds.
  return at.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function nodeId(type: string, id: number): string {
  // GitHub's legacy global ids: base64("<len>:<Type><id>").
  return Buffer.from(`${String(type.length).padStart(2, "0")}:${type}${id}`).toString("base64");
}

export const key = (s: string): string => s.toLowerCase();

export type DispatchListener = (repo: Repo, run: WorkflowRun) => void;

/** Every commit of `repo` reachable from `sha`, itself first, then parents breadth-first. */
export function reachableCommits(repo: Repo, sha: string): Commit[] {
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

export abstract class StoreBase {
  readonly now: () => Date;
  protected nextId = 1000;
  protected readonly users = new Map<string, User>();
  protected readonly tokens = new Map<string, TokenGrant>();
  protected readonly repos = new Map<string, Repo>();
  protected readonly dispatchListeners = new Set<DispatchListener>();
  protected readonly cancelResistant = new Set<number>();
  /** Reverse of every issue's `blockedBy`: "owner/name#n" (lower-cased) -> the issues it blocks. */
  protected readonly blockingIndex = new Map<string, IssueRef[]>();

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
    return reachableCommits(this.mustRepo(fullName), sha);
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

  // --- internals -------------------------------------------------------------

  protected id(): number {
    return this.nextId++;
  }

  protected mustRepo(fullName: string): Repo {
    const repo = this.repo(fullName);
    if (!repo) throw new StoreError("not-found", `no repository ${fullName}`);
    return repo;
  }

  protected mustIssue(fullName: string, number: number): Issue {
    const found = this.lookupIssue(fullName, number);
    if ("issue" in found) return found.issue;
    if ("gone" in found) throw new StoreError("gone", `${fullName}#${number} was ${found.gone}`);
    throw new StoreError("not-found", `no issue ${fullName}#${number}`);
  }

  protected commitOn(
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

  protected labelIssue(repo: Repo, issue: Issue, name: string, by: string, at: Instant): void {
    const label = this.ensureLabel(repo.fullName, name);
    // GitHub records no event when the label is already there.
    if (issue.labels.some((l) => key(l) === key(label.name))) return;
    issue.labels.push(label.name);
    this.event(issue, { event: "labeled", actor: by, createdAt: at, label: label.name });
  }

  protected close(
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

  protected event(issue: Issue, event: DistributiveOmit<IssueEvent, "id" | "nodeId">): void {
    const id = this.id();
    issue.events.push({ ...event, id, nodeId: nodeId(eventNodeType[event.event], id) });
    if (event.createdAt > issue.updatedAt) issue.updatedAt = event.createdAt;
  }
}

export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const eventNodeType = {
  labeled: "LabeledEvent",
  unlabeled: "UnlabeledEvent",
  referenced: "ReferencedEvent",
  closed: "ClosedEvent",
  reopened: "ReopenedEvent",
  renamed: "RenamedTitleEvent",
} satisfies Record<IssueEvent["event"], string>;
