// The shipped worlds: the demo sets up every skip reason of docs/design.md §6 (checked
// against the real policy) and every path of §5; the hostile world holds each
// trap it promises; the fleet generator scales.

import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/core/config.js";
import { selectDispatches } from "../../../src/core/policy.js";
import { SKIP_CODES } from "../../../src/core/skip-reasons.js";
import { parseBlockedBy } from "../../../src/core/refs.js";
import { decodeRunRecord } from "../../../src/core/record-codec.js";
import type { Actor, Blocker, ReadyIssue } from "../../../src/core/types.js";
import type { Issue } from "../../../src/sandbox/github/store.js";
import { loadWorld, type World } from "../../../src/sandbox/world/load.js";
import { MAX_BODY } from "../../../src/sandbox/worlds/hostile.js";
import { DEMO_WORLD, fleetWorld, hostileWorld } from "../../../src/sandbox/worlds/index.js";

/**
 * The ready set as the loop's reads would assemble it, straight from the
 * store: only what the policy needs, so the demo can be checked against the
 * real policy before the ticks exist.
 */
function readySet(world: World): { ready: ReadyIssue[]; inFlight: { repo: string; number: number }[] } {
  const ready: ReadyIssue[] = [];
  const inFlight: { repo: string; number: number }[] = [];
  const actor = (repo: string, login: string | null): Actor | null =>
    login === null
      ? null
      : { login, isBot: world.store.user(login)?.type === "Bot", role: world.store.roleOf(repo, login) };
  for (const repo of world.store.allRepos()) {
    for (const issue of repo.issues.values()) {
      if (issue.state !== "open") continue;
      if (issue.labels.includes("agent-in-progress")) inFlight.push({ repo: repo.fullName, number: issue.number });
      if (!issue.labels.includes("ready-for-agent")) continue;
      const labeled = issue.events.filter((e) => e.event === "labeled" && e.label === "ready-for-agent").at(-1);
      const record = recordOf(world, issue);
      const blockers: Blocker[] = parseBlockedBy(issue.body, { repo: repo.fullName, number: issue.number }).refs.map(
        (ref) => {
          const found = world.store.lookupIssue(ref.repo, ref.number);
          return { ref, source: "text", state: "issue" in found && found.issue.state === "closed" ? "closed" : "open" };
        },
      );
      ready.push({
        repo: repo.fullName,
        number: issue.number,
        title: issue.title,
        body: issue.body,
        url: `https://github.com/${repo.fullName}/issues/${issue.number}`,
        labels: issue.labels,
        readyLabeledBy: actor(repo.fullName, labeled?.actor ?? null),
        readyLabeledAt: labeled?.createdAt ?? null,
        edits: [
          ...issue.contentEdits.map((e) => ({
            what: "body" as const,
            at: e.editedAt,
            by: actor(repo.fullName, e.editor),
          })),
          ...issue.events.flatMap((e) =>
            e.event === "renamed"
              ? [{ what: "title" as const, at: e.createdAt, by: actor(repo.fullName, e.actor) }]
              : [],
          ),
        ],
        editHistoryComplete: true,
        blockers,
        previousAttempts: record?.attempt ?? 0,
        comments: [],
      });
    }
  }
  return { ready, inFlight };
}

/** The world's inputs as the loop would parse them, with the endpoint the sandbox fills in at start. */
function configOf(world: World) {
  return parseConfig({ ...world.inputs, "t3-url": "http://127.0.0.1:9" });
}

function recordOf(world: World, issue: Issue) {
  const ours = issue.comments.find((c) => c.author === world.loopLogin);
  const decoded = ours ? decodeRunRecord(ours.body) : null;
  return decoded?.ok ? decoded.record : null;
}

function issueIn(world: World, repo: string, number: number): Issue {
  const found = world.store.lookupIssue(repo, number);
  if (!("issue" in found)) throw new Error(`no ${repo}#${number}`);
  return found.issue;
}

describe("demo world", () => {
  const world = loadWorld(DEMO_WORLD);
  const config = configOf(world);
  const selection = selectDispatches({ ...readySet(world), config });

  it("is armed and serves every repo in it", () => {
    expect(config.killSwitch).toBe("off");
    expect(config.allowlist).toHaveLength(world.store.allRepos().length);
  });

  it("dispatches some issues and skips others for every reason a live switch allows", () => {
    // edit-history-unread needs an issue edited over 20 times: __tests__/hostile/edit-laundering.test.ts has one.
    // breaker and daily-budget halt the whole fleet, like draining: __tests__/ticks/guard-rails.test.ts has them.
    const reachable = SKIP_CODES.filter(
      (code) =>
        ![
          "kill-switch",
          "emergency-stop",
          "draining",
          "breaker",
          "daily-budget",
          "not-allowlisted",
          "duplicate",
          "already-running",
          "edit-history-unread",
        ].includes(code),
    );
    const seen = new Set(selection.skipped.map((s) => s.reason.code));
    expect([...reachable].filter((code) => !seen.has(code))).toEqual([]);
    // Before the first watch tick frees the stalled and lost runs' repos, max-in-flight allows two.
    expect(selection.dispatch.map((d) => `${d.issue.repo}#${d.issue.number}`)).toEqual(["acme/api#1", "acme/docs#1"]);
  });

  it("skips a bot labeller and a triage labeller as untrusted", () => {
    const untrusted = selection.skipped.filter((s) => s.reason.code === "untrusted-labeler").map((s) => s.issue.number);
    expect(untrusted).toEqual(expect.arrayContaining([3, 4]));
  });

  it("has runs in flight before it starts: one running, one stalled, one lost", () => {
    const web = world.t3.thread(recordOf(world, issueIn(world, "acme/web", 1))?.threadId ?? "");
    expect(web?.latestTurn?.state).toBe("running");
    const search = recordOf(world, issueIn(world, "acme/search", 1));
    const stalledFor = world.clock.now().getTime() - Date.parse(search?.turnStartedAt ?? "");
    expect(stalledFor).toBeGreaterThan(config.limits.maxRunMinutes * 60_000);
    const mobile = recordOf(world, issueIn(world, "acme/mobile", 1));
    expect(world.t3.thread(mobile?.threadId ?? "")).toBeUndefined();
  });

  it("scripts every pre-push ending, a fix-forward to green, a freeze, and a push nobody's CI reports", () => {
    const scripts = world.definition.repos.flatMap((r) => r.issues.map((i) => ({ agent: i.agent, ci: i.ci })));
    const acts = new Set(scripts.flatMap((s) => s.agent?.map((t) => t.act) ?? []));
    expect([...acts].sort()).toEqual(["error", "idle", "needs-approval", "needs-input", "push", "run-forever"]);
    const ciShapes = scripts.map((s) => s.ci?.map((c) => c.result).join(",") ?? "");
    expect(ciShapes).toEqual(expect.arrayContaining(["red,green", "red,red,red", "none"]));
  });

  it("rings its doorbells into the sandbox, signed", () => {
    expect(world.inputs["webhook-secret"]).not.toBeUndefined();
  });
});

