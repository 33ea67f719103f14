// REST routes for issues (list, create, edit), their labels and comments. Owns GitHub's list
// filters and sort order, and which store mutation each write performs, acting
// as the token's identity. Never checks reach (the server did).

import { z } from "zod";
import { GitHubHttpError, gone, invalid, notFound } from "../http-error.js";
import type { Issue, IssueComment } from "../store.js";
import { parseBody } from "./body.js";
import { paginate } from "./paginate.js";
import { repoRoute, type RepoContext, type Reply, type Route } from "./router.js";

/** The issue in the path: 404 when it never existed, 410 when deleted, 301 when transferred. */
export function pathIssue(ctx: RepoContext): Issue {
  const found = ctx.store.lookupIssue(ctx.repo.fullName, Number(ctx.params["issue_number"]));
  if ("issue" in found) return found.issue;
  if (!("gone" in found)) throw notFound();
  if (found.gone === "deleted") throw gone();
  const url = `${ctx.api}/repos/${found.to.repo}/issues/${found.to.number}`;
  throw new GitHubHttpError(301, "Moved Permanently", { url }, { location: url });
}

const labelList = z.array(z.union([z.string(), z.object({ name: z.string() }).transform((l) => l.name)]));
const addLabels = z
  .union([labelList, z.object({ labels: labelList })])
  .transform((v) => (Array.isArray(v) ? v : v.labels));
const updateIssue = z.object({
  title: z.union([z.string(), z.number().transform(String)]).nullish(),
  body: z.string().nullish(),
  state: z.enum(["open", "closed"]).optional(),
  state_reason: z.enum(["completed", "not_planned", "duplicate", "reopened"]).nullish(),
  labels: labelList.optional(),
});
const commentBody = z.object({ body: z.string() });
const createIssueBody = z.object({
  title: z.union([z.string(), z.number().transform(String)]),
  body: z.string().nullish(),
  labels: labelList.optional(),
});

function listIssues(ctx: RepoContext): Reply {
  const q = ctx.url.searchParams;
  const state = q.get("state") ?? "open";
  const wanted = (q.get("labels") ?? "")
    .split(",")
    .map((l) => l.trim().toLowerCase())
    .filter((l) => l !== "");
  const since = q.get("since");
  const creator = q.get("creator")?.toLowerCase();
  const sort = q.get("sort") ?? "created";
  const direction = q.get("direction") === "asc" ? 1 : -1;
  const sortKey = (i: Issue): string | number =>
    sort === "updated" ? i.updatedAt : sort === "comments" ? i.comments.length : i.createdAt;
  const issues = [...ctx.repo.issues.values()]
    .filter((i) => state === "all" || i.state === state)
    .filter((i) => wanted.every((w) => i.labels.some((l) => l.toLowerCase() === w)))
    .filter((i) => since === null || i.updatedAt >= since)
    .filter((i) => creator === undefined || i.author.toLowerCase() === creator)
    .sort((a, b) => {
      const [ka, kb] = [sortKey(a), sortKey(b)];
      return (ka < kb ? -1 : ka > kb ? 1 : a.number - b.number) * direction;
    });
  const page = paginate(issues, ctx);
  return { status: 200, body: page.items.map((i) => ctx.render.issue(ctx.repo, i)), headers: page.headers };
}

/** Creates an issue as the token's identity; labels are applied by it too (the emulator's tokens may label). */
function create(ctx: RepoContext): Reply {
  const spec = parseBody(createIssueBody, ctx.body);
  if (spec.title.trim() === "") {
    throw invalid("Validation Failed", [{ resource: "Issue", field: "title", code: "missing_field" }]);
  }
  const issue = ctx.store.createIssue(ctx.repo.fullName, {
    author: ctx.login,
    title: spec.title,
    body: spec.body ?? "",
  });
  for (const label of spec.labels ?? []) ctx.store.applyLabel(ctx.repo.fullName, issue.number, label, ctx.login);
  const rendered = ctx.render.issue(ctx.repo, issue);
  return { status: 201, body: rendered, headers: { location: rendered.url } };
}

