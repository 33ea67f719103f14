// Relay connections as GitHub serves them: opaque base64 cursors, `first` /
// `last` / `after` / `before`, `nodes`, `edges`, `pageInfo`, `totalCount`.
// Owns slicing only; callers filter and order first.

export interface PageArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

const encode = (offset: number): string => Buffer.from(`cursor:v2:${offset}`).toString("base64");

function decode(cursor: string | null | undefined): number | undefined {
  if (cursor === null || cursor === undefined) return undefined;
  const match = /^cursor:v2:(\d+)$/.exec(Buffer.from(cursor, "base64").toString("utf8"));
  if (!match?.[1]) throw new Error(`\`${cursor}\` does not appear to be a valid cursor.`);
  return Number(match[1]);
}

export function connection<T, N>(all: readonly T[], args: PageArgs, toNode: (item: T) => N) {
  const after = decode(args.after);
  const before = decode(args.before);
  let start = after === undefined ? 0 : after + 1;
  let end = before === undefined ? all.length : Math.min(before, all.length);
  if (typeof args.first === "number") end = Math.min(end, start + args.first);
  if (typeof args.last === "number") start = Math.max(start, end - args.last);
  const slice = all.slice(start, Math.max(start, end)).map((item, i) => ({ offset: start + i, node: toNode(item) }));
  return {
    nodes: slice.map((s) => s.node),
    edges: slice.map((s) => ({ cursor: encode(s.offset), node: s.node })),
    totalCount: all.length,
    pageInfo: {
      hasNextPage: start + slice.length < all.length,
      hasPreviousPage: start > 0,
      startCursor: slice[0] ? encode(slice[0].offset) : null,
      endCursor: slice.at(-1) ? encode(slice.at(-1)?.offset ?? 0) : null,
    },
  };
}
