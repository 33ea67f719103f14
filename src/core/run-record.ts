// Run record: the durable per-issue bookkeeping, kept as a hidden, versioned
// marker at the end of the loop's progress comment (GitHub is the only store).
// Owns the record's schema and bounds, the deterministic run id, and the
// marker codec. Decoding never throws and never guesses: anything but exactly
// one well-formed v1 marker outside code is a typed error the caller escalates.
// With a record key, every marker carries an HMAC of its payload and one
// without a valid MAC is an error too; the MAC itself is computed by the
// adapter (a RecordSeal), never here.

import { z } from "zod";
import { DOORBELL_KINDS, EXECUTOR_KINDS, RUN_PHASES, type Instant, type RepoSlug } from "./types.js";
import { fnv1a } from "./hash.js";

/** Every action the state machine can take; the record remembers the last one that changed it. */
export const ACTION_KINDS = [
  "close",
  "close-no-ci",
  "fix-forward",
  "freeze",
  "escalate-prepush",
  "escalate-no-ci",
  "escalate-lost",
  "await-review",
  "review-turn",
  "escalate-review",
  "adopt",
  "release",
  "ring",
  "wait",
] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

/** Why the loop stopped (or would stop) an agent it let go of. */
const STOP_REASONS = ["escalated", "frozen", "closed", "released", "taken-over", "kill-switch"] as const;
export type StopReason = (typeof STOP_REASONS)[number];
/** owed: not yet asked; requested: asked, not yet confirmed; stopped: confirmed; left-open: deliberately not stopped. */
const STOP_STATES = ["owed", "requested", "stopped", "left-open"] as const;

/**
 * Bounds on everything variable in the record. They keep the worst-case marker
 * (every string at its limit, every character escaped by JSON) under `marker`,
 * so a valid record always encodes and a decoded marker is cheap to parse.
 */
export const RECORD_LIMITS = {
  runId: 100,
  threadId: 200,
  reason: 500,
  failureSignature: 1000,
  /** The whole `<!-- ... -->` marker, in characters. */
  marker: 16 * 1024,
} as const;

// Timestamps as GitHub sends them; the length bound stops an unbounded fraction.
const instant = z.iso.datetime({ offset: true }).max(40);
const count = z.int().min(0).max(1000);

export const RunRecordSchema = z.strictObject({
  v: z.literal(1),
  runId: z
    .string()
    .max(RECORD_LIMITS.runId)
    .regex(/^[a-z0-9][a-z0-9-]*$/, "must be lowercase letters, digits and hyphens"),
  repo: z
    .string()
    .max(140)
    .regex(/^[A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9._-]+$/, "must be owner/name"),
  issue: z.int().min(1).max(1_000_000_000),
  attempt: z.int().min(1).max(1000),
  phase: z.enum(RUN_PHASES),
  executor: z.enum(EXECUTOR_KINDS),
  /** T3 thread id or workflow run id; null until the executor confirms one. */
  threadId: z
    .string()
    .min(1)
    .max(RECORD_LIMITS.threadId)
    .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces")
    .nullable(),
  claimedAt: instant,
  leaseExpiresAt: instant,
  dispatchedAt: instant.nullable(),
  /** Start of the latest turn (dispatch, adoption or fix-forward): the stall clock. */
  turnStartedAt: instant.nullable(),
  /** Hex sha256 of the vetted issue text the agent was given. */
  issueSha256: z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex digits"),
  /**
   * The pushed commit the loop last acted on (fix-forward, freeze, close, no-CI).
   * After a fix-forward it is the red commit the agent was asked to fix, which
   * is how the state machine tells "still the old push" from "a new push".
   */
  pushedSha: z
    .string()
    .regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, "must be a full commit sha")
    .nullable(),
  fixForwards: count,
  firstRedAt: instant.nullable(),
  lastFailureSignature: z.string().min(1).max(RECORD_LIMITS.failureSignature).nullable(),
  /** How many fix-forwards in a row met `lastFailureSignature`. */
  sameFailureStreak: count,
  lastAction: z.enum(ACTION_KINDS).nullable(),
  /** Why the run ended where it did (escalation, freeze, release, close). */
  reason: z.string().max(RECORD_LIMITS.reason).nullable(),
  /** The terminal notification: owed until `delivered`, retried every tick until then. */
  doorbell: z.strictObject({ kind: z.enum(DOORBELL_KINDS), delivered: z.boolean() }).nullable(),
  /** Hidden passages removed from the issue text before the agent got it; absent in older records. */
  hiddenPassages: z.int().min(0).max(1_000_000).optional(),
  /** Dispatches of this attempt the executor refused (4xx), across ticks; absent in older records (none). */
  refusals: count.optional(),
  /**
   * Stopping the agent the loop let go of (core/stop.ts). Optional: records written before stops
   * existed read as "no stop". Owed and requested stops are retried every tick until confirmed.
   */
  stop: z
    .strictObject({
      reason: z.enum(STOP_REASONS),
      state: z.enum(STOP_STATES),
      /** Why the session was left open (state left-open), or who took the run over. */
      detail: z.string().max(RECORD_LIMITS.reason).nullable(),
      requestedAt: instant.nullable(),
      /** A second, harder stop was sent (workflow force-cancel) after the first did not take within a lease. */
      forced: z.boolean(),
      stoppedAt: instant.nullable(),
    })
    .nullable()
    .optional(),
  /**
   * The review stage of a run delivered by pull request (core/review.ts). Optional: absent until the
   * run's pull request is green, and in records written before review stages existed.
   */
  review: z
    .strictObject({
      /** The run's pull request, followed by its number (its branch may be deleted on merge). */
      pullRequest: z.int().min(1).max(1_000_000_000),
      /** Review turns sent, against `review-rounds`. */
      rounds: count,
      /** Reviews submitted after this instant are new feedback: the dispatch, then each review turn. */
      since: instant,
      /** When the pull request was merged, once the loop saw it merged. */
      mergedAt: instant.nullable(),
    })
    .nullable()
    .optional(),
});

