// The run's report as plain data: one model built from what the watch and the
// poll tick found, rendered to Markdown (job summary, dashboard) and to text
// (terminal, demo) by render.ts. Pure: data in, data out, `now` passed in.
// Owns what each section contains and in what order: the headline state, the
// counts, Needs you, In flight (with a phase a person understands), This run,
// Skipped (grouped by reason, each issue once), Spend, and errors last.
// Never escapes or truncates text: that is the renderer's job.

import { assertNever } from "../core/assert-never.js";
import type { RequestCounts } from "../github/client.js";
import { uniqueBy } from "../core/policy.js";
import { SKIP_CODES, type SkipCode } from "../core/skip-reasons.js";
import { refKey } from "../core/refs.js";
import type { CiState, Instant } from "../core/types.js";
import type { IssueFailure } from "../ticks/context.js";
import type { PollReport } from "../ticks/poll.js";
import { commitUrl } from "../ticks/progress-writer.js";
import type { WatchedRun, WatchReport } from "../ticks/watch.js";
import { headline, type Headline, type LoopState } from "./headline.js";
import { guardHalt, guardSourceNote } from "./guard-rails.js";

export interface ReportMeta {
  mode: "armed" | "drain" | "emergency-stop" | "disarmed" | "stopped";
  dryRun: boolean;
  repos: string[];
  requests: RequestCounts | null;
  /** Requests made to the executor (T3), when it counts them. */
  executorRequests: number | null;
  /** The report's clock, for ages; ages are left out without it. */
  now?: Instant | null;
  /** Why a tick stopped early (mode `stopped`). */
  stoppedBecause?: string | null;
  /** Whether run records are sealed with record-key; absent where it does not apply (the CLI). */
  recordKey?: boolean;
}

/** The login every workflow of a repository writes as with the default token. */
const SHARED_IDENTITY = "github-actions[bot]";

export interface IssueLink {
  repo: string;
  number: number;
  title: string;
  url: string | null;
}

interface NeedsYouRow extends IssueLink {
  reason: string;
  /** When the loop handed it over, when known. */
  since: Instant | null;
  agentLink: string | null;
  commitUrl: string | null;
  sha: string | null;
}

/** What a person would call the run's state; `fixing-forward` carries n of m. */
type InFlightPhase =
  | "claimed"
  | "working"
  | "pushed"
  | "ci-pending"
  | "fixing-forward"
  | "deploying"
  | "awaiting-review"
  | "changes-requested";

export interface InFlightRow extends IssueLink {
  phase: InFlightPhase;
  fixForwards: number;
  /** Review turns used of those allowed, once a pull request was reviewed; null before. */
  reviewRounds?: { used: number; max: number } | null;
  since: Instant | null;
  agentLink: string | null;
  sha: string | null;
  commitUrl: string | null;
  ci: CiState | null;
  failing: string | null;
}

type ThisRunWhat =
  | "started"
  | "closed"
  | "fixed forward"
  | "review turn"
  | "awaiting review"
  | "review ignored"
  | "escalated"
  | "frozen"
  | "released"
  | "adopted"
  | "rang"
  | "deferred";

interface ThisRunRow extends IssueLink {
  what: ThisRunWhat;
  reason: string;
  link: string | null;
}

interface SkippedGroup {
  code: SkipCode;
  issues: (IssueLink & { reason: string })[];
}

interface DoorbellRow extends IssueLink {
  kind: string;
  sent: string[];
  failed: string[];
}

export interface ReportModel {
  headline: Headline;
  dryRun: boolean;
  repos: string[];
  now: Instant | null;
  counts: { inFlight: number; started: number; closed: number; handedToYou: number; skipped: number };
  notes: string[];
  unreadableRepos: { repo: string; error: string }[];
  needsYou: NeedsYouRow[];
  inFlight: InFlightRow[];
  thisRun: ThisRunRow[];
  skipped: SkippedGroup[];
  doorbells: DoorbellRow[];
  spend: { requests: RequestCounts; executorRequests: number | null } | null;
  errors: IssueFailure[];
}

