// World files: what a valid world seeds into the GitHub store and the T3 read
// model, and how an invalid one is refused with a message that names the path
// and the problem.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodeRunRecord } from "../../../src/core/record-codec.js";
import { runIdFor } from "../../../src/core/run-record.js";
import { threadIdFor } from "../../../src/executors/t3.js";
import { VirtualClock } from "../../../src/sandbox/clock.js";
import type { Issue } from "../../../src/sandbox/github/store.js";
import { loadWorld, type World } from "../../../src/sandbox/world/load.js";
import { WorldError, type WorldInput } from "../../../src/sandbox/world/schema.js";

const dir = mkdtempSync(join(tmpdir(), "afk-world-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A world whose repos a test may break freely. */
type LooseWorld = Omit<WorldInput, "repos"> & { repos: Record<string, unknown>[] };

/** A small valid world; tests change one thing. */
function aWorld(): LooseWorld {
  return {
    version: 1,
    start: "2026-03-02T09:00:00Z",
    users: ["alice", "bob", "tina", { login: "renovate[bot]" }],
    github: { tokens: [{ token: "ghs_loop", login: "afk-loop[bot]" }] },
    t3: { tokens: { t3_operator: ["orchestration:operate", "orchestration:read"] } },
    inputs: {
      "github-token": "ghs_loop",
      "t3-token": "t3_operator",
      "kill-switch": "off",
      allowlist: "acme/api",
      "max-per-repo": 1,
    },
    repos: [
      {
        repo: "acme/api",
        collaborators: { bob: "write", tina: "triage" },
        issues: [
          {
            title: "Add a health endpoint",
            body: "Blocked by #2",
            author: "alice",
            createdAt: "-2d",
            labels: [
              { name: "ready-for-agent", by: "bob", at: "-2h" },
              { name: "P1", by: "bob", at: "-2h" },
            ],
            edits: [{ by: "alice", at: "-1h", body: "Blocked by #2, please" }],
            comments: [{ by: "bob", at: "-90m", body: "Use /healthz." }],
          },
          { title: "Upgrade the database driver", author: "alice", blockedBy: ["#1"] },
        ],
      },
    ],
  };
}

function issueOf(world: World, repo: string, number: number): Issue {
  const found = world.store.lookupIssue(repo, number);
  if (!("issue" in found)) throw new Error(`no ${repo}#${number}`);
  return found.issue;
}

function problemsOf(input: unknown): string {
  try {
    loadWorld(input as object);
  } catch (error) {
    expect(error).toBeInstanceOf(WorldError);
    return (error as WorldError).message;
  }
  throw new Error("the world loaded");
}

describe("a valid world", () => {
  it("starts the clock at the world's start", () => {
    expect(loadWorld(aWorld()).clock.now().toISOString()).toBe("2026-03-02T09:00:00.000Z");
  });

  it("replays label events with who and when, then edits and comments in time order", () => {
    const world = loadWorld(aWorld());
    const issue = issueOf(world, "acme/api", 1);
    expect(issue.labels).toEqual(["ready-for-agent", "P1"]);
    expect(issue.events).toMatchObject([
      { event: "labeled", label: "ready-for-agent", actor: "bob", createdAt: "2026-03-02T07:00:00Z" },
      { event: "labeled", label: "P1", actor: "bob" },
    ]);
    expect(issue).toMatchObject({
      body: "Blocked by #2, please",
      editor: "alice",
      lastEditedAt: "2026-03-02T08:00:00Z",
    });
    expect(issue.comments).toMatchObject([{ author: "bob", body: "Use /healthz.", createdAt: "2026-03-02T07:30:00Z" }]);
  });

  it("numbers issues like GitHub and records native blocked-by dependencies", () => {
    const world = loadWorld(aWorld());
    expect(issueOf(world, "acme/api", 2).blockedBy).toEqual([{ repo: "acme/api", number: 1 }]);
  });

  it("gives collaborators their roles, the owner admin, and tokens their identity", () => {
    const world = loadWorld(aWorld());
    expect(world.store.roleOf("acme/api", "tina")).toBe("triage");
    expect(world.store.roleOf("acme/api", "acme")).toBe("admin");
    expect(world.store.grant("ghs_loop")).toMatchObject({ login: "afk-loop[bot]", reach: "all" });
    expect(world.store.user("renovate[bot]")?.type).toBe("Bot");
    expect(world.loopLogin).toBe("afk-loop[bot]");
  });

  it("gives a builtin token github-actions[bot]'s identity, reaching its own repo only", () => {
    const world = loadWorld({
      ...aWorld(),
      github: { tokens: [{ token: "ghs_builtin", builtin: "acme/api" }] },
      inputs: { "github-token": "ghs_builtin" },
    });
    expect(world.store.grant("ghs_builtin")).toMatchObject({ login: "github-actions[bot]", reach: ["acme/api"] });
    expect(world.loopLogin).toBe("github-actions[bot]");
  });

  it("passes the inputs on as strings, as action.yml would", () => {
    expect(loadWorld(aWorld()).inputs).toMatchObject({ "max-per-repo": "1", "kill-switch": "off" });
  });

  it("hands the T3 emulator the world's tokens, clock and state", () => {
    const world = loadWorld(aWorld());
    expect(world.t3Options).toMatchObject({ tokens: { t3_operator: ["orchestration:operate", "orchestration:read"] } });
    expect(world.t3Options.state).toBe(world.t3);
    expect(world.t3Options.clock).toBe(world.clock);
  });

  it("moves a shared clock to the start, and refuses one already past it", () => {
    const clock = new VirtualClock("2026-01-01T00:00:00Z");
    expect(loadWorld(aWorld(), { clock }).clock).toBe(clock);
    expect(clock.now().toISOString()).toBe("2026-03-02T09:00:00.000Z");
    expect(() => loadWorld(aWorld(), { clock: new VirtualClock("2027-01-01T00:00:00Z") })).toThrow(/backwards/);
  });

  it("advances the clock by the tick interval", () => {
    const world = loadWorld({ ...aWorld(), tickMinutes: 5 });
    world.tick();
    expect(world.clock.now().toISOString()).toBe("2026-03-02T09:05:00.000Z");
  });

  it("reads YAML and JSON files", () => {
    const yamlFile = join(dir, "world.yaml");
    writeFileSync(
      yamlFile,
      [
        "version: 1",
        "start: 2026-03-02T09:00:00Z",
        'github: { tokens: [{ token: ghs_x, login: "afk-loop[bot]" }] }',
        "repos:",
        "  - repo: acme/api",
        "    issues:",
        "      - { title: From YAML, author: acme }",
      ].join("\n"),
    );
    expect(issueOf(loadWorld(yamlFile), "acme/api", 1).title).toBe("From YAML");
    const jsonFile = join(dir, "world.json");
    writeFileSync(jsonFile, JSON.stringify(aWorld()));
    expect(issueOf(loadWorld(jsonFile), "acme/api", 2).title).toBe("Upgrade the database driver");
  });
});

describe("runs already under way", () => {
  function withRun(run: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    const world = aWorld();
    const [repo] = world.repos;
    (repo?.issues as Record<string, unknown>[])[1] = { title: "In flight", author: "alice", run, ...extra };
    return loadWorld(world);
  }

  it("get the lock, a progress comment by the loop's identity with a valid record, and a running T3 turn", () => {
    const world = withRun({ since: "-40m" });
    const issue = issueOf(world, "acme/api", 2);
    expect(issue.labels).toContain("agent-in-progress");
    const [comment] = issue.comments;
    expect(comment?.author).toBe("afk-loop[bot]");
    const decoded = decodeRunRecord(comment?.body ?? "");
    if (!decoded.ok) throw new Error(decoded.error.message);
    const runId = runIdFor("acme/api", 2, 1);
    expect(decoded.record).toMatchObject({
      runId,
      phase: "dispatched",
      executor: "t3",
      threadId: threadIdFor(runId),
      dispatchedAt: "2026-03-02T08:20:00.000Z",
    });
    expect(world.t3.thread(threadIdFor(runId))).toMatchObject({
      latestTurn: { state: "running", startedAt: "2026-03-02T08:20:00.000Z" },
      session: { status: "running" },
    });
  });

  it("can be lost (the executor never heard of it) or soft-deleted", () => {
    const runId = runIdFor("acme/api", 2, 1);
    expect(withRun({ thread: "missing" }).t3.thread(threadIdFor(runId))).toBeUndefined();
    expect(withRun({ thread: "deleted" }).t3.thread(threadIdFor(runId))?.deletedAt).not.toBeNull();
  });

  it("can be a workflow run, with the run id in its inputs", () => {
    const world = withRun({ executor: "workflow" });
    const [run] = world.store.repo("acme/api")?.workflowRuns ?? [];
    expect(run).toMatchObject({
      event: "workflow_dispatch",
      status: "in_progress",
      inputs: { issue: "2", "run-id": runIdFor("acme/api", 2, 1) },
    });
    const decoded = decodeRunRecord(issueOf(world, "acme/api", 2).comments[0]?.body ?? "");
    expect(decoded.ok && decoded.record.threadId).toBe(String(run?.id));
  });

  it("can be a finished earlier attempt, with no lock", () => {
    const world = withRun({ attempt: 3, phase: "escalated", reason: "the agent stopped without pushing" });
    const issue = issueOf(world, "acme/api", 2);
    expect(issue.labels).not.toContain("agent-in-progress");
    const decoded = decodeRunRecord(issue.comments[0]?.body ?? "");
    expect(decoded.ok && decoded.record).toMatchObject({
      attempt: 3,
      phase: "escalated",
      doorbell: { delivered: true },
    });
  });
});

describe("an invalid world", () => {
  it("names the path and the problem for an unknown labeler", () => {
    const world = aWorld();
    world.repos[0] = {
      ...world.repos[0],
      issues: [{ title: "x", author: "alice", labels: [{ name: "ready-for-agent", by: "mallory" }] }],
    };
    expect(problemsOf(world)).toContain('repos[0].issues[0].labels[0].by: unknown user "mallory"');
  });

  it("says a missing field is required", () => {
    const world = aWorld();
    world.repos[0] = { repo: "acme/api", issues: [{ author: "alice" }] };
    expect(problemsOf(world)).toContain("repos[0].issues[0].title: required");
  });

  it("lists every problem at once", () => {
    const world = { ...aWorld(), inputs: { "kill-swtich": "off", "t3-url": "https://t3.example.com" } };
    const message = problemsOf(world);
    expect(message).toContain('inputs.kill-swtich: unknown input "kill-swtich"');
    expect(message).toContain("inputs.t3-url: set by the sandbox");
  });

  it.each([
    ["an unknown script act", { agent: "explode" }, "repos[0].issues[0].agent[0].act"],
    [
      "a failing check that is not a check",
      { ci: { result: "red", failing: ["lint"] } },
      'repos[0].issues[0].ci[0].failing[0]: "lint" is not one of the checks',
    ],
    [
      "a moment that is not one",
      { createdAt: "last tuesday" },
      "repos[0].issues[0].createdAt: must be an ISO-8601 instant",
    ],
    [
      "an event after the start",
      { labels: [{ name: "x", by: "bob", at: "+1h" }] },
      "repos[0].issues[0].labels[0].at: +1h is after the world's start",
    ],
    [
      "a blocker that does not exist",
      { blockedBy: ["#99"] },
      "repos[0].issues[0].blockedBy[0]: acme/api has no issue #99",
    ],
    ["a malformed blocker", { blockedBy: ["acme api 3"] }, 'repos[0].issues[0].blockedBy[0]: must be "#N"'],
    ["an unknown field", { titel: "typo" }, "repos[0].issues[0]: Unrecognized key"],
  ])("refuses %s", (_name, change, expected) => {
    const world = aWorld();
    world.repos[0] = { repo: "acme/api", issues: [{ title: "x", author: "alice", ...change }] };
    expect(problemsOf(world)).toContain(expected);
  });

  it("refuses duplicate issue numbers", () => {
    const world = aWorld();
    world.repos[0] = {
      repo: "acme/api",
      issues: [
        { number: 4, title: "a", author: "alice" },
        { number: 4, title: "b", author: "alice" },
      ],
    };
    expect(problemsOf(world)).toContain("repos[0].issues[1].number: duplicate issue #4 in acme/api");
  });

  it("refuses a builtin token for a repo outside the world", () => {
    const world = { ...aWorld(), github: { tokens: [{ token: "ghs_builtin", builtin: "acme/nowhere" }] }, inputs: {} };
    expect(problemsOf(world)).toContain('github.tokens[0].builtin: no repo "acme/nowhere" in the world');
  });

  it("refuses an input token that no token in the world matches", () => {
    expect(problemsOf({ ...aWorld(), inputs: { "github-token": "ghs_nope" } })).toContain(
      "inputs.github-token: names no token",
    );
  });

  it("refuses a run without a loop identity", () => {
    const world = { ...aWorld(), inputs: {} };
    world.repos[0] = { repo: "acme/api", issues: [{ title: "x", author: "alice", run: {} }] };
    expect(problemsOf(world)).toContain("repos[0].issues[0].run: a run needs inputs.github-token");
  });

  it("names the file and the line of a YAML syntax error", () => {
    const file = join(dir, "broken.yaml");
    writeFileSync(file, "version: 1\nrepos: [\n  - {repo: acme/api\n");
    expect(() => loadWorld(file)).toThrow(/broken\.yaml[\s\S]*not valid YAML or JSON at line \d+/);
  });

  it("names the file when the file's content is invalid", () => {
    const file = join(dir, "invalid.yaml");
    writeFileSync(file, "version: 2\n");
    expect(() => loadWorld(file)).toThrow(/invalid world .*invalid\.yaml[\s\S]*version: /);
  });

  it("reports a store-level impossibility at the event that caused it", () => {
    const world = aWorld();
    world.repos[0] = {
      repo: "acme/api",
      issues: [{ title: "x", author: "alice", labels: [{ name: "bug", by: "bob", remove: true }] }],
    };
    expect(problemsOf(world)).toContain("repos[0].issues[0].labels[0]: Label does not exist");
  });
});