export type RunRecord = z.infer<typeof RunRecordSchema>;

/**
 * The run's id, derived only from repo, issue and attempt, so a repeated
 * dispatch carries the same id and the executor recognises it. Safe as a
 * branch name, a T3 id and a workflow `run-name`. The readable slug is lossy
 * (`a.b` and `a-b` look alike), so a hash of the exact repo keeps ids apart.
 */
export function runIdFor(repo: RepoSlug, issue: number, attempt: number): string {
  const exact = repo.toLowerCase();
  const slug = exact
    .replace(/[^a-z0-9]+/g, "-")
    .slice(0, 40)
    .replace(/^-+|-+$/g, "");
  const hash = fnv1a(exact).toString(16).padStart(8, "0");
  return ["afk", slug, String(issue), `a${attempt}`, hash].filter((part) => part !== "").join("-");
}

export interface ClaimInput {
  repo: RepoSlug;
  issue: number;
  attempt: number;
  executor: RunRecord["executor"];
  claimedAt: Instant;
  leaseMinutes: number;
  issueSha256: string;
  hiddenPassages?: number;
}

/** A fresh run's record at the moment of its claim: nothing dispatched, pushed or rung yet. */
export function claimRecord(claim: ClaimInput): RunRecord {
  return {
    v: 1,
    runId: runIdFor(claim.repo, claim.issue, claim.attempt),
    repo: claim.repo,
    issue: claim.issue,
    attempt: claim.attempt,
    phase: "claimed",
    executor: claim.executor,
    threadId: null,
    claimedAt: claim.claimedAt,
    leaseExpiresAt: new Date(Date.parse(claim.claimedAt) + claim.leaseMinutes * 60_000).toISOString(),
    dispatchedAt: null,
    turnStartedAt: null,
    issueSha256: claim.issueSha256,
    pushedSha: null,
    fixForwards: 0,
    firstRedAt: null,
    lastFailureSignature: null,
    sameFailureStreak: 0,
    lastAction: null,
    reason: null,
    doorbell: null,
    ...(claim.hiddenPassages === undefined ? {} : { hiddenPassages: claim.hiddenPassages }),
  };
}

/**
 * How many runs the issue has had, from its latest record (null: none, or
 * unreadable). A claim that never reached the executor (released before
 * dispatch, or claimed and abandoned) does not count: the next claim reuses its
 * attempt number, and so its ids, which is what makes a repeated dispatch after
 * a crash recognisable.
 */
export function previousAttempts(record: RunRecord | null): number {
  if (record === null) return 0;
  const neverDispatched = record.dispatchedAt === null && (record.phase === "claimed" || record.phase === "released");
  return neverDispatched ? record.attempt - 1 : record.attempt;
}

/**
 * When a dispatch that just succeeded counts from. A claim of this same run
 * (`earlier`, the record on the issue before this tick's claim) that never
 * recorded its dispatch may have reached the executor anyway (a lost reply):
 * the agent may have worked, even pushed, since then, so the run counts from
 * that claim, or the watch tick would ignore a commit it already made.
 * Otherwise it counts from `now`.
 */
