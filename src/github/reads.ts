// Reads one tick's facts for every allowlisted repository in a few batched
// GraphQL queries, and returns them as plain data. Owns the query shapes and
// the mapping from GitHub's JSON to the loop's types; paginates only a
// connection that came back full. Decides nothing: trust, locks and blockers
// are judged by the core from what this returns.

import type { IssueComment, IssueRef, Instant, RepoSlug } from "../core/types.js";
import type { GitHubClient } from "./client.js";
import { chunk, runBatchQuery, type BatchQuery, type RepoSelection } from "./graphql.js";

/** Repositories per query: keeps each query far below GitHub's node and time limits. */
export const REPOS_PER_QUERY = 25;
const READY_PAGE = 30;
const LOCK_PAGE = 20;
const LABELS_PER_ISSUE = 20;
const LABEL_EVENTS_PER_ISSUE = 10;
const COMMENTS_PER_READY_ISSUE = 20;
const COMMENTS_PER_RUN_ISSUE = 30;
const REFERENCES_PER_RUN_ISSUE = 20;
/** Finished runs still owing a doorbell, per repo per tick; the rest wait for the next tick. */
const OWED_PAGE = 10;

/** Who did something, before their role on the repository is known. */
export interface Login {
  login: string;
  isBot: boolean;
}

export interface ReadyIssueFacts {
  repo: RepoSlug;
  number: number;
  title: string;
  body: string;
  url: string;
  labels: string[];
  /** The last application of the ready label among the recent label events; null when none was found. */
  readyLabeled: { by: Login | null; at: Instant } | null;
  /** The last edit of the body (`lastEditedAt`/`editor`) or title (renamed events), whichever is later. */
  lastEdit: { by: Login | null; at: Instant } | null;
  comments: (Omit<IssueComment, "author"> & { author: Login | null })[];
  /** True when the issue has more comments than were read. */
  commentsTruncated: boolean;
}

export interface PollRepoFacts {
  repo: RepoSlug;
  /** Why the repository could not be read; its issues are then absent. */
  error: string | null;
  ready: ReadyIssueFacts[];
  /** Every open issue carrying the in-progress label: the lock. */
  locked: number[];
}

export interface PollFacts {
  viewer: string | null;
  repos: PollRepoFacts[];
}

interface ActorJson {
  __typename?: string;
  login: string;
}
interface LabelEventJson {
  __typename: string;
  createdAt: string;
  label?: { name: string };
  actor: ActorJson | null;
}
interface CommentJson {
  databaseId: number;
  body: string;
  createdAt: string;
  author: ActorJson | null;
}
interface ReadyIssueJson {
  number: number;
  title: string;
  body: string;
  url: string;
  lastEditedAt: string | null;
  editor: ActorJson | null;
  labels: { nodes: { name: string }[] };
  timelineItems: { nodes: LabelEventJson[] };
  comments: { totalCount: number; nodes: CommentJson[] };
}
interface PageJson<T> {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  nodes: T[];
}
interface PollRepoJson {
  ready: PageJson<ReadyIssueJson>;
  locks: PageJson<{ number: number }>;
}

const READY_ISSUE_FRAGMENT = `
fragment AfkReadyIssue on Issue {
  number title body url lastEditedAt
  editor { __typename login }
  labels(first: ${LABELS_PER_ISSUE}) { nodes { name } }
  timelineItems(itemTypes: [LABELED_EVENT, RENAMED_TITLE_EVENT], last: ${LABEL_EVENTS_PER_ISSUE}) {
    nodes {
      __typename
      ... on LabeledEvent { createdAt label { name } actor { __typename login } }
      ... on RenamedTitleEvent { createdAt actor { __typename login } }
    }
  }
  comments(first: ${COMMENTS_PER_READY_ISSUE}) {
    totalCount
    nodes { databaseId body createdAt author { __typename login } }
  }
}`;

// Per repository, so each alias can carry its own page cursors.
const POLL_SELECTION = `
  ready: issues(first: ${READY_PAGE}, after: $readyAfter_$ALIAS, states: OPEN, labels: [$ready], orderBy: { field: CREATED_AT, direction: ASC }) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { ...AfkReadyIssue }
  }
  locks: issues(first: ${LOCK_PAGE}, after: $lockAfter_$ALIAS, states: OPEN, labels: [$inProgress]) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { number }
  }`;

