// Renders the run's report (model.ts) for the person who reads it: the job
// summary in Markdown, and the same report as plain text for a terminal. Pure:
// data in, text out. Owns the escaping of everything that came from an issue
// and the cuts that keep a summary under GitHub's 1 MiB per-step limit: every
// long list is cut with a count of what was left out, and the whole text is
// cut at a line boundary if it still would not fit.

import { assertNever } from "../core/assert-never.js";
import { code, escapeText, link, unescapeText } from "../core/markdown.js";
import { formatRef } from "../core/refs.js";
import type { IssueRef } from "../core/types.js";
import type { PollReport } from "../ticks/poll.js";
import type { WatchReport } from "../ticks/watch.js";
import { plural } from "../core/markdown.js";
import { buildReport, type InFlightRow, type IssueLink, type ReportMeta, type ReportModel } from "./model.js";

export type { ReportMeta } from "./model.js";

/** Rows per table before the rest become a count. */
const MAX_ROWS = 150;
/** GitHub refuses a step summary over 1 MiB; stay well below it. */
export const SUMMARY_LIMIT_BYTES = 1024 * 1024;
const SUMMARY_BUDGET_BYTES = 900 * 1024;

export interface TickOutputs {
  dispatched: string[];
  closed: string[];
  escalated: string[];
}

const ref = (r: IssueRef) => formatRef(r);

export function outputsOf(watch: WatchReport | null, poll: PollReport | null): TickOutputs {
  const runs = watch?.runs ?? [];
  return {
    dispatched: poll?.dispatched.map(ref) ?? [],
    closed: runs.filter((r) => r.action === "close" || r.action === "close-no-ci").map(ref),
    escalated: runs.filter((r) => r.action === "freeze" || r.action.startsWith("escalate")).map(ref),
  };
}

/** The run-level outputs a workflow can alert on: how many runs are in flight, and what waits for a human. */
export function fleetOutputsOf(model: ReportModel): { inFlight: number; needsHuman: string[] } {
  return { inFlight: model.counts.inFlight, needsHuman: model.needsYou.map(ref) };
}

/** Markdown-safe text for a table cell or a line: no HTML, no mentions, no table breaks. */
export function cell(text: string, max = 200): string {
  return escapeText(text, max);
}

export function table(header: string[], rows: string[][], max = MAX_ROWS): string[] {
  const shown = rows.slice(0, max);
  const lines = [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...shown.map((r) => `| ${r.join(" | ")} |`),
  ];
  if (rows.length > shown.length) lines.push("", `_…and ${rows.length - shown.length} more, not shown._`);
  return lines;
}

export const issueCell = (i: IssueLink) => link(cell(ref(i), 160), i.url);
const shortSha = (sha: string | null, url: string | null) => (sha ? link(`\`${sha.slice(0, 7)}\``, url) : "—");

/** `12 min`, `3 h`, `2 d`: how long ago, coarse on purpose. */
function age(since: string | null, now: string | null): string {
  if (since === null || now === null) return "—";
  const minutes = Math.floor((Date.parse(now) - Date.parse(since)) / 60_000);
  if (!Number.isFinite(minutes)) return "—";
  if (minutes < 1) return "just now";
  if (minutes < 120) return `${minutes} min`;
  if (minutes < 48 * 60) return `${Math.floor(minutes / 60)} h`;
  return `${Math.floor(minutes / (24 * 60))} d`;
}

function phaseText(
  row: Pick<InFlightRow, "phase" | "fixForwards" | "reviewRounds">,
  maxFixForwards: number | null,
): string {
  switch (row.phase) {
    case "claimed":
      return "claimed";
    case "working":
      return "working";
    case "pushed":
      return "pushed";
    case "ci-pending":
      return "CI pending";
    case "fixing-forward":
      return `fixing forward ${row.fixForwards}${maxFixForwards === null ? "" : `/${maxFixForwards}`}`;
    case "deploying":
      return "deploying";
    case "awaiting-review":
      return "awaiting review";
    case "changes-requested":
      return `changes requested ${row.reviewRounds?.used ?? 0}/${row.reviewRounds?.max ?? "?"}`;
    default:
      return assertNever(row.phase);
  }
}