export function dispatchedAt(earlier: RunRecord | null, runId: string, now: Instant): Instant {
  return earlier !== null && earlier.runId === runId && earlier.dispatchedAt === null ? earlier.claimedAt : now;
}

/** The claimed record once the executor accepted the run: dispatched, its turn counting from `at`. */
export function dispatchedRecord(claimed: RunRecord, threadId: RunRecord["threadId"], at: Instant): RunRecord {
  return { ...claimed, phase: "dispatched", threadId, dispatchedAt: at, turnStartedAt: at };
}

// --- the marker codec ---------------------------------------------------------

export const RECORD_ERROR_CODES = [
  "missing",
  "malformed",
  "invalid",
  "unsupported-version",
  "oversized",
  "multiple",
  /** A record key is set and the marker carries no MAC. */
  "unsigned",
  /** A record key is set and the marker's MAC does not match its payload. */
  "forged",
] as const;
export type RecordErrorCode = (typeof RECORD_ERROR_CODES)[number];

interface RecordError {
  code: RecordErrorCode;
  message: string;
}

export type DecodeResult = { ok: true; record: RunRecord } | { ok: false; error: RecordError };

const MARKER_OPEN = "<!-- afk-loop:run v1 ";
const MARKER_CLOSE = " -->";

/**
 * HMAC-SHA256 keyed by the `record-key` input, as lowercase hex: computed by
 * the adapter (the core never hashes), over sealedMessage(payload).
 */
export type RecordSeal = (message: string) => string;

/** What a record's MAC covers: the whole base64 payload, under a domain tag so the MAC means nothing elsewhere. */
function sealedMessage(payload: string): string {
  return `afk-loop:run v1 ${payload}`;
}

/**
 * The hidden marker line for a record. Validates first: encoding a record the
 * decoder would reject is a programming error, so it throws rather than
 * writing a comment the next tick must escalate. With a seal, the marker ends
 * with `mac=<hex>`.
 */
export function encodeRunRecord(record: RunRecord, seal: RecordSeal | null = null): string {
  const valid = RunRecordSchema.parse(record);
  const payload = base64Encode(new TextEncoder().encode(JSON.stringify(valid)));
  const mac = seal === null ? "" : ` mac=${seal(sealedMessage(payload))}`;
  const marker = MARKER_OPEN + payload + mac + MARKER_CLOSE;
  if (marker.length > RECORD_LIMITS.marker) {
    throw new Error(`run record marker is ${marker.length} characters, over the ${RECORD_LIMITS.marker} cap`);
  }
  return marker;
}

// Detection is deliberately looser than the grammar: something that starts
// like our marker but does not parse is reported as malformed, not missing.
// Only a marker that begins a line counts (where the loop writes it, and where
// GitHub treats it as an HTML block); code is blanked out before searching.
const CANDIDATE = /^ {0,3}<!--\s*afk-loop:run\b/gm;
const VERSION = /^ {0,3}<!--\s*afk-loop:run\s+v(\d+)(?=\s|-->)/;
const V1 = /^ {0,3}<!-- afk-loop:run v1 ([A-Za-z0-9+/]*={0,2})(?: mac=([0-9a-f]{64}))? -->$/;

/**
 * Find and validate the run record in a progress comment. Never throws. With
 * a seal (a record key is set), a marker without a MAC, or with one that does
 * not match, is an error: the comment may look like ours, but we did not write it.
 */
