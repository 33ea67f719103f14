// The dashboard's memory: a bounded, versioned record hidden in the dashboard
// issue's body (`<!-- afk-loop:dashboard v1 <base64 JSON> -->`), as the run
// record is a run's memory. Pure: data in, data out, `now` passed in.
// Owns what the record holds (the last 30 finished runs and the events of the
// last 7 days), how a tick's findings are merged into it (each run once), the
// rolling counts, and the bounds that keep it far below GitHub's 65,536
// characters per issue body. Never guesses: a record that does not decode is
// replaced by a fresh one and the caller is told, never patched up.

import { z } from "zod";
import type { Instant } from "../core/types.js";
import { cutAt } from "../core/markdown.js";
import { advanceBreaker, BREAKER_MEMORY, type BreakerState, type RunEnding } from "../core/guard-rails.js";

export const DASHBOARD_LABEL = "afk-loop-dashboard";
export const DASHBOARD_MARKER_OPEN = "<!-- afk-loop:dashboard v1 ";
const MARKER_CLOSE = " -->";
const MARKER_AT_LINE_START = /^<!-- afk-loop:dashboard v1 /m;

export const DASHBOARD_LIMITS = {
  /** Finished runs listed on the dashboard. */
  finished: 30,
  /** Events kept for the rolling counts; the oldest go first beyond this. */
  events: 1500,
  /** The whole marker, in characters: a larger one is refused on read and trimmed on write. */
  marker: 36_000,
  window: 7 * 24 * 60,
} as const;

const OUTCOMES = ["done", "escalated", "frozen", "released"] as const;
export type Outcome = (typeof OUTCOMES)[number];

const FinishedRunSchema = z.strictObject({
  runId: z.string().min(1).max(200),
  repo: z.string().min(3).max(200),
  number: z.number().int().positive(),
  title: z.string().max(200),
  url: z.string().max(500).nullable(),
  outcome: z.enum(OUTCOMES),
  attempt: z.number().int().min(0).max(10_000).nullable(),
  fixForwards: z.number().int().min(0).max(10_000),
  /** Minutes from dispatch to verdict, when the dispatch time was known. */
  minutes: z.number().int().min(0).max(10_000_000).nullable(),
  at: z.iso.datetime(),
});
type FinishedRun = z.infer<typeof FinishedRunSchema>;

/** `[kind, epoch minute, minutes to verdict]`: s started, d done, e escalated, f frozen. Compact on purpose. */
const EventSchema = z.tuple([
  z.enum(["s", "d", "e", "f"]),
  z.number().int().min(0).max(1e9),
  z.number().int().min(0).max(10_000_000).nullable(),
]);
type DashboardEvent = z.infer<typeof EventSchema>;

const FailedRunSchema = z.strictObject({
  runId: z.string().min(1).max(200),
  repo: z.string().min(3).max(200),
  number: z.number().int().positive(),
  url: z.string().max(500).nullable(),
  outcome: z.enum(["escalated", "frozen"]),
  at: z.iso.datetime(),
});

/** A line saying who did what with a control, and when. */
const ControlLogSchema = z.strictObject({
  what: z.string().max(300),
  by: z.string().max(100),
  at: z.iso.datetime(),
});
export const CONTROL_LOG_LINES = 10;
const CONTROL_REQUESTS = 20;

/** The guard rails' state (issue 12): optional, so a record written before them still reads. */
const GuardSchema = z.strictObject({
  streak: z.array(FailedRunSchema).max(BREAKER_MEMORY),
  tripped: z
    .strictObject({
      at: z.iso.datetime(),
      runs: z.array(FailedRunSchema).max(BREAKER_MEMORY),
      rung: z.boolean(),
      /** Why, when it was not a streak of failed runs (an unreadable record). */
      cause: z.string().max(300).optional(),
    })
    .nullable(),
  /** When the daily budget's doorbell last rang: it rings at most once a day. */
  budgetRungAt: z.iso.datetime().nullable(),
  /** What the dashboard's controls did, newest first. */
  log: z.array(ControlLogSchema).max(CONTROL_LOG_LINES),
  /** Retry and Stop requests of the last VOUCH_MINUTES and more, newest first: they vouch for the loop's labels. */
  requests: z
    .array(
      z.strictObject({
        kind: z.enum(["retry", "stop"]),
        repo: z.string().min(3).max(200),
        number: z.number().int().positive(),
        by: z.string().min(1).max(100),
        at: z.iso.datetime(),
      }),
    )
    .max(CONTROL_REQUESTS),
});
export type GuardState = z.infer<typeof GuardSchema>;

