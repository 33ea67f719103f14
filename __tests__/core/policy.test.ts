import { describe, expect, it } from "vitest";
import {
  LABELED_AT,
  OTHER_REPO,
  REPO,
  aBlocker,
  aBot,
  aConfig,
  aReadyIssue,
  aRef,
  anActor,
} from "../../__fixtures__/core.js";
import type { Config } from "../../src/core/config.js";
import {
  awaitingNativeBlockerCheck,
  ROLE_LOOKUPS_PER_ISSUE,
  rolesToResolve,
  selectDispatches,
  type Selection,
} from "../../src/core/policy.js";
import { SKIP_CODES, describeSkip, type SkipCode, type SkipReason } from "../../src/core/skip-reasons.js";
import type { Actor, Instant, IssueRef, ReadyIssue } from "../../src/core/types.js";
import { fleetGuard, type BreakerState, type FleetGuard } from "../../src/core/guard-rails.js";

interface Setup {
  inFlight?: IssueRef[];
  config?: Config;
  guard?: FleetGuard | null;
}

function select(ready: ReadyIssue[], { inFlight = [], config = aConfig(), guard = null }: Setup = {}): Selection {
  return selectDispatches({ ready, inFlight, config, guard });
}

/** What happened to one issue on its own: "dispatched", or its skip reason. */
function verdict(issue: ReadyIssue, setup: Setup = {}): SkipReason | "dispatched" {
  return verdictIn(select([issue], setup), issue);
}

function verdictIn(result: Selection, issue: ReadyIssue): SkipReason | "dispatched" {
  if (result.dispatch.some((d) => d.issue === issue)) return "dispatched";
  const skip = result.skipped.find((s) => s.issue === issue);
  if (skip === undefined) throw new Error(`issue #${issue.number} is missing from the result`);
  return skip.reason;
}

const dispatchedNumbers = (result: Selection) => result.dispatch.map((d) => `${d.issue.repo}#${d.issue.number}`);

const LATER = "2026-06-01T11:00:00Z";
const EARLIER = "2026-06-01T09:00:00Z";
const LATEST = "2026-06-01T11:30:00Z";

/** An issue whose body `by` edited at `at`, and nothing else. */
const editedBy = (by: Actor | null, at: Instant = LATER): Pick<ReadyIssue, "edits"> => ({
  edits: [{ what: "body", at, by }],
});

describe("dispatch", () => {
  it("dispatches an issue that passes every gate, as attempt 1", () => {
    const issue = aReadyIssue();
    expect(select([issue])).toEqual({ dispatch: [{ issue, attempt: 1 }], skipped: [] });
  });

  it("numbers the attempt after the issue's previous runs", () => {
    const issue = aReadyIssue({ previousAttempts: 2 });
    expect(select([issue]).dispatch).toEqual([{ issue, attempt: 3 }]);
  });

  it("an empty ready set dispatches nothing", () => {
    expect(select([])).toEqual({ dispatch: [], skipped: [] });
  });
});

describe("kill switch", () => {
  // Issues that would fail other gates too: with the switch on, none of that is looked at.
  const mixed = () => [
    aReadyIssue({ number: 1 }),
    aReadyIssue({ number: 2, repo: "evil/repo" }),
    aReadyIssue({ number: 3, readyLabeledBy: null }),
    aReadyIssue({ number: 4, labels: ["ready-for-agent", "agent-in-progress"] }),
    aReadyIssue({ number: 5, blockers: [aBlocker(9)] }),
  ];

  it("on: nothing is dispatched and every issue's only reason is the switch", () => {
    const result = select(mixed(), { config: aConfig({ "kill-switch": "on" }) });
    expect(result.dispatch).toEqual([]);
    expect(result.skipped.map((s) => s.reason)).toEqual(Array(5).fill({ code: "kill-switch" }));
  });

  it("unset means on", () => {
    expect(verdict(aReadyIssue(), { config: aConfig({ "kill-switch": "" }) })).toEqual({ code: "kill-switch" });
  });

  it("drain: nothing is dispatched and every issue's only reason is draining", () => {
    const result = select(mixed(), { config: aConfig({ "kill-switch": "drain" }) });
    expect(result.dispatch).toEqual([]);
    expect(result.skipped.map((s) => s.reason)).toEqual(Array(5).fill({ code: "draining" }));
  });
});

describe("allowlist", () => {
  it("skips an issue in a repo that is not on the allowlist", () => {
    expect(verdict(aReadyIssue({ repo: "evil/repo" }))).toEqual({ code: "not-allowlisted", repo: "evil/repo" });
  });

  it("compares repos case-insensitively, as GitHub does", () => {
    expect(verdict(aReadyIssue({ repo: "ACME/Api" }))).toBe("dispatched");
  });

  it("matches whole names only", () => {
    expect(verdict(aReadyIssue({ repo: "acme/api-old" }))).toEqual({ code: "not-allowlisted", repo: "acme/api-old" });
  });

  it("an empty allowlist runs nothing", () => {
    expect(verdict(aReadyIssue(), { config: aConfig({ allowlist: "" }) })).toEqual({
      code: "not-allowlisted",
      repo: REPO,
    });
  });
});

describe("already running", () => {
  it("skips an issue that carries the in-progress label", () => {
    const issue = aReadyIssue({ labels: ["ready-for-agent", "agent-in-progress"] });
    expect(verdict(issue)).toEqual({ code: "already-running", label: "agent-in-progress" });
  });

  it("skips an issue the lock lists, even if its own labels were read before the claim", () => {
    expect(verdict(aReadyIssue({ number: 7 }), { inFlight: [aRef(7, "Acme/API")] })).toEqual({
      code: "already-running",
      label: "agent-in-progress",
    });
  });

  it("uses the configured in-progress label, in any case", () => {
    const config = aConfig({ "in-progress-label": "busy" });
    expect(verdict(aReadyIssue({ labels: ["ready-for-agent", "Busy"] }), { config })).toEqual({
      code: "already-running",
      label: "busy",
    });
    expect(verdict(aReadyIssue({ labels: ["ready-for-agent", "agent-in-progress"] }), { config })).toBe("dispatched");
  });
});

