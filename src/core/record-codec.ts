// Record codec: the run record as a hidden, versioned marker line at the end
// of the loop's progress comment, and back. Decoding never throws and never
// guesses: anything but exactly one well-formed v1 marker outside code is a
// typed error the caller escalates. With a record key, every marker carries an
// HMAC of its payload and one without a valid MAC is an error too; the MAC
// itself is computed by the adapter (a RecordSeal), never here.

import { RECORD_LIMITS, RunRecordSchema, type RunRecord } from "./run-record.js";

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
