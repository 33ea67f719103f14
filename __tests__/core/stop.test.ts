// Stopping the agents the loop lets go of (core/stop.ts): when a stop is owed,
// what each tick does about it, and the record and labels while it is pending.

import { describe, expect, it } from "vitest";
import { aConfig, aRunRecord, runMinute } from "../../__fixtures__/core.js";
import { applyAction } from "../../src/core/apply-action.js";
import { labelsFor } from "../../src/core/labels.js";
import { type RunRecord } from "../../src/core/run-record.js";
import { decodeRunRecord, encodeRunRecord } from "../../src/core/record-codec.js";
import {
  describeStop,
  handOver,
  handOverCause,
  markStopped,
  markStopRequested,
  planStop,
  stopOnLetGo,
} from "../../src/core/stop.js";
import { AGENT_STATES } from "../../src/core/types.js";

const labels = aConfig().labels;
const inFlight = aRunRecord({ phase: "dispatched", dispatchedAt: runMinute(0) });
const escalated: RunRecord = { ...inFlight, phase: "escalated", reason: "stalled" };
const owed = stopOnLetGo(inFlight, escalated, "running");

describe("a let-go owes a stop only while the agent may still be working", () => {
  it.each(["running", "unknown"] as const)("agent %s: the stop is owed", (state) => {
    expect(stopOnLetGo(inFlight, escalated, state).stop).toMatchObject({ reason: "escalated", state: "owed" });
  });

  it.each(["idle", "interrupted", "error", "missing"] as const)("agent %s: nothing to stop", (state) => {
    expect(stopOnLetGo(inFlight, escalated, state).stop ?? null).toBeNull();
  });

  it("an agent waiting for a person is left open, with the reason", () => {
    expect(stopOnLetGo(inFlight, escalated, "needs-input").stop).toMatchObject({
      state: "left-open",
      detail: expect.stringContaining("a person may answer it") as string,
    });
  });

  it("names the phase the run ended in", () => {
    for (const phase of ["closed", "frozen", "released"] as const) {
      expect(stopOnLetGo(inFlight, { ...inFlight, phase }, "running").stop?.reason).toBe(phase);
    }
  });

  it("a run still in flight, or one already finished, owes nothing new", () => {
    expect(stopOnLetGo(inFlight, inFlight, "running").stop ?? null).toBeNull();
    expect(stopOnLetGo(escalated, escalated, "running").stop ?? null).toBeNull();
  });
});

describe("planStop", () => {
  it("sends an owed stop while the agent works, and confirms it once the agent no longer does", () => {
    expect(planStop(owed, "running", runMinute(1), 15)).toEqual({ kind: "request", forced: false });
    for (const state of AGENT_STATES.filter((s) => s !== "running" && s !== "unknown")) {
      expect(planStop(owed, state, runMinute(1), 15)).toEqual({ kind: "confirm" });
    }
  });

  it("waits a lease for a requested stop, then asks once more, forced", () => {
    const requested = markStopRequested(owed, runMinute(1), false);
    expect(planStop(requested, "running", runMinute(10), 15)).toEqual({ kind: "wait" });
    expect(planStop(requested, "running", runMinute(16), 15)).toEqual({ kind: "request", forced: true });
    const forced = markStopRequested(requested, runMinute(16), true);
    expect(planStop(forced, "running", runMinute(60), 15)).toEqual({ kind: "wait" });
  });

  it("nothing to do for no stop, a confirmed stop or a session left open", () => {
    expect(planStop(inFlight, "running", runMinute(1), 15)).toEqual({ kind: "none" });
    expect(planStop(markStopped(owed, runMinute(2)), "running", runMinute(3), 15)).toEqual({ kind: "none" });
    expect(planStop(stopOnLetGo(inFlight, escalated, "needs-input"), "running", runMinute(3), 15)).toEqual({
      kind: "none",
    });
  });
});