/** Split `owner/name` for a query; the allowlist guarantees the shape. */
function selectionFor(repo: RepoSlug, index: number, variables?: Record<string, unknown>): RepoSelection {
  const [owner = "", name = ""] = repo.split("/");
  return { alias: `r${index}`, owner, name, ...(variables ? { variables } : {}) };
}

/**
 * The poll tick's facts: the ready set with everything the policy needs, and
 * each repository's lock, for all repos in ceil(repos / 25) queries plus one
 * per connection that overflowed.
 */
export async function readPollFacts(
  client: GitHubClient,
  repos: readonly RepoSlug[],
  labels: { ready: string; inProgress: string },
): Promise<PollFacts> {
  const facts = new Map<RepoSlug, PollRepoFacts>(
    repos.map((repo) => [repo, { repo, error: null, ready: [], locked: [] }]),
  );
  let viewer: string | null = null;
  // Each round asks only for the connections that are still unfinished.
  let pending = repos.map((repo) => ({
    repo,
    readyAfter: null as string | null,
    lockAfter: null as string | null,
    readyDone: false,
    lockDone: false,
  }));
  let first = true;
  while (pending.length > 0) {
    const next: typeof pending = [];
    for (const batch of chunk(pending, REPOS_PER_QUERY)) {
      const selections = batch.map((p, i) =>
        selectionFor(p.repo, i, { [`readyAfter_r${i}`]: p.readyAfter, [`lockAfter_r${i}`]: p.lockAfter }),
      );
      const query: BatchQuery = {
        name: "AfkPollFacts",
        declare: ["$ready: String!", "$inProgress: String!"],
        shared: { ready: labels.ready, inProgress: labels.inProgress },
        selection: POLL_SELECTION,
        fragments: READY_ISSUE_FRAGMENT,
        repos: selections,
        perRepoDeclare: (r) => [`$readyAfter_${r.alias}: String`, `$lockAfter_${r.alias}: String`],
        withViewer: first,
      };
      const result = await runBatchQuery<PollRepoJson>(client, query);
      if (first) viewer = result.viewer;
      first = false;
      batch.forEach((p, i) => {
        const repoFacts = facts.get(p.repo);
        if (!repoFacts) return;
        const alias = `r${i}`;
        const error = result.errors.get(alias);
        const data = result.byAlias.get(alias);
        if (error !== undefined || !data) {
          repoFacts.error = error ?? "not found";
          return;
        }
        if (!p.readyDone)
          repoFacts.ready.push(...data.ready.nodes.map((n) => toReadyIssueFacts(p.repo, n, labels.ready)));
        if (!p.lockDone) repoFacts.locked.push(...data.locks.nodes.map((n) => n.number));
        const readyMore = !p.readyDone && data.ready.pageInfo.hasNextPage;
        const lockMore = !p.lockDone && data.locks.pageInfo.hasNextPage;
        if (readyMore || lockMore) {
          next.push({
            repo: p.repo,
            readyAfter: readyMore ? data.ready.pageInfo.endCursor : p.readyAfter,
            lockAfter: lockMore ? data.locks.pageInfo.endCursor : p.lockAfter,
            readyDone: !readyMore,
            lockDone: !lockMore,
          });
        }
      });
    }
    pending = next;
  }
  return { viewer, repos: [...facts.values()] };
}

/**
 * GraphQL names a bot `renovate` where REST, the timeline and the token's
 * identity say `renovate[bot]`: normalise to the REST form so one login
 * means one actor everywhere.
 */
function toLogin(actor: ActorJson | null | undefined): Login | null {
  if (!actor) return null;
  const isBot = actor.__typename === "Bot" || actor.login.endsWith("[bot]");
  return { login: isBot && !actor.login.endsWith("[bot]") ? `${actor.login}[bot]` : actor.login, isBot };
}

function later<T extends { at: Instant }>(a: T | null, b: T | null): T | null {
  if (a === null) return b;
  if (b === null) return a;
  return Date.parse(b.at) > Date.parse(a.at) ? b : a;
}

