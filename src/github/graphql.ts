// Batched GraphQL: one query that aliases many repositories, with per-alias
// errors kept apart so one unreadable repository never hides the others.
// Owns the query text assembly (variables only: no value is ever spliced into
// the document) and the accounting of points. Makes no decision about what
// the data means.

import type { GitHubClient } from "./client.js";

/** One aliased root field: `alias: repository(owner: $oN, name: $nN) { ...selection }`. */
export interface RepoSelection {
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

export function renderBatchQuery(query: BatchQuery): { text: string; variables: Record<string, unknown> } {
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

/** Split a list into chunks of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