describe("hostile world", () => {
  const world = loadWorld(hostileWorld());
  const config = configOf(world);
  const selection = selectDispatches({ ...readySet(world), config });
  const reasonOf = (repo: string, number: number) =>
    selection.skipped.find((s) => s.issue.repo === repo && s.issue.number === number)?.reason.code ?? "dispatched";

  it("keeps issues labelled by untrusted people and bots, or re-labelled by one, from running", () => {
    expect([1, 2, 12].map((n) => reasonOf("acme/api", n))).toEqual([
      "untrusted-labeler",
      "untrusted-labeler",
      "untrusted-labeler",
    ]);
    expect(reasonOf("acme/web", 1)).toBe("untrusted-labeler");
  });

  it("keeps an issue edited after approval from running", () => {
    expect(reasonOf("acme/api", 3)).toBe("edited-after-approval");
  });

  it("forges progress comments with valid markers, by a look-alike login and by someone else", () => {
    const issue = issueIn(world, "acme/api", 4);
    expect(issue.comments.map((c) => [c.author, decodeRunRecord(c.body).ok])).toEqual([
      ["mallory", true],
      ["afk-loop", true],
    ]);
    expect(recordOf(world, issue)).toBeNull();
  });

  it("has cycles and a self-reference in Blocked by, and blockers the loop cannot read", () => {
    expect(issueIn(world, "acme/api", 5).blockedBy).toEqual([{ repo: "acme/api", number: 6 }]);
    expect(issueIn(world, "acme/api", 6).blockedBy).toEqual([{ repo: "acme/api", number: 5 }]);
    expect(parseBlockedBy(issueIn(world, "acme/api", 7).body, { repo: "acme/api", number: 7 }).selfReferences).toBe(1);
    expect(world.store.grant("ghs_hostile_app")?.reach).not.toContain("secret/vault");
    expect(world.store.repo("secret/vault")?.private).toBe(true);
    expect(issueIn(world, "acme/api", 8).blockedBy).toEqual([{ repo: "secret/vault", number: 1 }]);
  });

  it("has a body at GitHub's limit and text with bidi overrides and other unicode", () => {
    expect(issueIn(world, "acme/api", 9).body).toHaveLength(MAX_BODY);
    expect(issueIn(world, "acme/api", 10).title).toMatch(/\u202E/);
  });
});

describe("fleet world", () => {
  it("generates N repos x M ready issues with K in flight, all trusted", () => {
    const world = loadWorld(fleetWorld({ repos: 7, readyPerRepo: 3, inFlight: 9 }));
    const repos = world.store.allRepos();
    expect(repos).toHaveLength(7);
    const issues = repos.flatMap((r) => [...r.issues.values()]);
    expect(issues).toHaveLength(21);
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.every((i) => i.labels.includes("ready-for-agent"))).toBe(true);
    expect(issues.filter((i) => i.labels.includes("agent-in-progress"))).toHaveLength(9);
    expect(world.t3.snapshot().threads).toHaveLength(9);
    const { ready } = readySet(world);
    expect(ready.length).toBeGreaterThan(0);
    expect(ready.every((i) => i.readyLabeledBy?.role === "write")).toBe(true);
  });

  it("spreads runs one per repo before any repo gets a second", () => {
    const world = loadWorld(fleetWorld({ repos: 4, readyPerRepo: 3, inFlight: 5 }));
    const perRepo = world.store
      .allRepos()
      .map((r) => [...r.issues.values()].filter((i) => i.labels.includes("agent-in-progress")).length);
    expect(perRepo).toEqual([2, 1, 1, 1]);
  });

  // Its speed is the benchmark's to measure (npm run bench loads this fleet); a stopwatch here only measured the neighbours.
  it("loads 200 repos x 20 issues with 40 in flight", () => {
    const world = loadWorld(fleetWorld({ repos: 200, readyPerRepo: 20, inFlight: 40 }));
    expect(world.store.allRepos()).toHaveLength(200);
    const inFlight = world.store
      .allRepos()
      .flatMap((r) => [...r.issues.values()])
      .filter((i) => i.labels.includes("agent-in-progress"));
    expect(inFlight).toHaveLength(40);
  });
});