export function toReadyIssueFacts(repo: RepoSlug, json: ReadyIssueJson, readyLabel: string): ReadyIssueFacts {
  let readyLabeled: ReadyIssueFacts["readyLabeled"] = null;
  let lastEdit: ReadyIssueFacts["lastEdit"] =
    json.lastEditedAt === null ? null : { by: toLogin(json.editor), at: json.lastEditedAt };
  for (const event of json.timelineItems.nodes) {
    if (event.__typename === "LabeledEvent" && event.label?.name.toLowerCase() === readyLabel.toLowerCase()) {
      readyLabeled = later(readyLabeled, { by: toLogin(event.actor), at: event.createdAt });
    } else if (event.__typename === "RenamedTitleEvent") {
      lastEdit = later(lastEdit, { by: toLogin(event.actor), at: event.createdAt });
    }
  }
  return {
    repo,
    number: json.number,
    title: json.title,
    body: json.body,
    url: json.url,
    labels: json.labels.nodes.map((l) => l.name),
    readyLabeled,
    lastEdit,
    comments: json.comments.nodes.map((c) => ({
      id: c.databaseId,
      author: toLogin(c.author),
      body: c.body,
      createdAt: c.createdAt,
    })),
    commentsTruncated: json.comments.totalCount > json.comments.nodes.length,
  };
}

// --- the watch tick ------------------------------------------------------------

/** A comment that carries a run-record marker, whoever wrote it: the core decides which one counts. */
export interface MarkerComment {
  id: number;
  author: Login | null;
  body: string;
  createdAt: Instant;
}

export interface RunIssueFacts {
  repo: RepoSlug;
  number: number;
  title: string;
  url: string;
  open: boolean;
  labels: string[];
  markerComments: MarkerComment[];
  /** True when older comments were not read (the progress comment may be among them). */
  commentsTruncated: boolean;
  /** Commits that referenced the issue, newest last, as the timeline reports them. */
  references: { sha: string; at: Instant; repo: RepoSlug | null }[];
}

export interface WatchRepoFacts {
  repo: RepoSlug;
  error: string | null;
  defaultBranch: string | null;
  /** Open issues carrying the in-progress label. */
  runs: RunIssueFacts[];
  /** Issues (open or closed) whose terminal doorbell is still owed. */
  owed: RunIssueFacts[];
}

export interface WatchFacts {
  viewer: string | null;
  repos: WatchRepoFacts[];
}

/** The marker every run record starts with; comments without it are never read further. */
export const RECORD_MARKER_PREFIX = "<!-- afk-loop:run";

interface RunIssueJson {
  number: number;
  title: string;
  url: string;
  state: "OPEN" | "CLOSED";
  labels: { nodes: { name: string }[] };
  comments: { totalCount: number; nodes: CommentJson[] };
  timelineItems: {
    nodes: {
      __typename: string;
      createdAt?: string;
      commit?: { oid: string } | null;
      commitRepository?: { nameWithOwner: string } | null;
    }[];
  };
}
interface WatchRepoJson {
  defaultBranchRef: { name: string } | null;
  runs: PageJson<RunIssueJson>;
  owed: { nodes: RunIssueJson[] };
}

const WATCH_SELECTION = `
  defaultBranchRef { name }
  runs: issues(first: ${LOCK_PAGE}, after: $runsAfter_$ALIAS, states: OPEN, labels: [$inProgress], orderBy: { field: CREATED_AT, direction: ASC }) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { ...AfkRunIssue }
  }
  owed: issues(first: ${OWED_PAGE}, states: [OPEN, CLOSED], labels: [$owed], orderBy: { field: UPDATED_AT, direction: ASC }) {
    nodes { ...AfkRunIssue }
  }`;

const RUN_ISSUE_FRAGMENT = `
fragment AfkRunIssue on Issue {
  number title url state
  labels(first: ${LABELS_PER_ISSUE}) { nodes { name } }
  comments(last: ${COMMENTS_PER_RUN_ISSUE}) {
    totalCount
    nodes { databaseId body createdAt author { __typename login } }
  }
  timelineItems(itemTypes: [REFERENCED_EVENT], last: ${REFERENCES_PER_RUN_ISSUE}) {
    nodes {
      __typename
      ... on ReferencedEvent { createdAt commit { oid } commitRepository { nameWithOwner } }
    }
  }
}`;

