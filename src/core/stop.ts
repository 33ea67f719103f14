// Stopping agents the loop lets go of (DESIGN §5, "stop means stop"). Pure:
// decides when a run owes a stop, what the watch tick does about a stop it
// owes, and the record bookkeeping after each step. The tick sends the stop.
// Must never forget an owed stop (it stays in the record, and the lock stays on,
// until the executor shows the agent no longer working) and never stop an agent
// that waits for a person: that session is left open, and the record says why.

import { RECORD_LIMITS, type RunRecord, type StopReason } from "./run-record.js";
import type { AgentState, Instant, KillSwitch } from "./types.js";

type Stop = NonNullable<RunRecord["stop"]>;

/** States in which the agent may still be working (and spending): only these are stopped. */
export function mayBeWorking(state: AgentState): boolean {
  return state === "running" || state === "unknown";
}

const LEFT_OPEN =
  "the agent waits for input or an approval; a person may answer it in the executor, so the session was left open";

/** The stop a record owes after the loop let go of its run, from the phase it ended in. */
function reasonFor(phase: RunRecord["phase"]): StopReason {
  switch (phase) {
    case "closed":
    case "awaiting-review": // green: the agent's part is done, as on a close
      return "closed";
    case "frozen":
      return "frozen";
    case "released":
      return "released";
    default:
      return "escalated";
  }
}

/**
 * The record after a transition: when `after` lets go of a run `before` was driving
 * (an in-flight phase to a terminal one) and the agent may still be working, a stop is
 * owed; when the agent waits for a person, the session is left open, with the reason.
 */
export function stopOnLetGo(
  before: RunRecord,
  after: RunRecord,
  agent: AgentState,
  reason: StopReason = reasonFor(after.phase),
  detail: string | null = null,
): RunRecord {
  const wasInFlight = before.phase === "claimed" || before.phase === "dispatched";
  const letGo = after.phase !== "claimed" && after.phase !== "dispatched";
  if (!wasInFlight || !letGo || (after.stop ?? null) !== null) return after;
  if (agent === "needs-input") return { ...after, stop: fresh(reason, "left-open", LEFT_OPEN) };
  if (!mayBeWorking(agent)) return after;
  return { ...after, stop: fresh(reason, "owed", detail) };
}

function fresh(reason: StopReason, state: Stop["state"], detail: string | null): Stop {
  return {
    reason,
    state,
    detail: detail === null ? null : detail.slice(0, RECORD_LIMITS.reason),
    requestedAt: null,
    forced: false,
    stoppedAt: null,
  };
}

/** True while the record owes a stop not yet confirmed: the run keeps its lock and the watch keeps visiting it. */
export function stopPending(record: Pick<RunRecord, "stop">): boolean {
  const state = record.stop?.state;
  return state === "owed" || state === "requested";
}

export type StopPlan =
  | { kind: "none" }
  /** Send the stop (again, harder, when forced). */
  | { kind: "request"; forced: boolean }
  /** The executor shows the agent no longer working: the stop is done. */
  | { kind: "confirm" }
  /** Asked; give the executor until a lease has passed before asking harder. */
  | { kind: "wait" };

/**
 * What the watch tick does this tick about the record's stop, given the agent's state as
 * the executor reports it now. A stop that was asked but has not taken within
 * `leaseMinutes` is asked again, forced (workflow: force-cancel), once.
 */
export function planStop(record: RunRecord, agent: AgentState, now: Instant, leaseMinutes: number): StopPlan {
  const stop = record.stop ?? null;
  if (stop === null || !stopPending(record)) return { kind: "none" };
  if (!mayBeWorking(agent)) return { kind: "confirm" };
  if (stop.state === "owed") return { kind: "request", forced: false };
  const since = Date.parse(stop.requestedAt ?? "");
  const elapsed = Date.parse(now) - since;
  if (!stop.forced && (Number.isNaN(elapsed) || elapsed >= leaseMinutes * 60_000)) {
    return { kind: "request", forced: true };
  }
  return { kind: "wait" };
}

export function markStopRequested(record: RunRecord, now: Instant, forced: boolean): RunRecord {
  const stop = record.stop;
  if (!stop) return record;
  return { ...record, stop: { ...stop, state: "requested", requestedAt: now, forced: stop.forced || forced } };
}

export function markStopped(record: RunRecord, now: Instant): RunRecord {
  const stop = record.stop;
  if (!stop) return record;
  return { ...record, stop: { ...stop, state: "stopped", stoppedAt: now } };
}

/**
 * Who put the human label on an issue that carries it now: the latest application of that
 * label (compared case-insensitively, as GitHub does). Null when the issue does not carry it,
 * or the read timeline does not show who applied it (then nobody's word counts).
 */
export function humanLabeler<L>(
  labels: readonly string[],
  labeled: readonly { label: string; by: L | null; at: Instant }[],
  humanLabel: string,
): L | null {
  const wanted = humanLabel.toLowerCase();
  if (!labels.some((l) => l.toLowerCase() === wanted)) return null;
  const last = labeled
    .filter((e) => e.label.toLowerCase() === wanted)
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at))
    .at(-1);
  return last?.by ?? null;
}

export interface HandOverCause {
  reason: Extract<StopReason, "taken-over" | "kill-switch">;
  text: string;
}

/**
 * Whether an in-flight run is handed to a human before the state machine is asked: the
 * emergency stop (kill switch `stop`) takes every run, a trusted person's human label the
 * run it is on. `takenOverBy` is that person's login, already found trusted by the caller.
 * A run awaiting review counts as in flight here: a review turn would start its agent again.
 */
export function handOverCause(
  record: Pick<RunRecord, "phase">,
  facts: { killSwitch: KillSwitch; takenOverBy: string | null },
): HandOverCause | null {
  if (record.phase !== "claimed" && record.phase !== "dispatched" && record.phase !== "awaiting-review") return null;
  if (facts.killSwitch === "stop") return { reason: "kill-switch", text: "stopped by the kill switch" };
  if (facts.takenOverBy !== null) return { reason: "taken-over", text: `taken over by @${facts.takenOverBy}` };
  return null;
}

/**
 * A run handed to a human from outside the state machine: a trusted person's human label
 * (takeover) or the emergency stop. Escalated, with the needs-human doorbell owed and the
 * agent's stop owed (or the session left open when it waits for a person).
 */
export function handOver(record: RunRecord, agent: AgentState, how: HandOverCause): RunRecord {
  const text = how.text.slice(0, RECORD_LIMITS.reason);
  const after: RunRecord = {
    ...record,
    phase: "escalated",
    reason: text,
    doorbell: { kind: "needs-human", delivered: false },
  };
  return stopOnLetGo(record, after, agent, how.reason, text);
}

/** One line for the progress comment and the summary; null when the record has nothing to say about a stop. */
export function describeStop(stop: RunRecord["stop"]): string | null {
  if (!stop) return null;
  switch (stop.state) {
    case "stopped":
      return `agent stopped at ${stop.stoppedAt ?? "an unrecorded time"}`;
    case "requested":
      return `stop requested at ${stop.requestedAt ?? "an unrecorded time"}${stop.forced ? " (forced)" : ""}; waiting for the executor to confirm`;
    case "owed":
      return "agent stop owed: it will be sent on the next tick";
    case "left-open":
      return `session left open: ${stop.detail ?? LEFT_OPEN}`;
  }
}
