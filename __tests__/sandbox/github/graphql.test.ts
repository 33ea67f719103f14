// The emulator's GraphQL endpoint, through octokit.graphql over real HTTP: the
// fields the loop reads resolve from the store, GitHub's real schema rejects what
// GitHub would reject, and cost, rate limit and reach behave like GitHub's.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { octokitFor, smallWorld, TOKENS, type SmallWorld } from "../../../__fixtures__/sandbox-github.js";
import { startGitHubEmulator, type GitHubEmulator } from "../../../src/sandbox/github/server.js";

let world: SmallWorld;
let emulator: GitHubEmulator;
let octokit: ReturnType<typeof octokitFor>;

beforeAll(async () => {
  world = smallWorld();
  emulator = await startGitHubEmulator({ store: world.store });
  octokit = octokitFor(TOKENS.pat, emulator.url);
});
afterAll(() => emulator.stop());

async function graphqlErrors(query: string, token: string = TOKENS.pat): Promise<{ type?: string; message: string }[]> {
  try {
    await octokitFor(token, emulator.url).graphql(query);
  } catch (error) {
    return (error as { errors: { type?: string; message: string }[] }).errors;
  }
  throw new Error("query succeeded");
}

const READY_ISSUES = /* GraphQL */ `
  query ReadyIssues($label: String!) {
    rateLimit {
      cost
      limit
      remaining
      used
      resetAt
      nodeCount
    }
    api: repository(owner: "acme", name: "api") {
      ...ready
    }
    web: repository(owner: "acme", name: "web") {
      ...ready
    }
  }
  fragment ready on Repository {
    nameWithOwner
    issues(first: 50, labels: [$label], states: [OPEN], orderBy: { field: CREATED_AT, direction: ASC }) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        number
        title
        body
        url
        state
        createdAt
        updatedAt
        lastEditedAt
        editor {
          login
          __typename
        }
        author {
          login
          __typename
        }
        labels(first: 20) {
          nodes {
            name
          }
        }
        comments(last: 20) {
          nodes {
            databaseId
            author {
              login
              __typename
            }
            authorAssociation
            body
            createdAt
            updatedAt
            lastEditedAt
          }
        }
        timelineItems(itemTypes: [LABELED_EVENT, UNLABELED_EVENT, REFERENCED_EVENT, CLOSED_EVENT], last: 50) {
          nodes {
            __typename
            ... on LabeledEvent {
              actor {
                login
                __typename
              }
              label {
                name
              }
              createdAt
            }
            ... on UnlabeledEvent {
              actor {
                login
                __typename
              }
              label {
                name
              }
              createdAt
            }
            ... on ReferencedEvent {
              actor {
                login
              }
              commit {
                oid
              }
              commitRepository {
                nameWithOwner
              }
              createdAt
            }
            ... on ClosedEvent {
              actor {
                login
              }
              stateReason
              createdAt
            }
          }
        }
      }
    }
  }
`;

interface ReadyIssuesResult {
  rateLimit: { cost: number; limit: number; remaining: number; used: number; resetAt: string; nodeCount: number };
  api: { issues: { totalCount: number; nodes: Record<string, unknown>[] } };
  web: { issues: { totalCount: number; nodes: Record<string, unknown>[] } };
}

