// The dashboard issue's I/O: one list request to find it (by its label), one
// create on first use, one edit when its text changed. Decides nothing: which
// listed issue is the dashboard is pickDashboardIssue's call (report/).
// Must never retry the create (a lost response retried would make a second
// dashboard) and never edit an issue it did not pick.

import { NO_RETRY, type GitHubClient } from "./client.js";
import { runBatchQuery } from "./graphql.js";
import { toLogin, type Login } from "./poll-reads.js";
import { DASHBOARD_LABEL, type DashboardCandidate } from "../report/dashboard-record.js";
import type { Instant } from "../core/types.js";

/**
 * Body edits read for the dashboard's controls, newest first. The loop's own
 * last write is normally the second entry (a person ticked a box after it); a
 * history where it is not among these is judged unread, never trusted.
 */
const DASHBOARD_EDITS = 50;

function split(repo: string): { owner: string; repo: string } {
  const [owner = "", name = ""] = repo.split("/");
  return { owner, repo: name };
}

/** Issues carrying the dashboard label, oldest first: one page of 100, which is one request. */
export async function listDashboardCandidates(client: GitHubClient, repo: string): Promise<DashboardCandidate[]> {
  const { data } = await client.octokit.rest.issues.listForRepo({
    ...split(repo),
    labels: DASHBOARD_LABEL,
    state: "all",
    sort: "created",
    direction: "asc",
    per_page: 100,
  });
  return data
    .filter((i) => i.pull_request === undefined)
    .map((i) => ({
      number: i.number,
      body: i.body ?? "",
      url: i.html_url,
      author: i.user === null ? null : { login: i.user.login, type: i.user.type },
    }));
}

export async function createDashboardIssue(
  client: GitHubClient,
  repo: string,
  title: string,
  body: string,
): Promise<{ number: number; url: string }> {
  // Not idempotent: a retried create after a lost response would make a second dashboard.
  const { data } = await client.octokit.rest.issues.create({
    ...split(repo),
    title,
    body,
    labels: [DASHBOARD_LABEL],
    ...NO_RETRY,
  });
  // GitHub drops labels silently for a token without push access; without the label the next tick
  // would not find this issue and make another, so the label is added on its own (idempotent).
  const labelled = data.labels.some((l) => (typeof l === "string" ? l : l.name) === DASHBOARD_LABEL);
  if (!labelled) {
    await client.octokit.rest.issues.addLabels({
      ...split(repo),
      issue_number: data.number,
      labels: [DASHBOARD_LABEL],
    });
  }
  return { number: data.number, url: data.html_url };
}

export async function editDashboardIssue(
  client: GitHubClient,
  repo: string,
  number: number,
  body: string,
): Promise<void> {
  await client.octokit.rest.issues.update({ ...split(repo), issue_number: number, body });
}

/**
 * The dashboard body's edit history (`userContentEdits`, newest first: GitHub
 * keeps the original text as the author's entry), one GraphQL query. Read only
 * when a control box is ticked. `complete` is false when GitHub holds more.
 */
export async function readDashboardEdits(
  client: GitHubClient,
  repo: string,
  number: number,
): Promise<{ edits: { by: Login | null; at: Instant }[]; complete: boolean }> {
  const { owner, repo: name } = split(repo);
  interface Json {
    issue: {
      userContentEdits: {
        totalCount: number;
        nodes: { editedAt: string; editor: { __typename?: string; login: string } | null }[];
      } | null;
    } | null;
  }
  const result = await runBatchQuery<Json>(client, {
    name: "AfkDashboardEdits",
    declare: ["$number: Int!"],
    shared: { number },
    selection: `issue(number: $number) { userContentEdits(first: ${DASHBOARD_EDITS}) { totalCount nodes { editedAt editor { __typename login } } } }`,
    fragments: "",
    repos: [{ alias: "dashboard", owner, name }],
  });
  const error = result.errors.get("dashboard");
  if (error !== undefined) throw new Error(`the dashboard's edit history could not be read: ${error}`);
  const history = result.byAlias.get("dashboard")?.issue?.userContentEdits ?? null;
  // A connection GitHub did not serve counts as unread, never as "no edits".
  if (history === null) return { edits: [], complete: false };
  return {
    edits: history.nodes.map((e) => ({ by: toLogin(e.editor), at: e.editedAt })),
    complete: history.totalCount <= history.nodes.length,
  };
}