/** The watch tick's facts: every open in-progress issue with its marker comments and referenced commits. */
export async function readWatchFacts(
  client: GitHubClient,
  repos: readonly RepoSlug[],
  labels: { inProgress: string; owed: string },
): Promise<WatchFacts> {
  const facts = new Map<RepoSlug, WatchRepoFacts>(
    repos.map((repo) => [repo, { repo, error: null, defaultBranch: null, runs: [], owed: [] }]),
  );
  let viewer: string | null = null;
  let pending = repos.map((repo) => ({ repo, after: null as string | null }));
  let first = true;
  while (pending.length > 0) {
    const next: typeof pending = [];
    for (const batch of chunk(pending, REPOS_PER_QUERY)) {
      const result = await runBatchQuery<WatchRepoJson>(client, {
        name: "AfkWatchFacts",
        declare: ["$inProgress: String!", "$owed: String!"],
        shared: { inProgress: labels.inProgress, owed: labels.owed },
        selection: WATCH_SELECTION,
        fragments: RUN_ISSUE_FRAGMENT,
        repos: batch.map((p, i) => selectionFor(p.repo, i, { [`runsAfter_r${i}`]: p.after })),
        perRepoDeclare: (r) => [`$runsAfter_${r.alias}: String`],
        withViewer: first,
      });
      if (first) viewer = result.viewer;
      first = false;
      batch.forEach((p, i) => {
        const repoFacts = facts.get(p.repo);
        if (!repoFacts) return;
        const data = result.byAlias.get(`r${i}`);
        if (!data) {
          repoFacts.error = result.errors.get(`r${i}`) ?? "not found";
          return;
        }
        repoFacts.defaultBranch = data.defaultBranchRef?.name ?? null;
        repoFacts.runs.push(...data.runs.nodes.map((n) => toRunIssueFacts(p.repo, n)));
        if (p.after === null) repoFacts.owed = data.owed.nodes.map((n) => toRunIssueFacts(p.repo, n));
        if (data.runs.pageInfo.hasNextPage) next.push({ repo: p.repo, after: data.runs.pageInfo.endCursor });
      });
    }
    pending = next;
  }
  return { viewer, repos: [...facts.values()] };
}

function toRunIssueFacts(repo: RepoSlug, json: RunIssueJson): RunIssueFacts {
  return {
    repo,
    number: json.number,
    title: json.title,
    url: json.url,
    open: json.state === "OPEN",
    labels: json.labels.nodes.map((l) => l.name),
    markerComments: json.comments.nodes
      .filter((c) => c.body.includes(RECORD_MARKER_PREFIX))
      .map((c) => ({ id: c.databaseId, author: toLogin(c.author), body: c.body, createdAt: c.createdAt })),
    commentsTruncated: json.comments.totalCount > json.comments.nodes.length,
    references: json.timelineItems.nodes.flatMap((e) =>
      e.__typename === "ReferencedEvent" && e.commit && e.createdAt
        ? [{ sha: e.commit.oid, at: e.createdAt, repo: e.commitRepository?.nameWithOwner ?? null }]
        : [],
    ),
  };
}

/**
 * Every comment of one issue, over REST, paginated. Only for the rare issue
 * whose thread is longer than the batched read took, where the loop's own
 * progress comment may lie beyond it.
 */
export async function readAllComments(client: GitHubClient, issue: IssueRef): Promise<MarkerComment[]> {
  const [owner = "", repo = ""] = issue.repo.split("/");
  const comments = await client.octokit.paginate(client.octokit.rest.issues.listComments, {
    owner,
    repo,
    issue_number: issue.number,
    per_page: 100,
  });
  return comments.map((c) => ({
    id: c.id,
    body: c.body ?? "",
    createdAt: c.created_at,
    author: c.user ? { login: c.user.login, isBot: c.user.type === "Bot" } : null,
  }));
}