describe("handed back to a human", () => {
  it.each([
    [["ready-for-human"], "ready-for-human"],
    [["Ready-For-Human"], "ready-for-human"],
    [["frozen"], "frozen"],
    [["ready-for-human", "frozen"], "frozen"],
  ])("skips an issue labelled %j", (extra, label) => {
    expect(verdict(aReadyIssue({ labels: ["ready-for-agent", ...extra] }))).toEqual({ code: "handed-to-human", label });
  });

  it("regression (docs/design.md §13.8): an escalated issue that kept its ready label is not picked up again", () => {
    const escalated = aReadyIssue({ labels: ["ready-for-agent", "ready-for-human"], previousAttempts: 1 });
    expect(verdict(escalated)).toEqual({ code: "handed-to-human", label: "ready-for-human" });
  });

  it("uses the configured labels", () => {
    const config = aConfig({ "human-label": "needs-person", "frozen-label": "ice" });
    expect(verdict(aReadyIssue({ labels: ["needs-person"] }), { config })).toEqual({
      code: "handed-to-human",
      label: "needs-person",
    });
    expect(verdict(aReadyIssue({ labels: ["ice"] }), { config })).toEqual({ code: "handed-to-human", label: "ice" });
    expect(verdict(aReadyIssue({ labels: ["ready-for-human", "frozen"] }), { config })).toBe("dispatched");
  });
});

describe("trust", () => {
  it.each(["write", "maintain", "admin"] as const)(
    "trusts a labeller with role %s (default minimum: write)",
    (role) => {
      expect(verdict(aReadyIssue({ readyLabeledBy: anActor({ role }) }))).toBe("dispatched");
    },
  );

  it.each(["none", "read", "triage", "unknown"] as const)("does not trust a labeller with role %s", (role) => {
    expect(verdict(aReadyIssue({ readyLabeledBy: anActor({ login: "mallory", role }) }))).toEqual({
      code: "untrusted-labeler",
      actor: "mallory",
      role,
      bot: false,
      needs: "write",
    });
  });

  it("honours min-labeler-role", () => {
    const triage = aReadyIssue({ readyLabeledBy: anActor({ role: "triage" }) });
    const maintain = aReadyIssue({ readyLabeledBy: anActor({ role: "maintain" }) });
    expect(verdict(triage, { config: aConfig({ "min-labeler-role": "triage" }) })).toBe("dispatched");
    expect(verdict(maintain, { config: aConfig({ "min-labeler-role": "admin" }) })).toEqual({
      code: "untrusted-labeler",
      actor: "maintainer",
      role: "maintain",
      bot: false,
      needs: "admin",
    });
  });

  it("does not trust an unattributable label", () => {
    expect(verdict(aReadyIssue({ readyLabeledBy: null, readyLabeledAt: null }))).toEqual({
      code: "untrusted-labeler",
      actor: null,
      role: null,
      bot: false,
      needs: "write",
    });
  });

  it("does not trust a bot, whatever its role", () => {
    expect(verdict(aReadyIssue({ readyLabeledBy: aBot("renovate[bot]", { role: "admin" }) }))).toEqual({
      code: "untrusted-labeler",
      actor: "renovate[bot]",
      role: "admin",
      bot: true,
      needs: "write",
    });
  });

  it("treats a [bot] login as a bot even when the adapter did not flag it", () => {
    const issue = aReadyIssue({ readyLabeledBy: anActor({ login: "helper[bot]", isBot: false, role: "admin" }) });
    expect(verdict(issue)).toMatchObject({ code: "untrusted-labeler", bot: true });
  });

  it("trusts a bot listed in trusted-users", () => {
    const config = aConfig({ "trusted-users": "renovate[bot]" });
    expect(verdict(aReadyIssue({ readyLabeledBy: aBot("renovate[bot]") }), { config })).toBe("dispatched");
  });

  it.each(["none", "read", "unknown"] as const)(
    "trusts a listed user whatever the role (%s), comparing logins case-insensitively",
    (role) => {
      const config = aConfig({ "trusted-users": "@Contractor" });
      const issue = aReadyIssue({ readyLabeledBy: anActor({ login: "contractor", role }) });
      expect(verdict(issue, { config })).toBe("dispatched");
    },
  );
});

describe("approved content", () => {
  const mallory = anActor({ login: "mallory", role: "read" });

  it("skips an issue edited after the label by someone not trusted", () => {
    const issue = aReadyIssue({ ...editedBy(mallory, LATER) });
    expect(verdict(issue)).toEqual({
      code: "edited-after-approval",
      editor: "mallory",
      editedAt: LATER,
      labeledAt: LABELED_AT,
    });
  });

  it("accepts an edit after the label by a trusted person", () => {
    expect(verdict(aReadyIssue({ ...editedBy(anActor({ role: "admin" }), LATER) }))).toBe("dispatched");
  });

  it("accepts an edit after the label by a listed user", () => {
    const config = aConfig({ "trusted-users": "mallory" });
    expect(verdict(aReadyIssue({ ...editedBy(mallory, LATER) }), { config })).toBe("dispatched");
  });

  it.each([
    ["before", EARLIER],
    ["at the same instant as", LABELED_AT],
    ["at the same instant (another offset) as", "2026-06-01T12:00:00+02:00"],
  ])("accepts any edit made %s the label", (_when, editedAt) => {
    expect(verdict(aReadyIssue({ ...editedBy(mallory, editedAt) }))).toBe("dispatched");
  });

  it("does not trust a bot's edit after the label", () => {
    expect(verdict(aReadyIssue({ ...editedBy(aBot(), LATER) }))).toMatchObject({
      code: "edited-after-approval",
      editor: "dependabot[bot]",
    });
  });

  it("does not trust an edit after the label by an account that cannot be named", () => {
    expect(verdict(aReadyIssue({ ...editedBy(null, LATER) }))).toEqual({
      code: "edited-after-approval",
      editor: null,
      editedAt: LATER,
      labeledAt: LABELED_AT,
    });
  });

  it("an untrusted edit with no known label time counts as after the label", () => {
    expect(verdict(aReadyIssue({ readyLabeledAt: null, ...editedBy(mallory, EARLIER) }))).toEqual({
      code: "edited-after-approval",
      editor: "mallory",
      editedAt: EARLIER,
      labeledAt: null,
    });
  });

  it("a later trusted edit does not launder an untrusted one: the earliest untrusted edit is named", () => {
    const maya = anActor({ login: "maya", role: "admin" });
    const laundered = aReadyIssue({
      edits: [
        { what: "title", at: LATEST, by: maya },
        { what: "body", at: LATER, by: mallory },
        { what: "body", at: LATEST, by: maya },
      ],
    });
    expect(verdict(laundered)).toEqual({
      code: "edited-after-approval",
      editor: "mallory",
      editedAt: LATER,
      labeledAt: LABELED_AT,
    });
  });

  it("a trusted title edit does not launder an untrusted one, in whatever order the edits arrive", () => {
    const maya = anActor({ login: "maya", role: "admin" });
    const edits = [
      { what: "title" as const, at: LATER, by: mallory },
      { what: "body" as const, at: LATEST, by: maya },
    ];
    expect(verdict(aReadyIssue({ edits }))).toMatchObject({ code: "edited-after-approval", editor: "mallory" });
    expect(verdict(aReadyIssue({ edits: [...edits].reverse() }))).toMatchObject({ editor: "mallory" });
  });

  it("an untrusted edit before the label stays approved under later trusted edits", () => {
    const maya = anActor({ login: "maya", role: "admin" });
    const edits = [
      { what: "body" as const, at: EARLIER, by: mallory },
      { what: "title" as const, at: LATER, by: maya },
    ];
    expect(verdict(aReadyIssue({ edits }))).toBe("dispatched");
  });

  it("an edit history longer than what was read is treated as edited by an unknown person", () => {
    expect(verdict(aReadyIssue({ editHistoryComplete: false }))).toEqual({
      code: "edit-history-unread",
      labeledAt: LABELED_AT,
    });
  });

  it("an unread edit history comes after the labeller's trust and before a known untrusted edit", () => {
    const untrusted = anActor({ login: "mallory", role: "read" });
    expect(verdict(aReadyIssue({ editHistoryComplete: false, readyLabeledBy: untrusted }))).toMatchObject({
      code: "untrusted-labeler",
    });
    expect(verdict(aReadyIssue({ editHistoryComplete: false, ...editedBy(mallory) }))).toMatchObject({
      code: "edit-history-unread",
    });
  });

  it("an untrusted edit at a time that cannot be read counts as after the label", () => {
    expect(verdict(aReadyIssue({ ...editedBy(mallory, "yesterday") }))).toMatchObject({
      code: "edited-after-approval",
    });
  });
});

