// The GraphQL object graph over the store: one small factory per GitHub type,
// each exposing only the fields the loop reads (a field left out answers "not
// served" through the executor's field resolver). Owns GitHub's GraphQL-side
// quirks: bot logins without "[bot]" (REST keeps it) while `viewer` keeps it,
// the OR semantics of the `labels` filter, NOT_FOUND errors for repositories
// the token cannot see. Commits, CI and deployments live in commit-nodes.ts.
// Never mutates the store.

import { GraphQLError } from "graphql";
import type {
  GitHubStore,
  Issue,
  IssueComment,
  IssueEvent,
  PullRequest,
  PullRequestReview,
  Repo,
  TokenGrant,
} from "../store.js";
import { commitNode, deployments } from "./commit-nodes.js";
import { connection, type PageArgs } from "./connection.js";

interface RateLimitInfo {
  cost: number;
  limit: number;
  remaining: number;
  used: number;
  resetAt: string;
  nodeCount: number;
}

export interface GraphQLContext {
  store: GitHubStore;
  grant: TokenGrant;
  login: string;
  rateLimit: RateLimitInfo;
}

type Node = Record<string, unknown>;
const WEB = "https://github.com";

function notFound(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { type: "NOT_FOUND" } });
}

export function queryRoot(ctx: GraphQLContext): Node {
  return {
    viewer: () => viewer(ctx),
    rateLimit: () => ({ __typename: "RateLimit", ...ctx.rateLimit }),
    repository: ({ owner, name }: { owner: string; name: string }) => {
      const repo = ctx.store.repo(`${owner}/${name}`);
      if (!repo || !ctx.store.canReach(ctx.grant, repo.fullName)) {
        throw notFound(`Could not resolve to a Repository with the name '${owner}/${name}'.`);
      }
      return repository(ctx, repo);
    },
  };
}

/** `viewer` is typed `User!`; for an App or the built-in token GitHub answers with the bot login, suffix kept. */
function viewer(ctx: GraphQLContext): Node {
  const user = ctx.store.ensureUser(ctx.login);
  return {
    __typename: "User",
    id: user.nodeId,
    databaseId: user.id,
    login: user.login,
    name: null,
    url: `${WEB}/${user.login}`,
  };
}

function actor(ctx: GraphQLContext, login: string | null): Node | null {
  if (login === null) return null;
  const user = ctx.store.ensureUser(login);
  const bot = user.type === "Bot";
  const shown = bot ? user.login.replace(/\[bot\]$/, "") : user.login;
  const url = bot ? `${WEB}/apps/${shown}` : `${WEB}/${shown}`;
  return {
    __typename: user.type,
    id: user.nodeId,
    databaseId: user.id,
    login: shown,
    url,
    resourcePath: url.slice(WEB.length),
    avatarUrl: () => `https://avatars.githubusercontent.com/u/${user.id}?v=4`,
  };
}

function repository(ctx: GraphQLContext, repo: Repo): Node {
  const head = repo.branches.get(repo.defaultBranch);
  const headCommit = head === undefined ? undefined : repo.commits.get(head);
  return {
    __typename: "Repository",
    id: repo.nodeId,
    databaseId: repo.id,
    name: repo.name,
    nameWithOwner: repo.fullName,
    url: `${WEB}/${repo.fullName}`,
    isPrivate: repo.private,
    owner: () => actor(ctx, repo.owner),
    defaultBranchRef: () => ({
      __typename: "Ref",
      name: repo.defaultBranch,
      prefix: "refs/heads/",
      target: headCommit ? commitNode(repo, headCommit.sha) : null,
    }),
    issue: ({ number }: { number: number }) => {
      const found = ctx.store.lookupIssue(repo.fullName, number);
      if (!("issue" in found)) throw notFound(`Could not resolve to an Issue with the number of ${number}.`);
      return issue(ctx, repo, found.issue);
    },
    issues: (args: IssuesArgs) => connection(filterIssues(repo, args), args, (i) => issue(ctx, repo, i)),
    issueOrPullRequest: ({ number }: { number: number }) => {
      const found = ctx.store.lookupIssue(repo.fullName, number);
      if (!("issue" in found))
        throw notFound(`Could not resolve to an issue or pull request with the number of ${number}.`);
      return issue(ctx, repo, found.issue);
    },
    object: ({ oid, expression }: { oid?: string | null; expression?: string | null }) => {
      const commit = ctx.store.resolveRef(repo.fullName, oid ?? expression ?? "");
      return commit ? commitNode(repo, commit.sha) : null;
    },
    deployments: (args: Parameters<typeof deployments>[1]) => deployments(repo, args),
    pullRequests: (args: PullRequestsArgs) =>
      connection(filterPullRequests(repo, args), args, (p) => pullRequest(ctx, repo, p)),
    pullRequest: ({ number }: { number: number }) => {
      const pull = repo.pullRequests.find((p) => p.number === number);
      if (!pull) throw notFound(`Could not resolve to a PullRequest with the number of ${number}.`);
      return pullRequest(ctx, repo, pull);
    },
  };
}

