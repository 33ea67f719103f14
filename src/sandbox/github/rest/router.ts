// The REST route table: templated paths (`/repos/{owner}/{repo}/issues`) matched
// to handlers, and the context a handler receives. Owns matching and the
// templated route name the request log records. Never checks tokens or reach
// (the server does that before a repo-scoped handler runs).

import type { GitHubStore, Repo, TokenGrant } from "../store.js";
import type { Renderer } from "./render.js";

export interface RestContext {
  method: string;
  url: URL;
  params: Record<string, string>;
  body: unknown;
  store: GitHubStore;
  render: Renderer;
  /** The emulator's base URL, for `url` fields and Link headers. */
  api: string;
  login: string;
  grant: TokenGrant;
}

export interface RepoContext extends RestContext {
  repo: Repo;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

type Handler<C> = (ctx: C) => Reply;

export type Route =
  | {
      scope: "global";
      method: string;
      template: string;
      pattern: RegExp;
      keys: string[];
      handler: Handler<RestContext>;
    }
  | { scope: "repo"; method: string; template: string; pattern: RegExp; keys: string[]; handler: Handler<RepoContext> };

// Ids and numbers are digits only, so `/issues/comments/{id}` never reads as `/issues/{issue_number}/...`.
const NUMERIC = /(_number|_id)$/;

function compile(template: string): { pattern: RegExp; keys: string[] } {
  const keys: string[] = [];
  const source = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    keys.push(name);
    return NUMERIC.test(name) && name !== "workflow_id" ? "(\\d+)" : "([^/]+)";
  });
  return { pattern: new RegExp(`^${source}/?$`), keys };
}

export function route(method: string, template: string, handler: Handler<RestContext>): Route {
  return { scope: "global", method, template, handler, ...compile(template) };
}

/** A route under `/repos/{owner}/{repo}`: the server resolves the repo (and the token's reach) first. */
export function repoRoute(method: string, suffix: string, handler: Handler<RepoContext>): Route {
  const template = `/repos/{owner}/{repo}${suffix}`;
  return { scope: "repo", method, template, handler, ...compile(template) };
}

export function matchRoute(
  routes: readonly Route[],
  method: string,
  pathname: string,
): { route: Route; params: Record<string, string> } | undefined {
  for (const candidate of routes) {
    if (candidate.method !== method) continue;
    const match = candidate.pattern.exec(pathname);
    if (!match) continue;
    const params: Record<string, string> = {};
    candidate.keys.forEach((k, i) => (params[k] = decodeURIComponent(match[i + 1] ?? "")));
    return { route: candidate, params };
  }
  return undefined;
}
