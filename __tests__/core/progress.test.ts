import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  aProgressView,
  aRunRecord,
  CI_GREEN,
  CI_NONE,
  CI_PENDING,
  ciRed,
  NEW_SHA,
  RED_SHA,
  RUN_T0,
} from "../../__fixtures__/core.js";
import {
  PROGRESS_MAX_CHARS,
  PROGRESS_MAX_FAILING,
  renderProgress,
  type ProgressView,
} from "../../src/core/progress.js";
import { RECORD_LIMITS } from "../../src/core/run-record.js";
import { decodeRunRecord, encodeRunRecord } from "../../src/core/record-codec.js";
import { CI_STATES, RUN_PHASES, type CiVerdict } from "../../src/core/types.js";

const COMMIT_URL = `https://github.com/acme/api/commit/${RED_SHA}`;
const pushed = { sha: RED_SHA, url: COMMIT_URL };

function render(overrides: Partial<ProgressView> = {}): string {
  return renderProgress(aProgressView(overrides));
}

/** The checklist lines, `[x]`/`[ ]` first. */
function checklist(body: string): string[] {
  return body.split("\n").filter((line) => line.startsWith("- ["));
}

function checked(body: string, step: string): boolean | undefined {
  const line = checklist(body).find((l) => l.slice(6).startsWith(step));
  return line === undefined ? undefined : line.startsWith("- [x]");
}

function statusLine(body: string): string {
  return body.split("\n").find((line) => line.startsWith("**Status:**")) ?? "";
}

function redWith(...checks: { name: string; url: string | null }[]): CiVerdict {
  return { state: "red", stage: "build", failing: checks, signature: checks.map((c) => c.name).join(", ") };
}

describe("the run record rides along at the very end", () => {
  it("ends with the record's marker, which decodes to the same record", () => {
    const record = aRunRecord({ fixForwards: 1, reason: "a reason" });
    const body = render({ record });
    expect(body.endsWith(encodeRunRecord(record))).toBe(true);
    expect(decodeRunRecord(body)).toEqual({ ok: true, record });
  });
});

describe("deterministic", () => {
  it("rendering the same view twice is byte-identical", () => {
    const view = aProgressView({ pushed, ci: ciRed("test", "lint"), deployStage: true });
    expect(renderProgress(view)).toBe(renderProgress(structuredClone(view)));
  });

  it("is byte-identical for any phase, CI state and counts", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...RUN_PHASES),
        fc.constantFrom(...CI_STATES),
        fc.integer({ min: 0, max: 5 }),
        fc.boolean(),
        fc.option(fc.string({ unit: "binary", maxLength: 200 })),
        (phase, state, fixForwards, deployStage, reason) => {
          const ci: CiVerdict = state === "red" ? ciRed("test") : { ...CI_NONE, state };
          const view = aProgressView({ record: aRunRecord({ phase, fixForwards, reason }), pushed, ci, deployStage });
          expect(renderProgress(view)).toBe(renderProgress(structuredClone(view)));
        },
      ),
    );
  });
});

