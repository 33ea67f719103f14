// Poll reads: the poll tick's facts for every allowlisted repository in a few
// batched GraphQL queries (ready issues with their labels, edits and comments;
// the lock), returned as plain data, plus what the watch reads share: the JSON
// shapes, the marker prefix and the bounded REST comment fallback. Owns the
// query shapes and the mapping from GitHub's JSON to the loop's types;
// paginates only a connection that came back full. Decides nothing: trust,
// locks and blockers are judged by the core from what this returns.

import type { IssueComment, IssueRef, Instant, RepoSlug } from "../core/types.js";
import type { GitHubClient } from "./client.js";
import { readRepoPages } from "./graphql.js";

const READY_PAGE = 30;
export const LOCK_PAGE = 20;
export const LABELS_PER_ISSUE = 20;
export const LABEL_EVENTS_PER_ISSUE = 10;
/** Body edits read per ready issue; an issue with more is not dispatched (its history is unread). */
const BODY_EDITS_PER_ISSUE = 20;
export const COMMENTS_PER_READY_ISSUE = 20;

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

export interface ActorJson {
  __typename?: string;
  login: string;
}
interface LabelEventJson {
  __typename: string;
  createdAt: string;
  label?: { name: string };
  actor: ActorJson | null;
}
export interface CommentJson {
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
export interface PageJson<T> {
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
export function toLogin(actor: ActorJson | null | undefined): Login | null {
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

// --- shared with the watch tick ---------------------------------------------------

/** The marker every run record starts with; comments without it are never read further. */
export const RECORD_MARKER_PREFIX = "<!-- afk-loop:run";

/** A comment that carries a run-record marker, whoever wrote it: the core decides which one counts. */
export interface MarkerComment {
  id: number;
  author: Login | null;
  body: string;
  createdAt: Instant;
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
