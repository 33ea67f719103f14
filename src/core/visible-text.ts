// Visible text: what a person sees on the rendered issue, and nothing else.
// A maintainer approves the rendered page; the agent must get that same text.
// Owns the Markdown scan that finds code (kept as written, invisible code
// points shown as `[U+200B]`) and the hidden passages outside it (removed and
// counted): HTML comments and other `<!…>`/`<?…>` constructs, link reference
// definitions nothing uses, and invisible code points. Pure; never throws.
// It must never keep a passage it cannot prove visible: where telling visible
// from hidden needs a full Markdown parser (indented code, fences nested in
// containers), the text is read as prose, so at worst something visible is
// dropped, never something hidden passed on.

export interface VisibleText {
  text: string;
  /** Hidden passages removed: each comment, unused definition, or run of invisible code points. */
  hiddenPassages: number;
  /** Characters removed with them (UTF-16 units), for "mostly hidden". */
  hiddenChars: number;
}

// Shown, not removed: they reorder what is visible, so the reader should see where they are.
const BIDI = /[\u202a-\u202e\u2066-\u2069]/u;
// Removed outside code, shown inside: format characters (Cf, tags among them), controls but
// newline and tab, variation selectors, and every other default-ignorable code point.
/* eslint-disable no-misleading-character-class -- the class lists variation selectors on purpose, one at a time */
const INVISIBLE =
  /[\p{Cf}\p{Default_Ignorable_Code_Point}\u{e0000}-\u{e007f}\ufe00-\ufe0f\u{e0100}-\u{e01ef}]|[^\P{Cc}\n\t]/u;
const INVISIBLE_ONE = new RegExp(INVISIBLE.source, "gu");
const INVISIBLE_RUN = new RegExp(`(?:${INVISIBLE.source})+`, "gu");
const INVISIBLE_RUN_NOT_BIDI = new RegExp(`(?:(?!${BIDI.source})(?:${INVISIBLE.source}))+`, "gu");
/* eslint-enable no-misleading-character-class */
// A zero-width joiner or emoji presentation selector right after a pictograph joins or styles
// it: it hides nothing (one bit at most), so it is dropped without being counted.
const EMOJI_GLUE = /^(?:\ufe0f\u200d?|\u200d|\ufe0e)$/u;
const PICTOGRAPH = /[\p{Extended_Pictographic}\p{Emoji_Modifier}]$/u;

