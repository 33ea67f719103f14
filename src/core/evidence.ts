// Decides which of GitHub's evidence about a run counts: the progress comment
// (only the loop's own identity may write the run record) and the commit the
// agent pushed (after dispatch, on the default branch, newest wins; or, when
// agents deliver by pull request, the head of the run's own pull request).
// Anyone can mention an issue from a commit: only a commit whose message
// carries the run's trailer (`AFK-Run: <run id>`) is the agent's, and no other
// commit ever changes a verdict. Pure: the adapters hand over what they read,
// this says what it means.

import type { Instant, RepoSlug } from "./types.js";

export interface AuthoredComment {
  id: number;
  author: { login: string } | null;
  body: string;
  createdAt: Instant;
}

export interface ProgressCommentChoice<C extends AuthoredComment> {
  /** The loop's own progress comment: the earliest one, since the loop writes exactly one and edits it. */
  own: C | null;
  /** Look-alike comments carrying a record marker written by anyone else: ignored, and reported. */
  foreign: C[];
}

export function pickProgressComment<C extends AuthoredComment>(
  comments: readonly C[],
  loopIdentity: string,
): ProgressCommentChoice<C> {
  const identity = loopIdentity.toLowerCase();
  const own = comments
    .filter((c) => c.author?.login.toLowerCase() === identity)
    .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.id - b.id);
  return {
    own: own[0] ?? null,
    foreign: comments.filter((c) => c.author?.login.toLowerCase() !== identity),
  };
}

export interface CommitReference {
  sha: string;
  at: Instant;
  /** The repository the commit lives in, when the timeline says. */
  repo: RepoSlug | null;
}

/**
 * Whether a red parent is this run's own: the commit it recorded pushing, or
 * one carrying its trailer. Red on such a parent is a fix that did not fix,
 * not someone else's breakage, so the same-failure and budget rules judge it
 * (or one retry would freeze the run). Someone else's red parent stays
 * someone else's.
 */
export function isOwnParent(
  parent: { sha: string; message: string | null } | null,
  run: { pushedSha: string | null; runId: string },
): boolean {
  return parent !== null && (parent.sha === run.pushedSha || isAgentCommit(parent.message, run.runId));
}

/** The trailer key the prompt asks the agent to end every commit message with. */
const RUN_TRAILER = "AFK-Run";

/**
 * Whether a commit message carries `AFK-Run: <runId>` on a line of its own
 * (the key in any case, as git reads trailers). An unknown message (null) is
 * nobody's.
 */
export function isAgentCommit(message: string | null | undefined, runId: string): boolean {
  if (message == null) return false;
  const key = RUN_TRAILER.toLowerCase();
  return message.split(/\r?\n/).some((line) => {
    const colon = line.indexOf(":");
    return colon > 0 && line.slice(0, colon).trim().toLowerCase() === key && line.slice(colon + 1).trim() === runId;
  });
}

/**
 * The commit the agent pushed for this run: referenced from the issue after
 * `since` (the dispatch), living in the issue's own repository, reachable
 * from the default branch, and the agent's (`isAgents`: its message carries
 * the run's trailer). Several qualify after fix-forwards: newest wins.
 */
export function pushedCommit(
  references: readonly CommitReference[],
  options: {
    repo: RepoSlug;
    since: Instant;
    onDefaultBranch: (sha: string) => boolean;
    isAgents: (sha: string) => boolean;
  },
): CommitReference | null {
  const since = Date.parse(options.since);
  let newest: CommitReference | null = null;
  for (const ref of references) {
    if (ref.repo !== null && ref.repo.toLowerCase() !== options.repo.toLowerCase()) continue;
    if (!(Date.parse(ref.at) > since)) continue;
    if (!options.onDefaultBranch(ref.sha) || !options.isAgents(ref.sha)) continue;
    if (newest === null || Date.parse(ref.at) >= Date.parse(newest.at)) newest = ref;
  }
  return newest;
}

/**
 * The commits that referenced the issue since `since` from its own repository
 * but are not the agent's (`isAgents` false), each sha once, oldest first: the
 * progress comment lists them so a maintainer sees they were seen and ignored.
 */
export function notTheAgents(
  references: readonly CommitReference[],
  options: { repo: RepoSlug; since: Instant; isAgents: (sha: string) => boolean },
): string[] {
  const since = Date.parse(options.since);
  const shas: string[] = [];
  for (const ref of [...references].sort((a, b) => Date.parse(a.at) - Date.parse(b.at))) {
    if (ref.repo !== null && ref.repo.toLowerCase() !== options.repo.toLowerCase()) continue;
    if (!(Date.parse(ref.at) > since) || options.isAgents(ref.sha) || shas.includes(ref.sha)) continue;
    shas.push(ref.sha);
  }
  return shas;
}

/** The referenced shas worth asking GitHub about (same repo, after dispatch), newest first, at most `limit`. */
export function candidateShas(
  references: readonly CommitReference[],
  options: { repo: RepoSlug; since: Instant; limit: number },
): string[] {
  const since = Date.parse(options.since);
  const shas: string[] = [];
  const sorted = [...references].sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  for (const ref of sorted) {
    if (ref.repo !== null && ref.repo.toLowerCase() !== options.repo.toLowerCase()) continue;
    if (!(Date.parse(ref.at) > since) || shas.includes(ref.sha)) continue;
    shas.push(ref.sha);
    if (shas.length >= options.limit) break;
  }
  return shas;
}

export interface PullRequestCandidate {
  number: number;
  /** The head branch lives in a fork. */
  crossRepository: boolean;
  /** Its head commit; null when the head branch is gone. */
  head: { sha: string; committedAt: Instant | null; message: string | null } | null;
}

/** A candidate whose head is known and dated. */
export type DeliveringPullRequest<P extends PullRequestCandidate> = P & {
  head: NonNullable<P["head"]> & { committedAt: Instant };
};

/**
 * The pull request a run delivered through, among the open or merged ones
 * from the branch the prompt named after the run: its head must live in the
 * issue's own repository (a fork's branch of the same name is anyone's to
 * push), must have been committed after `since` (the dispatch), or nothing
 * new was pushed, and must be the agent's (its message carries the run's
 * trailer): someone else's commit on top is not the run's delivery. Several
 * qualify only if the agent opened more than one: newest wins.
 */
export function deliveredPullRequest<P extends PullRequestCandidate>(
  pulls: readonly P[],
  options: { since: Instant; runId: string },
): DeliveringPullRequest<P> | null {
  const since = Date.parse(options.since);
  const qualifies = (pull: P): pull is DeliveringPullRequest<P> =>
    !pull.crossRepository &&
    pull.head?.committedAt != null &&
    Date.parse(pull.head.committedAt) > since &&
    isAgentCommit(pull.head.message, options.runId);
  let newest: DeliveringPullRequest<P> | null = null;
  for (const pull of pulls) {
    if (qualifies(pull) && (newest === null || pull.number > newest.number)) newest = pull;
  }
  return newest;
}