export interface RenderOptions {
  /** `fix-forward-attempts`, for "fixing forward n/m". */
  maxFixForwards?: number | null;
}

export function renderMarkdown(
  meta: ReportMeta,
  watch: WatchReport | null,
  poll: PollReport | null,
  options: RenderOptions = {},
): string {
  return renderReport(buildReport(meta, watch, poll), options);
}

/** How the fleet sections show a run's time: an age in the job summary, a date in the dashboard. */
export interface FleetSectionOptions {
  maxFixForwards: number | null;
  timeHeader: string;
  time: (since: string | null) => string;
  maxRows?: number;
}

/** "Needs you" and "In flight": one rendering shared by the job summary and the dashboard issue. */
export function fleetSections(model: ReportModel, options: FleetSectionOptions): string[] {
  const { time, maxRows = MAX_ROWS } = options;
  const lines = [`### Needs you (${model.needsYou.length})`, ""];
  if (model.needsYou.length === 0) lines.push("Nothing is waiting for you.", "");
  else {
    lines.push(
      ...table(
        ["issue", "title", "why", "handed over", "agent", "commit"],
        model.needsYou.map((n) => [
          issueCell(n),
          cell(n.title, 80),
          cell(n.reason, 160),
          time(n.since),
          link("agent", n.agentLink),
          shortSha(n.sha, n.commitUrl),
        ]),
        maxRows,
      ),
      "",
    );
  }

  lines.push(`### In flight (${model.inFlight.length})`, "");
  if (model.inFlight.length === 0) lines.push("No runs in flight.", "");
  else {
    lines.push(
      ...table(
        ["issue", "title", "phase", options.timeHeader, "agent", "commit", "last CI"],
        model.inFlight.map((r) => [
          issueCell(r),
          cell(r.title, 80),
          phaseText(r, options.maxFixForwards),
          time(r.since),
          link("agent", r.agentLink),
          shortSha(r.sha, r.commitUrl),
          r.ci === null ? "—" : `${r.ci}${r.failing ? `: ${cell(r.failing, 80)}` : ""}`,
        ]),
        maxRows,
      ),
      "",
    );
  }
  return lines;
}