describe("labels while a stop is pending", () => {
  it("keep the lock on an escalated run until the stop is confirmed, then take it off", () => {
    expect(labelsFor(owed, labels).add).toContain(labels.inProgress);
    expect(labelsFor(owed, labels).remove).not.toContain(labels.inProgress);
    expect(labelsFor(markStopped(owed, runMinute(2)), labels).remove).toContain(labels.inProgress);
  });

  it("a release after a dispatch takes the ready label off; one before any dispatch keeps it", () => {
    const released: RunRecord = { ...inFlight, phase: "released" };
    expect(labelsFor(released, labels).remove).toContain(labels.ready);
    expect(labelsFor({ ...released, dispatchedAt: null }, labels).remove).not.toContain(labels.ready);
  });
});

describe("hand-over: takeover and emergency stop", () => {
  it("the kill switch stop takes every in-flight run; a takeover names the person", () => {
    expect(handOverCause(inFlight, { killSwitch: "stop", takenOverBy: null })).toEqual({
      reason: "kill-switch",
      text: "stopped by the kill switch",
    });
    expect(handOverCause(inFlight, { killSwitch: "off", takenOverBy: "maya" })?.text).toBe("taken over by @maya");
    expect(handOverCause(inFlight, { killSwitch: "off", takenOverBy: null })).toBeNull();
    expect(handOverCause(escalated, { killSwitch: "stop", takenOverBy: "maya" })).toBeNull();
  });

  it("a run awaiting review is taken too: a review turn would start its agent again", () => {
    const awaiting: RunRecord = { ...inFlight, phase: "awaiting-review" };
    expect(handOverCause(awaiting, { killSwitch: "stop", takenOverBy: null })?.reason).toBe("kill-switch");
    expect(handOverCause(awaiting, { killSwitch: "off", takenOverBy: "maya" })?.reason).toBe("taken-over");
    const after = handOver(awaiting, "idle", { reason: "taken-over", text: "taken over by @maya" });
    expect(after).toMatchObject({ phase: "escalated", doorbell: { kind: "needs-human", delivered: false } });
    expect(after.stop ?? null).toBeNull(); // nothing was running
  });

  it("escalates with needs-human owed and the agent's stop owed", () => {
    const next = handOver(inFlight, "running", { reason: "taken-over", text: "taken over by @maya" });
    expect(next).toMatchObject({
      phase: "escalated",
      reason: "taken over by @maya",
      doorbell: { kind: "needs-human", delivered: false },
      stop: { reason: "taken-over", state: "owed" },
    });
  });
});

describe("the record", () => {
  it("round-trips a stop, and a record written before stops existed still decodes", () => {
    const stopped = markStopped(markStopRequested(owed, runMinute(1), true), runMinute(2));
    const decoded = decodeRunRecord(encodeRunRecord(stopped));
    expect(decoded.ok && decoded.record.stop).toEqual(stopped.stop);
    const { stop: _none, ...old } = inFlight;
    const legacy = decodeRunRecord(encodeRunRecord(old));
    expect(legacy.ok && (legacy.record.stop ?? null)).toBeNull();
  });

  it("describes each state in one line, 'agent stopped' with its time", () => {
    expect(describeStop(markStopped(owed, runMinute(2)).stop)).toBe(`agent stopped at ${runMinute(2)}`);
    expect(describeStop(owed.stop)).toContain("owed");
    expect(describeStop(null)).toBeNull();
  });
});

describe("a review turn drives the agent again", () => {
  it("so the stop of its earlier let-go (green, awaiting review) is spent: the next let-go owes a new one", () => {
    const green = stopOnLetGo(inFlight, { ...inFlight, phase: "awaiting-review" }, "running");
    const awaiting = markStopped(markStopRequested(green, runMinute(1), false), runMinute(2));
    expect(awaiting.stop?.state).toBe("stopped");
    const turned = applyAction(
      { ...awaiting, review: { pullRequest: 7, rounds: 0, since: runMinute(0), mergedAt: null } },
      { kind: "review-turn", sha: "a".repeat(40), pullRequest: 7, round: 1, reviews: [], reason: "round 1" },
      runMinute(3),
    );
    expect(turned.phase).toBe("dispatched");
    const stalled = stopOnLetGo(turned, { ...turned, phase: "escalated", reason: "stalled" }, "running");
    expect(stalled.stop).toMatchObject({ reason: "escalated", state: "owed" });
  });
});
