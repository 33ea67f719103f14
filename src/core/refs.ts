// refs: reads issue references out of an issue's text and priorities out of
// its labels, and says how a ref is written and keyed.
// Owns the "Blocked by" grammar and the priority-label grammar. Never decides
// whether a ref blocks anything (the policy does, from the blocker's state),
// and never backtracks: an issue body is text anyone can write, so every scan
// here is linear in its length.

import type { IssueRef, RepoSlug } from "./types.js";

/**
 * The most refs `parseBlockedBy` returns. Each ref costs the poll tick a read,
 * so a body listing more is cut off here and reported as `truncated`.
 */
export const MAX_BLOCKED_BY_REFS = 50;

export interface BlockedByRefs {
  /** De-duplicated (repo compared case-insensitively), in order of first appearance, at most MAX_BLOCKED_BY_REFS. */
  refs: IssueRef[];
  /** How many times the body names the issue itself; those refs are not returned. */
  selfReferences: number;
  /** True when the body names more than MAX_BLOCKED_BY_REFS issues and the scan stopped there. */
  truncated: boolean;
}

/**
 * The issues a body's "Blocked by" clauses name.
 *
 * A clause is `blocked by` (any case, optionally bold or italic, optionally
 * followed by a colon) and then a list of refs separated by `,`, `and`, `&`
 * or spaces: `#3`, `owner/repo#5`, an issue URL on github.com (bare, in `<>`
 * or as a markdown link target). The clause ends at the first thing that is
 * none of these, which includes a sentence's full stop and the end of the
 * line. A clause with nothing after it on its line (a heading or a
 * `Blocked by:` line) reads the markdown list right below it instead, one
 * leading run of refs per item. Code (fenced or inline) and HTML comments are
 * never read: they hold examples, not dependencies.
 *
 * `#N` means the issue's own repo. Refs come back de-duplicated, in order of
 * first appearance, with the first spelling of each; at most
 * MAX_BLOCKED_BY_REFS of them, after which the scan stops (so `selfReferences`
 * counts only what was read before that) and `truncated` is set.
 */
export function parseBlockedBy(body: string, self: IssueRef): BlockedByRefs {
  const text = withoutCode(body);
  const selfKey = refKey(self);
  const seen = new Set<string>();
  const result: BlockedByRefs = { refs: [], selfReferences: 0, truncated: false };

  // Returns false once the cap is reached, which stops every loop below.
  const collect = (ref: IssueRef): boolean => {
    const key = refKey(ref);
    if (key === selfKey) result.selfReferences++;
    else if (!seen.has(key)) {
      if (result.refs.length === MAX_BLOCKED_BY_REFS) {
        result.truncated = true;
        return false;
      }
      seen.add(key);
      result.refs.push(ref);
    }
    return true;
  };

  const leadIn = new RegExp(LEAD_IN.source, LEAD_IN.flags);
  let position = 0;
  for (;;) {
    leadIn.lastIndex = position;
    const match = leadIn.exec(text);
    if (match === null) break;
    const listStart = skip(text, match.index + match[0].length, DECORATION);
    const lineRest = skip(text, listStart, BLANKS);
    const endsLine = lineRest === text.length || text[lineRest] === "\n";
    const end = endsLine ? readListBelow(text, lineRest, self, collect) : readRefList(text, listStart, self, collect);
    if (end === null) return result;
    position = end;
  }
  return result;
}

