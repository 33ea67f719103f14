// Role, blocker and dependency lookups, and the issue writes, over real HTTP against the emulator.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createGitHubClient, type GitHubClient } from "../../src/github/client.js";
import { readBlockerStates, readNativeBlockers, RoleLookup } from "../../src/github/lookups.js";
import { DryRunIssueWriter, GitHubIssueWriter } from "../../src/github/writes.js";
import { startGitHubEmulator, type GitHubEmulator } from "../../src/sandbox/github/server.js";
import { GitHubStore } from "../../src/sandbox/github/store.js";

let store: GitHubStore;
let emulator: GitHubEmulator;
let client: GitHubClient;

beforeEach(async () => {
  let now = Date.parse("2026-03-02T09:00:00Z");
  store = new GitHubStore({ now: () => new Date((now += 1000)) });
  store.addToken("app-token", { login: "afk-app[bot]", reach: "all" });
  store.createRepo({ owner: "acme", name: "api" });
  emulator = await startGitHubEmulator({ store });
  client = createGitHubClient({ token: "app-token", apiUrl: emulator.url, pacing: "none", retryUnitMs: 1 });
});
afterEach(() => emulator.stop());

describe("roles", () => {
  it.each([
    ["triage", "triage"],
    ["write", "write"],
    ["maintain", "maintain"],
    ["admin", "admin"],
  ] as const)("reads a %s collaborator as %s (role_name, not the legacy permission)", async (role, expected) => {
    store.addCollaborator("acme/api", "kim", role);
    expect(await new RoleLookup(client).roleOf("acme/api", "kim")).toBe(expected);
  });

  it("someone who is not a collaborator reads as GitHub reports them: read on a public repository", async () => {
    store.addUser("stranger");
    expect(await new RoleLookup(client).roleOf("acme/api", "stranger")).toBe("read");
  });

  it("asks once per (repo, login) per tick", async () => {
    store.addCollaborator("acme/api", "kim", "write");
    const roles = new RoleLookup(client);
    await Promise.all([roles.roleOf("acme/api", "kim"), roles.roleOf("ACME/api", "Kim")]);
    expect(client.counts.rest).toBe(1);
  });
});

describe("blockers", () => {
  it("reads open, closed and unreadable blockers in one query", async () => {
    const open = store.createIssue("acme/api", { author: "maya", title: "open" });
    const closed = store.createIssue("acme/api", { author: "maya", title: "closed" });
    store.closeIssue("acme/api", closed.number, "maya");
    store.createRepo({ owner: "secret", name: "vault", private: true });
    store.addToken("narrow", { login: "narrow[bot]", reach: ["acme/api"] });
    const narrow = createGitHubClient({ token: "narrow", apiUrl: emulator.url, pacing: "none", retryUnitMs: 1 });
    const states = await readBlockerStates(narrow, [
      { repo: "acme/api", number: open.number },
      { repo: "acme/api", number: closed.number },
      { repo: "secret/vault", number: 1 },
      { repo: "acme/api", number: 999 },
    ]);
    expect(Object.fromEntries(states)).toEqual({
      [`acme/api#${open.number}`]: "open",
      [`acme/api#${closed.number}`]: "closed",
      "secret/vault#1": "unreadable",
      "acme/api#999": "unreadable",
    });
    expect(narrow.counts.graphql).toBe(1);
  });

  it("reads native blocked-by dependencies with their states", async () => {
    const issue = store.createIssue("acme/api", { author: "maya", title: "blocked" });
    const blocker = store.createIssue("acme/api", { author: "maya", title: "first" });
    store.addBlockedBy("acme/api", issue.number, { repo: "acme/api", number: blocker.number });
    expect(await readNativeBlockers(client, { repo: "acme/api", number: issue.number })).toEqual([
      { ref: { repo: "acme/api", number: blocker.number }, state: "open", source: "native" },
    ]);
  });
});

describe("writes", () => {
  it("adds and removes labels; removing an absent label is not an error", async () => {
    const issue = store.createIssue("acme/api", { author: "maya", title: "x" });
    const writer = new GitHubIssueWriter(client);
    const ref = { repo: "acme/api", number: issue.number };
    await writer.addLabels(ref, ["agent-in-progress"]);
    await writer.removeLabel(ref, "ready-for-agent");
    await writer.removeLabel(ref, "agent-in-progress");
    expect(store.lookupIssue("acme/api", issue.number)).toMatchObject({ issue: { labels: [] } });
  });

  it("creates the progress comment once, then edits it in place only when its text changes", async () => {
    const issue = store.createIssue("acme/api", { author: "maya", title: "x" });
    const writer = new GitHubIssueWriter(client);
    const ref = { repo: "acme/api", number: issue.number };
    const first = await writer.writeProgress(ref, null, "v1");
    const same = await writer.writeProgress(ref, { id: first.id, body: "v1" }, "v1");
    const edited = await writer.writeProgress(ref, { id: first.id, body: "v1" }, "v2");
    expect([first.wrote, same.wrote, edited.wrote]).toEqual([true, false, true]);
    expect(edited.id).toBe(first.id);
    const comments = store.findComment("acme/api", first.id)?.issue.comments ?? [];
    expect(comments.map((c) => c.body)).toEqual(["v2"]);
    expect(client.counts.writes).toBe(2);
  });

  it("closes as completed", async () => {
    const issue = store.createIssue("acme/api", { author: "maya", title: "x" });
    await new GitHubIssueWriter(client).closeAsCompleted({ repo: "acme/api", number: issue.number });
    expect(store.lookupIssue("acme/api", issue.number)).toMatchObject({
      issue: { state: "closed", stateReason: "completed" },
    });
  });

  it("a 5xx on creating a comment surfaces once, with no second comment", async () => {
    const issue = store.createIssue("acme/api", { author: "maya", title: "x" });
    emulator.faults.add({
      route: "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
      times: 1,
      action: { kind: "status", status: 502 },
    });
    await expect(
      new GitHubIssueWriter(client).writeProgress({ repo: "acme/api", number: issue.number }, null, "v1"),
    ).rejects.toThrow();
    expect(client.counts.writes).toBe(1);
  });

  it("a dry run writes nothing and remembers what it would have written", async () => {
    const issue = store.createIssue("acme/api", { author: "maya", title: "x" });
    const writer = new DryRunIssueWriter();
    await writer.addLabels({ repo: "acme/api", number: issue.number }, ["agent-in-progress"]);
    await writer.writeProgress({ repo: "acme/api", number: issue.number }, null, "v1");
    expect(writer.done.map((w) => w.kind)).toEqual(["add-labels", "create-comment"]);
    expect(emulator.log.entries.length).toBe(0);
  });
});
