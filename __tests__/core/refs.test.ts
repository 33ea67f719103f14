import { describe, expect, it } from "vitest";
import {
  MAX_BLOCKED_BY_REFS,
  comparePriority,
  formatRef,
  parseBlockedBy,
  priorityOf,
  refKey,
} from "../../src/core/refs.js";
import type { IssueRef } from "../../src/core/types.js";

const SELF: IssueRef = { repo: "acme/api", number: 100 };

const ref = (repo: string, number: number): IssueRef => ({ repo, number });
const here = (number: number): IssueRef => ref("acme/api", number);

/** Just the refs, for the many tests that are about nothing else. */
const blockers = (body: string): IssueRef[] => parseBlockedBy(body, SELF).refs;

describe('"Blocked by" syntaxes', () => {
  it.each<[string, IssueRef[]]>([
    ["Blocked by #3", [here(3)]],
    ["blocked by #3", [here(3)]],
    ["BLOCKED BY #3", [here(3)]],
    ["Blocked by: #3", [here(3)]],
    ["Blocked   by \t #3", [here(3)]],
    ["blocked by #3, #4 and #10", [here(3), here(4), here(10)]],
    ["blocked by #3, #4, and #10", [here(3), here(4), here(10)]],
    ["blocked by #3 & #4", [here(3), here(4)]],
    ["blocked by #3 #4", [here(3), here(4)]],
    ["blocked by #3,#4", [here(3), here(4)]],
    ["Blocked by: owner/repo#5", [ref("owner/repo", 5)]],
    ["Blocked by acme/api.js#5 and my-org/web_app#6", [ref("acme/api.js", 5), ref("my-org/web_app", 6)]],
    ["**Blocked by** #3", [here(3)]],
    ["**Blocked by:** #3", [here(3)]],
    ["**Blocked by**: #3", [here(3)]],
    ["_Blocked by_ #3", [here(3)]],
    ["- Blocked by #3", [here(3)]],
    ["* [ ] blocked by #3", [here(3)]],
    ["> Blocked by #3", [here(3)]],
  ])("%j", (body, expected) => {
    expect(blockers(body)).toEqual(expected);
  });

  it("finds a clause in the middle of a line", () => {
    expect(blockers("This cannot start yet: it is blocked by #3.")).toEqual([here(3)]);
  });

  it("needs a whole word: unblocked by is not a clause", () => {
    expect(blockers("This was unblocked by #3")).toEqual([]);
  });

  it('reads only "blocked by": other phrasings are not clauses', () => {
    expect(blockers("Blocked-by #3\nblocked on #4\ndepends on #5\nblockedby #6")).toEqual([]);
  });

  it("an empty body has no blockers", () => {
    expect(parseBlockedBy("", SELF)).toEqual({ refs: [], selfReferences: 0, truncated: false });
  });
});

describe("issue URLs", () => {
  it.each<[string, IssueRef[]]>([
    ["Blocked by https://github.com/owner/repo/issues/7", [ref("owner/repo", 7)]],
    ["Blocked by http://github.com/owner/repo/issues/7", [ref("owner/repo", 7)]],
    ["Blocked by https://www.github.com/owner/repo/issues/7", [ref("owner/repo", 7)]],
    ["Blocked by https://github.com/owner/repo/issues/7/", [ref("owner/repo", 7)]],
    ["Blocked by https://github.com/owner/repo/issues/7#issuecomment-123", [ref("owner/repo", 7)]],
    ["Blocked by https://github.com/acme/api/issues/7", [here(7)]],
    ["Blocked by <https://github.com/owner/repo/issues/7>", [ref("owner/repo", 7)]],
    ["Blocked by [the schema](https://github.com/owner/repo/issues/7)", [ref("owner/repo", 7)]],
    ["Blocked by [#7](https://github.com/owner/repo/issues/7), #8", [ref("owner/repo", 7), here(8)]],
    ["Blocked by https://github.com/owner/repo/issues/7.", [ref("owner/repo", 7)]],
  ])("%j", (body, expected) => {
    expect(blockers(body)).toEqual(expected);
  });

  it.each([
    "Blocked by https://github.com/owner/repo/pull/7",
    "Blocked by https://gitlab.com/owner/repo/issues/7",
    "Blocked by https://github.com/owner/repo/issues/7abc",
    "Blocked by https://github.com/owner/repo/issues/",
    "Blocked by [a link](https://example.com/7)",
  ])("%j is not an issue reference", (body) => {
    expect(blockers(body)).toEqual([]);
  });
});

