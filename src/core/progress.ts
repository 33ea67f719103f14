// Progress comment: the one comment per run that a human reads (a checklist
// with links and a status line) and the loop reads back (the run record
// marker, always last). Rendering is deterministic, so the tick can compare
// text and write only when it changes. Never reads a clock, and never lets
// outside text (check names, reasons, agent details, URLs) break the markdown,
// ping anyone, or forge a marker.

import { assertNever } from "./assert-never.js";
import { code, escapeText, link } from "./markdown.js";
import { describeStop } from "./stop.js";
import { type RunRecord } from "./run-record.js";
import { encodeRunRecord, type RecordSeal } from "./record-codec.js";
import type { CiVerdict, FailingCheck, IssueRef } from "./types.js";

/** GitHub rejects comments over 65,536 characters; stay far below it. */
export const PROGRESS_MAX_CHARS = 60_000;
/** Failing checks listed before the rest are summarised as a count. */
export const PROGRESS_MAX_FAILING = 25;

/** Other commits mentioning the issue listed before the rest are summarised as a count. */
const MAX_STRAYS = 10;

export interface ProgressView {
  record: RunRecord;
  issue: IssueRef & { url: string };
  /** A link a human can open to the agent's thread or workflow run. */
  agentLink: string | null;
  /** The latest pushed commit, and the pull request it came through; when null, the record's pushedSha is shown without a link. */
  pushed: { sha: string; url: string | null; pullRequest?: { number: number; url: string } | null } | null;
  /** CI on the pushed commit; null when not known. */
  ci: CiVerdict | null;
  /** Commits that mentioned the issue since the dispatch but are not the agent's: listed, never judged. */
  notTheAgents?: { sha: string; url: string | null }[];
  /** How agents deliver: by pull request, a green run leaves the issue open for the merge to close. */
  delivery: "push" | "pull-request";
  /** Show the "deployed" step (a deploy or rollout stage is configured). */
  deployStage: boolean;
  maxFixForwards: number;
  /** Review turns a run may take (`review-turn` budget); shown with pull-request delivery. */
  maxReviewRounds: number;
  /** Seals the record marker when record-key is set. */
  seal?: RecordSeal | null;
}

export function renderProgress(view: ProgressView): string {
  const { record, ci } = view;
  const sha = view.pushed?.sha ?? record.pushedSha;
  const commit = sha === null ? null : link(code(sha.slice(0, 7)), view.pushed?.url ?? null);
  // Green already seen: closed on green, or past green into review (awaiting it, or handed over from it).
  const closedGreen =
    (record.phase === "closed" && record.lastAction === "close") ||
    record.phase === "awaiting-review" ||
    record.lastAction === "escalate-review";
  const buildGreen = closedGreen || (ci !== null && (ci.state === "green" || ci.stage !== "build"));
  const allGreen = closedGreen || ci?.state === "green";

  const lines: string[] = [
    // repo and issue come from the validated record, so they need no escaping and GitHub links them.
    `### afk-loop: ${link(`${record.repo}#${record.issue}`, view.issue.url)}, attempt ${record.attempt}`,
    "",
    `**Status:** ${status(view, sha, commit)}`,
    "",
    item(
      record.dispatchedAt !== null,
      record.dispatchedAt === null
        ? `Dispatched to ${record.executor}`
        : `Dispatched to ${record.executor} at ${record.dispatchedAt}`,
    ),
    item(
      record.threadId !== null,
      `Agent working${view.agentLink === null ? "" : `: ${link("open the agent's thread", view.agentLink)}`}`,
    ),
    item(commit !== null, commit === null ? "Pushed" : `Pushed ${commit}${pullRequestSuffix(view)}`),
    ...ciItem(view, buildGreen),
  ];
  // Said before the checklist, so a maintainer sees the issue carried text the page does not show.
  const hidden = record.hiddenPassages ?? 0;
  if (hidden > 0) {
    lines.splice(4, 0, `${hidden} hidden ${hidden === 1 ? "passage" : "passages"} removed from the issue text.`, "");
  }
  if (record.requestedBy !== undefined) {
    lines.splice(4, 0, `Started by ${escapeText(`@${record.requestedBy}`)} with Retry on the dashboard.`, "");
  }
  if (view.deployStage) lines.push(item(allGreen, "Deployed"));
  if (view.delivery === "pull-request") lines.push(...reviewItems(view));
  lines.push(item(record.phase === "closed", "Done"));
  const strays = view.notTheAgents ?? [];
  if (strays.length > 0) {
    const shown = strays.slice(0, MAX_STRAYS).map((s) => link(code(s.sha.slice(0, 7)), s.url));
    const more = strays.length > MAX_STRAYS ? ` and ${strays.length - MAX_STRAYS} more` : "";
    lines.push(
      "",
      `Not the agent's (they mention this issue but lack the run's \`AFK-Run\` trailer; ignored): ${shown.join(", ")}${more}.`,
    );
  }
  const stop = describeStop(record.stop ?? null);
  if (stop !== null) lines.push("", `**Agent:** ${escapeText(stop)}.`);
  lines.push(
    "",
    `Fix-forwards: ${record.fixForwards} of ${view.maxFixForwards}. Run ${code(record.runId)}, claimed at ${record.claimedAt}.`,
    "",
    encodeRunRecord(record, view.seal ?? null),
  );
  return lines.join("\n");
}