function update(ctx: RepoContext): Reply {
  const issue = pathIssue(ctx);
  const patch = parseBody(updateIssue, ctx.body);
  const { store, repo, login } = ctx;
  if (patch.title === null || patch.title === "") {
    throw invalid("Validation Failed", [{ resource: "Issue", field: "title", code: "missing_field" }]);
  }
  store.editIssue(repo.fullName, issue.number, { title: patch.title, body: patch.body ?? undefined }, login);
  if (patch.labels) {
    const keep = new Set(patch.labels.map((l) => l.toLowerCase()));
    for (const label of [...issue.labels]) {
      if (!keep.has(label.toLowerCase())) store.removeLabel(repo.fullName, issue.number, label, login);
    }
    for (const label of patch.labels) store.applyLabel(repo.fullName, issue.number, label, login);
  }
  if (patch.state === "closed") {
    const reason = patch.state_reason === "reopened" ? "completed" : (patch.state_reason ?? "completed");
    store.closeIssue(repo.fullName, issue.number, login, reason);
  } else if (patch.state === "open") {
    store.reopenIssue(repo.fullName, issue.number, login);
  }
  return { status: 200, body: ctx.render.issue(repo, issue) };
}

function labelsOf(ctx: RepoContext, issue: Issue): Reply {
  return { status: 200, body: issue.labels.map((name) => ctx.render.label(ctx.repo, name)) };
}

function addLabelsRoute(ctx: RepoContext): Reply {
  const issue = pathIssue(ctx);
  const labels = parseBody(addLabels, ctx.body);
  if (labels.length === 0) {
    throw invalid('Invalid request.\n\nNo subschema in "anyOf" matched.');
  }
  for (const label of labels) ctx.store.applyLabel(ctx.repo.fullName, issue.number, label, ctx.login);
  return labelsOf(ctx, issue);
}

function removeLabelRoute(ctx: RepoContext): Reply {
  const issue = pathIssue(ctx);
  const name = ctx.params["name"] ?? "";
  if (!issue.labels.some((l) => l.toLowerCase() === name.toLowerCase())) {
    throw new GitHubHttpError(404, "Label does not exist", {
      documentationUrl: "https://docs.github.com/rest/issues/labels#remove-a-label-from-an-issue",
    });
  }
  ctx.store.removeLabel(ctx.repo.fullName, issue.number, name, ctx.login);
  return labelsOf(ctx, issue);
}

function pathComment(ctx: RepoContext): { issue: Issue; comment: IssueComment } {
  const found = ctx.store.findComment(ctx.repo.fullName, Number(ctx.params["comment_id"]));
  if (!found) throw notFound();
  return found;
}

function listComments(ctx: RepoContext): Reply {
  const issue = pathIssue(ctx);
  const since = ctx.url.searchParams.get("since");
  const comments = issue.comments.filter((c) => since === null || c.updatedAt >= since);
  const page = paginate(comments, ctx);
  return {
    status: 200,
    body: page.items.map((c) => ctx.render.comment(ctx.repo, issue, c)),
    headers: page.headers,
  };
}

function createComment(ctx: RepoContext): Reply {
  const issue = pathIssue(ctx);
  const { body } = parseBody(commentBody, ctx.body);
  const comment = ctx.store.addComment(ctx.repo.fullName, issue.number, body, ctx.login);
  const rendered = ctx.render.comment(ctx.repo, issue, comment);
  return { status: 201, body: rendered, headers: { location: rendered.url } };
}

function updateComment(ctx: RepoContext): Reply {
  const { issue, comment } = pathComment(ctx);
  const { body } = parseBody(commentBody, ctx.body);
  ctx.store.updateComment(ctx.repo.fullName, comment.id, body, ctx.login);
  return { status: 200, body: ctx.render.comment(ctx.repo, issue, comment) };
}

export const issueRoutes: Route[] = [
  repoRoute("GET", "/issues", listIssues),
  repoRoute("POST", "/issues", create),
  repoRoute("GET", "/issues/comments/{comment_id}", (ctx) => {
    const { issue, comment } = pathComment(ctx);
    return { status: 200, body: ctx.render.comment(ctx.repo, issue, comment) };
  }),
  repoRoute("PATCH", "/issues/comments/{comment_id}", updateComment),
  repoRoute("GET", "/issues/{issue_number}", (ctx) => ({
    status: 200,
    body: ctx.render.issue(ctx.repo, pathIssue(ctx)),
  })),
  repoRoute("PATCH", "/issues/{issue_number}", update),
  repoRoute("GET", "/issues/{issue_number}/labels", (ctx) => labelsOf(ctx, pathIssue(ctx))),
  repoRoute("POST", "/issues/{issue_number}/labels", addLabelsRoute),
  repoRoute("DELETE", "/issues/{issue_number}/labels/{name}", removeLabelRoute),
  repoRoute("GET", "/issues/{issue_number}/comments", listComments),
  repoRoute("POST", "/issues/{issue_number}/comments", createComment),
];