// `(?<!…)` and `(?!…)` rather than `\b`: `_` is a word character to `\b`, and
// `_Blocked by_` is markdown italics.
const LEAD_IN = /(?<![A-Za-z0-9])blocked[ \t]+by(?![A-Za-z0-9])/gi;
/** Bold/italic markers and a colon around the lead-in's end: `by**:**`, `by:**`, `by**:`. */
const DECORATION = /[ \t]*(?:[*_]{1,3}[ \t]*)?(?::[ \t]*)?(?:[*_]{1,3}[ \t]*)?/y;
const BLANKS = /[ \t]*/y;
const LIST_ITEM = /[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?/y;

// Bounded quantifiers over disjoint character classes: these cannot backtrack
// more than a constant amount per position they are tried at.
const SHORT_REF = /#(\d{1,10})(?![A-Za-z0-9_])/y;
const FULL_REF = /([A-Za-z0-9][A-Za-z0-9-]{0,38})\/([A-Za-z0-9._-]{1,100})#(\d{1,10})(?![A-Za-z0-9_])/y;
const ISSUE_URL =
  /https?:\/\/(?:www\.)?github\.com\/([A-Za-z0-9][A-Za-z0-9-]{0,38})\/([A-Za-z0-9._-]{1,100})\/issues\/(\d{1,10})(?:#[A-Za-z0-9_-]{0,100})?\/?(?![A-Za-z0-9_/])/iy;
const LINK_TEXT = /\[[^\]\n]{0,200}\]\(/y;

type Collect = (ref: IssueRef) => boolean;

/** Index just past what `sticky` matches at `i` (or `i` itself). */
function skip(text: string, i: number, sticky: RegExp): number {
  sticky.lastIndex = i;
  return sticky.test(text) ? sticky.lastIndex : i;
}

/**
 * Reads refs and separators from `i` until anything else. Returns where it
 * stopped, or null when the cap was reached.
 */
function readRefList(text: string, i: number, self: IssueRef, collect: Collect): number | null {
  for (;;) {
    i = skipSeparators(text, i);
    const found = refAt(text, i, self);
    if (found === null) return i;
    if (!collect(found.ref)) return null;
    i = found.end;
  }
}

/**
 * Reads the list items (and blank lines) after a lead-in that ended its line;
 * `i` is at that line's end. Returns where the list ended, or null at the cap.
 */
function readListBelow(text: string, i: number, self: IssueRef, collect: Collect): number | null {
  while (i < text.length) {
    const lineStart = i + 1; // past the "\n"
    const lineEnd = endOfLine(text, lineStart);
    if (skip(text, lineStart, BLANKS) === lineEnd) {
      i = lineEnd;
      continue;
    }
    const itemStart = skip(text, lineStart, LIST_ITEM);
    if (itemStart === lineStart) return lineStart;
    if (readRefList(text, itemStart, self, collect) === null) return null;
    // The rest of the item is prose; the list goes on.
    i = lineEnd;
  }
  return i;
}

function endOfLine(text: string, i: number): number {
  const end = text.indexOf("\n", i);
  return end === -1 ? text.length : end;
}

function skipSeparators(text: string, i: number): number {
  for (;;) {
    const c = text[i];
    if (c === " " || c === "\t" || c === "," || c === "&") i++;
    else if (isWordAt(text, i, "and")) i += 3;
    else return i;
  }
}

function isWordAt(text: string, i: number, word: string): boolean {
  return (
    text.slice(i, i + word.length).toLowerCase() === word &&
    !isWordChar(text[i - 1]) &&
    !isWordChar(text[i + word.length])
  );
}

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9_]/.test(c);
}

/** The ref that starts exactly at `i`, and the index just past it. */
function refAt(text: string, i: number, self: IssueRef): { ref: IssueRef; end: number } | null {
  switch (text[i]) {
    case "#": {
      const m = stickyMatch(SHORT_REF, text, i);
      return m && issueRef(self.repo, m[1], SHORT_REF.lastIndex);
    }
    case "<": {
      const url = issueUrlAt(text, i + 1);
      return url && text[url.end] === ">" ? { ref: url.ref, end: url.end + 1 } : null;
    }
    case "[": {
      if (stickyMatch(LINK_TEXT, text, i) === null) return null;
      const url = issueUrlAt(text, LINK_TEXT.lastIndex);
      return url && text[url.end] === ")" ? { ref: url.ref, end: url.end + 1 } : null;
    }
    default: {
      const url = issueUrlAt(text, i);
      if (url) return url;
      const m = stickyMatch(FULL_REF, text, i);
      return m && issueRef(`${m[1] ?? ""}/${m[2] ?? ""}`, m[3], FULL_REF.lastIndex);
    }
  }
}

function issueUrlAt(text: string, i: number): { ref: IssueRef; end: number } | null {
  const m = stickyMatch(ISSUE_URL, text, i);
  return m && issueRef(`${m[1] ?? ""}/${m[2] ?? ""}`, m[3], ISSUE_URL.lastIndex);
}

function stickyMatch(sticky: RegExp, text: string, i: number): RegExpExecArray | null {
  sticky.lastIndex = i;
  return sticky.exec(text);
}

function issueRef(repo: RepoSlug, digits: string | undefined, end: number): { ref: IssueRef; end: number } | null {
  const number = Number(digits);
  // GitHub numbers issues from 1; `#0` is not an issue, so it ends the clause.
  return Number.isSafeInteger(number) && number > 0 ? { ref: { repo, number }, end } : null;
}

// --- code and comments ------------------------------------------------------

/** Stands in for anything hidden: not a ref and not a separator, so it ends a clause. */
const HIDDEN = "\u0000";

/**
 * The body with fenced code, inline code and HTML comments each replaced by
 * HIDDEN (keeping their line breaks, so line structure survives), and line
 * endings normalised to "\n".
 */
function withoutCode(body: string): string {
  const out: string[] = [];
  let prose: string[] = [];
  let fence: { char: string; length: number } | null = null;
  const flushProse = () => {
    if (prose.length > 0) out.push(withoutInlineCode(prose.join("\n")));
    prose = [];
  };
  for (const line of body.split(/\r\n|\r|\n/)) {
    const marker = fenceMarker(line);
    if (fence === null) {
      // A backtick fence's info string may not contain a backtick (CommonMark);
      // such a line is inline code, not a fence.
      if (marker !== null && !(marker.char === "`" && marker.rest.includes("`"))) {
        flushProse();
        fence = marker;
        out.push(HIDDEN);
      } else prose.push(line);
    } else {
      // Only a fence of the same kind, at least as long, with nothing after it, closes one.
      if (marker !== null && marker.char === fence.char && marker.length >= fence.length && marker.rest.trim() === "") {
        fence = null;
      }
      out.push(HIDDEN);
    }
  }
  flushProse();
  return out.join("\n");
}

