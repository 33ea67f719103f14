// Reads one tick's facts for every allowlisted repository in a few batched
// GraphQL queries, and returns them as plain data. Owns the query shapes and
// the mapping from GitHub's JSON to the loop's types; paginates only a
// connection that came back full. Decides nothing: trust, locks and blockers
// are judged by the core from what this returns.

import type { IssueComment, IssueRef, Instant, RepoSlug } from "../core/types.js";
import type { GitHubClient } from "./client.js";
import { readRepoPages } from "./graphql.js";

const READY_PAGE = 30;
const LOCK_PAGE = 20;
const LABELS_PER_ISSUE = 20;
const LABEL_EVENTS_PER_ISSUE = 10;
/** Body edits read per ready issue; an issue with more is not dispatched (its history is unread). */
const BODY_EDITS_PER_ISSUE = 20;
export const COMMENTS_PER_READY_ISSUE = 20;
export const COMMENTS_PER_RUN_ISSUE = 30;
const REFERENCES_PER_RUN_ISSUE = 20;
/** Finished runs still owing a doorbell, per repo per tick; the rest wait for the next tick. */
const OWED_PAGE = 10;
/** Issues handed to a human, per repo, read for the report's "Needs you" (issue 11): one page, no extra request. */
const HANDED_PAGE = 100;
/** The loop's progress comment is usually among an issue's last few; a long discussion after the handover hides it. */
const COMMENTS_PER_HANDED_ISSUE = 10;
/** Closed issues still carrying the lock, per repo per tick: normally none. */
const CLOSED_LOCKED_PAGE = 5;
/** Runs awaiting review of their pull request, per repo per tick (no lock, so found by their own label). */
const AWAITING_PAGE = 25;

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
  /**
   * Body edits (`userContentEdits`, which include the original text as the author's entry) and
   * title renames among the recent label events. Every rename after the ready label is among
   * them: the events are read from the newest back, and a label event pushed out of the window
   * leaves `readyLabeled` null, which no policy trusts.
   */
  edits: { what: "title" | "body"; by: Login | null; at: Instant }[];
  /** False when the issue has more body edits than were read. */
  editHistoryComplete: boolean;
  comments: (Omit<IssueComment, "author"> & { author: Login | null })[];
  /** True when the issue has more comments than were read. */
  commentsTruncated: boolean;
}

interface PollRepoFacts {
  repo: RepoSlug;
  /** Why the repository could not be read; its issues are then absent. */
  error: string | null;
  defaultBranch: string | null;
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
  userContentEdits: { totalCount: number; nodes: { editedAt: string; editor: ActorJson | null }[] } | null;
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
  defaultBranchRef: { name: string } | null;
  ready: PageJson<ReadyIssueJson>;
  locks: PageJson<{ number: number }>;
}