describe("max runs per issue", () => {
  it("dispatches the last allowed run", () => {
    expect(select([aReadyIssue({ previousAttempts: 2 })]).dispatch[0]?.attempt).toBe(3);
  });

  it("skips an issue that has used every run", () => {
    expect(verdict(aReadyIssue({ previousAttempts: 3 }))).toEqual({ code: "max-runs-reached", runs: 3, limit: 3 });
  });

  it("honours max-runs-per-issue", () => {
    const config = aConfig({ "max-runs-per-issue": "1" });
    expect(verdict(aReadyIssue({ previousAttempts: 1 }), { config })).toEqual({
      code: "max-runs-reached",
      runs: 1,
      limit: 1,
    });
  });
});

describe("blocked by", () => {
  it.each(["open", "unreadable"] as const)("a %s blocker blocks", (state) => {
    const blocker = aBlocker(3, { state });
    expect(verdict(aReadyIssue({ blockers: [blocker] }))).toEqual({ code: "blocked", blockers: [blocker] });
  });

  it("regression (docs/design.md §13.3): a closed blocker never blocks", () => {
    expect(verdict(aReadyIssue({ blockers: [aBlocker(3, { state: "closed" })] }))).toBe("dispatched");
  });

  it("lists only the blockers still blocking, in the issue's order", () => {
    const open = aBlocker(5, { repo: OTHER_REPO });
    const unreadable = aBlocker(3, { state: "unreadable" });
    const issue = aReadyIssue({ blockers: [open, aBlocker(4, { state: "closed" }), unreadable] });
    expect(verdict(issue)).toEqual({ code: "blocked", blockers: [open, unreadable] });
  });

  it("native dependencies block like text ones", () => {
    const native = aBlocker(3, { source: "native" });
    expect(verdict(aReadyIssue({ blockers: [native] }))).toEqual({ code: "blocked", blockers: [native] });
  });

  it("lists a blocker named both in the text and natively once", () => {
    const text = aBlocker(3);
    const issue = aReadyIssue({ blockers: [text, aBlocker(3, { repo: "ACME/api", source: "native" })] });
    expect(verdict(issue)).toEqual({ code: "blocked", blockers: [text] });
  });
});

describe("lock", () => {
  it("regression (docs/design.md §13.4): an issue outside the ready set holds its repo", () => {
    // #9 is running but lost its ready label; the lock still comes from it.
    expect(verdict(aReadyIssue({ number: 1 }), { inFlight: [aRef(9)] })).toEqual({
      code: "repo-busy",
      repo: REPO,
      holders: [aRef(9)],
      limit: 1,
    });
  });

  it("a running issue still in the ready set holds its repo too, even if the lock list missed it", () => {
    const running = aReadyIssue({ number: 2, labels: ["ready-for-agent", "agent-in-progress"] });
    const waiting = aReadyIssue({ number: 1 });
    expect(verdictIn(select([running, waiting]), waiting)).toEqual({
      code: "repo-busy",
      repo: REPO,
      holders: [aRef(2)],
      limit: 1,
    });
  });

  it("matches the lock's repo case-insensitively", () => {
    expect(verdict(aReadyIssue(), { inFlight: [aRef(9, "ACME/API")] })).toMatchObject({ code: "repo-busy" });
  });

  it("lists each holder once, in order", () => {
    const config = aConfig({ "max-per-repo": "2" });
    expect(verdict(aReadyIssue(), { config, inFlight: [aRef(9), aRef(4), aRef(9)] })).toEqual({
      code: "repo-busy",
      repo: REPO,
      holders: [aRef(4), aRef(9)],
      limit: 2,
    });
  });

  it("a busy repo does not hold up another repo", () => {
    const free = aReadyIssue({ repo: OTHER_REPO, number: 2 });
    expect(verdictIn(select([aReadyIssue(), free], { inFlight: [aRef(9)] }), free)).toBe("dispatched");
  });

  it("max-per-repo above 1 lets a repo take more runs beside the ones in flight", () => {
    const config = aConfig({ "max-per-repo": "2" });
    const [first, second] = [aReadyIssue({ number: 1 }), aReadyIssue({ number: 2 })];
    const result = select([first, second], { config, inFlight: [aRef(9)] });
    expect(verdictIn(result, first)).toBe("dispatched");
    expect(verdictIn(result, second)).toEqual({ code: "outranked", by: aRef(1) });
  });
});