const RecordSchema = z.strictObject({
  v: z.literal(1),
  /** When counting began (first use, or the tick that found the record corrupt). */
  since: z.iso.datetime(),
  finished: z.array(FinishedRunSchema).max(DASHBOARD_LIMITS.finished),
  events: z.array(EventSchema).max(DASHBOARD_LIMITS.events),
  guard: GuardSchema.optional(),
});
export type DashboardRecord = z.infer<typeof RecordSchema>;

export type DecodedDashboard =
  | { state: "fresh"; record: DashboardRecord }
  | { state: "read"; record: DashboardRecord }
  | { state: "corrupt"; record: DashboardRecord; problem: string };

export function emptyRecord(now: Instant): DashboardRecord {
  return { v: 1, since: now, finished: [], events: [] };
}

const EMPTY_GUARD: GuardState = { streak: [], tripped: null, budgetRungAt: null, log: [], requests: [] };

/** Adds requests, newest first, keeping the last few (they only vouch for labels applied minutes later). */
export function withRequests(guard: GuardState, requests: readonly GuardState["requests"][number][]): GuardState {
  return { ...guard, requests: [...[...requests].reverse(), ...guard.requests].slice(0, CONTROL_REQUESTS) };
}

/** The guard rails' state in a record (armed and empty in one written before them). */
export function guardOf(record: DashboardRecord): GuardState {
  return record.guard ?? EMPTY_GUARD;
}

/** The breaker's part of the guard state, for the pure core. */
export function breakerOf(record: DashboardRecord): BreakerState {
  const { streak, tripped } = guardOf(record);
  return { streak, tripped };
}

/** The epoch minutes of the dispatches the record counted, for the daily budget. */
export function startsOf(record: DashboardRecord): number[] {
  return record.events.filter(([kind]) => kind === "s").map(([, at]) => at);
}

/** The record in a dashboard body; a missing one is fresh, a broken one is corrupt (and starts fresh). Never throws. */
export function decodeDashboardRecord(body: string, now: Instant): DecodedDashboard {
  // Only a marker that begins a line counts, as where the renderer puts it (and where pickDashboardIssue looks).
  const start = MARKER_AT_LINE_START.exec(body)?.index ?? -1;
  if (start === -1) return { state: "fresh", record: emptyRecord(now) };
  const corrupt = (problem: string): DecodedDashboard => ({ state: "corrupt", record: emptyRecord(now), problem });
  const end = body.indexOf(MARKER_CLOSE, start + DASHBOARD_MARKER_OPEN.length);
  if (end === -1) return corrupt("the record marker is not terminated");
  if (end + MARKER_CLOSE.length - start > DASHBOARD_LIMITS.marker) return corrupt("the record is over its size cap");
  const payload = body.slice(start + DASHBOARD_MARKER_OPEN.length, end);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(payload) || payload.length % 4 !== 0) return corrupt("the record is not base64");
  const bytes = Buffer.from(payload, "base64");
  // Node's decoder skips junk silently; a payload an encoder would not have produced is not ours.
  if (bytes.toString("base64") !== payload) return corrupt("the record is not canonical base64");
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return corrupt("the record is not UTF-8 JSON");
  }
  const parsed = RecordSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return corrupt(
      `the record does not validate (${first ? `${first.path.join(".") || "record"}: ${first.message}` : "?"})`,
    );
  }
  return { state: "read", record: parsed.data };
}

