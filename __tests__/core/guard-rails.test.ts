import { describe, expect, it } from "vitest";
import { aConfig } from "../../__fixtures__/core.js";
import {
  controlAuthority,
  controlMarker,
  dailyBudget,
  fleetGuard,
  tickedControls,
  vouchedBy,
  type DashboardEdit,
  tripUnreadable,
} from "../../src/core/guard-rails.js";
import type { Actor } from "../../src/core/types.js";

const trust = aConfig({ "trusted-users": "carol" }).trust;
const LOOP = "afk-bot[bot]";
const loop: Actor = { login: "afk-bot", isBot: true, role: "unknown" };
const alice: Actor = { login: "alice", isBot: false, role: "maintain" };
const bob: Actor = { login: "bob", isBot: false, role: "write" };
const mallory: Actor = { login: "mallory", isBot: false, role: "read" };
const edit = (by: Actor | null, minute: number): DashboardEdit => ({
  by,
  at: new Date(Date.parse("2026-06-01T00:00:00Z") + minute * 60_000).toISOString(),
});
/** Newest first, as GitHub lists them. */
const history = (...edits: DashboardEdit[]) => [...edits].reverse();

describe("controls: who may tick them", () => {
  it("an untrusted person's tick does nothing and names them", () => {
    const got = controlAuthority(history(edit(loop, 0), edit(mallory, 5)), true, LOOP, trust);
    expect(got).toEqual({ state: "untrusted", editors: ["@mallory"] });
  });

  it("an untrusted edit between trusted ones voids them all (a later trusted edit does not launder it)", () => {
    const got = controlAuthority(
      history(edit(loop, 0), edit(alice, 1), edit(mallory, 2), edit(bob, 3)),
      true,
      LOOP,
      trust,
    );
    expect(got).toEqual({ state: "untrusted", editors: ["@mallory"] });
  });

  it("an unattributable edit (a deleted account) counts as untrusted", () => {
    expect(controlAuthority(history(edit(loop, 0), edit(null, 1), edit(alice, 2)), true, LOOP, trust)).toMatchObject({
      state: "untrusted",
    });
  });

  it("a bot is untrusted unless listed, even with a role", () => {
    const bot: Actor = { login: "helper[bot]", isBot: true, role: "admin" };
    expect(controlAuthority(history(edit(loop, 0), edit(bot, 1)), true, LOOP, trust).state).toBe("untrusted");
  });

  it("only edits since the loop's last write count: an untrusted edit before it was overwritten", () => {
    const got = controlAuthority(history(edit(mallory, 0), edit(loop, 1), edit(alice, 2)), true, LOOP, trust);
    expect(got).toEqual({ state: "trusted", by: alice, at: edit(alice, 2).at });
  });

  it("credits the latest trusted editor, listed users whatever their role", () => {
    const carol: Actor = { login: "Carol", isBot: false, role: "read" };
    const got = controlAuthority(history(edit(loop, 0), edit(alice, 1), edit(carol, 2)), true, LOOP, trust);
    expect(got).toMatchObject({ state: "trusted", by: { login: "Carol" } });
  });

  it("nothing to do when the loop wrote last", () => {
    expect(controlAuthority(history(edit(alice, 0), edit(loop, 1)), true, LOOP, trust)).toEqual({ state: "none" });
  });

  it("a history longer than the loop read, without the loop's last write in it, is unread (fail closed)", () => {
    expect(controlAuthority(history(edit(alice, 1), edit(alice, 2)), false, LOOP, trust)).toEqual({ state: "unread" });
  });

  it("a look-alike user named like the loop's app is not the loop", () => {
    const lookalike: Actor = { login: "afk-bot", isBot: false, role: "read" };
    // A person whose login is the app's slug is not the bot: their edit is judged, not taken for the loop's write.
    const got = controlAuthority(history(edit(loop, 0), edit(lookalike, 1)), true, LOOP, trust);
    expect(got).toEqual({ state: "untrusted", editors: ["@afk-bot"] });
  });
});