interface PullRequestsArgs extends PageArgs {
  states?: ("OPEN" | "CLOSED" | "MERGED")[] | null;
  headRefName?: string | null;
  baseRefName?: string | null;
  orderBy?: { field: "CREATED_AT" | "UPDATED_AT"; direction: "ASC" | "DESC" } | null;
}

/** GitHub matches `headRefName` on the branch name alone: a fork's branch of that name matches too. */
function filterPullRequests(repo: Repo, args: PullRequestsArgs): PullRequest[] {
  const order = args.orderBy ?? { field: "CREATED_AT", direction: "ASC" };
  const sign = order.direction === "DESC" ? -1 : 1;
  const key = (p: PullRequest): string => (order.field === "UPDATED_AT" ? p.updatedAt : p.createdAt);
  return repo.pullRequests
    .filter(
      (p) =>
        !args.states || args.states.includes(p.state === "open" ? "OPEN" : p.state === "merged" ? "MERGED" : "CLOSED"),
    )
    .filter((p) => args.headRefName == null || p.headBranch === args.headRefName)
    .filter((p) => args.baseRefName == null || p.baseBranch === args.baseRefName)
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.number - b.number) * sign);
}

function pullRequest(ctx: GraphQLContext, repo: Repo, pull: PullRequest): Node {
  const url = `${WEB}/${repo.fullName}/pull/${pull.number}`;
  const headRepo = ctx.store.repo(pull.headRepo);
  // Open: the head branch as it is now. Merged or closed: the head it had then, branch deleted or not.
  const liveSha = headRepo?.branches.get(pull.headBranch) ?? null;
  const headSha = pull.state === "open" ? liveSha : pull.closedHeadSha;
  return {
    __typename: "PullRequest",
    id: pull.nodeId,
    databaseId: pull.id,
    number: pull.number,
    title: pull.title,
    body: pull.body,
    url,
    resourcePath: url.slice(WEB.length),
    state: pull.state.toUpperCase(),
    closed: pull.state !== "open",
    closedAt: pull.closedAt,
    merged: pull.state === "merged",
    mergedAt: pull.mergedAt,
    createdAt: pull.createdAt,
    updatedAt: pull.updatedAt,
    author: () => actor(ctx, pull.author),
    isCrossRepository: pull.headRepo.toLowerCase() !== repo.fullName.toLowerCase(),
    headRefName: pull.headBranch,
    baseRefName: pull.baseBranch,
    // GitHub keeps the head's oid after the branch is deleted; `headRef` is null from then on.
    headRefOid: headSha ?? "0".repeat(40),
    headRef: () =>
      headRepo && liveSha !== null
        ? { __typename: "Ref", name: pull.headBranch, prefix: "refs/heads/", target: commitNode(headRepo, liveSha) }
        : null,
    commits: (args: PageArgs) =>
      connection(
        headRepo && headSha !== null ? pullCommits(headRepo, repo, headSha, pull.baseBranch) : [],
        args,
        (sha) => pullRequestCommit(headRepo ?? repo, url, sha),
      ),
    reviews: (args: PageArgs & { states?: string[] | null; author?: string | null }) =>
      connection(
        pull.reviews.filter(
          (r) =>
            (!args.states || args.states.includes(r.state)) &&
            (args.author == null || r.author.toLowerCase() === args.author.toLowerCase()),
        ),
        args,
        (review) => pullRequestReview(ctx, url, review),
      ),
  };
}

/**
 * The pull request's commits, oldest first, head last: what the head has that the base branch
 * does not (GitHub's list, up to its 250-commit cap, which the sandbox never reaches).
 */
function pullCommits(headRepo: Repo, base: Repo, headSha: string, baseBranch: string): string[] {
  const reach = (repo: Repo, from: string | undefined): Map<string, string> => {
    const seen = new Map<string, string>();
    const queue = from === undefined ? [] : [from];
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const commit = repo.commits.get(next);
      if (!commit || seen.has(next)) continue;
      seen.set(next, commit.date);
      queue.push(...commit.parents);
    }
    return seen;
  };
  const inBase = reach(base, base.branches.get(baseBranch));
  const mine = [...reach(headRepo, headSha)].filter(([sha]) => !inBase.has(sha) && sha !== headSha);
  mine.sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return [...mine.map(([sha]) => sha), headSha];
}