describe("caps", () => {
  it("takes at most max-per-repo issues from a free repo in one tick", () => {
    const [first, second] = [aReadyIssue({ number: 1 }), aReadyIssue({ number: 2 })];
    const result = select([first, second]);
    expect(dispatchedNumbers(result)).toEqual([`${REPO}#1`]);
    expect(verdictIn(result, second)).toEqual({ code: "outranked", by: aRef(1) });
  });

  it("stops at max-in-flight, counting runs already in flight", () => {
    const config = aConfig({ "max-in-flight": "2", allowlist: "a/one\na/two\na/three" });
    const issue = aReadyIssue({ repo: "a/three" });
    expect(verdict(issue, { config, inFlight: [aRef(1, "a/one"), aRef(1, "a/two")] })).toEqual({
      code: "max-in-flight",
      inFlight: 2,
      limit: 2,
    });
  });

  it("counts this tick's dispatches toward max-in-flight", () => {
    const config = aConfig({ "max-in-flight": "2", allowlist: "a/one\na/two\na/three" });
    const issues = ["a/one", "a/two", "a/three"].map((repo, i) => aReadyIssue({ repo, number: i + 1 }));
    const result = select(issues, { config });
    expect(dispatchedNumbers(result)).toEqual(["a/one#1", "a/two#2"]);
    expect(result.skipped).toEqual([{ issue: issues[2], reason: { code: "max-in-flight", inFlight: 2, limit: 2 } }]);
  });

  it("reports a full repo before a full loop", () => {
    const config = aConfig({ "max-in-flight": "1" });
    expect(verdict(aReadyIssue(), { config, inFlight: [aRef(9)] })).toMatchObject({ code: "repo-busy" });
  });
});

describe("priority", () => {
  it("the most urgent issue takes the repo's slot; the rest are outranked by it", () => {
    const issues = [
      aReadyIssue({ number: 1, labels: ["ready-for-agent", "P2"] }),
      aReadyIssue({ number: 2, labels: ["ready-for-agent", "priority:0"] }),
      aReadyIssue({ number: 3, labels: ["ready-for-agent", "P1"] }),
    ];
    const result = select(issues);
    expect(dispatchedNumbers(result)).toEqual([`${REPO}#2`]);
    expect(result.skipped.map((s) => s.reason)).toEqual([
      { code: "outranked", by: aRef(2) },
      { code: "outranked", by: aRef(2) },
    ]);
  });

  it("regression (docs/design.md §13.2): an issue without a priority label waits behind a labelled one", () => {
    const unlabelled = aReadyIssue({ number: 1 });
    const low = aReadyIssue({ number: 2, labels: ["ready-for-agent", "P4"] });
    const result = select([unlabelled, low]);
    expect(dispatchedNumbers(result)).toEqual([`${REPO}#2`]);
    expect(verdictIn(result, unlabelled)).toEqual({ code: "outranked", by: aRef(2) });
  });

  it("breaks ties by issue number", () => {
    const result = select([aReadyIssue({ number: 8 }), aReadyIssue({ number: 5 })]);
    expect(dispatchedNumbers(result)).toEqual([`${REPO}#5`]);
  });

  it("ranks across repos for the global cap", () => {
    const config = aConfig({ "max-in-flight": "1" });
    const api = aReadyIssue({ repo: REPO, number: 1, labels: ["P2"] });
    const web = aReadyIssue({ repo: OTHER_REPO, number: 2, labels: ["P0"] });
    const result = select([api, web], { config });
    expect(dispatchedNumbers(result)).toEqual([`${OTHER_REPO}#2`]);
    expect(verdictIn(result, api)).toEqual({ code: "max-in-flight", inFlight: 1, limit: 1 });
  });

  it("an urgent issue that fails a gate leaves the slot to the next one", () => {
    const blocked = aReadyIssue({ number: 1, labels: ["P0"], blockers: [aBlocker(7)] });
    const next = aReadyIssue({ number: 2, labels: ["P3"] });
    expect(dispatchedNumbers(select([blocked, next]))).toEqual([`${REPO}#2`]);
  });
});

/**
 * One way to fail each gate, as a change to a scene. Typed by SkipCode, so a new gate cannot
 * be added without a way to fail it here (the compiler checks coverage, not a count).
 */
interface Scene {
  issue: Partial<ReadyIssue>;
  labels: string[];
  inputs: Record<string, string>;
  inFlight: IssueRef[];
  /** How many times the ready set lists the issue. */
  copies: number;
  /** Other ready issues, more urgent than the one judged. */
  rivals: ReadyIssue[];
  /** The fleet's guard rails. */
  guard: FleetGuard | null;
}

const FAIL_GATE: Record<SkipCode, (scene: Scene) => void> = {
  "kill-switch": (s) => void (s.inputs["kill-switch"] = "on"),
  "emergency-stop": (s) => void (s.inputs["kill-switch"] = "stop"),
  draining: (s) => void (s.inputs["kill-switch"] = "drain"),
  breaker: (s) => void (s.guard = aGuard({ tripped: true, used: s.guard?.budget.used ?? 0 })),
  "daily-budget": (s) => void (s.guard = aGuard({ tripped: s.guard?.breaker != null, used: 50 })),
  "not-allowlisted": (s) => void (s.inputs.allowlist = OTHER_REPO),
  duplicate: (s) => void (s.copies = 2),
  "already-running": (s) => void s.labels.push("agent-in-progress"),
  "handed-to-human": (s) => void s.labels.push("ready-for-human"),
  "repo-busy": (s) => void s.inFlight.push(aRef(9)),
  "untrusted-labeler": (s) => void (s.issue.readyLabeledBy = anActor({ login: "mallory", role: "read" })),
  // More edits than were read: an unread one may be anyone's.
  "edit-history-unread": (s) => void (s.issue.editHistoryComplete = false),
  "edited-after-approval": (s) =>
    void (s.issue.edits = [{ what: "body", at: LATER, by: anActor({ login: "mallory", role: "read" }) }]),
  // Text the rendered page does not show, far more than what it shows.
  "mostly-hidden": (s) => void (s.issue.body = `<!-- ${"hidden ".repeat(400)} -->`),
  "max-runs-reached": (s) => void (s.issue.previousAttempts = 3),
  blocked: (s) => void (s.issue.blockers = [aBlocker(7)]),
  // A more urgent issue in the same repo takes its only slot this tick.
  outranked: (s) => void s.rivals.push(aReadyIssue({ number: 2, labels: ["ready-for-agent", "P0"] })),
  // This tick's dispatches fill the fleet: one slot, taken by a more urgent issue elsewhere.
  "max-in-flight": (s) => {
    s.inputs["max-in-flight"] = "1";
    s.rivals.push(aReadyIssue({ repo: OTHER_REPO, number: 3, labels: ["ready-for-agent", "P1"] }));
  },
};

/** Gates one scene cannot fail together (the switch has one value). */
// The kill switch has one value at a time: its gates cannot both fail.
const EXCLUSIVE = new Set(["kill-switch emergency-stop", "emergency-stop draining"]);