describe("reads the loop makes", () => {
  it("answers viewer with the token's login (bots keep their [bot] suffix there)", async () => {
    expect(await octokit.graphql("query { viewer { login } }")).toEqual({ viewer: { login: "maintainer" } });
    const builtin = octokitFor(TOKENS.builtin, emulator.url);
    expect(await builtin.graphql("query { viewer { login } }")).toEqual({ viewer: { login: "github-actions[bot]" } });
  });

  it("serves several aliased repositories in one query, with the fields the loop reads", async () => {
    const data = await octokit.graphql<ReadyIssuesResult>(READY_ISSUES, { label: "ready-for-agent" });
    expect(data.api.issues.totalCount).toBe(2);
    expect(data.web.issues.totalCount).toBe(0);
    const [first] = data.api.issues.nodes;
    expect(first).toMatchObject({
      number: 1,
      title: "Add rate limiting",
      state: "OPEN",
      lastEditedAt: "2026-03-01T12:04:00Z",
      editor: { login: "reader", __typename: "User" },
      author: { login: "maintainer", __typename: "User" },
      labels: { nodes: [{ name: "ready-for-agent" }] },
      timelineItems: {
        nodes: [
          {
            __typename: "LabeledEvent",
            actor: { login: "triager", __typename: "User" },
            label: { name: "ready-for-agent" },
            createdAt: "2026-03-01T12:02:00Z",
          },
          {
            __typename: "ReferencedEvent",
            actor: { login: "agent-bot" },
            commit: { oid: world.pushedSha },
            commitRepository: { nameWithOwner: "acme/api" },
          },
        ],
      },
    });
  });

  it("names bot authors as GitHub's GraphQL does: type Bot, login without [bot]", async () => {
    const data = await octokit.graphql<ReadyIssuesResult>(READY_ISSUES, { label: "ready-for-agent" });
    const comments = (data.api.issues.nodes[0]?.["comments"] as { nodes: Record<string, unknown>[] }).nodes;
    expect(comments.map((c) => c["author"])).toEqual([
      { login: "maintainer", __typename: "User" },
      { login: "afk-app", __typename: "Bot" },
    ]);
    expect(comments[0]).toMatchObject({ authorAssociation: "COLLABORATOR", body: "Please keep it small." });
  });

  it("filters labels with OR semantics, unlike REST", async () => {
    const data = await octokit.graphql<{ repository: { issues: { nodes: { number: number }[] } } }>(
      `query { repository(owner: "acme", name: "api") { issues(first: 10, labels: ["bug", "ready-for-agent"]) { nodes { number } } } }`,
    );
    expect(data.repository.issues.nodes.map((n) => n.number)).toEqual([1, 2, 3]);
  });

  it("reads one issue by number, and answers NOT_FOUND for a missing one", async () => {
    const data = await octokit.graphql<{ repository: { issue: { number: number; state: string } } }>(
      `query { repository(owner: "acme", name: "api") { issue(number: 2) { number state } } }`,
    );
    expect(data.repository.issue).toEqual({ number: 2, state: "OPEN" });
    const errors = await graphqlErrors(
      `query { repository(owner: "acme", name: "api") { issue(number: 99) { number } } }`,
    );
    expect(errors).toMatchObject([
      { type: "NOT_FOUND", message: "Could not resolve to an Issue with the number of 99." },
    ]);
  });

  it("paginates a connection with cursors", async () => {
    const query = `query($after: String) { repository(owner: "acme", name: "api") {
      issues(first: 2, after: $after) { pageInfo { hasNextPage endCursor } nodes { number } } } }`;
    type Page = {
      repository: { issues: { pageInfo: { hasNextPage: boolean; endCursor: string }; nodes: { number: number }[] } };
    };
    const one = await octokit.graphql<Page>(query);
    expect(one.repository.issues.nodes.map((n) => n.number)).toEqual([1, 2]);
    expect(one.repository.issues.pageInfo.hasNextPage).toBe(true);
    const two = await octokit.graphql<Page>(query, { after: one.repository.issues.pageInfo.endCursor });
    expect(two.repository.issues.nodes.map((n) => n.number)).toEqual([3]);
    expect(two.repository.issues.pageInfo.hasNextPage).toBe(false);
  });

  it("filters timeline items by since", async () => {
    const data = await octokit.graphql<{
      repository: { issue: { timelineItems: { nodes: { __typename: string }[] } } };
    }>(
      `query { repository(owner: "acme", name: "api") { issue(number: 1) {
        timelineItems(first: 10, since: "2026-03-01T12:04:30Z", itemTypes: [LABELED_EVENT, REFERENCED_EVENT]) { nodes { __typename } } } } }`,
    );
    expect(data.repository.issue.timelineItems.nodes).toEqual([{ __typename: "ReferencedEvent" }]);
  });
});