function fenceMarker(line: string): { char: string; length: number; rest: string } | null {
  let i = 0;
  while (line[i] === " " || line[i] === "\t") i++;
  const char = line[i];
  if (char !== "`" && char !== "~") return null;
  const start = i;
  while (line[i] === char) i++;
  return i - start >= 3 ? { char, length: i - start, rest: line.slice(i) } : null;
}

/**
 * Hides code spans and HTML comments, whichever starts first (CommonMark).
 * A code span closes at the next backtick run of exactly its length; runs are
 * indexed by length up front so finding that run never rescans the text.
 */
function withoutInlineCode(text: string): string {
  const runsByLength = new Map<number, { starts: number[]; next: number }>();
  for (let i = 0; i < text.length;) {
    if (text[i] !== "`") {
      i++;
      continue;
    }
    const start = i;
    while (text[i] === "`") i++;
    const runs = runsByLength.get(i - start) ?? { starts: [], next: 0 };
    runs.starts.push(start);
    runsByLength.set(i - start, runs);
  }

  const out: string[] = [];
  let commentsCanClose = true; // once no "-->" follows, none follows any later "<!--" either
  let from = 0;
  let i = 0;
  const hide = (start: number, end: number) => {
    out.push(text.slice(from, start), HIDDEN, "\n".repeat(countNewlines(text, start, end)));
    from = end;
  };
  while (i < text.length) {
    if (text[i] === "`") {
      let end = i;
      while (text[end] === "`") end++;
      const runs = runsByLength.get(end - i);
      let closer: number | undefined;
      if (runs) {
        while ((runs.starts[runs.next] ?? Infinity) <= i) runs.next++;
        closer = runs.starts[runs.next];
      }
      if (closer === undefined) {
        i = end; // an unmatched run is literal backticks
      } else {
        hide(i, closer + (end - i));
        i = from;
      }
    } else if (commentsCanClose && text.startsWith("<!--", i)) {
      const close = text.indexOf("-->", i + 4);
      if (close === -1) {
        commentsCanClose = false;
        i++;
      } else {
        hide(i, close + 3);
        i = from;
      }
    } else i++;
  }
  out.push(text.slice(from));
  return out.join("");
}

// A loop over the span, not indexOf: indexOf would run on to the end of the
// text whenever the span holds no newline, making many spans quadratic.
function countNewlines(text: string, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) if (text[i] === "\n") n++;
  return n;
}

// --- priority ---------------------------------------------------------------

const PRIORITY_NUMBER = /^priority[ \t]*:[ \t]*(\d{1,9})$/i;
const PRIORITY_LEVEL = /^p([0-4])$/i;

/**
 * The issue's priority from `priority:N` (or `priority: N`) and `P0`..`P4`
 * labels, any case; the lowest number wins. Null when no label gives one:
 * "no priority" is not priority 0 (docs/design.md §13.2).
 */
export function priorityOf(labels: readonly string[]): number | null {
  let best: number | null = null;
  for (const label of labels) {
    const trimmed = label.trim();
    const digits = PRIORITY_NUMBER.exec(trimmed)?.[1] ?? PRIORITY_LEVEL.exec(trimmed)?.[1];
    if (digits === undefined) continue;
    const priority = Number(digits);
    if (best === null || priority < best) best = priority;
  }
  return best;
}

/** What comparePriority needs of an issue. */
export interface Prioritised extends IssueRef {
  labels: readonly string[];
}

/**
 * Sort order for dispatch: labelled before unlabelled, lower priority number
 * first, then lower issue number, then repo. Total: 0 only for the same issue.
 * Compares code units, not locale, so the order is the same on every runner.
 */
export function comparePriority(a: Prioritised, b: Prioritised): number {
  const pa = priorityOf(a.labels);
  const pb = priorityOf(b.labels);
  if (pa !== pb) {
    if (pa === null) return 1;
    if (pb === null) return -1;
    return pa - pb;
  }
  if (a.number !== b.number) return a.number - b.number;
  return compareText(a.repo.toLowerCase(), b.repo.toLowerCase()) || compareText(a.repo, b.repo);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// --- writing and keying refs ------------------------------------------------

/** `#3` when the ref is in `relativeTo` (compared case-insensitively), `owner/repo#3` otherwise. */
export function formatRef(ref: IssueRef, relativeTo?: RepoSlug): string {
  return relativeTo !== undefined && sameRepo(ref.repo, relativeTo) ? `#${ref.number}` : `${ref.repo}#${ref.number}`;
}

/** `owner/repo#N`, lower-cased: one key per issue however its repo is spelled. */
export function refKey(ref: IssueRef): string {
  return `${ref.repo.toLowerCase()}#${ref.number}`;
}

/** GitHub treats owner and repo names case-insensitively; so does the loop. */
export function sameRepo(a: RepoSlug, b: RepoSlug): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