function failing(...codes: SkipCode[]): SkipReason | "dispatched" {
  const scene: Scene = {
    issue: {},
    labels: ["ready-for-agent"],
    inputs: {},
    inFlight: [],
    copies: 1,
    rivals: [],
    guard: null,
  };
  for (const code of codes) FAIL_GATE[code](scene);
  const issue = aReadyIssue({ ...scene.issue, labels: scene.labels });
  const ready = [...Array<ReadyIssue>(scene.copies).fill(issue), ...scene.rivals];
  return verdictIn(
    select(ready, { inFlight: scene.inFlight, config: aConfig(scene.inputs), guard: scene.guard }),
    issue,
  );
}

const GUARD_NOW = "2026-03-02T12:00:00Z";

/** Guard rails at GUARD_NOW: `used` dispatches in the last hour against a budget of 50, the breaker tripped or not. */
function aGuard({ tripped = false, used = 0, limit = 50 }: { tripped?: boolean; used?: number; limit?: number }) {
  const minute = Math.floor(Date.parse(GUARD_NOW) / 60_000) - 60;
  const failed = (n: number) => ({
    runId: `r${n}`,
    repo: REPO,
    number: n,
    url: null,
    outcome: "frozen" as const,
    at: GUARD_NOW,
  });
  const breaker: BreakerState = tripped
    ? { streak: [], tripped: { at: GUARD_NOW, runs: [failed(4), failed(5)], rung: true } }
    : { streak: [], tripped: null };
  return fleetGuard(
    Array<number>(used).fill(minute),
    breaker,
    { maxDispatchesPerDay: limit, breakerFailures: 2 },
    "dashboard",
    GUARD_NOW,
  );
}

describe("guard rails", () => {
  it("a tripped breaker halts everything, like drain, naming the runs that tripped it", () => {
    const result = select([aReadyIssue({ number: 1 }), aReadyIssue({ number: 2, repo: OTHER_REPO })], {
      guard: aGuard({ tripped: true }),
    });
    expect(result.dispatch).toEqual([]);
    expect(result.skipped.map((s) => s.reason.code)).toEqual(["breaker", "breaker"]);
    expect(describeSkip(result.skipped[0]?.reason ?? { code: "draining" })).toContain(`${REPO}#4, ${REPO}#5`);
  });

  it("a spent budget halts everything and says when it frees up", () => {
    const result = select([aReadyIssue({ number: 1 })], { guard: aGuard({ used: 50 }) });
    expect(result.skipped.map((s) => s.reason)).toEqual([
      { code: "daily-budget", limit: 50, used: 50, freesAt: "2026-03-03T11:00:00.000Z", unreadable: null },
    ]);
    expect(describeSkip(result.skipped[0]?.reason ?? { code: "draining" })).toMatch(
      /50 of 50 .*next one is allowed at \d{4}-\d\d-\d\d \d\d:\d\d UTC/,
    );
  });

  it("what is left of the budget caps this tick's dispatches, most urgent first", () => {
    const config = aConfig({ "max-per-repo": "5" });
    const issues = [3, 1, 2].map((n) => aReadyIssue({ number: n }));
    const result = select(issues, { config, guard: aGuard({ used: 48 }) });
    expect(dispatchedNumbers(result)).toEqual([`${REPO}#1`, `${REPO}#2`]);
    expect(result.skipped.map((s) => [s.issue.number, s.reason.code])).toEqual([[3, "daily-budget"]]);
  });

  it("a guard whose counts could not be read halts everything (fail closed)", () => {
    const guard = { ...aGuard({}), unreadable: "HTTP 502" };
    expect(verdict(aReadyIssue({}), { guard })).toMatchObject({ code: "breaker", unreadable: "HTTP 502" });
  });

  it("while halted, no role is worth a look-up", () => {
    const issue = aReadyIssue({ readyLabeledBy: anActor({ login: "someone", role: "unknown" }) });
    expect(
      rolesToResolve({ ready: [issue], inFlight: [], config: aConfig(), guard: aGuard({ tripped: true }) }),
    ).toEqual([]);
  });
});

describe("gate order", () => {
  const adjacent = SKIP_CODES.slice(1)
    .map((later, i) => [SKIP_CODES[i] as SkipCode, later] as const)
    .filter(([earlier, later]) => !EXCLUSIVE.has(`${earlier} ${later}`));

  it.each(SKIP_CODES)("each way to fail a gate alone gives its reason: %s", (code) => {
    expect(failing(code)).toMatchObject({ code });
  });

  it.each(adjacent)("an issue failing %s and %s gets the earlier reason", (earlier, later) => {
    expect(failing(earlier, later)).toMatchObject({ code: earlier });
    expect(failing(later, earlier)).toMatchObject({ code: earlier });
  });

  it("every pair of adjacent gates but the switch's values is proved", () => {
    expect(adjacent).toHaveLength(SKIP_CODES.length - 1 - EXCLUSIVE.size);
  });

  // Issue #11: the reason describes the issue, not the moment. Capacity comes
  // after trust, so an untrusted issue says so whether or not its repo is full.
  it("a repo full before this tick is judged after trust: an untrusted issue there is untrusted", () => {
    const untrustedLabeler = aReadyIssue({ readyLabeledBy: anActor({ login: "mallory", role: "read" }) });
    expect(verdict(untrustedLabeler, { inFlight: [aRef(9)] })).toMatchObject({ code: "untrusted-labeler" });
  });

  it("a fleet at max-in-flight before this tick is judged after trust too", () => {
    const untrustedLabeler = aReadyIssue({
      repo: OTHER_REPO,
      readyLabeledBy: anActor({ login: "mallory", role: "read" }),
    });
    const config = aConfig({ "max-in-flight": "1" });
    expect(verdict(untrustedLabeler, { config, inFlight: [aRef(9)] })).toMatchObject({ code: "untrusted-labeler" });
  });

  it("a trusted, unblocked issue in a repo full before this tick is repo-busy", () => {
    expect(verdict(aReadyIssue(), { inFlight: [aRef(9)] })).toEqual({
      code: "repo-busy",
      repo: REPO,
      holders: [aRef(9)],
      limit: 1,
    });
  });

  it("a repo filled by this tick's dispatches is judged after trust: an untrusted issue there is untrusted", () => {
    const first = aReadyIssue({ number: 1 });
    const untrustedSecond = aReadyIssue({ number: 2, readyLabeledBy: anActor({ login: "mallory", role: "read" }) });
    expect(verdictIn(select([first, untrustedSecond]), untrustedSecond)).toMatchObject({ code: "untrusted-labeler" });
  });

  const untrusted = { readyLabeledBy: anActor({ login: "mallory", role: "read" }) };
  const edited = { ...editedBy(anActor({ login: "eve", role: "none" }), LATER) };

  it.each<[string, Partial<ReadyIssue>, SkipReason["code"]]>([
    ["not allowlisted and running", { repo: "evil/repo", labels: ["agent-in-progress"] }, "not-allowlisted"],
    ["running and handed back", { labels: ["agent-in-progress", "frozen"] }, "already-running"],
    ["handed back and untrusted", { labels: ["ready-for-human"], ...untrusted }, "handed-to-human"],
    ["untrusted and edited", { ...untrusted, ...edited }, "untrusted-labeler"],
    ["edited and out of runs", { ...edited, previousAttempts: 3 }, "edited-after-approval"],
    ["out of runs and blocked", { previousAttempts: 3, blockers: [aBlocker(7)] }, "max-runs-reached"],
  ])("%s: the earlier gate's reason", (_what, overrides, code) => {
    expect(verdict(aReadyIssue(overrides))).toMatchObject({ code });
  });

  it.each<[string, Partial<ReadyIssue>, SkipReason["code"]]>([
    ["handed back and in a busy repo", { labels: ["frozen"] }, "handed-to-human"],
    ["in a busy repo and untrusted", untrusted, "untrusted-labeler"],
    ["in a busy repo and edited", edited, "edited-after-approval"],
    ["in a busy repo and out of runs", { previousAttempts: 3 }, "max-runs-reached"],
    ["in a busy repo and blocked", { blockers: [aBlocker(7)] }, "blocked"],
  ])("%s (the repo full before this tick): the issue's own reason, not the moment's", (_what, overrides, code) => {
    expect(verdict(aReadyIssue(overrides), { inFlight: [aRef(9)] })).toMatchObject({ code });
  });
});