/** The visible text of a Markdown document (an issue body or comment). */
export function visibleText(markdown: string): VisibleText {
  const acc = { hiddenPassages: 0, hiddenChars: 0 };
  const lines = normaliseNewlines(markdown).split("\n");
  const out: string[] = [];
  // Each prose stretch between code blocks is handled as one piece, so inline constructs
  // (comments, code spans) that cross lines are seen whole.
  let prose: string[] = [];
  let raw = false;
  // An unclosed comment hides everything after it, code included: the rest goes.
  const rest = { swallowed: false };
  /** Flushes the prose so far; true when an unclosed comment in it swallowed the rest. */
  const flushProse = (): boolean => {
    if (prose.length > 0 && !rest.swallowed) {
      const seen = visibleProse(prose.join("\n"), raw, acc);
      out.push(seen.text);
      rest.swallowed = seen.swallowed;
    } else if (rest.swallowed) {
      acc.hiddenChars += prose.join("\n").length;
    }
    prose = [];
    return rest.swallowed;
  };
  let fence: { char: string; length: number } | null = null;
  let html: RegExp | "blank" | null = null;
  for (const line of lines) {
    if (rest.swallowed) {
      prose.push(line);
      continue;
    }
    if (fence !== null) {
      out.push(showInvisible(line));
      const close = /^ {0,3}(`+|~+)[ \t]*$/.exec(line)?.[1];
      if (close !== undefined && close[0] === fence.char && close.length >= fence.length) fence = null;
      continue;
    }
    if (html !== null) {
      // Raw HTML: no Markdown inside, so no code either; its comments hide like any other.
      prose.push(line);
      if (html === "blank" ? line.trim() === "" : html.test(line)) {
        flushProse();
        html = null;
        raw = false;
      }
      continue;
    }
    const open = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
    const run = open?.[1];
    if (run !== undefined && !(run.startsWith("`") && (open?.[2] ?? "").includes("`"))) {
      if (flushProse()) {
        prose.push(line);
        continue;
      }
      out.push(showInvisible(line));
      fence = { char: run.charAt(0), length: run.length };
      continue;
    }
    const end = htmlBlockEnd(line);
    if (end !== null) {
      if (flushProse()) {
        prose.push(line);
        continue;
      }
      html = end;
      raw = true;
    }
    prose.push(line);
    // A block whose end is on its first line (`<!-- x -->`) ends there; the search starts past `<!`.
    if (html instanceof RegExp && html.test(line.slice(line.indexOf("<") + 2))) {
      flushProse();
      html = null;
      raw = false;
    }
  }
  flushProse();
  return { text: out.join("\n"), ...acc };
}

/** Text outside Markdown (a title, a login): only its invisible code points go. */
export function visiblePlainText(text: string): VisibleText {
  const acc = { hiddenPassages: 0, hiddenChars: 0 };
  return { text: removeInvisible(normaliseNewlines(text), acc), ...acc };
}

function normaliseNewlines(text: string): string {
  return text.replace(/\r\n?|[\u2028\u2029\u0085]/g, "\n");
}

/**
 * CommonMark's HTML block starts (types 1 to 7) and how each ends: a pattern
 * for the line that ends it, or "blank". Type 7 is taken for any line that
 * starts with a tag, even where it could not interrupt a paragraph: reading
 * too much as raw HTML only ever removes more.
 */
function htmlBlockEnd(line: string): RegExp | "blank" | null {
  const start = /^ {0,3}<(.*)$/.exec(line)?.[1];
  if (start === undefined) return null;
  if (/^(?:script|pre|style|textarea)(?:[\s>]|$)/i.test(start)) return /<\/(?:script|pre|style|textarea)>/i;
  if (start.startsWith("!--")) return /-->/;
  if (start.startsWith("?")) return /\?>/;
  if (start.startsWith("![CDATA[")) return /\]\]>/;
  if (/^![A-Za-z]/.test(start)) return />/;
  if (/^\/?[A-Za-z][A-Za-z0-9-]*(?:[\s/>]|$)/.test(start)) return "blank";
  return null;
}

/**
 * Prose: removes comments, declarations, processing instructions and CDATA
 * (invisible in rendered HTML; an unclosed one hides the rest, so it goes to
 * the end), keeps code spans as code, drops unused link reference
 * definitions, and removes invisible code points from the rest.
 */
function visibleProse(
  text: string,
  raw: boolean,
  acc: { hiddenPassages: number; hiddenChars: number },
): { text: string; swallowed: boolean } {
  const pieces: { code: boolean; text: string }[] = [];
  let swallowed = false;
  let plain = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "<" && (text[i + 1] === "!" || text[i + 1] === "?")) {
      const end = hiddenMarkupEnd(text, i);
      acc.hiddenPassages++;
      acc.hiddenChars += end === null ? text.length - i : end - i;
      if (end === null) {
        swallowed = true;
        break;
      }
      i = end;
      continue;
    }
    // Raw HTML has no code spans.
    if (c === "`" && !raw) {
      let j = i;
      while (text[j] === "`") j++;
      const close = findBacktickRun(text, j, j - i);
      if (close !== -1) {
        pieces.push({ code: false, text: plain });
        pieces.push({ code: true, text: text.slice(i, close + (j - i)) });
        plain = "";
        i = close + (j - i);
        continue;
      }
      plain += text.slice(i, j);
      i = j;
      continue;
    }
    plain += text.charAt(i);
    i++;
  }
  pieces.push({ code: false, text: plain });
  const used = usedLabels(pieces.filter((p) => !p.code).map((p) => p.text));
  const seen = pieces
    .map((p) => (p.code ? showInvisible(p.text) : removeInvisible(dropUnusedDefinitions(p.text, used, acc), acc)))
    .join("");
  return { text: seen, swallowed };
}

/** Where a `<!…>` or `<?…>` that starts at `at` ends (exclusive); null when it never closes. */
function hiddenMarkupEnd(text: string, at: number): number | null {
  const rest = text.slice(at);
  let end: number | null;
  if (rest.startsWith("<!-->")) return at + 5;
  if (rest.startsWith("<!--->")) return at + 6;
  if (rest.startsWith("<!--")) end = until(rest, "-->", 4);
  else if (rest.startsWith("<![CDATA[")) end = until(rest, "]]>", 9);
  else if (rest.startsWith("<?")) end = until(rest, ">", 2);
  else end = until(rest, ">", 2);
  return end === null ? null : at + end;
}

function until(text: string, close: string, from: number): number | null {
  const found = text.indexOf(close, from);
  return found === -1 ? null : found + close.length;
}

function findBacktickRun(text: string, from: number, length: number): number {
  let i = from;
  while (i < text.length) {
    if (text[i] !== "`") {
      // A code span ends with its paragraph.
      if (text[i] === "\n" && /^[ \t]*(?:\n|$)/.test(text.slice(i + 1))) return -1;
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

// `[label]: destination "title"`: the whole line is invisible. Only a used one shows (as a link).
const DEFINITION = /^ {0,3}\[((?:[^\]\\]|\\.){1,999})\]:[^\n]*(?:\n|$)/gm;

function normaliseLabel(label: string): string {
  return label.trim().replace(/\s+/g, " ").toLowerCase();
}

function usedLabels(prose: readonly string[]): string {
  // Definitions removed first, so a definition does not count as its own use.
  return normaliseLabel(prose.map((p) => p.replace(DEFINITION, "\n")).join(" "));
}

function dropUnusedDefinitions(
  text: string,
  used: string,
  acc: { hiddenPassages: number; hiddenChars: number },
): string {
  return text.replace(DEFINITION, (line, label: string) => {
    if (used.includes(`[${normaliseLabel(label)}]`)) return line;
    acc.hiddenPassages++;
    acc.hiddenChars += line.length;
    return line.endsWith("\n") ? "\n" : "";
  });
}

function removeInvisible(text: string, acc: { hiddenPassages: number; hiddenChars: number }): string {
  return showBidi(
    text.replace(INVISIBLE_RUN, (run, offset: number) => {
      if (BIDI.test(run)) return run.replace(INVISIBLE_RUN_NOT_BIDI, (part) => countRemoved(part, acc));
      if (EMOJI_GLUE.test(run) && PICTOGRAPH.test(text.slice(Math.max(0, offset - 2), offset))) return "";
      return countRemoved(run, acc);
    }),
  );
}

function countRemoved(run: string, acc: { hiddenPassages: number; hiddenChars: number }): string {
  acc.hiddenPassages++;
  acc.hiddenChars += run.length;
  return "";
}

/** Code: every character stays, and each invisible one is written out. */
function showInvisible(text: string): string {
  return text.replace(INVISIBLE_ONE, codePointName);
}

function showBidi(text: string): string {
  return text.replace(new RegExp(BIDI.source, "gu"), codePointName);
}

function codePointName(c: string): string {
  return `[U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}]`;
}