describe("where a clause ends", () => {
  it.each<[string, IssueRef[]]>([
    ["Blocked by #3. See also #4", [here(3)]],
    ["Blocked by #3\n#4 is related", [here(3)]],
    ["Blocked by #3\r\n#4 is related", [here(3)]],
    ["Blocked by #3 (the schema), #4", [here(3)]],
    ["Blocked by #3 or #4", [here(3)]],
    ["Blocked by #3; #4", [here(3)]],
    ["Blocked by #3 andrew #4", [here(3)]],
    ["Blocked by the migration in #3", []],
    ["Blocked by #3a, #4", []],
    ["Blocked by #0, #4", []],
    ["Blocked by #12345678901", []],
  ])("%j", (body, expected) => {
    expect(blockers(body)).toEqual(expected);
  });

  it("ignores mentions outside a clause", () => {
    expect(blockers("Follow-up to #1, see owner/repo#2 and https://github.com/o/r/issues/3.\nBlocked by #4")).toEqual([
      here(4),
    ]);
  });

  it("reads several clauses anywhere in the body, in order", () => {
    const body = "Blocked by #3.\n\nSome context about #9.\n\nAlso blocked by acme/web#4 and #5.";
    expect(blockers(body)).toEqual([here(3), ref("acme/web", 4), here(5)]);
  });

  it("a clause alone on its line continues into the list below it", () => {
    const body =
      "## Blocked by\n\n- #3\n- [ ] acme/web#4 (the API)\n* [x] https://github.com/o/r/issues/5\n1. #6\n\nNot #7";
    expect(blockers(body)).toEqual([here(3), ref("acme/web", 4), ref("o/r", 5), here(6)]);
  });

  it("a list item without a leading ref adds nothing but does not end the list", () => {
    expect(blockers("Blocked by:\n- the CI outage\n- #3")).toEqual([here(3)]);
  });

  it("a clause with text after it on the same line does not read the list below", () => {
    expect(blockers("Blocked by: see below\n- #3")).toEqual([]);
  });

  it("a clause with refs on its line does not read the list below", () => {
    expect(blockers("Blocked by #3\n- #4")).toEqual([here(3)]);
  });
});

describe("code and comments are not read", () => {
  it.each<[string, string]>([
    ["a fenced block", "```\nBlocked by #3\n```\nBlocked by #4"],
    ["a fenced block with an info string", "```md\nBlocked by #3\n```\nBlocked by #4"],
    ["a tilde fence", "~~~\nBlocked by #3\n~~~\nBlocked by #4"],
    ["an indented fence", "  ```\n  Blocked by #3\n  ```\nBlocked by #4"],
    ["a longer fence closed only by a fence as long", "````\n```\nBlocked by #3\n````\nBlocked by #4"],
    ["inline code", "`Blocked by #3`\nBlocked by #4"],
    ["a ref inside inline code", "Blocked by `#3`\nBlocked by #4"],
    ["double-backtick inline code", "``Blocked by ` #3``\nBlocked by #4"],
    ["an HTML comment", "<!-- e.g. Blocked by #3 -->\nBlocked by #4"],
    ["a multi-line HTML comment", "<!--\nBlocked by #3\n-->\nBlocked by #4"],
  ])("ignores refs in %s", (_what, body) => {
    expect(blockers(body)).toEqual([here(4)]);
  });

  it("an unclosed fence hides the rest of the body", () => {
    expect(blockers("Blocked by #3\n```\nBlocked by #4\n")).toEqual([here(3)]);
  });

  it("a fence of the other kind does not close a fence", () => {
    expect(blockers("```\n~~~\nBlocked by #3\n```\nBlocked by #4")).toEqual([here(4)]);
  });

  it("an unmatched backtick is plain text, and ends the clause", () => {
    expect(blockers("Blocked by #3 ` #4\nBlocked by #5")).toEqual([here(3), here(5)]);
  });

  it("an unclosed HTML comment is plain text", () => {
    expect(blockers("<!-- Blocked by #3")).toEqual([here(3)]);
  });
});