function loopState(mode: ReportMeta["mode"]): LoopState {
  return mode === "drain" ? "draining" : mode;
}

export function buildReport(meta: ReportMeta, watch: WatchReport | null, poll: PollReport | null): ReportModel {
  const head = headline({
    state: loopState(meta.mode),
    repos: meta.repos.length,
    dryRun: meta.dryRun,
    stoppedBecause: meta.stoppedBecause ?? null,
    halted: guardHalt(poll?.guard ?? null),
  });
  const model: ReportModel = {
    headline: head,
    dryRun: meta.dryRun,
    repos: meta.repos,
    now: meta.now ?? null,
    counts: { inFlight: 0, started: 0, closed: 0, handedToYou: 0, skipped: 0 },
    notes: [
      watch?.note,
      poll?.note,
      guardSourceNote(poll?.guard ?? null),
      sharedIdentityNote(meta, watch?.identity ?? poll?.identity ?? null),
    ].filter((n): n is string => typeof n === "string" && n !== ""),
    unreadableRepos: [],
    needsYou: [],
    inFlight: [],
    thisRun: [],
    skipped: [],
    doorbells: [],
    spend: meta.requests ? { requests: meta.requests, executorRequests: meta.executorRequests } : null,
    errors: [...(watch?.failures ?? []), ...(poll?.failures ?? [])],
  };
  if (meta.mode === "disarmed") return model;

  model.unreadableRepos = uniqueBy(
    [...(watch?.repos ?? []), ...(poll?.repos ?? [])].flatMap((r) =>
      r.error === null ? [] : [{ ...r, error: r.error }],
    ),
    (r) => r.repo.toLowerCase(),
  );

  model.needsYou = uniqueBy(
    (watch?.handed ?? []).map((h) => ({ ...h, commitUrl: h.sha && h.url ? commitUrl(h.url, h.sha) : null })),
    refKey,
  ).sort(byAgeThenRef);

  const runs = watch?.runs ?? [];
  const inFlight = runs
    .filter((r) => r.phase === "claimed" || r.phase === "dispatched" || r.phase === "awaiting-review")
    .map(inFlightRow);
  const started = (poll?.dispatched ?? []).map((d): InFlightRow => ({
    repo: d.repo,
    number: d.number,
    title: d.title,
    url: d.url,
    phase: "working",
    fixForwards: 0,
    since: meta.now ?? null,
    agentLink: d.link,
    sha: null,
    commitUrl: null,
    ci: null,
    failing: null,
  }));
  model.inFlight = uniqueBy([...inFlight, ...started], refKey);

  model.thisRun = [
    ...(poll?.dispatched ?? []).map((d): ThisRunRow => ({
      repo: d.repo,
      number: d.number,
      title: d.title,
      url: d.url,
      what: "started",
      reason: `attempt ${d.attempt}${meta.dryRun ? " (dry run: would dispatch)" : ""}`,
      link: d.link,
    })),
    ...runs.flatMap((r): ThisRunRow[] => {
      const what = thisRunWhat(r);
      return what === null
        ? []
        : [{ repo: r.repo, number: r.number, title: r.title, url: r.url, what, reason: r.reason, link: r.agentLink }];
    }),
    // An untrusted reviewer asked for changes: said here, since their words never reach the agent.
    ...runs.flatMap((r): ThisRunRow[] =>
      r.reviewIgnored
        ? [
            {
              repo: r.repo,
              number: r.number,
              title: r.title,
              url: r.url,
              what: "review ignored",
              reason: r.reviewIgnored,
              link: null,
            },
          ]
        : [],
    ),
    ...(poll?.deferred ?? []).map((d): ThisRunRow => ({
      repo: d.repo,
      number: d.number,
      title: "",
      url: null,
      what: "deferred",
      reason: "the tick ran out of time",
      link: null,
    })),
  ];

  // Each issue once, under the one reason the policy gave it (a duplicate listing says `duplicate` once).
  const skipped = uniqueBy(poll?.skipped ?? [], refKey);
  model.skipped = SKIP_CODES.map((code) => ({
    code,
    issues: skipped
      .filter((s) => s.code === code)
      .map((s) => ({ repo: s.repo, number: s.number, title: s.title, url: s.url, reason: s.reason })),
  })).filter((g) => g.issues.length > 0);

  model.doorbells = runs.flatMap((r) =>
    r.doorbell === null
      ? []
      : [
          {
            repo: r.repo,
            number: r.number,
            title: r.title,
            url: r.url,
            kind: r.doorbell.kind,
            sent: r.doorbell.sent,
            failed: r.doorbell.failed.map((f) => f.error),
          },
        ],
  );

  const lockedBefore = watch === null ? (poll?.locked.length ?? 0) : inFlight.length;
  model.counts = {
    inFlight: watch === null ? lockedBefore + started.length : model.inFlight.length,
    started: started.length,
    closed: runs.filter((r) => r.action === "close" || r.action === "close-no-ci").length,
    handedToYou: model.needsYou.length,
    skipped: skipped.length,
  };
  return model;
}