describe("roles to resolve", () => {
  const unknown = (login: string, overrides: Partial<Actor> = {}) => anActor({ login, role: "unknown", ...overrides });
  const needs = (ready: ReadyIssue[], { inFlight = [], config = aConfig() }: Setup = {}) =>
    rolesToResolve({ ready, inFlight, config });
  /** Labelled by alice and edited after the label by bob, neither role known yet. */
  const unvetted = (overrides: Partial<ReadyIssue> = {}) =>
    aReadyIssue({ readyLabeledBy: unknown("alice"), ...editedBy(unknown("bob"), LATER), ...overrides });

  it("asks for the labeller and the post-label editor of an issue in a free repo", () => {
    expect(needs([unvetted()])).toEqual([
      { repo: REPO, login: "alice" },
      { repo: REPO, login: "bob" },
    ]);
  });

  it("asks once per (repo, login), comparing both case-insensitively and keeping the first spelling", () => {
    const issues = [
      unvetted({ number: 1, labels: ["P0"], readyLabeledBy: unknown("Alice"), ...editedBy(unknown("ALICE")) }),
      unvetted({ number: 2, repo: "ACME/API", ...editedBy(unknown("alice")) }),
      unvetted({ number: 3, repo: OTHER_REPO, edits: [] }),
    ];
    expect(needs(issues)).toEqual([
      { repo: REPO, login: "Alice" },
      { repo: OTHER_REPO, login: "alice" },
    ]);
  });

  it("asks for every issue in a free repo, not only the most urgent: if that one is untrusted, the next takes the slot", () => {
    const issues = [
      aReadyIssue({ number: 1, readyLabeledBy: unknown("carol") }),
      aReadyIssue({ number: 2, readyLabeledBy: unknown("dave") }),
    ];
    expect(needs(issues).map((pair) => pair.login)).toEqual(["carol", "dave"]);
  });

  it("is sorted by repo, then login, whatever the input order", () => {
    const issues = [
      unvetted({ number: 1, repo: OTHER_REPO, readyLabeledBy: unknown("zed") }),
      unvetted({ number: 2, readyLabeledBy: unknown("yan") }),
      unvetted({ number: 3, labels: ["P0"], readyLabeledBy: unknown("xia") }),
    ];
    const expected = [
      { repo: REPO, login: "bob" },
      { repo: REPO, login: "xia" },
      { repo: REPO, login: "yan" },
      { repo: OTHER_REPO, login: "bob" },
      { repo: OTHER_REPO, login: "zed" },
    ];
    expect(needs(issues)).toEqual(expected);
    expect(needs([...issues].reverse())).toEqual(expected);
  });

  it.each(["on", "drain"])("asks for nothing when the kill switch is %s", (killSwitch) => {
    expect(needs([unvetted()], { config: aConfig({ "kill-switch": killSwitch }) })).toEqual([]);
  });

  // Issue #11 moved capacity after trust: a busy repo's issues are judged on
  // their own merits, so their actors' roles are needed too. Each (repo, login)
  // still costs one lookup, however many issues it labelled.
  it("asks in a fleet of 50 busy repos too, once per (repo, login)", () => {
    const repos = Array.from({ length: 50 }, (_, r) => `fleet/repo-${String(r).padStart(2, "0")}`);
    const config = aConfig({ allowlist: repos.join("\n"), "max-in-flight": "50" });
    const inFlight = repos.map((repo) => aRef(100, repo));
    const ready = repos.flatMap((repo) =>
      Array.from({ length: 20 }, (_, i) =>
        unvetted({ repo, number: i + 1, readyLabeledBy: unknown("maintainer"), edits: [] }),
      ),
    );
    const pairs = needs(ready, { config, inFlight });
    expect(pairs).toHaveLength(50);
    const trusted = ready.map((issue) => ({ ...issue, readyLabeledBy: anActor({ login: "maintainer" }) }));
    const result = select(trusted, { config, inFlight });
    expect(result.dispatch).toEqual([]);
    expect(new Set(result.skipped.map((s) => s.reason.code))).toEqual(new Set(["repo-busy"]));
  });

  it("asks while the fleet is at max-in-flight: the issue's trust decides its reason", () => {
    const config = aConfig({ "max-in-flight": "1" });
    const free = unvetted({ repo: OTHER_REPO });
    expect(needs([free], { config, inFlight: [aRef(9)] })).toHaveLength(2);
  });

  it("asks in a repo already at max-per-repo as in one with room left", () => {
    const config = aConfig({ "max-per-repo": "2" });
    expect(needs([unvetted()], { config, inFlight: [aRef(9), aRef(8)] })).toHaveLength(2);
    expect(needs([unvetted()], { config, inFlight: [aRef(9)] })).toHaveLength(2);
  });

  it.each<[string, Partial<ReadyIssue>, IssueRef[]]>([
    ["handed back", { labels: ["ready-for-agent", "ready-for-human"] }, []],
    ["frozen", { labels: ["ready-for-agent", "frozen"] }, []],
    ["already running (its label)", { labels: ["ready-for-agent", "agent-in-progress"] }, []],
    ["already running (the lock list)", {}, [aRef(1, OTHER_REPO), aRef(1)]],
    ["not allowlisted", { repo: "evil/repo" }, []],
  ])("asks for nothing for an issue that is %s", (_what, overrides, inFlight) => {
    const config = aConfig({ "max-per-repo": "3" });
    expect(needs([unvetted(overrides)], { config, inFlight })).toEqual([]);
  });

  it("asks for nothing for an issue listed twice", () => {
    expect(needs([unvetted(), unvetted({ repo: "Acme/API" })])).toEqual([]);
  });

  it("asks for issues that fail a later gate too: trust comes first in their reason", () => {
    const issues = [
      unvetted({ number: 1, blockers: [aBlocker(7)], edits: [] }),
      unvetted({ number: 2, previousAttempts: 3, readyLabeledBy: unknown("carol"), edits: [] }),
    ];
    expect(needs(issues).map((pair) => pair.login)).toEqual(["alice", "carol"]);
  });

  it("does not ask about users listed in trusted-users, comparing logins case-insensitively", () => {
    const config = aConfig({ "trusted-users": "Alice, BOB" });
    expect(needs([unvetted()], { config })).toEqual([]);
  });

  it.each<[string, Actor]>([
    ["flagged as a bot", unknown("ci-helper", { isBot: true })],
    ["named as a bot", unknown("helper[bot]")],
  ])("does not ask about a bot (%s): it is untrusted unless listed", (_how, bot) => {
    expect(
      needs([unvetted({ readyLabeledBy: anActor({ login: "alice", role: "unknown" }), ...editedBy(bot) })]),
    ).toEqual([{ repo: REPO, login: "alice" }]);
    expect(needs([unvetted({ readyLabeledBy: bot, edits: [] })])).toEqual([]);
  });

  it("does not ask about an actor whose role is already known", () => {
    const known = unvetted({
      readyLabeledBy: anActor({ login: "alice", role: "write" }),
      ...editedBy(unknown("bob")),
    });
    expect(needs([known])).toEqual([{ repo: REPO, login: "bob" }]);
  });

  it.each([
    ["before", EARLIER],
    ["at the same instant as", LABELED_AT],
  ])("needs no editor's role for an edit made %s the label", (_when, editedAt) => {
    expect(needs([unvetted({ ...editedBy(unknown("bob"), editedAt) })])).toEqual([{ repo: REPO, login: "alice" }]);
  });

  it("needs the editor's role when the label time is unknown: the edit counts as after it", () => {
    expect(needs([unvetted({ readyLabeledAt: null, ...editedBy(unknown("bob"), EARLIER) })])).toHaveLength(2);
  });

  it(`asks for at most ${ROLE_LOOKUPS_PER_ISSUE} roles per issue, however many accounts edited it`, () => {
    const flooded = unvetted({
      edits: Array.from({ length: 40 }, (_, i) => ({ what: "body" as const, at: LATER, by: unknown(`editor-${i}`) })),
    });
    const pairs = needs([flooded]);
    expect(pairs).toHaveLength(ROLE_LOOKUPS_PER_ISSUE);
    expect(pairs.map((p) => p.login)).toContain("alice");
    // The editors past the cap stay unknown, so untrusted: the issue is not dispatched.
    expect(verdict(flooded)).toMatchObject({ code: "untrusted-labeler" });
  });

  it("asks for no editor once one post-label editor is known untrusted: the approval is void anyway", () => {
    const issue = unvetted({
      edits: [
        { what: "body", at: LATER, by: unknown("bob") },
        { what: "title", at: LATER, by: aBot() },
      ],
    });
    expect(needs([issue])).toEqual([{ repo: REPO, login: "alice" }]);
  });

  it("asks for no editor of an issue whose edit history was not read in full", () => {
    expect(needs([unvetted({ editHistoryComplete: false })])).toEqual([{ repo: REPO, login: "alice" }]);
  });

  it("asks nothing for an edit by an account that cannot be named (untrusted anyway)", () => {
    expect(needs([unvetted({ ...editedBy(null) })])).toEqual([{ repo: REPO, login: "alice" }]);
  });

  it.each<[string, Actor | null]>([
    ["nobody can be named", null],
    ["a bot", aBot("renovate[bot]", { role: "unknown" })],
    ["someone whose known role is too low", anActor({ login: "mallory", role: "read" })],
  ])("needs no editor's role when the labeller is already untrusted (%s)", (_who, labeler) => {
    expect(needs([unvetted({ readyLabeledBy: labeler })])).toEqual([]);
  });

  it("still asks for the editor when the labeller is trusted without a lookup", () => {
    const known = anActor({ login: "alice", role: "admin" });
    const listed = unknown("carol");
    const config = aConfig({ "trusted-users": "carol" });
    expect(needs([unvetted({ readyLabeledBy: known })])).toEqual([{ repo: REPO, login: "bob" }]);
    expect(needs([unvetted({ readyLabeledBy: listed })], { config })).toEqual([{ repo: REPO, login: "bob" }]);
  });

  it("filled in, the roles it asks for decide the issue; one left unknown is untrusted (fail-closed)", () => {
    const fill = (issue: ReadyIssue, role: Actor["role"]): ReadyIssue => ({
      ...issue,
      readyLabeledBy: issue.readyLabeledBy && { ...issue.readyLabeledBy, role },
      edits: issue.edits.map((edit) => ({ ...edit, by: edit.by && { ...edit.by, role } })),
    });
    const issue = unvetted();
    expect(verdict(fill(issue, "write"))).toBe("dispatched");
    expect(verdict(issue)).toMatchObject({ code: "untrusted-labeler", role: "unknown" });
  });
});

