// The emulator's store on its own: the write rules GitHub applies (label
// events, commit references, closing keywords, gone issues) and its load speed.
import { describe, expect, it } from "vitest";
import { parseCommitRefs } from "../../../src/sandbox/github/commit-refs.js";
import { GitHubStore, StoreError } from "../../../src/sandbox/github/store.js";

const clock = (start = Date.parse("2026-03-01T12:00:00Z")) => {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
};

function storeWithIssue() {
  const c = clock();
  const store = new GitHubStore({ now: c.now });
  store.createRepo({ owner: "acme", name: "api" });
  store.createIssue("acme/api", { author: "alice", title: "Add a thing", body: "please" });
  return { store, clock: c };
}

describe("commit references", () => {
  it("finds bare, cross-repo and URL references, and closing keywords", () => {
    expect(parseCommitRefs("Refs #3, closes acme/web#4; see https://github.com/o/r/issues/9 and abc#5")).toEqual([
      { repo: null, number: 3, closes: false },
      { repo: "acme/web", number: 4, closes: true },
      { repo: "o/r", number: 9, closes: false },
    ]);
  });

  it("merges repeated references to one issue, keeping a closing keyword", () => {
    expect(parseCommitRefs("Refs #3\n\nFixes: #3")).toEqual([{ repo: null, number: 3, closes: true }]);
  });
});

describe("store", () => {
  it("records who applied a label and when, on the virtual clock", () => {
    const { store, clock: c } = storeWithIssue();
    c.advance(60_000);
    store.applyLabel("acme/api", 1, "ready-for-agent", "bob");
    const issue = store.lookupIssue("acme/api", 1);
    if (!("issue" in issue)) throw new Error("missing");
    expect(issue.issue.labels).toEqual(["ready-for-agent"]);
    expect(issue.issue.events).toMatchObject([
      { event: "labeled", actor: "bob", label: "ready-for-agent", createdAt: "2026-03-01T12:01:00Z" },
    ]);
  });

  it("refuses to remove a label the issue does not carry", () => {
    const { store } = storeWithIssue();
    expect(() => store.removeLabel("acme/api", 1, "nope", "bob")).toThrow(StoreError);
  });

  it("marks an issue edited only when its text changes", () => {
    const { store } = storeWithIssue();
    store.editIssue("acme/api", 1, { title: "Add a thing" }, "mallory");
    const before = store.lookupIssue("acme/api", 1);
    expect("issue" in before && before.issue.editor).toBeNull();
    store.editIssue("acme/api", 1, { body: "changed" }, "mallory");
    const after = store.lookupIssue("acme/api", 1);
    expect("issue" in after && after.issue.editor).toBe("mallory");
  });

  it("records a title change as a renamed event", () => {
    const { store } = storeWithIssue();
    store.editIssue("acme/api", 1, { title: "Add two things" }, "mallory");
    const found = store.lookupIssue("acme/api", 1);
    expect("issue" in found && found.issue.events).toMatchObject([
      { event: "renamed", actor: "mallory", from: "Add a thing", to: "Add two things" },
    ]);
  });

  it("turns issue references in a pushed commit into referenced events, and closes on a keyword", () => {
    const { store } = storeWithIssue();
    store.createIssue("acme/api", { author: "alice", title: "two" });
    const commit = store.pushCommit("acme/api", "Do it\n\nRefs #1, fixes #2", "agent");
    const one = store.lookupIssue("acme/api", 1);
    const two = store.lookupIssue("acme/api", 2);
    if (!("issue" in one) || !("issue" in two)) throw new Error("missing");
    expect(one.issue.events).toMatchObject([{ event: "referenced", commitId: commit.sha, commitRepo: "acme/api" }]);
    expect(one.issue.state).toBe("open");
    expect(two.issue.state).toBe("closed");
    expect(two.issue.events.map((e) => e.event)).toEqual(["referenced", "closed"]);
    expect(store.history("acme/api", commit.sha)).toHaveLength(2);
  });

  it("answers gone for deleted and transferred issues, and nothing for a deleted repo", () => {
    const { store } = storeWithIssue();
    store.createRepo({ owner: "acme", name: "web" });
    store.createIssue("acme/api", { author: "alice", title: "two" });
    store.deleteIssue("acme/api", 1);
    expect(store.lookupIssue("acme/api", 1)).toEqual({ gone: "deleted" });
    store.transferIssue("acme/api", 2, "acme/web");
    expect(store.lookupIssue("acme/api", 2)).toEqual({ gone: "transferred", to: { repo: "acme/web", number: 1 } });
    store.deleteRepo("acme/web");
    expect(store.lookupIssue("acme/web", 1)).toEqual({ missing: true });
  });

  it("loads 200 repos x 20 labelled issues", () => {
    const store = new GitHubStore();
    for (let r = 0; r < 200; r++) {
      const repo = store.createRepo({ owner: "fleet", name: `repo-${r}` });
      store.addCollaborator(repo.fullName, "alice", "write");
      for (let i = 1; i <= 20; i++) {
        store.createIssue(repo.fullName, { author: "alice", title: `issue ${i}`, body: "Blocked by #1" });
        store.applyLabel(repo.fullName, i, "ready-for-agent", "alice");
      }
    }
    const repos = store.allRepos();
    expect(repos).toHaveLength(200);
    for (const repo of repos) {
      expect([...repo.issues.values()].filter((i) => i.labels.includes("ready-for-agent"))).toHaveLength(20);
    }
  });
});
