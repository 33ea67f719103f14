// The guard rails on the dashboard and in the job summary: the breaker's and
// the daily budget's state in words, the control checkboxes a trusted person
// may tick, and the log of what the controls did. Pure: data in, Markdown
// lines out, times as absolute instants (an unchanged fleet renders the same
// text, so a quiet run writes nothing). Reuses render.ts's escaping; never
// renders a box ticked: the loop unticks every control it read.

import { controlMarker, type Budget, type Control, type FleetGuard } from "../core/guard-rails.js";
import type { IssueRef } from "../core/types.js";
import type { GuardState } from "./dashboard-record.js";
import { cell, issueCell } from "./render.js";
import type { IssueLink } from "./model.js";

export interface GuardSettings {
  breakerFailures: number;
  maxDispatchesPerDay: number;
}

const refText = (r: IssueRef) => `${r.repo}#${r.number}`;
const utc = (at: string) => `${new Date(Date.parse(at)).toISOString().slice(0, 16).replace("T", " ")} UTC`;
const box = (text: string, control: Control) => `- [ ] ${text} ${controlMarker(control)}`;

/** One line on the daily budget. */
export function budgetLine(budget: Budget): string {
  if (budget.left === null) return `Daily budget: no limit (${budget.used} dispatched in the last 24 hours).`;
  if (budget.left > 0) return `Daily budget: ${budget.used} of ${budget.limit} dispatches used in the last 24 hours.`;
  const frees = budget.freesAt === null ? "" : `; the next one is allowed at ${utc(budget.freesAt)}`;
  return `Daily budget spent: ${budget.used} of ${budget.limit} dispatches in the last 24 hours${frees}.`;
}

/** Why the headline says the fleet is halted, or null when it is not. */
export function guardHalt(guard: FleetGuard | null): string | null {
  if (guard === null) return null;
  if (guard.unreadable !== null)
    return "The dashboard, which holds the breaker and the daily budget, could not be read";
  if (guard.breaker !== null) {
    const runs = guard.breaker.runs.map(refText).join(", ");
    const why = guard.breaker.cause ?? `${guard.breaker.failures} runs in a row ended escalated or frozen (${runs})`;
    return `Circuit breaker tripped at ${utc(guard.breaker.trippedAt)}: ${why}; nothing new starts until a trusted person ticks "Reset the breaker" on the dashboard`;
  }
  if (guard.budget.left === 0) {
    return `${budgetLine(guard.budget).replace(/\.$/, "")}; nothing new starts until then`;
  }
  return null;
}

/** Says where the guard rails counted from when it was not the dashboard (the weaker fallback). */
export function guardSourceNote(guard: FleetGuard | null): string | null {
  if (guard === null) return null;
  if (guard.unreadable !== null) {
    return `Guard rails: the dashboard could not be read (${guard.unreadable}), so the breaker and the daily budget cannot be counted and nothing new starts this run.`;
  }
  if (guard.source === "dashboard") return null;
  return `Guard rails without the dashboard: counted only from this run's reads (${budgetLine(guard.budget).replace(/\.$/, "")}); set dashboard: true for a breaker and a budget that remember across runs.`;
}

/** The dashboard's "Guard rails" section, with its controls. */
export function guardSection(input: {
  state: GuardState;
  budget: Budget;
  settings: GuardSettings;
  needsYou: readonly IssueLink[];
  inFlight: readonly IssueLink[];
}): string[] {
  const { state, budget, settings } = input;
  const lines = ["### Guard rails", ""];
  if (state.tripped !== null) {
    lines.push(
      `⛔ **Circuit breaker tripped** at ${utc(state.tripped.at)}: ${state.tripped.cause === undefined ? `${state.tripped.runs.length} runs in a row ended escalated or frozen` : state.tripped.cause}, so nothing new starts. Runs in flight are still watched.`,
      "",
      ...state.tripped.runs.map((r) => `- ${issueCell({ ...r, title: "" })}: ${r.outcome}`),
      "",
      box("Reset the breaker (re-arms it; the next run starts work again)", { kind: "reset" }),
      "",
    );
  } else if (settings.breakerFailures === 0) {
    lines.push("Circuit breaker: off (`breaker-failures: 0`).", "");
  } else {
    lines.push(
      `Circuit breaker: armed, ${state.streak.length} of ${settings.breakerFailures} runs in a row ended escalated or frozen.`,
      "",
    );
  }
  lines.push(budgetLine(budget), "");

  const retry = input.needsYou.map((i) => box(`Retry ${cell(refText(i), 160)} (attempt + 1)`, retryOf(i)));
  const stop = input.inFlight.map((i) =>
    box(`Stop ${cell(refText(i), 160)} and hand it to me`, { kind: "stop", issue: { repo: i.repo, number: i.number } }),
  );
  if (retry.length + stop.length > 0) {
    lines.push(
      "Controls: tick a box; the next run acts on it if everyone who edited this issue since the loop last wrote it is trusted, then unticks it.",
      "",
      ...retry,
      ...stop,
      "",
    );
  }
  if (state.log.length > 0) {
    lines.push(
      "Last controls:",
      "",
      ...state.log.map((l) => `- ${utc(l.at)}: ${cell(`@${l.by}`, 100)} ${cell(l.what, 300)}`),
      "",
    );
  }
  return lines;
}

function retryOf(i: IssueLink): Control {
  return { kind: "retry", issue: { repo: i.repo, number: i.number } };
}
