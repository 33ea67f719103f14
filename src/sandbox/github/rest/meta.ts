// REST routes about the caller rather than a repo: `GET /rate_limit` (free, as on
// GitHub) and `GET /user` (a user token's account; an installation token gets
// GitHub's 403, which is why clients ask GraphQL's `viewer` instead).

import type { components } from "@octokit/openapi-types";
import { notAccessible } from "../http-error.js";
import { route, type RestContext, type Route } from "./router.js";

type Overview = components["schemas"]["rate-limit-overview"];

function user(ctx: RestContext): components["schemas"]["public-user"] {
  const account = ctx.store.ensureUser(ctx.login);
  if (account.type === "Bot") throw notAccessible();
  const created = ctx.store.allRepos()[0]?.createdAt ?? "2008-01-14T04:33:35Z";
  return {
    ...ctx.render.user(account.login),
    name: null,
    company: null,
    blog: null,
    location: null,
    email: null,
    hireable: null,
    bio: null,
    public_repos: ctx.store.allRepos().filter((r) => r.owner.toLowerCase() === account.login.toLowerCase()).length,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: created,
    updated_at: created,
  };
}

export function metaRoutes(rateLimits: (ctx: RestContext) => Overview): Route[] {
  return [
    route("GET", "/rate_limit", (ctx) => ({ status: 200, body: rateLimits(ctx) })),
    route("GET", "/user", (ctx) => ({ status: 200, body: user(ctx) })),
  ];
}