const READY_ISSUE_FRAGMENT = `
fragment AfkReadyIssue on Issue {
  number title body url
  userContentEdits(first: ${BODY_EDITS_PER_ISSUE}) { totalCount nodes { editedAt editor { __typename login } } }
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
  defaultBranchRef { name }
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
    repos.map((repo) => [repo, { repo, error: null, defaultBranch: null, ready: [], locked: [] }]),
  );
  const at = (repo: RepoSlug) => facts.get(repo) ?? { repo, error: null, defaultBranch: null, ready: [], locked: [] };
  // Each connection's next page, or null once it is complete (and then not asked again).
  type Page = { after: string | null } | null;
  type Cursor = { ready: Page; locks: Page };
  const nextPage = (page: Page, info: { hasNextPage: boolean; endCursor: string | null }): Page =>
    page !== null && info.hasNextPage ? { after: info.endCursor } : null;
  const viewer = await readRepoPages<PollRepoJson, Cursor>(
    client,
    repos,
    { ready: { after: null }, locks: { after: null } },
    {
      name: "AfkPollFacts",
      declare: ["$ready: String!", "$inProgress: String!"],
      shared: { ready: labels.ready, inProgress: labels.inProgress },
      selection: POLL_SELECTION,
      fragments: READY_ISSUE_FRAGMENT,
      pageVariables: (cursor, alias) => ({
        [`readyAfter_${alias}`]: cursor.ready?.after ?? null,
        [`lockAfter_${alias}`]: cursor.locks?.after ?? null,
      }),
      pageDeclare: (alias) => [`$readyAfter_${alias}: String`, `$lockAfter_${alias}: String`],
      absorb: (repo, data, cursor) => {
        const repoFacts = at(repo);
        repoFacts.defaultBranch = data.defaultBranchRef?.name ?? null;
        if (cursor.ready)
          repoFacts.ready.push(...data.ready.nodes.map((n) => toReadyIssueFacts(repo, n, labels.ready)));
        if (cursor.locks) repoFacts.locked.push(...data.locks.nodes.map((n) => n.number));
        const next = {
          ready: nextPage(cursor.ready, data.ready.pageInfo),
          locks: nextPage(cursor.locks, data.locks.pageInfo),
        };
        return next.ready === null && next.locks === null ? null : next;
      },
      fail: (repo, error) => (at(repo).error = error),
    },
  );
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

function toReadyIssueFacts(repo: RepoSlug, json: ReadyIssueJson, readyLabel: string): ReadyIssueFacts {
  let readyLabeled: ReadyIssueFacts["readyLabeled"] = null;
  const bodyEdits = json.userContentEdits?.nodes ?? [];
  const edits: ReadyIssueFacts["edits"] = bodyEdits.map((e) => ({
    what: "body",
    by: toLogin(e.editor),
    at: e.editedAt,
  }));
  for (const event of json.timelineItems.nodes) {
    if (event.__typename === "LabeledEvent" && event.label?.name.toLowerCase() === readyLabel.toLowerCase()) {
      if (readyLabeled === null || Date.parse(event.createdAt) > Date.parse(readyLabeled.at))
        readyLabeled = { by: toLogin(event.actor), at: event.createdAt };
    } else if (event.__typename === "RenamedTitleEvent") {
      edits.push({ what: "title", by: toLogin(event.actor), at: event.createdAt });
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
    edits,
    // A connection GitHub did not serve counts as unread, never as "no edits".
    editHistoryComplete: json.userContentEdits !== null && json.userContentEdits.totalCount <= bodyEdits.length,
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
  /** The latest label applications, newest last: who put the human label on (a takeover). */
  labeled: { label: string; by: Login | null; at: Instant }[];
}

/** An open issue carrying the human label, with the loop's comments that may hold its record. */
export interface HandedIssueFacts {
  repo: RepoSlug;
  number: number;
  title: string;
  url: string;
  /** Marker comments among the last few; `updatedAt` is when the loop last wrote it (the handover). */
  markerComments: (MarkerComment & { updatedAt: Instant })[];
}

interface WatchRepoFacts {
  repo: RepoSlug;
  error: string | null;
  defaultBranch: string | null;
  /**
   * Open issues carrying the human label (first page only, up to HANDED_PAGE): the report's
   * "Needs you", read in the same batched query, so it costs no extra request.
   */
  handed: HandedIssueFacts[];
  /** Open issues carrying the in-progress label. */
  runs: RunIssueFacts[];
  /** Issues (open or closed) whose terminal doorbell is still owed. */
  owed: RunIssueFacts[];
  /**
   * Closed issues still carrying the in-progress label: closed under a run, or closed by the
   * loop when the lock removal after it failed. The watch finishes them; the poll ignores them.
   */
  closedLocked: RunIssueFacts[];
  /**
   * Issues (open, or closed by their pull request's merge) whose run awaits review: they hold no
   * lock, so the awaiting-review label finds them. The first AWAITING_PAGE, least recently updated first.
   */
  awaiting: RunIssueFacts[];
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
  labelEvents?: {
    nodes: { __typename: string; createdAt?: string; label?: { name: string } | null; actor?: ActorJson | null }[];
  };
}
interface HandedIssueJson {
  number: number;
  title: string;
  url: string;
  comments: {
    nodes: {
      databaseId: number;
      body: string;
      createdAt: string;
      updatedAt: string;
      author: { __typename: string; login: string } | null;
    }[];
  };
}

interface WatchRepoJson {
  defaultBranchRef: { name: string } | null;
  handed: { nodes: HandedIssueJson[] };
  runs: PageJson<RunIssueJson>;
  owed: { nodes: RunIssueJson[] };
  closedLocked: { nodes: RunIssueJson[] };
  awaiting: { nodes: RunIssueJson[] };
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
  }
  closedLocked: issues(first: ${CLOSED_LOCKED_PAGE}, states: CLOSED, labels: [$inProgress], orderBy: { field: UPDATED_AT, direction: ASC }) {
    nodes { ...AfkRunIssue }
  }
  awaiting: issues(first: ${AWAITING_PAGE}, states: [OPEN, CLOSED], labels: [$awaiting], orderBy: { field: UPDATED_AT, direction: ASC }) {
    nodes { ...AfkRunIssue }
  }
  handed: issues(first: ${HANDED_PAGE}, states: OPEN, labels: [$human], orderBy: { field: UPDATED_AT, direction: DESC }) {
    nodes {
      number title url
      comments(last: ${COMMENTS_PER_HANDED_ISSUE}) { nodes { databaseId body createdAt updatedAt author { __typename login } } }
    }
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
  labelEvents: timelineItems(itemTypes: [LABELED_EVENT], last: ${LABEL_EVENTS_PER_ISSUE}) {
    nodes {
      __typename
      ... on LabeledEvent { createdAt label { name } actor { __typename login } }
    }
  }
}`;