function inFlightRow(r: WatchedRun): InFlightRow {
  return {
    repo: r.repo,
    number: r.number,
    title: r.title,
    url: r.url,
    phase: phaseOf(r),
    fixForwards: r.fixForwards ?? 0,
    reviewRounds: r.reviewRounds ?? null,
    since: r.since,
    agentLink: r.agentLink,
    sha: r.sha,
    commitUrl: r.sha ? commitUrl(r.url, r.sha) : null,
    ci: r.ci,
    failing: r.failing,
  };
}

/** The phase a person would name: from the record's phase, what was pushed, and CI's stage. */
function phaseOf(
  r: Pick<WatchedRun, "phase" | "sha" | "ci" | "ciStage" | "fixForwards" | "reviewRounds">,
): InFlightPhase {
  if (r.phase === "claimed") return "claimed";
  if (r.phase === "awaiting-review") return "awaiting-review";
  // Back from review with changes asked for: that is the stage, until the pull request is green again.
  if ((r.reviewRounds?.used ?? 0) > 0) return "changes-requested";
  if (r.sha === null) return "working";
  if ((r.fixForwards ?? 0) > 0 && r.ci !== "green") return "fixing-forward";
  if (r.ci === "pending" && (r.ciStage === "deploy" || r.ciStage === "rollout")) return "deploying";
  if (r.ci === "pending") return "ci-pending";
  return "pushed";
}

function thisRunWhat(r: WatchedRun): ThisRunWhat | null {
  switch (r.action) {
    case "close":
    case "close-no-ci":
      return "closed";
    case "fix-forward":
      return "fixed forward";
    case "review-turn":
      return "review turn";
    case "await-review":
      return "awaiting review";
    case "freeze":
      return "frozen";
    case "escalate-prepush":
    case "escalate-no-ci":
    case "escalate-lost":
    case "escalate-bad-record":
    case "escalate-taken-over":
    case "escalate-emergency-stop":
    case "escalate-review":
      return "escalated";
    case "release":
      return "released";
    case "adopt":
      return "adopted";
    case "ring":
      return "rang";
    case "wait":
    case "ignored":
      return null;
    default:
      return assertNever(r.action);
  }
}

function byAgeThenRef(a: NeedsYouRow, b: NeedsYouRow): number {
  const ta = a.since === null ? Infinity : Date.parse(a.since);
  const tb = b.since === null ? Infinity : Date.parse(b.since);
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = refKey(a);
  const kb = refKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * Said once per summary: with the shared identity and no record key, any
 * workflow of a served repository can write a comment the loop reads as its record.
 */
function sharedIdentityNote(meta: ReportMeta, identity: string | null): string | null {
  if (meta.recordKey !== false || identity?.toLowerCase() !== SHARED_IDENTITY) return null;
  return `The loop writes as ${SHARED_IDENTITY}, which every workflow of a repository shares, and record-key is not set: its run records are trusted by that login alone. Set record-key to seal them.`;
}
