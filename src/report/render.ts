// Renders what a tick did for the person who reads it: the job summary in
// Markdown, and the same report as plain text for a terminal. Pure: data in,
// text out. Owns the truncation that keeps a summary far below GitHub's
// 1 MiB per-step limit, and escapes everything that came from an issue.

import type { RequestCounts } from "../github/client.js";
import type { PollReport } from "../ticks/poll.js";
import type { WatchReport } from "../ticks/watch.js";

/** Rows per table before the rest become a count. */
export const MAX_ROWS = 150;

export interface ReportMeta {
  mode: "armed" | "drain" | "disarmed";
  dryRun: boolean;
  repos: string[];
  requests: RequestCounts | null;
  /** Requests made to the executor (T3), when it counts them. */
  executorRequests: number | null;
  /** Whether run records are sealed with record-key; absent where it does not apply (the CLI). */
  recordKey?: boolean;
}

/** The login every workflow of a repository writes as with the default token. */
const SHARED_IDENTITY = "github-actions[bot]";

export interface TickOutputs {
  dispatched: string[];
  closed: string[];
  escalated: string[];
}

const ref = (r: { repo: string; number: number }) => `${r.repo}#${r.number}`;

export function outputsOf(watch: WatchReport | null, poll: PollReport | null): TickOutputs {
  const runs = watch?.runs ?? [];
  return {
    dispatched: poll?.dispatched.map(ref) ?? [],
    closed: runs.filter((r) => r.action === "close" || r.action === "close-no-ci").map(ref),
    escalated: runs.filter((r) => r.action === "freeze" || r.action.startsWith("escalate")).map(ref),
  };
}

