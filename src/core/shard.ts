// Shard: which slice of the allowlist one copy of the loop serves, when a
// large fleet is split across several scheduled jobs. Pure; the slice must
// stay stable as repositories are added, so it never depends on position.

import type { RepoSlug } from "./types.js";
import { fnv1a } from "./hash.js";

export interface Shard {
  index: number;
  count: number;
}

/** The repos this shard serves: a stable, disjoint slice of the allowlist. */
export function shardRepos(allowlist: readonly RepoSlug[], shard: Shard | null): RepoSlug[] {
  if (shard === null) return [...allowlist];
  // Slice by a hash of the name, not by position, so adding a repo moves no other repo between shards.
  return allowlist.filter((repo) => (fnv1a(repo.toLowerCase()) % shard.count) + 1 === shard.index);
}