/** The hidden marker for a record; trims the oldest events until it fits its cap. */
export function encodeDashboardRecord(record: DashboardRecord): string {
  let events = record.events;
  for (;;) {
    const valid = RecordSchema.parse({ ...record, events });
    const marker = DASHBOARD_MARKER_OPEN + Buffer.from(JSON.stringify(valid), "utf8").toString("base64") + MARKER_CLOSE;
    if (marker.length <= DASHBOARD_LIMITS.marker || events.length === 0) return marker;
    events = events.slice(Math.ceil(events.length / 10));
  }
}

/** A run that reached a verdict this tick, as the watch tick saw it. */
export interface FinishedObservation extends Omit<FinishedRun, "minutes" | "at"> {
  /** When the run was dispatched, for the time to verdict. */
  dispatchedAt: Instant | null;
  /** False for a close without CI: done, but not green, so not in the median time to green. */
  green: boolean;
  /** How the breaker counts it; without it, from the outcome (escalated and frozen are failures). */
  ending?: RunEnding;
}

function endingOf(f: FinishedObservation): RunEnding {
  if (f.ending !== undefined) return f.ending;
  return f.outcome === "done" ? "done" : f.outcome === "released" ? "neutral" : "failed";
}

const minuteOf = (at: Instant) => Math.floor(Date.parse(at) / 60_000);

/**
 * The record after this tick: finished runs newest first (each run id once),
 * one event per start and per verdict, events older than the window dropped.
 * A run already listed as finished is not counted again (a tick re-run after a
 * lost write must not count a verdict twice).
 */
export function mergeDashboardRecord(
  record: DashboardRecord,
  tick: { started: number; finished: readonly FinishedObservation[]; breakerFailures?: number },
  now: Instant,
): DashboardRecord {
  const nowMinute = minuteOf(now);
  const known = new Set(record.finished.map((f) => f.runId));
  const fresh: FinishedRun[] = [];
  const greenById = new Map<string, boolean>();
  const endings = new Map<string, RunEnding>();
  for (const f of tick.finished) {
    if (known.has(f.runId)) continue;
    known.add(f.runId);
    endings.set(f.runId, endingOf(f));
    const dispatched = f.dispatchedAt === null ? NaN : Date.parse(f.dispatchedAt);
    const minutes = Number.isFinite(dispatched)
      ? Math.max(0, Math.round((Date.parse(now) - dispatched) / 60_000))
      : null;
    greenById.set(f.runId, f.green);
    fresh.push({
      runId: cutAt(f.runId, 200),
      repo: cutAt(f.repo, 200),
      number: f.number,
      title: cutAt(f.title, 200),
      url: f.url !== null && f.url.length <= 500 ? f.url : null,
      outcome: f.outcome,
      attempt: f.attempt,
      fixForwards: f.fixForwards,
      minutes,
      at: now,
    });
  }
  const events: DashboardEvent[] = [
    ...record.events.filter(([, at]) => at > nowMinute - DASHBOARD_LIMITS.window && at <= nowMinute),
    ...Array.from({ length: tick.started }, (): DashboardEvent => ["s", nowMinute, null]),
    ...fresh.flatMap((f): DashboardEvent[] =>
      f.outcome === "released"
        ? []
        : [
            [
              f.outcome === "done" ? "d" : f.outcome === "frozen" ? "f" : "e",
              nowMinute,
              f.outcome === "done" && greenById.get(f.runId) === false ? null : f.minutes,
            ],
          ],
    ),
  ];
  // The breaker counts the same fresh runs, in the order the tick saw them end: each run once.
  const guard = guardOf(record);
  const breaker = advanceBreaker(
    { streak: guard.streak, tripped: guard.tripped },
    fresh.map((f) => ({ ...f, ending: endings.get(f.runId) ?? "neutral" })),
    tick.breakerFailures ?? 0,
    now,
  );
  const merged: DashboardRecord = {
    v: 1,
    since: record.since,
    finished: [...fresh.reverse(), ...record.finished].slice(0, DASHBOARD_LIMITS.finished),
    events: events.slice(-DASHBOARD_LIMITS.events),
  };
  const nextGuard = { ...guard, ...breaker };
  // A record that never needed the guard's state stays as it was written (byte-identical dashboards).
  return record.guard === undefined && sameGuard(nextGuard, EMPTY_GUARD) ? merged : { ...merged, guard: nextGuard };
}

