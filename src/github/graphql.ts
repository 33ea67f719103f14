// Batched GraphQL: one query that aliases many repositories, with per-alias
// errors kept apart so one unreadable repository never hides the others.
// Owns the query text assembly (variables only: no value is ever spliced into
// the document) and the accounting of points. Makes no decision about what
// the data means.

import type { RepoSlug } from "../core/types.js";
import type { GitHubClient } from "./client.js";

/** One aliased root field: `alias: repository(owner: $oN, name: $nN) { ...selection }`. */
interface RepoSelection {
  alias: string;
  owner: string;
  name: string;
  /** Extra variables this alias uses, declared by `declare` below. */
  variables?: Record<string, unknown>;
}

export interface BatchQuery {
  /** Operation name, so GitHub's logs and the emulator's request log can tell queries apart. */
  name: string;
  /** Shared variable declarations, e.g. `$ready: String!`. */
  declare: string[];
  shared: Record<string, unknown>;
  /** Selection inside each `repository(...)`, usually a fragment spread; `$ALIAS` is replaced by the alias. */
  selection: string | ((repo: RepoSelection) => string);
  /** Fragment definitions the selection uses. */
  fragments: string;
  repos: RepoSelection[];
  /** Per-repo variable declarations (the names must carry the alias, e.g. `$since_r0: GitTimestamp`). */
  perRepoDeclare?: (repo: RepoSelection) => string[];
  /** Also ask who the token is (`viewer { login }`): free when folded into a query the tick makes anyway. */
  withViewer?: boolean;
}

export interface BatchResult<T> {
  /** Data per alias; absent when GitHub answered null (not found, no access). */
  byAlias: Map<string, T>;
  /** A readable error per alias that failed. */
  errors: Map<string, string>;
  /** The token's login, when the query asked for it. */
  viewer: string | null;
}

function renderBatchQuery(query: BatchQuery): { text: string; variables: Record<string, unknown> } {
  const declarations = [...query.declare];
  const variables: Record<string, unknown> = { ...query.shared };
  const fields: string[] = [];
  for (const repo of query.repos) {
    declarations.push(`$owner_${repo.alias}: String!`, `$name_${repo.alias}: String!`);
    declarations.push(...(query.perRepoDeclare?.(repo) ?? []));
    variables[`owner_${repo.alias}`] = repo.owner;
    variables[`name_${repo.alias}`] = repo.name;
    Object.assign(variables, repo.variables);
    const selection = (typeof query.selection === "string" ? query.selection : query.selection(repo)).replaceAll(
      "$ALIAS",
      repo.alias,
    );
    fields.push(`  ${repo.alias}: repository(owner: $owner_${repo.alias}, name: $name_${repo.alias}) { ${selection} }`);
  }
  const text = [
    `query ${query.name}(${declarations.join(", ")}) {`,
    "  rateLimit { cost remaining resetAt }",
    ...(query.withViewer ? ["  viewer { login }"] : []),
    ...fields,
    "}",
    query.fragments,
  ].join("\n");
  return { text, variables };
}

interface GraphqlErrorShape {
  message?: string;
  type?: string;
  path?: (string | number)[];
}

/**
 * Run a batch query. GitHub answers partial data plus `errors` when some
 * aliases fail (a repository the token cannot see): those become per-alias
 * errors, the rest is served. An error without a path fails the whole batch.
 */
