// REST routes for who may do what in a repo and what its history holds:
// collaborator permission, commits, compare. Owns ref resolution errors and
// the ahead/behind arithmetic of compare.

import { GitHubHttpError, notFound } from "../http-error.js";
import type { Commit } from "../store.js";
import { paginate } from "./paginate.js";
import { repoRoute, type RepoContext, type Reply, type Route } from "./router.js";

function resolve(ctx: RepoContext, ref: string): Commit {
  const commit = ctx.store.resolveRef(ctx.repo.fullName, ref);
  if (!commit) throw new GitHubHttpError(422, `No commit found for SHA: ${ref}`);
  return commit;
}

function permission(ctx: RepoContext): Reply {
  const login = ctx.params["username"] ?? "";
  if (!ctx.store.user(login)) throw notFound();
  return { status: 200, body: ctx.render.permission(ctx.repo, login) };
}

function listCommits(ctx: RepoContext): Reply {
  const q = ctx.url.searchParams;
  const start = q.get("sha") ?? ctx.repo.defaultBranch;
  const head = ctx.store.resolveRef(ctx.repo.fullName, start);
  if (!head) throw notFound();
  const since = q.get("since");
  const until = q.get("until");
  const author = q.get("author")?.toLowerCase();
  const commits = ctx.store
    .history(ctx.repo.fullName, head.sha)
    .filter((c) => (since === null || c.date >= since) && (until === null || c.date <= until))
    .filter((c) => author === undefined || c.author.toLowerCase() === author);
  const page = paginate(commits, ctx);
  return { status: 200, body: page.items.map((c) => ctx.render.commit(ctx.repo, c)), headers: page.headers };
}

function compare(ctx: RepoContext): Reply {
  const [baseRef, headRef] = (ctx.params["basehead"] ?? "").split("...");
  if (baseRef === undefined || headRef === undefined || baseRef === "" || headRef === "") throw notFound();
  const base = ctx.store.resolveRef(ctx.repo.fullName, baseRef);
  const head = ctx.store.resolveRef(ctx.repo.fullName, headRef);
  if (!base || !head) throw notFound();
  const baseHistory = ctx.store.history(ctx.repo.fullName, base.sha);
  const headHistory = ctx.store.history(ctx.repo.fullName, head.sha);
  const inBase = new Set(baseHistory.map((c) => c.sha));
  const inHead = new Set(headHistory.map((c) => c.sha));
  const mergeBase = headHistory.find((c) => inBase.has(c.sha));
  if (!mergeBase) {
    throw new GitHubHttpError(404, `No common ancestor between ${baseRef} and ${headRef}.`);
  }
  const ahead = headHistory.filter((c) => !inBase.has(c.sha)).reverse();
  const behindBy = baseHistory.filter((c) => !inHead.has(c.sha)).length;
  const status =
    ahead.length === 0 && behindBy === 0
      ? "identical"
      : behindBy === 0
        ? "ahead"
        : ahead.length === 0
          ? "behind"
          : "diverged";
  const page = paginate(ahead, ctx);
  const web = `https://github.com/${ctx.repo.fullName}/compare/${baseRef}...${headRef}`;
  return {
    status: 200,
    headers: page.headers,
    body: {
      url: `${ctx.render.repoUrl(ctx.repo)}/compare/${baseRef}...${headRef}`,
      html_url: web,
      permalink_url: `https://github.com/${ctx.repo.fullName}/compare/${base.sha}...${head.sha}`,
      diff_url: `${web}.diff`,
      patch_url: `${web}.patch`,
      base_commit: ctx.render.commit(ctx.repo, base),
      merge_base_commit: ctx.render.commit(ctx.repo, mergeBase),
      status,
      ahead_by: ahead.length,
      behind_by: behindBy,
      total_commits: ahead.length,
      commits: page.items.map((c) => ctx.render.commit(ctx.repo, c)),
      files: [],
    },
  };
}

export const repoRoutes: Route[] = [
  repoRoute("GET", "/collaborators/{username}/permission", permission),
  repoRoute("GET", "/commits", listCommits),
  repoRoute("GET", "/commits/{ref}", (ctx) => ({
    status: 200,
    body: { ...ctx.render.commit(ctx.repo, resolve(ctx, ctx.params["ref"] ?? "")), files: [] },
  })),
  repoRoute("GET", "/compare/{basehead}", compare),
];