export function renderReport(model: ReportModel, options: RenderOptions = {}): string {
  const lines: string[] = ["## afk-loop", "", `${model.headline.emoji} **${cell(model.headline.text, 500)}**`, ""];
  if (model.headline.state === "disarmed") return lines.join("\n");
  const { counts } = model;
  lines.push(
    [
      `**${counts.inFlight}** in flight`,
      `**${counts.started}** started`,
      `**${counts.closed}** closed`,
      `**${counts.handedToYou}** handed to you`,
      `**${counts.skipped}** skipped`,
    ].join(" · "),
    "",
  );
  if (model.repos.length > 0) {
    lines.push(
      `Serving ${plural(model.repos.length, "repository", "repositories")}: ${model.repos
        .slice(0, 30)
        .map((r) => code(r, 100))
        .join(", ")}${model.repos.length > 30 ? ` and ${model.repos.length - 30} more` : ""}.`,
      "",
    );
  }
  for (const note of model.notes) lines.push(cell(note, 300), "");

  if (model.unreadableRepos.length > 0) {
    lines.push(
      "### ⚠️ Unreadable repositories",
      "",
      ...model.unreadableRepos.slice(0, MAX_ROWS).map((r) => `- ${code(r.repo, 100)}: ${cell(r.error)}`),
      ...(model.unreadableRepos.length > MAX_ROWS
        ? ["", `_…and ${model.unreadableRepos.length - MAX_ROWS} more, not shown._`]
        : []),
      "",
    );
  }

  lines.push(
    ...fleetSections(model, {
      maxFixForwards: options.maxFixForwards ?? null,
      timeHeader: "age",
      time: (since) => age(since, model.now),
    }),
  );

  lines.push("### This run", "");
  if (model.thisRun.length === 0) lines.push("Nothing started, closed, fixed forward or escalated.", "");
  else {
    lines.push(
      ...table(
        ["issue", "title", "what", "why"],
        model.thisRun.map((r) => [
          issueCell(r),
          cell(r.title, 80),
          `**${model.dryRun && r.what === "started" ? "would dispatch" : r.what}**`,
          link(cell(r.reason), r.link),
        ]),
      ),
      "",
    );
  }

  if (model.skipped.length > 0) {
    lines.push(`### Skipped (${counts.skipped})`, "");
    // One budget across the groups, so sixteen full groups cannot make sixteen full tables.
    let budget = MAX_ROWS;
    for (const group of model.skipped) {
      lines.push(`#### \`${group.code}\` (${group.issues.length})`, "");
      const max = Math.max(budget, 0);
      if (max === 0) {
        lines.push(`_${plural(group.issues.length, "issue")}, not shown._`, "");
        continue;
      }
      lines.push(
        ...table(
          ["issue", "title", "detail"],
          group.issues.map((s) => [issueCell(s), cell(s.title, 80), cell(s.reason)]),
          max,
        ),
        "",
      );
      budget -= Math.min(group.issues.length, max);
    }
  }

  if (model.doorbells.length > 0) {
    lines.push("### Doorbells", "");
    for (const d of model.doorbells.slice(0, MAX_ROWS)) {
      const sent = d.sent.length > 0 ? `sent via ${d.sent.join(", ")}` : "no sink configured";
      const failed =
        d.failed.length > 0
          ? `; **failed**: ${d.failed.map((f) => cell(f, 100)).join("; ")} (owed, retried next tick)`
          : "";
      lines.push(`- ${d.kind} for ${cell(ref(d))}: ${d.failed.length > 0 && d.sent.length === 0 ? "" : sent}${failed}`);
    }
    lines.push("");
  }

  if (model.spend) {
    const q = model.spend.requests;
    const left = Object.entries(q.rateLimitRemaining)
      .map(([resource, n]) => `${resource} ${n}`)
      .join(", ");
    lines.push(
      "### Spend",
      "",
      `GitHub: ${plural(q.rest, "REST request")}, ${plural(q.graphql, "GraphQL request")} (${plural(q.graphqlPoints, "point")}), ${plural(q.writes, "write")}, ${plural(q.rest + q.graphql - q.logical, "retry", "retries")}.` +
        (left ? ` Rate limit left: ${left}.` : "") +
        (model.spend.executorRequests !== null ? ` Executor: ${plural(model.spend.executorRequests, "request")}.` : ""),
      "",
    );
  }

  if (model.errors.length > 0) {
    lines.push(
      `### ❌ Errors (${model.errors.length})`,
      "",
      ...model.errors
        .slice(0, MAX_ROWS)
        .map(
          (f) =>
            `- ${cell(formatRef({ repo: f.repo, number: f.issue }))} (${cell(f.stage, 40)}): ${cell(f.error, 300)}`,
        ),
      ...(model.errors.length > MAX_ROWS ? ["", `_…and ${model.errors.length - MAX_ROWS} more, not shown._`] : []),
      "",
    );
  }
  return fitToLimit(lines, SUMMARY_BUDGET_BYTES);
}

/** Keeps whole lines up to `budget` bytes of UTF-8 and says how many were left out. */
export function fitToLimit(lines: readonly string[], budget: number): string {
  let used = 0;
  for (let i = 0; i < lines.length; i++) {
    const bytes = Buffer.byteLength(lines[i] ?? "", "utf8") + 1;
    if (used + bytes > budget) {
      return [
        ...lines.slice(0, i),
        "",
        `_…the report was cut here to stay under GitHub's 1 MiB limit: ${plural(lines.length - i, "line")} not shown._`,
      ].join("\n");
    }
    used += bytes;
  }
  return lines.join("\n");
}

/** The same report for a terminal: Markdown tables read fine there, links reduced to their text. */
export function renderTerminal(
  meta: ReportMeta,
  watch: WatchReport | null,
  poll: PollReport | null,
  options: RenderOptions = {},
): string {
  return toTerminal(renderMarkdown(meta, watch, poll, options));
}

export function toTerminal(markdown: string): string {
  return unescapeText(markdown.replace(/\[([^\]]*)\]\((https?:[^)]+)\)/g, "$1"));
}