describe("commits, CI and deployments", () => {
  const COMMIT_FACTS = /* GraphQL */ `
    query ($sha: GitObjectID!, $since: GitTimestamp!) {
      repository(owner: "acme", name: "api") {
        defaultBranchRef {
          name
          target {
            ... on Commit {
              history(first: 10, since: $since) {
                nodes {
                  oid
                }
              }
            }
          }
        }
        object(oid: $sha) {
          ... on Commit {
            oid
            parents(first: 1) {
              nodes {
                oid
                statusCheckRollup {
                  state
                }
              }
            }
            statusCheckRollup {
              state
              contexts(first: 50) {
                totalCount
                nodes {
                  __typename
                  ... on CheckRun {
                    databaseId
                    name
                    status
                    conclusion
                    detailsUrl
                    checkSuite {
                      workflowRun {
                        databaseId
                      }
                    }
                  }
                  ... on StatusContext {
                    context
                    state
                    targetUrl
                    createdAt
                  }
                }
              }
            }
          }
        }
        deployments(environments: ["production"], first: 5, orderBy: { field: CREATED_AT, direction: DESC }) {
          nodes {
            databaseId
            commitOid
            state
            latestStatus {
              state
              logUrl
              environmentUrl
            }
          }
        }
      }
    }
  `;

  it("reads a commit's history, rollup of check runs and statuses, and deployments", async () => {
    const data = await octokit.graphql<{ repository: Record<string, unknown> }>(COMMIT_FACTS, {
      sha: world.pushedSha,
      since: "2026-03-01T00:00:00Z",
    });
    expect(data.repository).toMatchObject({
      defaultBranchRef: {
        name: "main",
        target: { history: { nodes: [{ oid: world.pushedSha }, { oid: world.parentSha }] } },
      },
      object: {
        oid: world.pushedSha,
        parents: { nodes: [{ oid: world.parentSha, statusCheckRollup: null }] },
        statusCheckRollup: {
          state: "FAILURE",
          contexts: {
            totalCount: 4,
            nodes: [
              {
                __typename: "CheckRun",
                name: "build",
                status: "COMPLETED",
                conclusion: "SUCCESS",
                checkSuite: { workflowRun: { databaseId: world.runId } },
              },
              { __typename: "CheckRun", name: "test", status: "COMPLETED", conclusion: "FAILURE" },
              {
                __typename: "CheckRun",
                name: "lint",
                status: "IN_PROGRESS",
                conclusion: null,
                checkSuite: { workflowRun: null },
              },
              {
                __typename: "StatusContext",
                context: "ci/legacy",
                state: "SUCCESS",
                targetUrl: "https://ci.example/1",
              },
            ],
          },
        },
      },
      deployments: {
        nodes: [
          {
            databaseId: world.deploymentId,
            commitOid: world.pushedSha,
            state: "ACTIVE",
            latestStatus: { state: "SUCCESS" },
          },
        ],
      },
    });
  });

  it("answers null for an object that is not in the repository", async () => {
    const data = await octokit.graphql<{ repository: { object: unknown } }>(
      `query { repository(owner: "acme", name: "api") { object(oid: "0000000000000000000000000000000000000000") { id } } }`,
    );
    expect(data.repository.object).toBeNull();
  });

  it("reads blockers with issueOrPullRequest", async () => {
    const data = await octokit.graphql<{ repository: { issueOrPullRequest: unknown } }>(
      `query { repository(owner: "acme", name: "api") { issueOrPullRequest(number: 2) { __typename ... on Issue { state } } } }`,
    );
    expect(data.repository.issueOrPullRequest).toEqual({ __typename: "Issue", state: "OPEN" });
  });

  it("shows a title edit as a RenamedTitleEvent with its actor", async () => {
    world.store.editIssue("acme/api", 3, { title: "Fix the typo" }, "reader");
    const data = await octokit.graphql<{ repository: { issue: { timelineItems: { nodes: unknown[] } } } }>(
      `query { repository(owner: "acme", name: "api") { issue(number: 3) {
        timelineItems(last: 5, itemTypes: [RENAMED_TITLE_EVENT]) { nodes { __typename ... on RenamedTitleEvent { actor { login } previousTitle currentTitle } } } } } }`,
    );
    expect(data.repository.issue.timelineItems.nodes).toEqual([
      {
        __typename: "RenamedTitleEvent",
        actor: { login: "reader" },
        previousTitle: "Typo",
        currentTitle: "Fix the typo",
      },
    ]);
  });
});

