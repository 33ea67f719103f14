// Lookups the poll tick makes beyond its batched read, each only where the
// answer can change an outcome (core/policy.ts rolesToResolve says which):
// roles (collaborator-permission endpoint, `role_name`) of the labeller and
// post-label editors of every eligible ready issue, busy repository or not,
// since trust is judged before capacity; blocker states (one batched query);
// and GitHub's native "blocked by" dependencies (REST only; the GraphQL schema
// has no field), read only for the issues about to be taken. Each (repo, login)
// role is asked once per tick. Decides nothing.

import { refKey } from "../core/refs.js";
import type { Blocker, BlockerState, IssueRef, RepoSlug, Role } from "../core/types.js";
import { ROLES } from "../core/types.js";
import type { GitHubClient } from "./client.js";
import { githubStatus } from "./errors.js";
import { chunk, runBatchQuery } from "./graphql.js";

const REFS_PER_QUERY = 50;

export class RoleLookup {
  private readonly cache = new Map<string, Promise<Role | "unknown">>();

  constructor(private readonly client: GitHubClient) {}

  /** The login's role on the repo; `none` for a non-collaborator, `unknown` when it could not be read. */
  roleOf(repo: RepoSlug, login: string): Promise<Role | "unknown"> {
    const key = `${repo.toLowerCase()} ${login.toLowerCase()}`;
    let role = this.cache.get(key);
    if (!role) {
      role = this.fetch(repo, login);
      this.cache.set(key, role);
    }
    return role;
  }

  private async fetch(repo: RepoSlug, login: string): Promise<Role | "unknown"> {
    const [owner = "", name = ""] = repo.split("/");
    try {
      const { data } = await this.client.octokit.rest.repos.getCollaboratorPermissionLevel({
        owner,
        repo: name,
        username: login,
      });
      // `permission` folds triage into read and maintain into write; `role_name` keeps them apart.
      // A custom role's name is not a base role: fall back to the legacy field for it.
      const roleName = (data as { role_name?: string }).role_name?.toLowerCase();
      return ROLES.find((r) => r === roleName) ?? ROLES.find((r) => r === data.permission) ?? "unknown";
    } catch (error) {
      if (githubStatus(error) === 404) return "none";
      return "unknown";
    }
  }
}

/** Open/closed for each referenced issue, in batches; anything unreadable is `unreadable` (counts as open). */
export async function readBlockerStates(
  client: GitHubClient,
  refs: readonly IssueRef[],
): Promise<Map<string, BlockerState>> {
  const states = new Map<string, BlockerState>();
  const unique = [...new Map(refs.map((r) => [refKey(r), r])).values()];
  for (const batch of chunk(unique, REFS_PER_QUERY)) {
    const result = await runBatchQuery<{
      issueOrPullRequest: { __typename: string; issueState?: string; prState?: string } | null;
    }>(client, {
      name: "AfkBlockers",
      declare: [],
      shared: {},
      selection: (repo) =>
        `issueOrPullRequest(number: $number_${repo.alias}) { __typename ... on Issue { issueState: state } ... on PullRequest { prState: state } }`,
      fragments: "",
      repos: batch.map((ref, i) => {
        const [owner = "", name = ""] = ref.repo.split("/");
        return { alias: `b${i}`, owner, name, variables: { [`number_b${i}`]: ref.number } };
      }),
      perRepoDeclare: (repo) => [`$number_${repo.alias}: Int!`],
    });
    batch.forEach((ref, i) => {
      const found = result.byAlias.get(`b${i}`)?.issueOrPullRequest;
      const state = found?.issueState ?? found?.prState;
      // A merged pull request is as done as a closed issue.
      states.set(
        refKey(ref),
        state === "CLOSED" || state === "MERGED" ? "closed" : state === "OPEN" ? "open" : "unreadable",
      );
    });
  }
  return states;
}

/** GitHub's native "blocked by" dependencies of one issue, with their states. */
export async function readNativeBlockers(client: GitHubClient, issue: IssueRef): Promise<Blocker[] | "unreadable"> {
  const [owner = "", repo = ""] = issue.repo.split("/");
  try {
    const items = await client.octokit.paginate(
      "GET /repos/{owner}/{repo}/issues/{issue_number}/dependencies/blocked_by",
      {
        owner,
        repo,
        issue_number: issue.number,
        per_page: 100,
      },
    );
    return (items as { number: number; state: string; repository_url?: string; html_url?: string }[]).map((item) => ({
      ref: { repo: repoFromIssue(item) ?? issue.repo, number: item.number },
      state: item.state === "closed" ? "closed" : "open",
      source: "native",
    }));
  } catch (error) {
    // Repositories without the feature answer 404: no native dependencies to honour.
    if (githubStatus(error) === 404) return [];
    return "unreadable";
  }
}

function repoFromIssue(item: { repository_url?: string; html_url?: string }): RepoSlug | null {
  const fromApi = item.repository_url?.match(/\/repos\/([^/]+\/[^/]+)$/)?.[1];
  const fromHtml = item.html_url?.match(/^https?:\/\/[^/]+\/([^/]+\/[^/]+)\/issues\/\d+/)?.[1];
  return fromApi ?? fromHtml ?? null;
}