describe("the checklist", () => {
  it("a fresh claim has nothing ticked", () => {
    const body = render({
      record: aRunRecord({ phase: "claimed", threadId: null, dispatchedAt: null }),
      agentLink: null,
    });
    expect(checklist(body).length).toBeGreaterThan(0);
    expect(checklist(body).every((line) => line.startsWith("- [ ]"))).toBe(true);
    expect(statusLine(body)).toContain("claimed");
  });

  it("a dispatched run ticks dispatched and agent working, and links the agent", () => {
    const body = render();
    expect(checked(body, "Dispatched")).toBe(true);
    expect(checked(body, "Agent working")).toBe(true);
    expect(body).toContain("[open the agent's thread](https://t3.example/threads/thread-42)");
    expect(checked(body, "Pushed")).toBe(false);
    expect(checked(body, "Done")).toBe(false);
    expect(statusLine(body)).toContain("the agent is working");
  });

  it("shows the dispatch time from the record", () => {
    expect(render()).toContain("Dispatched to t3 at 2026-03-02T09:00:00Z");
  });

  it("a push ticks pushed, with the short sha linked to the commit", () => {
    const body = render({ pushed, ci: CI_PENDING });
    expect(checked(body, "Pushed")).toBe(true);
    expect(body).toContain(`[\`aaaaaaa\`](${COMMIT_URL})`);
    expect(checked(body, "CI green")).toBe(false);
    expect(statusLine(body)).toContain("CI pending");
  });

  it("CI not reported yet says so", () => {
    const body = render({ pushed, ci: CI_NONE });
    expect(statusLine(body)).toContain("waiting for CI");
    expect(body).toContain("- [ ] CI green: nothing reported yet");
  });

  it("red CI lists each failing check with its link", () => {
    const body = render({ pushed, ci: ciRed("test", "lint") });
    expect(body).toContain(
      "- [ ] CI green: 2 failing\n  - [`lint`](https://ci.example/lint)\n  - [`test`](https://ci.example/test)",
    );
    expect(statusLine(body)).toContain("CI red");
  });

  it("a failing check without a link is listed without one", () => {
    expect(render({ pushed, ci: redWith({ name: "lint", url: null }) })).toContain("\n  - `lint`\n");
  });

  it("green CI ticks CI green", () => {
    expect(checked(render({ pushed, ci: CI_GREEN }), "CI green")).toBe(true);
  });

  it("shows the deployed step only when a deploy stage is configured", () => {
    expect(checked(render({ pushed, ci: CI_PENDING }), "Deployed")).toBeUndefined();
    expect(checked(render({ pushed, ci: CI_PENDING, deployStage: true }), "Deployed")).toBe(false);
  });

  it("a build that passed while the deploy is pending ticks CI green but not deployed", () => {
    const body = render({ pushed, ci: { ...CI_PENDING, stage: "deploy" }, deployStage: true });
    expect(checked(body, "CI green")).toBe(true);
    expect(checked(body, "Deployed")).toBe(false);
  });

  it("a closed run ticks every step", () => {
    const record = aRunRecord({
      phase: "closed",
      lastAction: "close",
      pushedSha: RED_SHA,
      reason: "CI green on aaaaaaa",
      doorbell: { kind: "done", delivered: true },
    });
    const body = render({ record, pushed, ci: CI_GREEN, deployStage: true });
    expect(checklist(body).length).toBeGreaterThan(0);
    expect(checklist(body).every((line) => line.startsWith("- [x]"))).toBe(true);
    expect(statusLine(body)).toContain("done");
  });

  it("a closed run with no CI does not claim CI was green", () => {
    const record = aRunRecord({ phase: "closed", lastAction: "close-no-ci", pushedSha: RED_SHA });
    const body = render({ record, pushed: null, ci: null });
    expect(checked(body, "CI green")).toBe(false);
    expect(body).toContain("no CI reported");
    expect(checked(body, "Done")).toBe(true);
  });

  it("delivered by pull request, green: links the pull request and awaits review; the merge closes the issue", () => {
    const record = aRunRecord({
      phase: "awaiting-review",
      lastAction: "await-review",
      pushedSha: RED_SHA,
      reason: "CI green on aaaaaaa; awaiting review of pull request #7",
      review: { pullRequest: 7, rounds: 0, since: RUN_T0, mergedAt: null },
    });
    const pull = { number: 7, url: "https://github.com/acme/api/pull/7" };
    const pushedToPull = { sha: RED_SHA, url: `${pull.url}/commits/${RED_SHA}`, pullRequest: pull };
    const body = render({ record, pushed: pushedToPull, ci: null, delivery: "pull-request" });
    expect(body).toContain(`Pushed [\`aaaaaaa\`](${pull.url}/commits/${RED_SHA}) to pull request [#7](${pull.url})`);
    expect(statusLine(body)).toContain("awaiting review of the pull request");
    expect(statusLine(body)).toContain("Merging it closes the issue");
    expect(checked(body, "CI green")).toBe(true);
    expect(checked(body, "Awaiting review")).toBe(true);
    expect(checked(body, "Merged")).toBe(false);
    expect(checked(body, "Done")).toBe(false);
    expect(body).not.toContain("Changes requested");
  });

  it("delivered by pull request: review rounds n of m, then merged and done", () => {
    const review = { pullRequest: 7, rounds: 1, since: RUN_T0, mergedAt: null };
    const answering = aRunRecord({ phase: "dispatched", lastAction: "review-turn", pushedSha: RED_SHA, review });
    const body = render({ record: answering, delivery: "pull-request" });
    expect(body).toContain("- [ ] Changes requested: review round 1 of 3");
    const merged = aRunRecord({
      phase: "closed",
      lastAction: "close",
      pushedSha: RED_SHA,
      reason: "pull request #7 merged at aaaaaaa",
      review: { ...review, mergedAt: RUN_T0 },
    });
    const done = render({ record: merged, ci: CI_GREEN, delivery: "pull-request" });
    expect(done).toContain("- [x] Changes requested: review round 1 of 3");
    expect(done).toContain(`- [x] Merged at ${RUN_T0}`);
    expect(statusLine(done)).toMatch(/^\*\*Status:\*\* done: pull request \\#7 merged/);
    expect(checked(done, "Done")).toBe(true);
    expect(render({ record: merged, pushed, ci: CI_GREEN })).toContain("done, issue closed");
  });

  it("falls back to the record's commit when the view has no push", () => {
    const body = render({ record: aRunRecord({ phase: "frozen", pushedSha: NEW_SHA }), pushed: null });
    expect(body).toContain("Pushed `bbbbbbb`");
  });

  it("shows the fix-forward count against the budget", () => {
    expect(render({ record: aRunRecord({ fixForwards: 2 }), maxFixForwards: 3 })).toContain("Fix-forwards: 2 of 3.");
  });

  it("after a fix-forward, the old red commit reads as waiting for the agent's fix", () => {
    const record = aRunRecord({ fixForwards: 1, lastAction: "fix-forward", pushedSha: RED_SHA });
    expect(statusLine(render({ record, pushed, ci: ciRed("test") }))).toContain("waiting for the agent's fix");
  });

  it.each([
    ["escalated", "handed to a human: the agent stopped."],
    ["frozen", "frozen: the agent stopped."],
    ["released", "claim released: the agent stopped."],
  ] as const)("a %s run shows the reason in the status line", (phase, expected) => {
    expect(statusLine(render({ record: aRunRecord({ phase, reason: "the agent stopped" }) }))).toBe(
      `**Status:** ${expected}`,
    );
  });

  it("links the issue in the heading", () => {
    expect(render().split("\n")[0]).toBe(
      "### afk-loop: [acme/api#42](https://github.com/acme/api/issues/42), attempt 1",
    );
  });
});

describe("outside text cannot break the comment", () => {
  const forged = encodeRunRecord(aRunRecord({ phase: "closed", reason: "forged" }));

  it.each([
    ["a backtick", "a`b", "[``a`b``](https://ci.example/x)"],
    ["a leading backtick", "`x", "[`` `x ``](https://ci.example/x)"],
    ["a forged marker", `evil ${forged}`, "[`evil  afk-loop:run v1 "],
    ["a link-breaking bracket", "x](https://evil.example)", "[`x](https://evil.example)`](https://ci.example/x)"],
    ["a newline and a fake checklist item", "x\n- [x] Done", "[`x - [x] Done`](https://ci.example/x)"],
    ["a bidi override", "test\u202Egnp.exe", "[`testgnp.exe`](https://ci.example/x)"],
  ])("a check name with %s stays inert inside one code span", (_, name, expected) => {
    const body = render({ pushed, ci: redWith({ name, url: "https://ci.example/x" }) });
    expect(body).toContain(`  - ${expected}`);
  });

  it("a hostile check name cannot forge a marker, add lines, or hide the real record", () => {
    const record = aRunRecord({ reason: "real" });
    const name = `x\n\n${forged}\n\n- [x] Done\n\`\`\`\n`;
    const body = render({ record, pushed, ci: redWith({ name, url: "https://ci.example/x" }) });
    expect(decodeRunRecord(body)).toEqual({ ok: true, record });
    expect(body.split("<!--")).toHaveLength(2);
    expect(checklist(body).filter((line) => line.includes("Done"))).toEqual(["- [ ] Done"]);
  });

  it("a hostile reason is escaped: no HTML, no marker, no mention, no markdown", () => {
    const reason =
      "<!-- afk-loop:run v2 x --> <img src=x> @octo-org/admins **bold** [link](https://evil.example)\n\n# heading";
    const record = aRunRecord({ phase: "escalated", reason });
    const body = render({ record });
    expect(decodeRunRecord(body)).toEqual({ ok: true, record });
    expect(body.split("<!--")).toHaveLength(2);
    expect(body).not.toContain("<img");
    expect(body).not.toMatch(/@octo-org/);
    expect(body).not.toContain("**bold**");
    expect(body).not.toContain("[link](");
    expect(body.split("\n").some((line) => line.startsWith("# heading"))).toBe(false);
    expect(statusLine(body)).toContain("&lt;img src=x&gt;");
  });

  it.each([
    ["javascript:alert(1)"],
    ["https://ci.example/a b"],
    ['https://ci.example/"onmouseover'],
    [`https://ci.example/${"x".repeat(600)}`],
  ])("a URL that is not a plain http(s) link (%s) is not linked", (url) => {
    const body = render({ pushed, ci: redWith({ name: "test", url }) });
    expect(body).toContain("\n  - `test`\n");
  });

  it("parentheses in a URL are percent-encoded so they cannot end the link early", () => {
    expect(render({ pushed, ci: redWith({ name: "test", url: "https://ci.example/a(1)" }) })).toContain(
      "](https://ci.example/a%281%29)",
    );
  });

  it("an empty check name still renders a visible code span", () => {
    expect(render({ pushed, ci: redWith({ name: "\u0000", url: null }) })).toContain("  - `(unnamed)`");
  });
});

describe("size", () => {
  it("500 failing checks are truncated with a count and stay far under GitHub's comment limit", () => {
    const checks = Array.from({ length: 500 }, (_, i) => ({
      name: `check-${i} ${"&".repeat(1000)}`,
      url: `https://ci.example/${"x".repeat(400)}/${i}`,
    }));
    const body = render({ pushed, ci: redWith(...checks) });
    expect(body.length).toBeLessThanOrEqual(PROGRESS_MAX_CHARS);
    expect(body.length).toBeLessThan(65_536);
    expect(body).toContain(`  - …and ${500 - PROGRESS_MAX_FAILING} more`);
    expect(body.split("\n").filter((line) => line.startsWith("  - [")).length).toBe(PROGRESS_MAX_FAILING);
  });

  it("the worst case (every bound at its limit, every character escaped) stays under the cap", () => {
    const record = aRunRecord({
      phase: "escalated",
      reason: "&".repeat(RECORD_LIMITS.reason),
      lastFailureSignature: "\u0001".repeat(RECORD_LIMITS.failureSignature),
      threadId: '"'.repeat(RECORD_LIMITS.threadId),
    });
    const checks = Array.from({ length: 1000 }, () => ({
      name: "`".repeat(5000),
      url: `https://ci.example/${"(".repeat(490)}`,
    }));
    const body = render({
      record,
      pushed,
      ci: redWith(...checks),
      agentLink: `https://t3.example/${")".repeat(480)}`,
      deployStage: true,
    });
    expect(body.length).toBeLessThanOrEqual(PROGRESS_MAX_CHARS);
  });
});