describe("de-duplication and self-references", () => {
  it("returns each ref once, in order of first appearance", () => {
    expect(blockers("Blocked by #4, #3, #4\nBlocked by #3 and acme/web#1")).toEqual([
      here(4),
      here(3),
      ref("acme/web", 1),
    ]);
  });

  it("compares repos case-insensitively and keeps the first spelling", () => {
    expect(blockers("Blocked by Acme/Web#1, acme/web#1, https://github.com/ACME/WEB/issues/1")).toEqual([
      ref("Acme/Web", 1),
    ]);
  });

  it("#N, owner/repo#N and the URL of the same issue are one ref", () => {
    expect(blockers("Blocked by #3, acme/api#3, ACME/api#3, https://github.com/acme/api/issues/3")).toEqual([here(3)]);
  });

  it("counts references to the issue itself instead of returning them", () => {
    expect(parseBlockedBy("Blocked by #100, #3, acme/API#100", SELF)).toEqual({
      refs: [here(3)],
      selfReferences: 2,
      truncated: false,
    });
  });

  it("the same number in another repo is not a self-reference", () => {
    expect(parseBlockedBy("Blocked by acme/web#100", SELF)).toEqual({
      refs: [ref("acme/web", 100)],
      selfReferences: 0,
      truncated: false,
    });
  });
});

describe("hostile bodies", () => {
  it(`returns at most ${MAX_BLOCKED_BY_REFS} refs and says it stopped`, () => {
    const body = "Blocked by " + Array.from({ length: 80 }, (_, i) => `#${i + 1}`).join(", ");
    const result = parseBlockedBy(body, SELF);
    expect(result.refs).toHaveLength(MAX_BLOCKED_BY_REFS);
    expect(result.refs.at(-1)).toEqual(here(MAX_BLOCKED_BY_REFS));
    expect(result.truncated).toBe(true);
  });

  it("exactly the cap is not truncated", () => {
    const body = "Blocked by " + Array.from({ length: MAX_BLOCKED_BY_REFS }, (_, i) => `#${i + 1}`).join(", ");
    expect(parseBlockedBy(body, SELF).truncated).toBe(false);
  });

  // Each of these defeats a naive regex or a naive nested scan; a linear
  // parser finishes them in milliseconds. No timing assertion: a hang fails
  // the test through vitest's timeout.
  const hostile = (prefix: string, unit: string, suffix = ""): string =>
    prefix + unit.repeat(65_536 / unit.length + 1).slice(0, 65_536 - prefix.length - suffix.length) + suffix;

  it.each<[string, string, IssueRef[]]>([
    ["thousands of empty clauses", hostile("", "Blocked by "), []],
    ["thousands of clauses repeating one ref", hostile("", "Blocked by #1, "), [here(1)]],
    ["one clause of separators", hostile("Blocked by ", ", and & "), []],
    ["one clause of spaces before a ref", hostile("Blocked by", " ", "#7"), [here(7)]],
    ["clauses on their own lines", hostile("", "Blocked by\n"), []],
    ["clauses each followed by a list", hostile("", "Blocked by:\n- #2\n"), [here(2)]],
    ["unmatched backtick runs of growing length", hostile("", backtickRuns()), []],
    ["thousands of short code spans", hostile("", "`x``y"), []],
    ["unclosed HTML comments", hostile("", "<!-- Blocked by #3 "), [here(3)]],
    ["unclosed fences", hostile("", "```\n"), []],
    ["almost-URLs", hostile("Blocked by ", "https://github.com/o/r/issues/"), []],
    ["almost-links", hostile("Blocked by ", "[" + "a".repeat(199)), []],
    ["digits without a hash", hostile("Blocked by #", "9"), []],
  ])("%s (65,536 characters)", (_what, body, expected) => {
    expect(body).toHaveLength(65_536);
    expect(parseBlockedBy(body, SELF).refs).toEqual(expected);
  });
});