describe("controls: reading the ticked boxes", () => {
  const line = (ticked: boolean, text: string, marker: string) => `- [${ticked ? "x" : " "}] ${text} ${marker}`;
  const reset = controlMarker({ kind: "reset" });
  const retry = controlMarker({ kind: "retry", issue: { repo: "acme/api", number: 7 } });
  const stop = controlMarker({ kind: "stop", issue: { repo: "acme/web", number: 3 } });

  it("reads ticked controls only, each once", () => {
    const body = [
      line(true, "Reset the breaker", reset),
      line(false, "Retry acme/api#7", retry),
      line(true, "Stop acme/web#3 and hand it to me", stop),
      line(true, "Stop again", stop),
    ].join("\n");
    expect(tickedControls(body)).toEqual([{ kind: "reset" }, { kind: "stop", issue: { repo: "acme/web", number: 3 } }]);
  });

  it("ignores boxes without the loop's marker, and markers not on a task-list line", () => {
    const body = [
      "- [x] Reset the breaker",
      `I ticked ${reset}`,
      `  - [x] nested ${reset}`,
      "- [x] retry <!-- afk-loop:control retry -->",
    ].join("\n");
    expect(tickedControls(body)).toEqual([]);
  });
});

describe("daily budget", () => {
  it("says when it frees up", () => {
    const m = Math.floor(Date.parse("2026-06-01T10:00:00Z") / 60_000);
    expect(dailyBudget([m, m + 30], 2, "2026-06-01T12:00:00Z")).toEqual({
      limit: 2,
      used: 2,
      left: 0,
      freesAt: "2026-06-02T10:00:00.000Z",
    });
  });
});

describe("the loop's own label, vouched for by a control", () => {
  const issue = { repo: "acme/api", number: 7 };
  const request = { kind: "retry" as const, ...issue, by: "maya", at: "2026-06-01T10:00:00Z" };
  const loopLabel = (at: string) => ({ by: { login: "afk-bot[bot]", isBot: true }, at });

  it("stands for the person who asked, applied within minutes of the request", () => {
    expect(vouchedBy([request], "retry", issue, loopLabel("2026-06-01T10:00:05Z"), LOOP)).toBe("maya");
  });

  it("not for a stale request: a later label by the loop's login is not its consequence", () => {
    expect(vouchedBy([request], "retry", issue, loopLabel("2026-06-01T10:16:00Z"), LOOP)).toBeNull();
    expect(vouchedBy([request], "retry", issue, loopLabel("2026-06-01T09:59:00Z"), LOOP)).toBeNull();
  });

  it("not for another issue, another control, or anyone's label but the loop's", () => {
    const at = "2026-06-01T10:00:05Z";
    expect(vouchedBy([request], "retry", { ...issue, number: 8 }, loopLabel(at), LOOP)).toBeNull();
    expect(vouchedBy([request], "stop", issue, loopLabel(at), LOOP)).toBeNull();
    expect(vouchedBy([request], "retry", issue, { by: { login: "randall", isBot: false }, at }, LOOP)).toBeNull();
    // A person whose login is the app's slug is not the app.
    expect(vouchedBy([request], "retry", issue, { by: { login: "afk-bot", isBot: false }, at }, LOOP)).toBeNull();
    expect(vouchedBy([request], "retry", issue, loopLabel(at), null)).toBeNull();
  });
});

describe("tripUnreadable: a record that cannot be read", () => {
  const NOW = "2026-03-02T09:00:00.000Z";

  it("trips the breaker with the reason and no runs, so nothing starts until a reset", () => {
    const state = tripUnreadable(5, "the record is not base64", NOW);
    expect(state.streak).toEqual([]);
    expect(state.tripped).toMatchObject({ at: NOW, runs: [], rung: false });
    expect(state.tripped?.cause).toContain("could not be read (the record is not base64)");
    const guard = fleetGuard([], state, { maxDispatchesPerDay: 50, breakerFailures: 5 }, "dashboard", NOW);
    expect(guard.breaker).toMatchObject({ failures: 0, cause: state.tripped?.cause });
  });

  it("leaves a breaker that is off (0) off", () => {
    expect(tripUnreadable(0, "the record is not base64", NOW).tripped).toBeNull();
  });

  it("keeps only plain words of the decoder's message, which may quote the broken record", () => {
    const cause = tripUnreadable(5, "does not validate (guard.@everyone<img>[x](y): bad)", NOW).tripped?.cause ?? "";
    expect(cause).not.toMatch(/[@<>[\]]/);
    expect(cause.length).toBeLessThanOrEqual(300);
  });
});
