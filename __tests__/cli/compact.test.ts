// The demo's compact rounds: unchanged table rows collapse into a count; every
// heading, header, separator and changed row stays.
import { describe, expect, it } from "vitest";
import { compactRound } from "../../src/cli/compact.js";

const ROUND_1 = [
  "## afk-loop",
  "",
  "### Skipped (2)",
  "",
  "| issue | reason |",
  "| --- | --- |",
  "| acme/api#3 | blocked |",
  "| acme/api#4 | untrusted-labeler |",
  "",
  "### In flight (1)",
  "",
  "| issue | phase | age |",
  "| --- | --- | --- |",
  "| acme/api#1 | working | 10 min |",
].join("\n");

describe("compactRound", () => {
  it("prints the first round whole", () => {
    expect(compactRound(null, ROUND_1)).toBe(ROUND_1);
  });

  it("collapses rows the last round showed word for word, keeping headings, headers and changed rows", () => {
    const round2 = ROUND_1.replace("| acme/api#1 | working | 10 min |", "| acme/api#1 | pushed | 20 min |");
    const compact = compactRound(ROUND_1, round2);
    expect(compact).toBe(
      [
        "## afk-loop",
        "",
        "### Skipped (2)",
        "",
        "| issue | reason |",
        "| --- | --- |",
        "(2 rows unchanged since the last round)",
        "",
        "### In flight (1)",
        "",
        "| issue | phase | age |",
        "| --- | --- | --- |",
        "| acme/api#1 | pushed | 20 min |",
      ].join("\n"),
    );
  });

  it("keeps a row that changed and counts one unchanged row in the singular", () => {
    const round2 = ROUND_1.replace("| acme/api#3 | blocked |", "| acme/api#3 | outranked |").replace(
      "| acme/api#1 | working | 10 min |",
      "| acme/api#1 | working | 20 min |",
    );
    const compact = compactRound(ROUND_1, round2).split("\n");
    expect(compact).toContain("| acme/api#3 | outranked |");
    expect(compact).toContain("(1 row unchanged since the last round)");
    expect(compact).not.toContain("| acme/api#4 | untrusted-labeler |");
    expect(compact).toContain("| acme/api#1 | working | 20 min |");
  });

  it("never drops a line that is not a table body row, even when the last round had it", () => {
    const compact = compactRound(ROUND_1, ROUND_1).split("\n");
    const kept = ROUND_1.split("\n").filter((line) => !/^\| acme/.test(line));
    expect(kept.length).toBeGreaterThan(0);
    for (const line of kept) expect(compact).toContain(line);
    expect(compact.filter((line) => line.startsWith("| acme"))).toEqual([]);
  });
});
