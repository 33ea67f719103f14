// Watch reads: the watch tick's facts for every allowlisted repository in one
// batched GraphQL query (open runs with their marker comments and referenced
// commits, runs still owing a doorbell, issues handed to a human, closed
// issues still locked), plus the bounded REST fallback for a thread longer
// than the batched read. Plain data out; decides nothing.

import type { Instant, RepoSlug } from "../core/types.js";
import type { GitHubClient } from "./client.js";
import { readRepoPages } from "./graphql.js";
import {
  LABEL_EVENTS_PER_ISSUE,
  LABELS_PER_ISSUE,
  LOCK_PAGE,
  RECORD_MARKER_PREFIX,
  toLogin,
  type ActorJson,
  type CommentJson,
  type Login,
  type MarkerComment,
  type PageJson,
} from "./poll-reads.js";

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
export const COMMENTS_PER_RUN_ISSUE = 30;
const REFERENCES_PER_RUN_ISSUE = 20;

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
  /** Absent when runs awaiting review are not followed (push delivery). */
  awaiting?: { nodes: RunIssueJson[] };
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
  $AWAITING
  handed: issues(first: ${HANDED_PAGE}, states: OPEN, labels: [$human], orderBy: { field: UPDATED_AT, direction: DESC }) {
    nodes {
      number title url
      comments(last: ${COMMENTS_PER_HANDED_ISSUE}) { nodes { databaseId body createdAt updatedAt author { __typename login } } }
    }
  }`;

/**
 * Runs awaiting review exist only with pull-request delivery; with push delivery their
 * connection is left out, which saves about a point per repository on every watch tick.
 */
const AWAITING_SELECTION = `awaiting: issues(first: ${AWAITING_PAGE}, states: [OPEN, CLOSED], labels: [$awaiting], orderBy: { field: UPDATED_AT, direction: ASC }) {
    nodes { ...AfkRunIssue }
  }`;

function watchSelection(followAwaiting: boolean): string {
  return WATCH_SELECTION.replace("$AWAITING", followAwaiting ? AWAITING_SELECTION : "");
}

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
  /** `awaiting` null: runs awaiting review are not followed (push delivery). */
  labels: { inProgress: string; owed: string; human: string; awaiting: string | null },
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
  const follow = labels.awaiting !== null;
  const facts = new Map<RepoSlug, WatchRepoFacts>(repos.map((repo) => [repo, empty(repo)]));
  const at = (repo: RepoSlug) => facts.get(repo) ?? empty(repo);
  const viewer = await readRepoPages<WatchRepoJson, string | null>(client, repos, null, {
    name: "AfkWatchFacts",
    declare: ["$inProgress: String!", "$owed: String!", "$human: String!", ...(follow ? ["$awaiting: String!"] : [])],
    shared: {
      inProgress: labels.inProgress,
      owed: labels.owed,
      human: labels.human,
      ...(follow ? { awaiting: labels.awaiting } : {}),
    },
    selection: watchSelection(follow),
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
        repoFacts.awaiting = (data.awaiting?.nodes ?? []).map((n) => toRunIssueFacts(repo, n));
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