export async function runBatchQuery<T>(client: GitHubClient, query: BatchQuery): Promise<BatchResult<T>> {
  const { text, variables } = renderBatchQuery(query);
  let data: Record<string, unknown> | null | undefined;
  let errors: GraphqlErrorShape[] = [];
  try {
    data = await client.octokit.graphql<Record<string, unknown>>(text, variables);
  } catch (error) {
    const partial = error as { data?: Record<string, unknown> | null; errors?: GraphqlErrorShape[] };
    if (!Array.isArray(partial.errors)) throw error;
    data = partial.data;
    errors = partial.errors;
  }
  const cost = (data?.rateLimit as { cost?: number } | undefined)?.cost;
  if (typeof cost === "number") client.spendPoints(cost);

  const viewer = (data?.viewer as { login?: string } | null | undefined)?.login ?? null;
  const result: BatchResult<T> = { byAlias: new Map(), errors: new Map(), viewer };
  for (const error of errors) {
    const alias = error.path?.[0];
    if (typeof alias !== "string")
      throw new Error(`GitHub GraphQL error in ${query.name}: ${error.message ?? "unknown"}`);
    if (!result.errors.has(alias)) result.errors.set(alias, describeGraphqlError(error));
  }
  for (const repo of query.repos) {
    const value = data?.[repo.alias];
    if (value !== null && value !== undefined) result.byAlias.set(repo.alias, value as T);
    else if (!result.errors.has(repo.alias)) result.errors.set(repo.alias, "not found, or the token cannot see it");
  }
  return result;
}

function describeGraphqlError(error: GraphqlErrorShape): string {
  if (error.type === "NOT_FOUND") return "not found, or the token cannot see it";
  if (error.type === "FORBIDDEN") return "the token is not allowed to read it";
  return error.message ?? "unknown GraphQL error";
}

export interface RepoPagesQuery<Json, Cursor> {
  name: string;
  declare: string[];
  shared: Record<string, unknown>;
  /** The selection inside each repository; `$ALIAS` becomes the alias, so page variables can carry it. */
  selection: string;
  fragments: string;
  /** Per-repo page variables for a cursor (names carry the alias) and their declarations. */
  pageVariables: (cursor: Cursor, alias: string) => Record<string, unknown>;
  pageDeclare: (alias: string) => string[];
  /** Take one repository's answer; return the cursor for its next page, or null when it is complete. */
  absorb: (repo: RepoSlug, data: Json, cursor: Cursor) => Cursor | null;
  /** A repository that could not be read. */
  fail: (repo: RepoSlug, error: string) => void;
}

/**
 * Reads every repository in batches of REPOS_PER_QUERY, then asks again only
 * for the repositories whose connections came back full, until none is.
 * Returns the token's login, folded into the first query for free.
 */
export async function readRepoPages<Json, Cursor>(
  client: GitHubClient,
  repos: readonly RepoSlug[],
  first: Cursor,
  query: RepoPagesQuery<Json, Cursor>,
): Promise<string | null> {
  let viewer: string | null = null;
  let askViewer = true;
  let pending = repos.map((repo) => ({ repo, cursor: first }));
  while (pending.length > 0) {
    const next: typeof pending = [];
    for (const batch of chunk(pending, REPOS_PER_QUERY)) {
      const result = await runBatchQuery<Json>(client, {
        name: query.name,
        declare: query.declare,
        shared: query.shared,
        selection: query.selection,
        fragments: query.fragments,
        repos: batch.map((p, i) => {
          const [owner = "", name = ""] = p.repo.split("/");
          return { alias: `r${i}`, owner, name, variables: query.pageVariables(p.cursor, `r${i}`) };
        }),
        perRepoDeclare: (r) => query.pageDeclare(r.alias),
        withViewer: askViewer,
      });
      if (askViewer) viewer = result.viewer;
      askViewer = false;
      batch.forEach((p, i) => {
        const data = result.byAlias.get(`r${i}`);
        if (data === undefined) {
          query.fail(p.repo, result.errors.get(`r${i}`) ?? "not found");
          return;
        }
        const cursor = query.absorb(p.repo, data, p.cursor);
        if (cursor !== null) next.push({ repo: p.repo, cursor });
      });
    }
    pending = next;
  }
  return viewer;
}

/** Repositories per query: keeps each query far below GitHub's node and time limits. */
export const REPOS_PER_QUERY = 25;

/** Split a list into chunks of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