/** `a``b```c...`: every run a different length, so no run closes another. */
function backtickRuns(): string {
  return Array.from({ length: 400 }, (_, i) => "`".repeat(i + 1)).join("x");
}

describe("priorityOf", () => {
  it.each<[string[], number | null]>([
    [[], null],
    [["bug", "ready-for-agent"], null],
    [["priority:2"], 2],
    [["priority: 2"], 2],
    [["Priority:0"], 0],
    [["PRIORITY: 12"], 12],
    [["P0"], 0],
    [["p3"], 3],
    [["P4"], 4],
    [["P5"], null],
    [["priority:high"], null],
    [["priority:-1"], null],
    [["priority:1.5"], null],
    [["priority:"], null],
    [["high-priority:1"], null],
    [["P1", "priority:3"], 1],
    [["priority:3", "P2", "priority:7"], 2],
  ])("%j -> %j", (labels, expected) => {
    expect(priorityOf(labels)).toBe(expected);
  });
});

describe("comparePriority", () => {
  const issue = (repo: string, number: number, labels: string[] = []) => ({ repo, number, labels });
  const order = (...issues: ReturnType<typeof issue>[]) =>
    [...issues].sort(comparePriority).map((i) => `${i.repo}#${i.number}`);

  it("runs lower priority numbers first", () => {
    expect(order(issue("a/b", 1, ["P2"]), issue("a/b", 2, ["P0"]), issue("a/b", 3, ["priority:1"]))).toEqual([
      "a/b#2",
      "a/b#3",
      "a/b#1",
    ]);
  });

  it("regression (docs/design.md §13.2): an issue without a priority label runs after every labelled one", () => {
    expect(order(issue("a/b", 1), issue("a/b", 2, ["P1"]), issue("a/b", 3, ["priority:99"]))).toEqual([
      "a/b#2",
      "a/b#3",
      "a/b#1",
    ]);
  });

  it("breaks ties by issue number, then by repo", () => {
    expect(order(issue("z/z", 5, ["P1"]), issue("a/a", 5, ["P1"]), issue("m/m", 2, ["P1"]))).toEqual([
      "m/m#2",
      "a/a#5",
      "z/z#5",
    ]);
  });

  it("is a total order: equal only for the same issue", () => {
    expect(comparePriority(issue("a/b", 1, ["P1"]), issue("a/b", 1, ["P1"]))).toBe(0);
    expect(comparePriority(issue("a/b", 1), issue("a/c", 1))).toBeLessThan(0);
  });
});

describe("formatRef and refKey", () => {
  it.each<[IssueRef, string | undefined, string]>([
    [here(3), "acme/api", "#3"],
    [here(3), "ACME/Api", "#3"],
    [ref("acme/web", 3), "acme/api", "acme/web#3"],
    [here(3), undefined, "acme/api#3"],
  ])("formatRef(%j, %j) is %j", (r, relativeTo, expected) => {
    expect(formatRef(r, relativeTo)).toBe(expected);
  });

  it("refKey is the lower-cased owner/repo#N", () => {
    expect(refKey(ref("Acme/API", 7))).toBe("acme/api#7");
    expect(refKey(ref("Acme/API", 7))).toBe(refKey(ref("acme/api", 7)));
  });
});
