import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  code,
  codeSpan,
  cutAt,
  escapeText,
  link,
  MAX_LINK_URL,
  oneLine,
  safeUrl,
  truncate,
  unescapeText,
} from "../../src/core/markdown.js";
import { buildReport } from "../../src/report/model.js";
import { cell, renderReport } from "../../src/report/render.js";
import { aRun, fixedWorld } from "../report/fixtures.js";

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe("cutting never splits a surrogate pair", () => {
  const emoji = "😀"; // two UTF-16 units

  it.each([
    ["cutAt", (s: string, n: number) => cutAt(s, n)],
    ["truncate", (s: string, n: number) => truncate(s, n)],
    ["oneLine", (s: string, n: number) => oneLine(s, n)],
    ["escapeText", (s: string, n: number) => escapeText(s, n)],
    ["report cell", (s: string, n: number) => cell(s, n)],
  ] as const)("%s: a cut that falls inside a pair drops the whole pair", (_name, cut) => {
    // "a" + 😀 + "b" is 4 units; keeping 2 units (or 2 before the ellipsis) lands between the halves.
    const text = `a${emoji}${emoji}b`;
    for (const max of [2, 3, 4, 5]) expect(cut(text, max)).not.toMatch(LONE_SURROGATE);
  });

  it("property: no cut of well-formed text leaves a lone surrogate, and none exceeds max", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), fc.integer({ min: 1, max: 60 }), (text, max) => {
        expect(truncate(text, max).length).toBeLessThanOrEqual(max);
        expect(truncate(text, max)).not.toMatch(LONE_SURROGATE);
        expect(cutAt(text, max)).not.toMatch(LONE_SURROGATE);
      }),
    );
  });

  it("truncate keeps text that fits and marks a cut with an ellipsis", () => {
    expect(truncate("hello", 5)).toBe("hello");
    expect(truncate("hello!", 5)).toBe("hell…");
    expect(truncate(`ab${emoji}`, 4)).toBe(`ab${emoji}`);
    expect(truncate(`ab${emoji}c`, 4)).toBe("ab…");
  });
});

describe("one rule for links: plain http(s) only, the stricter of the old two", () => {
  it.each([
    ["javascript:alert(1)"],
    ["data:text/html,x"],
    ["https://example.com/a b"],
    ['https://example.com/"onmouseover=x'],
    ["https://example.com/'x"],
    ["https://example.com/`x`"],
    ["https://example.com/a\\b"],
    ["https://example.com/<script>"],
    ["https://example.com/\u0007"],
    [`https://example.com/${"a".repeat(MAX_LINK_URL)}`],
  ])("refuses %j: the text is shown unlinked", (url) => {
    expect(safeUrl(url)).toBeNull();
    expect(link("label", url)).toBe("label");
  });

  it.each([['https://t3.example/"q'], ["https://t3.example/`q`"], ["https://t3.example/a\\b"]])(
    "the report refuses %j too (its own rule used to link it)",
    (agentLink) => {
      const watch = { ...fixedWorld().watch };
      watch.runs = [aRun({ number: 1, agentLink })];
      const markdown = renderReport(buildReport(fixedWorld().meta, watch, null));
      expect(markdown).toContain("| agent |");
      expect(markdown).not.toContain(agentLink);
    },
  );

  it("links a plain URL, percent-encoding parentheses so the link cannot end early", () => {
    expect(link("l", "https://example.com/a_(b)")).toBe("[l](https://example.com/a_%28b%29)");
    expect(link("l", null)).toBe("l");
  });
});

describe("escaping outside text", () => {
  it("leaves no HTML, marker, mention, line break or markdown syntax live", () => {
    const out = escapeText("<!-- x --> @octocat *b* [l](u) | `c` #1\nnext\u202e");
    expect(out).not.toMatch(/[<>\n\u202e]/);
    expect(out).not.toMatch(/@[a-z]/);
    expect(out).not.toMatch(/(?<!\\)[*[\]()|`#]/);
  });

  it("toTerminal undoes the escaping for a reader, keeping table pipes escaped", () => {
    const raw = "a <b> & @c *d* (e) #1 | f";
    expect(unescapeText(escapeText(raw))).toBe("a <b> & @c *d* (e) #1 \\| f");
  });

  it("a code span is never closed by the text, and a marker cannot survive in it", () => {
    expect(codeSpan("a`b")).toBe("``a`b``");
    expect(codeSpan("`x")).toBe("`` `x ``");
    expect(code("<!<!---- run -->->")).not.toMatch(/<!--|-->/);
    expect(code("")).toBe("`(unnamed)`");
  });
});
