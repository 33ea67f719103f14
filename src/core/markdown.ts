// Markdown safety: the one place that decides how outside text (issue titles,
// check names, reasons, URLs) is cut, escaped and linked before it lands in a
// comment, a summary or a prompt. Pure string functions. Never lets outside
// text break the markdown, ping anyone, forge a `<!-- marker -->`, or link to
// anything but a plain http(s) URL; never splits a surrogate pair when cutting.

/** URLs longer than this are shown as text, never linked. */
export const MAX_LINK_URL = 500;
/** Escaped prose is cut to this many characters unless the caller says otherwise. */
const MAX_PROSE = 600;
const MAX_CODE = 120;

/** The first `room` UTF-16 units of `text` (fewer when the cut would split a surrogate pair). */
export function cutAt(text: string, room: number): string {
  const head = text.slice(0, Math.max(0, room));
  return /[\ud800-\udbff]$/.test(head) ? head.slice(0, -1) : head;
}

/** `text` itself when it fits in `max` units; otherwise a head ending in `…`, `max` units at most. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${cutAt(text, max - 1)}…`;
}

/** One line, no control or bidi-override characters, at most `max` characters. */
export function oneLine(raw: string, max: number): string {
  const line = raw
    .replace(/[\r\n\t\u2028\u2029]+/g, " ")
    .replace(/[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu, "")
    .trim();
  return truncate(line, max);
}

/**
 * Outside text as inert prose, on one line: HTML special characters as
 * entities (so no `<!--` can appear), markdown punctuation (table pipes
 * included) backslash-escaped, and a zero-width space after `@` so the text
 * cannot mention (and notify) anyone.
 */
export function escapeText(raw: string, max = MAX_PROSE): string {
  return oneLine(raw, max)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/[\\`*_{}[\]()#+!|~]/g, "\\$&")
    .replace(/@/g, "@\u200b");
}

/** Undoes `escapeText` for a terminal, keeping table pipes escaped so rows stay rows. */
export function unescapeText(markdown: string): string {
  return markdown
    .replace(/\\([\\`*_{}[\]()#+!~])/g, "$1")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .replace(/\u200b/g, "");
}

/**
 * An inline code span holding `text` verbatim: the fence is longer than any
 * backtick run inside, padded when the text starts or ends with a backtick or
 * space. Does not clean or cut: see `code` for outside text.
 */
export function codeSpan(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  const pad = /^[` ]|[` ]$/.test(text) ? " " : "";
  return `${fence}${pad}${text}${pad}${fence}`;
}

/**
 * Outside text as an inline code span: markdown, mentions and HTML are inert
 * inside it, and marker delimiters are removed so a name cannot pass for a run
 * record.
 */
export function code(raw: string, max = MAX_CODE): string {
  let text = oneLine(raw, max);
  while (/<!--|-->/.test(text)) text = text.replace(/<!--|-->/g, "");
  return codeSpan(text === "" ? "(unnamed)" : text);
}

/**
 * The URL as a markdown link target when it is a plain http(s) URL of at most
 * `MAX_LINK_URL` characters with no space, quote, backtick, backslash, angle
 * bracket or control character; parentheses percent-encoded. Otherwise null.
 */
export function safeUrl(url: string | null): string | null {
  if (url === null || url.length > MAX_LINK_URL || !/^https?:\/\/[^\s<>"'`\\\p{Cc}]+$/u.test(url)) return null;
  return url.replace(/\(/g, "%28").replace(/\)/g, "%29");
}

/** A markdown link when `safeUrl` accepts the URL; otherwise the (already safe) text alone. */
export function link(text: string, url: string | null): string {
  const safe = safeUrl(url);
  return safe === null ? text : `[${text}](${safe})`;
}

/** `1 request`, `2 requests`: counts in every report read right. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