describe("the result", () => {
  it("lists every input issue exactly once", () => {
    const issues = [
      aReadyIssue({ number: 1 }),
      aReadyIssue({ number: 2 }),
      aReadyIssue({ number: 3, repo: "evil/repo" }),
      aReadyIssue({ number: 4, repo: OTHER_REPO }),
    ];
    const result = select(issues);
    const seen = [...result.dispatch.map((d) => d.issue), ...result.skipped.map((s) => s.issue)];
    expect(seen).toHaveLength(issues.length);
    expect(new Set(seen)).toEqual(new Set(issues));
  });

  it("orders dispatches and skips by priority, whatever the input order", () => {
    const issues = [
      aReadyIssue({ number: 4, repo: OTHER_REPO }),
      aReadyIssue({ number: 3, labels: ["P1"] }),
      aReadyIssue({ number: 2, repo: OTHER_REPO, labels: ["P3"] }),
      aReadyIssue({ number: 1 }),
    ];
    const forward = select(issues);
    expect(select([...issues].reverse())).toEqual(forward);
    expect(dispatchedNumbers(forward)).toEqual([`${REPO}#3`, `${OTHER_REPO}#2`]);
    expect(forward.skipped.map((s) => s.issue.number)).toEqual([1, 4]);
  });

  it("interleaves skips from every gate in one priority order", () => {
    const issues = [
      aReadyIssue({ number: 1, blockers: [aBlocker(7)] }),
      aReadyIssue({ number: 2, labels: ["P0"] }),
      aReadyIssue({ number: 3, labels: ["P1"] }),
    ];
    const result = select(issues);
    expect(result.skipped.map((s) => [s.issue.number, s.reason.code])).toEqual([
      [3, "outranked"],
      [1, "blocked"],
    ]);
  });

  it("skips every copy of an issue listed twice, rather than risk two agents on it", () => {
    const config = aConfig({ "max-per-repo": "2" });
    const [a, b] = [aReadyIssue({ number: 1 }), aReadyIssue({ number: 1, repo: "Acme/API" })];
    const result = select([a, b], { config });
    expect(result.dispatch).toEqual([]);
    expect(result.skipped.map((s) => s.reason)).toEqual([
      { code: "duplicate", copies: 2 },
      { code: "duplicate", copies: 2 },
    ]);
  });

  it("does not change its inputs", () => {
    const ready = [aReadyIssue({ number: 2 }), aReadyIssue({ number: 1 })];
    const inFlight = [aRef(9, OTHER_REPO)];
    const config = aConfig();
    const before = structuredClone({ ready, inFlight, config });
    select(ready, { inFlight, config });
    expect({ ready, inFlight, config }).toEqual(before);
  });
});

