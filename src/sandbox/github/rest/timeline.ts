// REST routes for an issue's history: the timeline (events and comments,
// oldest first), the events list, and native "blocked by" dependencies.
// Owns ordering and which records each list includes.

import type { Issue } from "../store.js";
import { pathIssue } from "./issues.js";
import { paginate } from "./paginate.js";
import { repoRoute, type RepoContext, type Reply, type Route } from "./router.js";

function timeline(ctx: RepoContext): Reply {
  const issue = pathIssue(ctx);
  const items = [
    ...issue.events.map((event) => ({
      at: event.createdAt,
      id: event.id,
      render: () => ctx.render.event(ctx.repo, event),
    })),
    ...issue.comments.map((comment) => ({
      at: comment.createdAt,
      id: comment.id,
      render: () => ctx.render.commented(ctx.repo, issue, comment),
    })),
  ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id - b.id));
  const page = paginate(items, ctx);
  return { status: 200, body: page.items.map((item) => item.render()), headers: page.headers };
}

function events(ctx: RepoContext): Reply {
  const issue = pathIssue(ctx);
  const page = paginate(issue.events, ctx);
  return { status: 200, body: page.items.map((event) => ctx.render.event(ctx.repo, event)), headers: page.headers };
}

/** Blockers whose repo is gone or whose issue was deleted are left out, as GitHub drops them. */
function blockedBy(ctx: RepoContext): Reply {
  const issue = pathIssue(ctx);
  const blockers: { repoName: string; issue: Issue }[] = [];
  for (const ref of issue.blockedBy) {
    const found = ctx.store.lookupIssue(ref.repo, ref.number);
    if ("issue" in found) blockers.push({ repoName: ref.repo, issue: found.issue });
  }
  const page = paginate(blockers, ctx);
  return {
    status: 200,
    body: page.items.flatMap(({ repoName, issue: blocker }) => {
      const repo = ctx.store.repo(repoName);
      return repo ? [ctx.render.issue(repo, blocker)] : [];
    }),
    headers: page.headers,
  };
}

export const timelineRoutes: Route[] = [
  repoRoute("GET", "/issues/{issue_number}/timeline", timeline),
  repoRoute("GET", "/issues/{issue_number}/events", events),
  repoRoute("GET", "/issues/{issue_number}/dependencies/blocked_by", blockedBy),
];
