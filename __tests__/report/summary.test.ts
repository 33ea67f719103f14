// The one job-summary report (issue 11): a reviewed snapshot of a fleet with
// every section populated, the headline's colour rule, the outputs, and the
// properties any report keeps (under 1 MiB, each issue once per section,
// hostile titles escaped).

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { headline } from "../../src/report/headline.js";
import { buildReport, type ReportMeta } from "../../src/report/model.js";
import { fleetOutputsOf, renderReport, SUMMARY_LIMIT_BYTES, toTerminal } from "../../src/report/render.js";
import type { PollReport } from "../../src/ticks/poll.js";
import type { WatchReport } from "../../src/ticks/watch.js";
import { aHanded, aRun, fixedWorld, NOW } from "./fixtures.js";

describe("the summary of a fixed fleet", () => {
  it("matches the reviewed snapshot", () => {
    const { meta, watch, poll } = fixedWorld();
    expect(renderReport(buildReport(meta, watch, poll), { maxFixForwards: 3 })).toMatchSnapshot();
  });

  it("is one report: one header, sections in order, errors last", () => {
    const { meta, watch, poll } = fixedWorld();
    const text = renderReport(buildReport(meta, watch, poll));
    expect(text.match(/^## afk-loop$/gm)).toHaveLength(1);
    const order = ["### Needs you", "### In flight", "### This run", "### Skipped", "### Spend", "### ❌ Errors"];
    const at = order.map((h) => text.indexOf(h));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it("counts in flight, started, closed, handed to you and skipped (each issue once)", () => {
    const { meta, watch, poll } = fixedWorld();
    expect(buildReport(meta, watch, poll).counts).toEqual({
      inFlight: 6,
      started: 1,
      closed: 1,
      handedToYou: 3,
      skipped: 5,
    });
  });

  it("names the in-flight phases a person would", () => {
    const { meta, watch, poll } = fixedWorld();
    const phases = buildReport(meta, watch, poll).inFlight.map((r) => `#${r.number} ${r.phase}`);
    expect(phases).toEqual([
      "#1 working",
      "#2 ci-pending",
      "#3 fixing-forward",
      "#4 deploying",
      "#5 claimed",
      "#10 working",
    ]);
  });

  it("shows the review stages of pull-request runs: awaiting review, changes requested n/m", () => {
    const { meta, poll } = fixedWorld();
    const rounds = (used: number) => ({ used, max: 3 });
    const watch: WatchReport = {
      ...fixedWorld().watch,
      runs: [
        aRun({
          number: 21,
          sha: "a".repeat(40),
          ci: null,
          phase: "awaiting-review",
          action: "wait",
          reviewRounds: rounds(0),
        }),
        aRun({ number: 22, sha: "b".repeat(40), ci: "pending", action: "review-turn", reviewRounds: rounds(1) }),
      ],
      handed: [],
    };
    const model = buildReport(meta, watch, poll);
    expect(model.inFlight.map((r) => `#${r.number} ${r.phase}`).slice(0, 2)).toEqual([
      "#21 awaiting-review",
      "#22 changes-requested",
    ]);
    const text = renderReport(model);
    expect(text).toMatch(/\| awaiting review \|/);
    expect(text).toMatch(/\| changes requested 1\/3 \|/);
    expect(model.thisRun.map((r) => `#${r.number} ${r.what}`)).toContain("#22 review turn");
  });

  it("gives the workflow in-flight and needs-human outputs", () => {
    const { meta, watch, poll } = fixedWorld();
    expect(fleetOutputsOf(buildReport(meta, watch, poll))).toEqual({
      inFlight: 6,
      needsHuman: ["acme/web#9", "acme/web#7", "acme/api#8"],
    });
  });

  it("says 1 request, not 1 requests", () => {
    const { meta, watch, poll } = fixedWorld();
    const one = { ...meta, executorRequests: 1 };
    expect(renderReport(buildReport(one, watch, poll))).toContain("Executor: 1 request.");
  });
});

describe("the headline", () => {
  it("is green only when armed and serving at least one repository", () => {
    expect(headline({ state: "armed", repos: 2, dryRun: false }).emoji).toBe("🟢");
    expect(headline({ state: "armed", repos: 0, dryRun: false }).emoji).not.toBe("🟢");
    for (const state of ["draining", "stopped", "disarmed"] as const) {
      for (const repos of [0, 3]) expect(headline({ state, repos, dryRun: false }).emoji).not.toBe("🟢");
    }
  });

  it("an armed loop with an empty allowlist says so", () => {
    const { meta, watch, poll } = fixedWorld();
    const text = renderReport(buildReport({ ...meta, repos: [] }, watch, poll));
    expect(text).toContain("🟡 **Armed, but serving no repository");
  });

  it("a stopped tick says why, escaped", () => {
    const { meta } = fixedWorld();
    const text = renderReport(
      buildReport({ ...meta, mode: "stopped", stoppedBecause: "<img src=x> @everyone" }, null, null),
    );
    expect(text).toContain("❌ **Stopped: &lt;img src=x&gt; @\u200beveryone.**");
  });
});

// --- properties ---------------------------------------------------------------

const hostile = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.constantFrom(
    "<script>alert(1)</script>",
    "| broken | table |",
    "@everyone look",
    "[click](javascript:alert(1))",
    "line\nbreak\r\nand ` code `",
    "&amp; <!-- afk-loop:run v1 -->",
  ),
);
const repo = fc.constantFrom("acme/api", "acme/web", "evil/repo");
const number = fc.integer({ min: 1, max: 40 });

const world = fc.record({
  runs: fc.array(
    fc.record({ repo, number, title: hostile, reason: hostile, failing: fc.option(hostile, { nil: null }) }),
    { maxLength: 30 },
  ),
  handed: fc.array(fc.record({ repo, number, title: hostile, reason: hostile }), { maxLength: 30 }),
  skipped: fc.array(
    fc.record({
      repo,
      number,
      title: hostile,
      reason: hostile,
      code: fc.constantFrom("untrusted-labeler", "blocked", "repo-busy", "duplicate", "outranked" as const),
    }),
    { maxLength: 30 },
  ),
});

type World = typeof world extends fc.Arbitrary<infer T> ? T : never;

function reportsOf(w: World): { meta: ReportMeta; watch: WatchReport; poll: PollReport } {
  const { meta, watch, poll } = fixedWorld();
  return {
    meta,
    watch: {
      ...watch,
      failures: [],
      runs: w.runs.map((r) =>
        aRun({ ...r, sha: r.failing === null ? null : "c".repeat(40), ci: r.failing ? "red" : null }),
      ),
      handed: w.handed.map((h) => aHanded(h)),
    },
    poll: {
      ...poll,
      dispatched: [],
      skipped: w.skipped.map((s) => ({ ...s, url: `https://github.com/${s.repo}/issues/${s.number}` })),
    },
  };
}

describe("any report", () => {
  it("escapes hostile titles and reasons: no HTML, no mentions, no broken table rows", () => {
    fc.assert(
      fc.property(world, (w) => {
        const { meta, watch, poll } = reportsOf(w);
        const text = renderReport(buildReport(meta, watch, poll));
        expect(text).not.toMatch(/<[a-z!/]/i);
        expect(text).not.toMatch(/@(?!\u200b)\w/);
        expect(text).not.toMatch(/(?<!\\)\]\(javascript:/);
        // Every row of a table has as many unescaped pipes as its header.
        const columns = (l: string) => l.replace(/\\\|/g, "").split("|").length;
        let header: string | null = null;
        for (const line of text.split("\n")) {
          if (!line.startsWith("| ")) header = null;
          else if (header === null) header = line;
          else expect(columns(line)).toBe(columns(header));
        }
      }),
      { numRuns: 150 },
    );
  });

  it("lists each issue at most once per section", () => {
    fc.assert(
      fc.property(world, (w) => {
        const { meta, watch, poll } = reportsOf(w);
        const model = buildReport(meta, watch, poll);
        const keys = (rows: { repo: string; number: number }[]) =>
          rows.map((r) => `${r.repo}#${r.number}`.toLowerCase());
        for (const section of [model.needsYou, model.inFlight, model.skipped.flatMap((g) => g.issues)]) {
          const k = keys(section);
          expect(new Set(k).size).toBe(k.length);
        }
      }),
    );
  });

  it("stays under GitHub's 1 MiB per step, however large the fleet, with a count of what was cut", () => {
    const long = "💥|<&@`".repeat(400);
    const big = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
    fc.assert(
      fc.property(fc.constantFrom(0, 151, 3000, 20_000), fc.constantFrom(0, 151, 3000, 20_000), (runs, skipped) => {
        const { meta, watch, poll } = fixedWorld();
        const repos = big(2000).map((i) => `fleet/repo-${i}`);
        const report = buildReport(
          { ...meta, repos },
          {
            ...watch,
            runs: big(runs).map((i) => aRun({ repo: repos[i % 2000], number: i, title: long, failing: long })),
            handed: big(runs).map((i) => aHanded({ repo: repos[i % 2000], number: i, title: long, reason: long })),
            failures: big(runs).map((i) => ({ repo: "x/y", issue: i, stage: "act", error: long })),
          },
          {
            ...poll,
            skipped: big(skipped).map((i) => ({
              repo: repos[i % 2000] ?? "x/y",
              number: i,
              title: long,
              url: `https://github.com/x/y/issues/${i}`,
              code:
                (["untrusted-labeler", "blocked", "repo-busy", "outranked", "max-in-flight"] as const)[i % 5] ??
                "blocked",
              reason: long,
            })),
          },
        );
        const text = renderReport(report);
        expect(Buffer.byteLength(text, "utf8")).toBeLessThan(SUMMARY_LIMIT_BYTES);
        if (runs > 150) expect(text).toMatch(/more, not shown|cut here/);
      }),
      { numRuns: 6 },
    );
  });

  it("renders for the terminal without Markdown link syntax", () => {
    const { meta, watch, poll } = fixedWorld();
    const text = toTerminal(renderReport(buildReport({ ...meta, now: NOW }, watch, poll)));
    expect(text).not.toMatch(/\]\(https?:/);
    expect(text).toContain("acme/api#1");
  });
});