describe("native blocker checks", () => {
  it("lists the chosen issues whose native dependencies have not been read yet", () => {
    const [api, web] = [aReadyIssue({ number: 1 }), aReadyIssue({ number: 2, repo: OTHER_REPO })];
    const result = select([api, web]);
    expect(awaitingNativeBlockerCheck(result, new Set())).toEqual([api, web]);
    expect(awaitingNativeBlockerCheck(result, new Set(["acme/web#2"]))).toEqual([api]);
  });

  it("settles: after the check, a newly blocked issue gives its slot to the next one", () => {
    const [first, second] = [aReadyIssue({ number: 1 }), aReadyIssue({ number: 2 })];
    const checked = new Set<string>();
    let result = select([first, second]);
    expect(awaitingNativeBlockerCheck(result, checked)).toEqual([first]);

    // The tick reads #1's native dependencies, finds an open one, and asks again.
    const firstChecked = { ...first, blockers: [aBlocker(7, { source: "native" })] };
    checked.add("acme/api#1");
    result = select([firstChecked, second]);
    expect(dispatchedNumbers(result)).toEqual([`${REPO}#2`]);
    expect(awaitingNativeBlockerCheck(result, checked)).toEqual([second]);
  });
});

describe("describeSkip", () => {
  it.each<[SkipReason, string]>([
    [{ code: "kill-switch" }, "kill switch is on: nothing starts"],
    [{ code: "draining" }, "draining: in-flight runs finish, nothing new starts"],
    [{ code: "not-allowlisted", repo: "evil/repo" }, "evil/repo is not on the allowlist"],
    [{ code: "duplicate", copies: 2 }, "listed 2 times in the ready set; none started"],
    [{ code: "already-running", label: "agent-in-progress" }, "already running (agent-in-progress)"],
    [{ code: "handed-to-human", label: "frozen" }, "handed to a human (frozen)"],
    [
      { code: "untrusted-labeler", actor: "mallory", role: "read", bot: false, needs: "write" },
      "labelled by @mallory (role: read; needs write)",
    ],
    [
      { code: "untrusted-labeler", actor: "renovate[bot]", role: "admin", bot: true, needs: "write" },
      "labelled by @renovate[bot] (a bot; bots need to be in trusted-users)",
    ],
    [
      { code: "untrusted-labeler", actor: null, role: null, bot: false, needs: "write" },
      "nobody can be named as applying the ready label",
    ],
    [
      { code: "edited-after-approval", editor: "eve", editedAt: LATER, labeledAt: LABELED_AT },
      `edited by @eve at ${LATER}, after the ready label (${LABELED_AT}); a trusted person must re-apply it`,
    ],
    [
      { code: "edited-after-approval", editor: null, editedAt: LATER, labeledAt: null },
      `edited by an unknown account at ${LATER}, after the ready label (time unknown); a trusted person must re-apply it`,
    ],
    [{ code: "max-runs-reached", runs: 3, limit: 3 }, "already had 3 runs (max-runs-per-issue 3)"],
    [
      { code: "blocked", blockers: [aBlocker(3), aBlocker(5, { repo: OTHER_REPO, state: "unreadable" })] },
      "blocked by #3 (open), acme/web#5 (unreadable)",
    ],
    [
      { code: "repo-busy", repo: REPO, holders: [aRef(9), aRef(12)], limit: 2 },
      "repo busy: #9, #12 in flight (max-per-repo 2)",
    ],
    [{ code: "outranked", by: aRef(4) }, "outranked by #4, which took the repo's last free slot"],
    [{ code: "max-in-flight", inFlight: 5, limit: 5 }, "5 runs in flight (max-in-flight 5)"],
    [
      { code: "breaker", trippedAt: "2026-03-02T11:00:00Z", failures: 2, runs: [aRef(4), aRef(5)], unreadable: null },
      'circuit breaker tripped at 2026-03-02 11:00 UTC after 2 runs in a row ended escalated or frozen (#4, #5): nothing starts until a trusted person ticks "Reset the breaker" on the dashboard',
    ],
    [
      { code: "daily-budget", limit: 50, used: 50, freesAt: "2026-03-03T09:10:00.000Z", unreadable: null },
      "daily budget spent: 50 of 50 dispatches in the last 24 hours (max-dispatches-per-day); the next one is allowed at 2026-03-03 09:10 UTC",
    ],
  ])("%j", (reason, line) => {
    expect(describeSkip(reason, REPO)).toBe(line);
  });

  it("writes refs in full without a repo to be relative to", () => {
    expect(describeSkip({ code: "outranked", by: aRef(4) })).toBe(
      "outranked by acme/api#4, which took the repo's last free slot",
    );
  });
});
