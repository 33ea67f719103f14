// The demo's round-by-round view: a round's report without the table rows the
// previous round already showed word for word, so what changed stands out.
// Pure text in, text out; must never drop a heading, a table's header or a
// line that is not a table row.

import { plural } from "../core/markdown.js";

const SEPARATOR = /^\|(?:\s*:?-{3,}:?\s*\|)+\s*$/;

/** `current` with each table body row that `previous` also had replaced by one count per table. */
export function compactRound(previous: string | null, current: string): string {
  if (previous === null) return current;
  const seen = new Set(previous.split("\n"));
  const lines = current.split("\n");
  const out: string[] = [];
  let dropped = 0;
  const flush = () => {
    if (dropped > 0) out.push(`(${plural(dropped, "row")} unchanged since the last round)`);
    dropped = 0;
  };
  lines.forEach((line, i) => {
    const row = line.startsWith("|");
    // A table's header is the row just above its separator; the separator itself stays too.
    const header = row && SEPARATOR.test(lines[i + 1] ?? "");
    if (row && !header && !SEPARATOR.test(line) && seen.has(line)) {
      dropped++;
      return;
    }
    if (!row) flush();
    out.push(line);
  });
  flush();
  return out.join("\n");
}