describe("pull requests: head, merge, close and reviews", () => {
  const PULL = `number state merged mergedAt closedAt headRefName headRefOid isCrossRepository
    headRef { name }
    commits(last: 1) { nodes { commit { oid message } } }
    reviews(last: 10) { nodes { state body submittedAt author { __typename login } comments(first: 10) { nodes { path line body } } } }`;
  type PullJson = {
    number: number;
    state: string;
    merged: boolean;
    mergedAt: string | null;
    headRefOid: string;
    headRef: { name: string } | null;
    commits: { nodes: { commit: { oid: string } }[] };
    reviews: { nodes: unknown[] };
  };
  const read = async (number: number) =>
    (
      await octokit.graphql<{ repository: { pullRequest: PullJson } }>(
        `query($n: Int!) { repository(owner: "acme", name: "api") { pullRequest(number: $n) { ${PULL} } } }`,
        { n: number },
      )
    ).repository.pullRequest;

  function openOne(branch: string): { number: number; head: string } {
    const store = world.store;
    store.createBranch("acme/api", branch, store.repo("acme/api")?.branches.get("main") ?? "");
    const head = store.pushCommit("acme/api", `Change\n\nRefs #1`, "agent", { branch }).sha;
    const pull = store.openPullRequest("acme/api", {
      author: "agent",
      title: "Change",
      body: "Closes #1",
      headBranch: branch,
    });
    return { number: pull.number, head };
  }

  it("an open pull request: its head ref and oid agree, and its last commit is the head", async () => {
    const { number, head } = openOne("feature-open");
    const pull = await read(number);
    expect(pull).toMatchObject({
      state: "OPEN",
      merged: false,
      mergedAt: null,
      headRefOid: head,
      headRef: { name: "feature-open" },
    });
    expect(pull.commits.nodes.map((n) => n.commit.oid)).toEqual([head]);
  });

  it("merged with its branch deleted: headRef is null, headRefOid and the last commit still name the head", async () => {
    const { number, head } = openOne("feature-merged");
    world.store.mergePullRequest("acme/api", number, { by: "maya", deleteBranch: true });
    const pull = await read(number);
    expect(pull).toMatchObject({ state: "MERGED", merged: true, headRefOid: head, headRef: null });
    expect(pull.mergedAt).not.toBeNull();
    expect(pull.commits.nodes.map((n) => n.commit.oid)).toEqual([head]);
    expect(world.store.repo("acme/api")?.issues.get(1)?.state).toBe("closed"); // its description said `Closes #1`
  });

  it("closed unmerged: CLOSED, not merged", async () => {
    const { number } = openOne("feature-closed");
    world.store.closePullRequest("acme/api", number);
    expect(await read(number)).toMatchObject({ state: "CLOSED", merged: false, mergedAt: null });
  });

  it("reviews with their states, authors (bots without [bot]) and inline comments", async () => {
    const { number } = openOne("feature-reviewed");
    world.store.addReview("acme/api", number, {
      author: "maya",
      state: "CHANGES_REQUESTED",
      body: "Split it",
      comments: [{ path: "src/a.ts", line: 3, body: "rename" }],
    });
    world.store.addReview("acme/api", number, { author: "helper[bot]", state: "APPROVED" });
    const pull = await read(number);
    expect(pull.reviews.nodes).toEqual([
      {
        state: "CHANGES_REQUESTED",
        body: "Split it",
        submittedAt: expect.any(String) as string,
        author: { __typename: "User", login: "maya" },
        comments: { nodes: [{ path: "src/a.ts", line: 3, body: "rename" }] },
      },
      {
        state: "APPROVED",
        body: "",
        submittedAt: expect.any(String) as string,
        author: { __typename: "Bot", login: "helper" },
        comments: { nodes: [] },
      },
    ]);
  });

  it("answers NOT_FOUND for a pull request number that does not exist", async () => {
    const errors = await graphqlErrors(
      `query { repository(owner: "acme", name: "api") { pullRequest(number: 999) { number } } }`,
    );
    expect(errors[0]).toMatchObject({ type: "NOT_FOUND" });
  });
});

