// GitHub's page-number pagination: `per_page` (default 30, at most 100) and
// `page`, with a `Link` header pointing back at this emulator. Owns slicing and
// the header; never sorts or filters.

import type { RestContext } from "./router.js";

export interface Page<T> {
  items: T[];
  headers: Record<string, string>;
}

export function paginate<T>(all: readonly T[], ctx: Pick<RestContext, "url" | "api">): Page<T> {
  const perPage = clamp(Number(ctx.url.searchParams.get("per_page") ?? 30), 1, 100, 30);
  const page = clamp(Number(ctx.url.searchParams.get("page") ?? 1), 1, Number.MAX_SAFE_INTEGER, 1);
  const last = Math.max(1, Math.ceil(all.length / perPage));
  const link = (n: number, rel: string): string => {
    const target = new URL(ctx.url.pathname + ctx.url.search, ctx.api);
    target.searchParams.set("per_page", String(perPage));
    target.searchParams.set("page", String(n));
    return `<${target.toString()}>; rel="${rel}"`;
  };
  const rels: string[] = [];
  if (page > 1) rels.push(link(Math.min(page - 1, last), "prev"));
  if (page < last) rels.push(link(page + 1, "next"), link(last, "last"));
  if (page > 1) rels.push(link(1, "first"));
  return {
    items: all.slice((page - 1) * perPage, page * perPage),
    headers: rels.length > 0 ? { link: rels.join(", ") } : {},
  };
}

function clamp(value: number, min: number, max: number, fallback: number): number {
  if (!Number.isInteger(value)) return fallback;
  return Math.min(max, Math.max(min, value));
}