function status(view: ProgressView, sha: string | null, commit: string | null): string {
  const { record } = view;
  const reason = record.reason === null ? "" : `: ${escapeText(record.reason)}`;
  switch (record.phase) {
    case "claimed":
      return "claimed; starting the agent.";
    case "dispatched":
      return dispatchedStatus(view, sha, commit);
    case "awaiting-review": {
      const review = record.review;
      const rounds =
        review && review.rounds > 0 ? ` (review rounds used: ${review.rounds} of ${view.maxReviewRounds})` : "";
      return `CI green on ${commit ?? "the pull request"}; awaiting review of the pull request${rounds}. Merging it closes the issue and finishes the run.`;
    }
    case "closed":
      return view.delivery === "pull-request" ? `done${reason}.` : `done, issue closed${reason}.`;
    case "escalated":
      return `handed to a human${reason}.`;
    case "frozen":
      return `frozen${reason}.`;
    case "released":
      return `claim released${reason}.`;
    default:
      return assertNever(record.phase);
  }
}

function dispatchedStatus(view: ProgressView, sha: string | null, commit: string | null): string {
  const { record, ci } = view;
  // As in the state machine: the commit a fix-forward was sent about is not the agent's answer to it.
  const awaitingFix = record.lastAction === "fix-forward" && sha === record.pushedSha && ci?.state !== "green";
  if (commit === null || awaitingFix) {
    return record.lastAction === "fix-forward"
      ? `fix-forward ${record.fixForwards} of ${view.maxFixForwards} sent; waiting for the agent's fix.`
      : "the agent is working.";
  }
  if (ci === null || ci.state === "none") return `waiting for CI on ${commit}.`;
  if (ci.state === "red") return `CI red on ${commit} at the ${ci.stage} stage.`;
  if (ci.state === "pending") return `CI pending on ${commit} at the ${ci.stage} stage.`;
  return `CI green on ${commit}.`;
}

/** The review stages of a pull-request run: awaiting review, changes requested n of m, merged. */
function reviewItems(view: ProgressView): string[] {
  const { record } = view;
  const review = record.review ?? null;
  const merged = review?.mergedAt ?? null;
  const reached = record.phase === "awaiting-review" || review !== null;
  const items = [item(reached, "Awaiting review")];
  if (review !== null && review.rounds > 0) {
    // Checked once the agent's answer to the latest round is back under review (or merged).
    const answered = record.phase !== "dispatched" || record.lastAction !== "review-turn";
    items.push(item(answered, `Changes requested: review round ${review.rounds} of ${view.maxReviewRounds}`));
  }
  items.push(item(merged !== null, merged === null ? "Merged" : `Merged at ${merged}`));
  return items;
}

function pullRequestSuffix(view: ProgressView): string {
  const pull = view.pushed?.pullRequest;
  return pull ? ` to pull request ${link(`#${pull.number}`, pull.url)}` : "";
}

function ciItem(view: ProgressView, buildGreen: boolean): string[] {
  const { ci, record } = view;
  if (record.phase === "closed" && record.lastAction === "close-no-ci") {
    return [item(false, "CI green: no CI reported; closed as configured (no-ci: close)")];
  }
  if (buildGreen || ci === null) return [item(buildGreen, "CI green")];
  if (ci.state !== "red") return [item(false, `CI green: ${ci.state === "none" ? "nothing reported yet" : "pending"}`)];
  const shown = ci.failing.slice(0, PROGRESS_MAX_FAILING).map((check) => `  - ${failingCheck(check)}`);
  const more = ci.failing.length - shown.length;
  if (more > 0) shown.push(`  - …and ${more} more`);
  return [item(false, `CI green: ${ci.failing.length} failing`), ...shown];
}

function failingCheck(check: FailingCheck): string {
  return link(code(check.name), check.url);
}

function item(done: boolean, text: string): string {
  return `- [${done ? "x" : " "}] ${text}`;
}