export function decodeRunRecord(commentBody: string, seal: RecordSeal | null = null): DecodeResult {
  const visible = textOutsideCode(commentBody);
  const starts = [...visible.matchAll(CANDIDATE)].map((m) => m.index);
  const [start] = starts;
  if (start === undefined) return fail("missing", "no afk-loop run record marker in the comment");
  if (starts.length > 1) return fail("multiple", `${starts.length} run record markers in the comment; expected one`);

  const end = visible.indexOf("-->", start);
  const length = end === -1 ? visible.length - start : end + 3 - start;
  if (length > RECORD_LIMITS.marker) {
    return fail("oversized", `run record marker is ${length} characters, over the ${RECORD_LIMITS.marker} cap`);
  }
  if (end === -1) return fail("malformed", "run record marker is not terminated with -->");
  const marker = visible.slice(start, end + 3);

  const version = VERSION.exec(marker)?.[1];
  if (version === undefined) return fail("malformed", "run record marker has no version");
  if (version !== "1")
    return fail("unsupported-version", `run record version v${version.slice(0, 10)} is not supported`);

  const v1 = V1.exec(marker);
  const payload = v1?.[1];
  if (payload === undefined)
    return fail("malformed", "run record marker does not match `<!-- afk-loop:run v1 <base64> [mac=<hex>] -->`");
  // The MAC is checked before the payload is parsed: nothing unauthenticated is read.
  if (seal !== null) {
    const mac = v1?.[2];
    if (mac === undefined)
      return fail("unsigned", "run record carries no MAC, and record-key is set: not written by this loop");
    if (!sameHex(mac, seal(sealedMessage(payload)))) {
      return fail("forged", "run record MAC does not match record-key: not written by this loop, or altered");
    }
  }
  const bytes = base64Decode(payload);
  if (bytes === null) return fail("malformed", "run record payload is not valid base64");
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return fail("malformed", "run record payload is not UTF-8 JSON");
  }

  const parsed = RunRecordSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.length === 0 ? "(record)" : issue.path.join(".")}: ${issue.message}`);
    return fail("invalid", `run record fails validation: ${problems.join("; ")}`);
  }
  return { ok: true, record: parsed.data };
}

/** Equal hex strings, in time that does not depend on where they differ. */
function sameHex(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function fail(code: RecordErrorCode, message: string): DecodeResult {
  return { ok: false, error: { code, message } };
}

/**
 * The comment with fenced code blocks and inline code spans blanked, so a
 * marker quoted as an example is not read as ours. Follows CommonMark closely
 * enough for a comment the loop wrote: an unclosed fence runs to the end
 * (as GitHub renders it), and code spans do not cross blank lines.
 */
function textOutsideCode(markdown: string): string {
  const out: string[] = [];
  let paragraph: string[] = [];
  let fence: { char: string; length: number } | null = null;
  const flush = (): void => {
    if (paragraph.length > 0) out.push(blankCodeSpans(paragraph.join("\n")));
    paragraph = [];
  };
  for (const line of markdown.split("\n")) {
    if (fence !== null) {
      const close = /^ {0,3}(`+|~+)[ \t\r]*$/.exec(line)?.[1];
      if (close !== undefined && close[0] === fence.char && close.length >= fence.length) fence = null;
      out.push("");
      continue;
    }
    const open = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
    const run = open?.[1];
    if (run !== undefined && !(run.startsWith("`") && (open?.[2] ?? "").includes("`"))) {
      flush();
      fence = { char: run.charAt(0), length: run.length };
      out.push("");
      continue;
    }
    if (line.trim() === "") {
      flush();
      out.push(line);
      continue;
    }
    paragraph.push(line);
  }
  flush();
  return out.join("\n");
}

/** Replace each code span (a backtick run up to the next run of the same length) with spaces. */
function blankCodeSpans(text: string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    if (text[i] !== "`") {
      out += text.charAt(i);
      i++;
      continue;
    }
    let j = i;
    while (text[j] === "`") j++;
    const run = j - i;
    const close = findRun(text, j, run);
    if (close === -1) {
      out += text.slice(i, j);
      i = j;
      continue;
    }
    out += text.slice(i, close + run).replace(/[^\n]/g, " ");
    i = close + run;
  }
  return out;
}

function findRun(text: string, from: number, length: number): number {
  let i = from;
  while (i < text.length) {
    if (text[i] !== "`") {
      i++;
      continue;
    }
    let j = i;
    while (text[j] === "`") j++;
    if (j - i === length) return i;
    i = j;
  }
  return -1;
}

// --- strict base64 (the platform decoders silently skip junk; tampering must not pass) ---

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function base64Encode(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] ?? 0;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += ALPHABET.charAt(n >> 18) + ALPHABET.charAt((n >> 12) & 63);
    out += b === undefined ? "=" : ALPHABET.charAt((n >> 6) & 63);
    out += c === undefined ? "=" : ALPHABET.charAt(n & 63);
  }
  return out;
}

function base64Decode(text: string): Uint8Array | null {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) return null;
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  const bytes = new Uint8Array((text.length / 4) * 3 - padding);
  let k = 0;
  for (let i = 0; i < text.length; i += 4) {
    const n =
      (ALPHABET.indexOf(text.charAt(i)) << 18) |
      (ALPHABET.indexOf(text.charAt(i + 1)) << 12) |
      (Math.max(0, ALPHABET.indexOf(text.charAt(i + 2))) << 6) |
      Math.max(0, ALPHABET.indexOf(text.charAt(i + 3)));
    for (const byte of [(n >> 16) & 255, (n >> 8) & 255, n & 255]) {
      if (k < bytes.length) bytes[k++] = byte;
    }
  }
  // Non-canonical padding bits mean the text was not produced by an encoder.
  return base64Encode(bytes) === text ? bytes : null;
}
