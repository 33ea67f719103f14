// The dashboard issue's body: the fleet at a glance, kept in one issue. Pure:
// the report model (model.ts, the same one the job summary renders) and the
// dashboard record in, Markdown out, `now` passed in.
// Owns what the dashboard shows (rolling 7-day counts, Needs you, In flight,
// the last 30 finished runs) and that it shows times as absolute instants, not
// ages: a body that changed with every tick's clock would be rewritten every
// tick, and the dashboard is edited only when something happened.
// Reuses render.ts's escaping and tables; never escapes on its own.

import type { Instant } from "../core/types.js";
import type { WatchReport } from "../ticks/watch.js";
import type { PollReport } from "../ticks/poll.js";
import {
  DASHBOARD_LIMITS,
  encodeDashboardRecord,
  rollingCounts,
  type DashboardRecord,
  type FinishedObservation,
  type Outcome,
} from "./dashboard-record.js";
import type { ReportModel } from "./model.js";
import { cell, fitToLimit, fleetSections, issueCell, table } from "./render.js";
import { dailyBudget, type RunEnding } from "../core/guard-rails.js";
import { guardOf, startsOf } from "./dashboard-record.js";
import { guardSection, type GuardSettings } from "./guard-rails.js";

export const DASHBOARD_TITLE = "afk-loop dashboard";
/** Rows per table on the dashboard: the whole body must stay under GitHub's 65,536 characters. */
const DASHBOARD_ROWS = 50;
/** Bytes for the visible part; the record's marker has its own cap. */
const VISIBLE_BUDGET = 28_000;

/** The runs this tick brought to a verdict, for the record. */
export function finishedThisTick(watch: WatchReport | null): FinishedObservation[] {
  return (watch?.runs ?? []).flatMap((r): FinishedObservation[] => {
    const outcome = outcomeOf(r.action);
    if (outcome === null || r.runId === null) return [];
    return [
      {
        runId: r.runId,
        repo: r.repo,
        number: r.number,
        title: r.title,
        url: r.url,
        outcome,
        attempt: r.attempt,
        fixForwards: r.fixForwards ?? 0,
        dispatchedAt: r.since,
        green: r.action === "close",
        ending: endingOf(r.action, outcome),
      },
    ];
  });
}

/**
 * How the circuit breaker counts a verdict: a person taking the run over, or
 * the kill switch stopping it, says nothing about the fleet's health.
 */
function endingOf(action: WatchReport["runs"][number]["action"], outcome: Outcome): RunEnding {
  if (action === "escalate-taken-over" || action === "escalate-emergency-stop") return "neutral";
  return outcome === "done" ? "done" : outcome === "released" ? "neutral" : "failed";
}

/** Runs dispatched this tick (none in a dry run reaches the dashboard: a dry run never writes it). */
export function startedThisTick(poll: PollReport | null): number {
  return poll?.dispatched.length ?? 0;
}

function outcomeOf(action: WatchReport["runs"][number]["action"]): Outcome | null {
  switch (action) {
    case "close":
    case "close-no-ci":
      return "done";
    case "freeze":
      return "frozen";
    case "release":
      return "released";
    case "escalate-prepush":
    case "escalate-no-ci":
    case "escalate-lost":
    case "escalate-bad-record":
    case "escalate-taken-over":
    case "escalate-emergency-stop":
      return "escalated";
    default:
      return null;
  }
}

/** `2026-12-07 17:50 UTC`: stable from tick to tick, unlike an age. */
export function when(at: Instant | null): string {
  if (at === null) return "—";
  const t = Date.parse(at);
  if (!Number.isFinite(t)) return "—";
  return `${new Date(t).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** `42 min`, `3 h 5 min`, `2 d 4 h`. */
export function duration(minutes: number | null): string {
  if (minutes === null) return "—";
  if (minutes < 120) return `${minutes} min`;
  if (minutes < 48 * 60) return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  return `${Math.floor(minutes / 1440)} d ${Math.floor((minutes % 1440) / 60)} h`;
}

export interface DashboardInput {
  model: ReportModel;
  record: DashboardRecord;
  now: Instant;
  maxFixForwards: number | null;
  /** The guard rails' inputs; without them the dashboard shows no guard rails (and no controls). */
  guard?: GuardSettings;
}

export function renderDashboard({ model, record, now, maxFixForwards, guard }: DashboardInput): string {
  const counts = rollingCounts(record, now);
  const lines: string[] = [
    `## ${DASHBOARD_TITLE}`,
    "",
    `${model.headline.emoji} **${cell(model.headline.text, 500)}**`,
    "",
    "_Kept by afk-loop: edited in place, and only when something changed. Edits by hand are overwritten._",
    "",
    "### Last 7 days",
    "",
    ...table(
      ["started", "done", "escalated", "frozen", "median time to green"],
      [
        [
          String(counts.started),
          String(counts.done),
          String(counts.escalated),
          String(counts.frozen),
          duration(counts.medianMinutesToGreen),
        ],
      ],
    ),
    "",
  ];
  if (Date.parse(record.since) > Date.parse(now) - DASHBOARD_LIMITS.window * 60_000) {
    lines.push(`_Counting since ${when(record.since)}._`, "");
  }

  if (guard !== undefined) {
    lines.push(
      ...guardSection({
        state: guardOf(record),
        budget: dailyBudget(startsOf(record), guard.maxDispatchesPerDay, now),
        settings: guard,
        needsYou: model.needsYou.slice(0, DASHBOARD_ROWS),
        inFlight: model.inFlight.slice(0, DASHBOARD_ROWS),
      }),
    );
  }

  lines.push(...fleetSections(model, { maxFixForwards, timeHeader: "since", time: when, maxRows: DASHBOARD_ROWS }));

  lines.push(`### Last ${DASHBOARD_LIMITS.finished} finished runs`, "");
  if (record.finished.length === 0) lines.push("No run has finished yet.", "");
  else {
    lines.push(
      ...table(
        ["issue", "title", "outcome", "attempt", "fix-forwards", "dispatch to verdict", "finished"],
        record.finished.map((f) => [
          issueCell(f),
          cell(f.title, 80),
          `**${f.outcome}**`,
          f.attempt === null ? "—" : String(f.attempt),
          String(f.fixForwards),
          duration(f.minutes),
          when(f.at),
        ]),
      ),
      "",
    );
  }
  return `${fitToLimit(lines, VISIBLE_BUDGET)}\n${encodeDashboardRecord(record)}\n`;
}