function sameGuard(a: GuardState, b: GuardState): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export interface RollingCounts {
  started: number;
  done: number;
  escalated: number;
  frozen: number;
  /** Median minutes from dispatch to green over the window's done runs; null when none. */
  medianMinutesToGreen: number | null;
}

/** The last 7 days' counts at `now`. */
export function rollingCounts(record: DashboardRecord, now: Instant): RollingCounts {
  const nowMinute = minuteOf(now);
  const inWindow = record.events.filter(([, at]) => at > nowMinute - DASHBOARD_LIMITS.window && at <= nowMinute);
  const count = (kind: DashboardEvent[0]) => inWindow.filter(([k]) => k === kind).length;
  const greens = inWindow
    .filter(([k, , m]) => k === "d" && m !== null)
    .map(([, , m]) => m ?? 0)
    .sort((a, b) => a - b);
  return {
    started: count("s"),
    done: count("d"),
    escalated: count("e"),
    frozen: count("f"),
    medianMinutesToGreen: median(greens),
  };
}

function median(sorted: readonly number[]): number | null {
  if (sorted.length === 0) return null;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : Math.round(((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2);
}

/** An issue carrying the dashboard label, as listed. */
export interface DashboardCandidate {
  number: number;
  body: string;
  url: string;
  author: { login: string; type: string } | null;
}

/**
 * The dashboard among the labelled issues: written by the loop's own identity
 * and carrying the marker at the start of a line; the oldest such issue wins.
 * A look-alike by anyone else (the label and the marker are easy to copy) is
 * never used. GraphQL names a bot `my-app`, REST `my-app[bot]`: both match a
 * Bot account, and only a Bot account.
 */
export function pickDashboardIssue(
  candidates: readonly DashboardCandidate[],
  identity: string,
): DashboardCandidate | null {
  const me = identity.toLowerCase();
  const own = candidates.filter((c) => {
    const login = c.author?.login.toLowerCase();
    if (login === undefined) return false;
    const mine = login === me || (c.author?.type === "Bot" && login === `${me}[bot]`);
    return mine && MARKER_AT_LINE_START.test(c.body);
  });
  return own.sort((a, b) => a.number - b.number)[0] ?? null;
}

/** The record without its `count` latest starts: dispatches reserved before the poll that did not happen. */
export function releaseStarts(record: DashboardRecord, count: number): DashboardRecord {
  const events = [...record.events];
  let left = count;
  for (let i = events.length - 1; i >= 0 && left > 0; i--) {
    if (events[i]?.[0] === "s") {
      events.splice(i, 1);
      left--;
    }
  }
  return { ...record, events };
}

/** The body with its record marker replaced (or appended when it has none). */
export function withRecord(body: string, marker: string): string {
  const start = MARKER_AT_LINE_START.exec(body)?.index ?? -1;
  if (start === -1) return `${body.replace(/\n*$/, "")}\n${marker}\n`;
  const end = body.indexOf(MARKER_CLOSE, start + DASHBOARD_MARKER_OPEN.length);
  return end === -1
    ? `${body.slice(0, start)}${marker}\n`
    : body.slice(0, start) + marker + body.slice(end + MARKER_CLOSE.length);
}

/** Every control box unticked (the loop's own lines only: those carrying its control marker). */
export function untickControls(body: string): string {
  return body.replace(/^- \[[xX]\] (.*<!-- afk-loop:control )/gm, "- [ ] $1");
}