/** The watch tick's facts: every open in-progress issue with its marker comments and referenced commits. */
export async function readWatchFacts(
  client: GitHubClient,
  repos: readonly RepoSlug[],
  labels: { inProgress: string; owed: string; human: string; awaiting: string },
): Promise<WatchFacts> {
  const empty = (repo: RepoSlug): WatchRepoFacts => ({
    repo,
    error: null,
    defaultBranch: null,
    handed: [],
    runs: [],
    owed: [],
    closedLocked: [],
    awaiting: [],
  });
  const facts = new Map<RepoSlug, WatchRepoFacts>(repos.map((repo) => [repo, empty(repo)]));
  const at = (repo: RepoSlug) => facts.get(repo) ?? empty(repo);
  const viewer = await readRepoPages<WatchRepoJson, string | null>(client, repos, null, {
    name: "AfkWatchFacts",
    declare: ["$inProgress: String!", "$owed: String!", "$human: String!", "$awaiting: String!"],
    shared: { inProgress: labels.inProgress, owed: labels.owed, human: labels.human, awaiting: labels.awaiting },
    selection: WATCH_SELECTION,
    fragments: RUN_ISSUE_FRAGMENT,
    pageVariables: (after, alias) => ({ [`runsAfter_${alias}`]: after }),
    pageDeclare: (alias) => [`$runsAfter_${alias}: String`],
    absorb: (repo, data, after) => {
      const repoFacts = at(repo);
      repoFacts.defaultBranch = data.defaultBranchRef?.name ?? null;
      repoFacts.runs.push(...data.runs.nodes.map((n) => toRunIssueFacts(repo, n)));
      // Owed doorbells and closed locks are few; the first page's are plenty for one tick.
      if (after === null) {
        repoFacts.owed = data.owed.nodes.map((n) => toRunIssueFacts(repo, n));
        repoFacts.closedLocked = data.closedLocked.nodes.map((n) => toRunIssueFacts(repo, n));
        repoFacts.awaiting = data.awaiting.nodes.map((n) => toRunIssueFacts(repo, n));
        repoFacts.handed = data.handed.nodes.map((n) => ({
          repo,
          number: n.number,
          title: n.title,
          url: n.url,
          markerComments: n.comments.nodes
            .filter((c) => c.body.includes(RECORD_MARKER_PREFIX))
            .map((c) => ({
              id: c.databaseId,
              author: toLogin(c.author),
              body: c.body,
              createdAt: c.createdAt,
              updatedAt: c.updatedAt,
            })),
        }));
      }
      return data.runs.pageInfo.hasNextPage ? data.runs.pageInfo.endCursor : null;
    },
    fail: (repo, error) => (at(repo).error = error),
  });
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
    labeled: (json.labelEvents?.nodes ?? []).flatMap((e) =>
      e.__typename === "LabeledEvent" && e.label && e.createdAt
        ? [{ label: e.label.name, by: toLogin(e.actor), at: e.createdAt }]
        : [],
    ),
  };
}

/** REST pages of 100 comments read per issue per tick when the batched read was not enough. */
export const COMMENT_PAGES_PER_ISSUE = 5;

/**
 * The comments of one issue, oldest first, over REST: at most `maxPages`
 * pages of 100, so a thread flooded with thousands of comments costs a
 * bounded number of requests each tick. Only for the rare issue whose thread
 * is longer than the batched read took, where the loop's own progress comment
 * may lie beyond it. `complete` is false when GitHub had more pages.
 */
export async function readComments(
  client: GitHubClient,
  issue: IssueRef,
  maxPages = COMMENT_PAGES_PER_ISSUE,
): Promise<{ comments: MarkerComment[]; complete: boolean }> {
  const [owner = "", repo = ""] = issue.repo.split("/");
  const comments: MarkerComment[] = [];
  let pages = 0;
  const iterator = client.octokit.paginate.iterator(client.octokit.rest.issues.listComments, {
    owner,
    repo,
    issue_number: issue.number,
    per_page: 100,
  });
  for await (const page of iterator) {
    pages++;
    comments.push(
      ...page.data.map((c) => ({
        id: c.id,
        body: c.body ?? "",
        createdAt: c.created_at,
        author: c.user ? { login: c.user.login, isBot: c.user.type === "Bot" } : null,
      })),
    );
    // GitHub names the next page in the Link header; without one this was the last.
    const more = /rel="next"/.test(page.headers.link ?? "");
    if (!more) return { comments, complete: true };
    if (pages >= maxPages) return { comments, complete: false };
  }
  return { comments, complete: true };
}