/** Markdown-safe text: no HTML, no mentions, no table breaks. */
export function cell(text: string, max = 200): string {
  const cut = text.length > max ? `${text.slice(0, max - 1)}…` : text;
  return cut
    .replace(/[\r\n]+/g, " ")
    .replace(/[&<>]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[c] ?? c)
    .replace(/\|/g, "\\|")
    .replace(/@/g, "@\u200b")
    .replace(/[`*_[\]]/g, (c) => `\\${c}`);
}

function safeLink(label: string, url: string | null): string {
  return url !== null && /^https?:\/\/[^\s)]+$/.test(url) ? `[${label}](${url})` : label;
}

function table(header: string[], rows: string[][]): string[] {
  const shown = rows.slice(0, MAX_ROWS);
  const lines = [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...shown.map((r) => `| ${r.join(" | ")} |`),
  ];
  if (rows.length > shown.length) lines.push("", `_…and ${rows.length - shown.length} more, not shown._`);
  return lines;
}

export function renderMarkdown(meta: ReportMeta, watch: WatchReport | null, poll: PollReport | null): string {
  const lines: string[] = [];
  const banner =
    meta.mode === "disarmed"
      ? "🛑 **Disarmed** (kill switch on): no requests were made."
      : meta.mode === "drain"
        ? "🚰 **Draining**: in-flight runs are watched to the end; nothing new starts."
        : "🟢 **Armed**.";
  lines.push(
    "## afk-loop",
    "",
    `${banner}${meta.dryRun ? " 🧪 **Dry run**: nothing was written, dispatched or rung; below is what would have happened." : ""}`,
    "",
  );
  if (meta.mode === "disarmed") return lines.join("\n");

  lines.push(
    `Serving ${meta.repos.length} repositor${meta.repos.length === 1 ? "y" : "ies"}: ${meta.repos
      .slice(0, 30)
      .map((r) => `\`${cell(r, 100)}\``)
      .join(", ")}${meta.repos.length > 30 ? ` and ${meta.repos.length - 30} more` : ""}.`,
    "",
  );
  // Once per summary: with the shared identity and no key, any workflow of the repo can write a record.
  const identity = watch?.identity ?? poll?.identity ?? null;
  if (meta.recordKey === false && identity?.toLowerCase() === SHARED_IDENTITY) {
    lines.push(
      `⚠️ The loop writes as \`${SHARED_IDENTITY}\`, which every workflow of a repository shares, and \`record-key\` is not set: its run records are trusted by that login alone. Set \`record-key\` to seal them.`,
      "",
    );
  }
  const repoErrors = [...(watch?.repos ?? []), ...(poll?.repos ?? [])].filter((r) => r.error !== null);
  const uniqueErrors = [...new Map(repoErrors.map((r) => [r.repo, r])).values()];
  if (uniqueErrors.length > 0) {
    lines.push(
      "### ⚠️ Unreadable repositories",
      "",
      ...uniqueErrors.map((r) => `- \`${cell(r.repo, 100)}\`: ${cell(r.error ?? "")}`),
      "",
    );
  }

  if (watch) {
    lines.push("### In flight", "");
    if (watch.note) lines.push(cell(watch.note, 300), "");
    if (watch.runs.length === 0) lines.push("No runs in flight.", "");
    else {
      lines.push(
        ...table(
          ["issue", "agent", "commit", "CI", "action", "why"],
          watch.runs.map((r) => [
            safeLink(cell(ref(r)), r.url),
            safeLink(r.agent ?? "—", r.agentLink),
            r.sha ? `\`${r.sha.slice(0, 7)}\`` : "—",
            r.ci === null ? "—" : `${r.ci}${r.failing ? `: ${cell(r.failing, 80)}` : ""}`,
            `**${r.action}**`,
            cell(r.reason),
          ]),
        ),
        "",
      );
    }
  }

  if (poll) {
    lines.push("### Ready issues", "");
    if (poll.note) lines.push(cell(poll.note, 300), "");
    const rows = [
      ...poll.dispatched.map((d) => [
        safeLink(cell(ref(d)), d.url),
        cell(d.title, 80),
        `**${meta.dryRun ? "would dispatch" : "dispatched"}**`,
        safeLink(`attempt ${d.attempt}`, d.link),
      ]),
      ...poll.deferred.map((d) => [cell(ref(d)), "", "deferred", "the tick ran out of time"]),
      ...poll.skipped.map((s) => [
        safeLink(cell(ref(s)), s.url),
        cell(s.title, 80),
        `skipped: ${s.code}`,
        cell(s.reason),
      ]),
    ];
    if (rows.length === 0) lines.push("No issue carries the ready label.", "");
    else lines.push(...table(["issue", "title", "outcome", "detail"], rows), "");
  }

  const rings = (watch?.runs ?? []).filter((r) => r.doorbell !== null);
  if (rings.length > 0) {
    lines.push("### Doorbells", "");
    for (const r of rings) {
      const d = r.doorbell;
      if (!d) continue;
      const sent = d.sent.length > 0 ? `sent via ${d.sent.join(", ")}` : "no sink configured";
      const failed =
        d.failed.length > 0
          ? `; **failed**: ${d.failed.map((f) => cell(f.error, 100)).join("; ")} (owed, retried next tick)`
          : "";
      lines.push(`- ${d.kind} for ${cell(ref(r))}: ${d.failed.length > 0 && d.sent.length === 0 ? "" : sent}${failed}`);
    }
    lines.push("");
  }

  const failures = [...(watch?.failures ?? []), ...(poll?.failures ?? [])];
  if (failures.length > 0) {
    lines.push(
      "### ❌ Errors",
      "",
      ...failures
        .slice(0, MAX_ROWS)
        .map((f) => `- ${cell(`${f.repo}#${f.issue}`)} (${f.stage}): ${cell(f.error, 300)}`),
      "",
    );
  }

  if (meta.requests) {
    const q = meta.requests;
    const left = Object.entries(q.rateLimitRemaining)
      .map(([resource, n]) => `${resource} ${n}`)
      .join(", ");
    lines.push(
      "### Requests",
      "",
      `GitHub: ${q.rest} REST, ${q.graphql} GraphQL (${q.graphqlPoints} points), ${q.writes} writes, ${q.rest + q.graphql - q.logical} retries.` +
        (left ? ` Rate limit left: ${left}.` : "") +
        (meta.executorRequests !== null ? ` Executor: ${meta.executorRequests} requests.` : ""),
      "",
    );
  }
  return lines.join("\n");
}

/** The same report for a terminal: Markdown tables read fine there, links reduced to their text. */
export function renderTerminal(meta: ReportMeta, watch: WatchReport | null, poll: PollReport | null): string {
  return renderMarkdown(meta, watch, poll)
    .replace(/\[([^\]]*)\]\((https?:[^)]+)\)/g, "$1")
    .replace(/\\([`*_[\]])/g, "$1")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .replace(/\u200b/g, "");
}