describe("what GitHub rejects", () => {
  it("rejects an unknown field with a GraphQL error", async () => {
    const errors = await graphqlErrors(`query { repository(owner: "acme", name: "api") { blockedBy { number } } }`);
    expect(errors[0]?.message).toContain('Cannot query field "blockedBy" on type "Repository"');
  });

  it("rejects a wrong argument", async () => {
    const errors = await graphqlErrors(
      `query { repository(owner: "acme", name: "api") { issues(first: 5, label: "x") { totalCount } } }`,
    );
    expect(errors[0]?.message).toContain('Unknown argument "label"');
  });

  it("rejects a Bot fragment spread where the schema says User", async () => {
    const errors = await graphqlErrors(`query { viewer { ... on Bot { login } } }`);
    expect(errors[0]?.message).toContain(
      'Fragment cannot be spread here as objects of type "User" can never be of type "Bot"',
    );
  });

  it("requires first or last on every connection, at most 100", async () => {
    const missing = await graphqlErrors(`query { repository(owner: "acme", name: "api") { issues { totalCount } } }`);
    expect(missing).toMatchObject([{ type: "MISSING_PAGINATION_BOUNDARIES" }]);
    const excessive = await graphqlErrors(
      `query { repository(owner: "acme", name: "api") { issues(first: 101) { totalCount } } }`,
    );
    expect(excessive).toMatchObject([{ type: "EXCESSIVE_PAGINATION" }]);
  });

  it("answers NOT_FOUND for a repository outside the token's reach, and still serves the others", async () => {
    const app = octokitFor(TOKENS.app, emulator.url);
    const query = `query { a: repository(owner: "acme", name: "api") { name } s: repository(owner: "acme", name: "secret") { name } }`;
    try {
      await app.graphql(query);
      throw new Error("query succeeded");
    } catch (error) {
      const { data, errors } = error as { data: unknown; errors: { type: string; path: string[] }[] };
      expect(data).toEqual({ a: { name: "api" }, s: null });
      expect(errors).toMatchObject([{ type: "NOT_FOUND", path: ["s"] }]);
    }
  });

  it("names a schema field it does not serve instead of guessing", async () => {
    const errors = await graphqlErrors(`query { repository(owner: "acme", name: "api") { stargazerCount } }`);
    expect(errors[0]?.message).toBe("The GitHub emulator does not serve Repository.stargazerCount.");
  });

  it("answers 401 without a valid token", async () => {
    const response = await fetch(emulator.graphqlUrl, {
      method: "POST",
      body: JSON.stringify({ query: "{ viewer { login } }" }),
    });
    expect(response.status).toBe(401);
  });
});

describe("cost and rate limit", () => {
  it("charges GitHub's formula: connection fetches, nested multiplied, over 100, rounded, at least 1", async () => {
    const { store } = smallWorld();
    const local = await startGitHubEmulator({ store });
    try {
      const client = octokitFor(TOKENS.pat, local.url);
      // 2 repos x (1 issues fetch + 50 x (labels + comments + timeline)) = 2 x 151 = 302 -> 3 points.
      const data = await client.graphql<ReadyIssuesResult>(READY_ISSUES, { label: "ready-for-agent" });
      expect(data.rateLimit).toMatchObject({ cost: 3, limit: 5000, used: 3, remaining: 4997 });
      expect(data.rateLimit.nodeCount).toBe(2 * (50 + 50 * (20 + 20 + 50)));
      await client.graphql("query { viewer { login } }");
      expect(local.log.entries.map((e) => e.graphqlCost)).toEqual([3, 1]);
      expect(local.log.counts()).toMatchObject({ graphql: 2, points: 4, rest: 0, writes: 0 });
      const limit = await client.rest.rateLimit.get();
      expect(limit.data.resources.graphql).toMatchObject({ used: 4, remaining: 4996 });
      expect(limit.data.resources.core.used).toBe(0);
    } finally {
      await local.stop();
    }
  });

  it("answers RATE_LIMITED once the GraphQL budget is spent", async () => {
    const { store } = smallWorld();
    const local = await startGitHubEmulator({ store, limits: { graphql: 1 } });
    try {
      const client = octokitFor(TOKENS.pat, local.url);
      await client.graphql("query { viewer { login } }");
      const response = await fetch(local.graphqlUrl, {
        method: "POST",
        headers: { authorization: `bearer ${TOKENS.pat}` },
        body: JSON.stringify({ query: "{ viewer { login } }" }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get("x-ratelimit-remaining")).toBe("0");
      expect(response.headers.get("x-ratelimit-resource")).toBe("graphql");
      expect(await response.json()).toMatchObject({ errors: [{ type: "RATE_LIMITED" }] });
    } finally {
      await local.stop();
    }
  });
});