function pullRequestCommit(repo: Repo, pullUrl: string, sha: string): Node {
  return {
    __typename: "PullRequestCommit",
    id: Buffer.from(`PullRequestCommit:${repo.id}:${sha}`).toString("base64"),
    url: `${pullUrl}/commits/${sha}`,
    resourcePath: `${pullUrl.slice(WEB.length)}/commits/${sha}`,
    commit: () => commitNode(repo, sha),
  };
}

function pullRequestReview(ctx: GraphQLContext, pullUrl: string, review: PullRequestReview): Node {
  const url = `${pullUrl}#pullrequestreview-${review.id}`;
  return {
    __typename: "PullRequestReview",
    id: review.nodeId,
    databaseId: review.id,
    url,
    resourcePath: url.slice(WEB.length),
    state: review.state,
    body: review.body,
    submittedAt: review.submittedAt,
    createdAt: review.submittedAt,
    author: () => actor(ctx, review.author),
    comments: (args: PageArgs) =>
      connection(review.comments, args, (comment) => ({
        __typename: "PullRequestReviewComment",
        id: comment.nodeId,
        databaseId: comment.id,
        path: comment.path,
        line: comment.line,
        body: comment.body,
        author: () => actor(ctx, review.author),
      })),
  };
}

interface IssuesArgs extends PageArgs {
  labels?: string[] | null;
  states?: ("OPEN" | "CLOSED")[] | null;
  orderBy?: { field: "CREATED_AT" | "UPDATED_AT" | "COMMENTS"; direction: "ASC" | "DESC" } | null;
  filterBy?: {
    labels?: string[] | null;
    states?: ("OPEN" | "CLOSED")[] | null;
    since?: string | null;
    createdBy?: string | null;
  } | null;
}

function filterIssues(repo: Repo, args: IssuesArgs): Issue[] {
  // GraphQL's `labels` filter matches issues carrying ANY of the names (REST's `labels` wants all).
  const labels = (args.labels ?? args.filterBy?.labels)?.map((l) => l.toLowerCase());
  const states = args.states ?? args.filterBy?.states;
  const since = args.filterBy?.since;
  const createdBy = args.filterBy?.createdBy?.toLowerCase();
  const order = args.orderBy ?? { field: "CREATED_AT", direction: "ASC" };
  const key = (i: Issue): string | number =>
    order.field === "UPDATED_AT" ? i.updatedAt : order.field === "COMMENTS" ? i.comments.length : i.createdAt;
  const sign = order.direction === "DESC" ? -1 : 1;
  return [...repo.issues.values()]
    .filter((i) => !labels || i.labels.some((l) => labels.includes(l.toLowerCase())))
    .filter((i) => !states || states.includes(i.state === "open" ? "OPEN" : "CLOSED"))
    .filter((i) => !since || i.updatedAt >= since)
    .filter((i) => createdBy === undefined || i.author.toLowerCase() === createdBy)
    .sort((a, b) => {
      const [ka, kb] = [key(a), key(b)];
      return (ka < kb ? -1 : ka > kb ? 1 : a.number - b.number) * sign;
    });
}

function issue(ctx: GraphQLContext, repo: Repo, it: Issue): Node {
  const url = `${WEB}/${repo.fullName}/issues/${it.number}`;
  return {
    __typename: "Issue",
    id: it.nodeId,
    databaseId: it.id,
    number: it.number,
    title: it.title,
    body: it.body,
    bodyText: it.body,
    url,
    resourcePath: url.slice(WEB.length),
    state: it.state === "open" ? "OPEN" : "CLOSED",
    stateReason: it.stateReason?.toUpperCase() ?? null,
    closed: it.state === "closed",
    closedAt: it.closedAt,
    createdAt: it.createdAt,
    updatedAt: it.updatedAt,
    lastEditedAt: it.lastEditedAt,
    includesCreatedEdit: it.lastEditedAt !== null,
    author: () => actor(ctx, it.author),
    editor: () => actor(ctx, it.editor),
    authorAssociation: () => ctx.store.associationOf(repo.fullName, it.author),
    repository: () => repository(ctx, repo),
    labels: (args: PageArgs) => connection(it.labels, args, (name) => label(ctx, repo, name)),
    comments: (args: PageArgs) => connection(it.comments, args, (c) => comment(ctx, repo, it, c)),
    userContentEdits: (args: PageArgs) =>
      connection(it.contentEdits, args, (e) => ({
        __typename: "UserContentEdit",
        id: e.nodeId,
        createdAt: e.editedAt,
        updatedAt: e.editedAt,
        editedAt: e.editedAt,
        editor: () => actor(ctx, e.editor),
        deletedAt: null,
        deletedBy: null,
        diff: null,
      })),
    timelineItems: (args: TimelineArgs) => timeline(ctx, repo, it, args),
  };
}

function label(ctx: GraphQLContext, repo: Repo, name: string): Node {
  const found = ctx.store.ensureLabel(repo.fullName, name);
  return {
    __typename: "Label",
    id: found.nodeId,
    name: found.name,
    color: found.color,
    description: found.description,
    url: `${WEB}/${repo.fullName}/labels/${encodeURIComponent(found.name)}`,
  };
}

function comment(ctx: GraphQLContext, repo: Repo, it: Issue, c: IssueComment): Node {
  return {
    __typename: "IssueComment",
    id: c.nodeId,
    databaseId: c.id,
    body: c.body,
    bodyText: c.body,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    lastEditedAt: c.lastEditedAt,
    includesCreatedEdit: c.lastEditedAt !== null,
    url: `${WEB}/${repo.fullName}/issues/${it.number}#issuecomment-${c.id}`,
    author: () => actor(ctx, c.author),
    editor: () => actor(ctx, c.editor),
    authorAssociation: () => ctx.store.associationOf(repo.fullName, c.author),
    viewerDidAuthor: c.author.toLowerCase() === ctx.login.toLowerCase(),
    issue: () => issue(ctx, repo, it),
  };
}

const ITEM_TYPE: Record<IssueEvent["event"] | "commented", string> = {
  labeled: "LABELED_EVENT",
  unlabeled: "UNLABELED_EVENT",
  referenced: "REFERENCED_EVENT",
  closed: "CLOSED_EVENT",
  reopened: "REOPENED_EVENT",
  renamed: "RENAMED_TITLE_EVENT",
  commented: "ISSUE_COMMENT",
};

interface TimelineArgs extends PageArgs {
  itemTypes?: string[] | null;
  since?: string | null;
  skip?: number | null;
}

function timeline(ctx: GraphQLContext, repo: Repo, it: Issue, args: TimelineArgs) {
  type Item = { at: string; id: number; type: string; node: () => Node };
  const items: Item[] = [
    ...it.events.map((e) => ({
      at: e.createdAt,
      id: e.id,
      type: ITEM_TYPE[e.event],
      node: () => event(ctx, repo, it, e),
    })),
    ...it.comments.map((c) => ({
      at: c.createdAt,
      id: c.id,
      type: ITEM_TYPE.commented,
      node: () => comment(ctx, repo, it, c),
    })),
  ]
    .filter((item) => !args.itemTypes || args.itemTypes.includes(item.type))
    .filter((item) => !args.since || item.at >= args.since)
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id - b.id))
    .slice(args.skip ?? 0);
  return {
    ...connection(items, args, (item) => item.node()),
    filteredCount: items.length,
    updatedAt: it.updatedAt,
  };
}

function event(ctx: GraphQLContext, repo: Repo, it: Issue, e: IssueEvent): Node {
  const base = { id: e.nodeId, actor: () => actor(ctx, e.actor), createdAt: e.createdAt };
  switch (e.event) {
    case "labeled":
    case "unlabeled":
      return {
        __typename: e.event === "labeled" ? "LabeledEvent" : "UnlabeledEvent",
        ...base,
        label: () => label(ctx, repo, e.label),
        labelable: () => issue(ctx, repo, it),
      };
    case "referenced": {
      const source = ctx.store.repo(e.commitRepo);
      return {
        __typename: "ReferencedEvent",
        ...base,
        commit: () => (source ? commitNode(source, e.commitId) : null),
        commitRepository: () => (source ? repository(ctx, source) : null),
        isCrossRepository: e.commitRepo.toLowerCase() !== repo.fullName.toLowerCase(),
        isDirectReference: true,
        subject: () => issue(ctx, repo, it),
      };
    }
    case "closed": {
      const source = e.commitRepo === null ? undefined : ctx.store.repo(e.commitRepo);
      return {
        __typename: "ClosedEvent",
        ...base,
        stateReason: e.stateReason.toUpperCase(),
        closable: () => issue(ctx, repo, it),
        closer: () => (source && e.commitId !== null ? commitNode(source, e.commitId) : null),
        url: `${WEB}/${repo.fullName}/issues/${it.number}#event-${e.id}`,
      };
    }
    case "reopened":
      return {
        __typename: "ReopenedEvent",
        ...base,
        stateReason: "REOPENED",
        closable: () => issue(ctx, repo, it),
      };
    case "renamed":
      return {
        __typename: "RenamedTitleEvent",
        ...base,
        previousTitle: e.from,
        currentTitle: e.to,
        subject: () => issue(ctx, repo, it),
      };
  }
}
