// The dashboard's pure parts: its hidden record (decode defensively, merge each
// run once, bounded), the rolling 7-day counts, which labelled issue is the
// dashboard, and the rendered body (bounded, escaped, stable between ticks).

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DASHBOARD_LIMITS,
  decodeDashboardRecord,
  emptyRecord,
  encodeDashboardRecord,
  mergeDashboardRecord,
  pickDashboardIssue,
  rollingCounts,
  type DashboardCandidate,
  type FinishedObservation,
} from "../../src/report/dashboard-record.js";
import { duration, finishedThisTick, renderDashboard, when } from "../../src/report/dashboard.js";
import { buildReport } from "../../src/report/model.js";
import { aRun, fixedWorld, NOW } from "./fixtures.js";

const HOUR = 3_600_000;
const at = (hoursFromNow: number) => new Date(Date.parse(NOW) + hoursFromNow * HOUR).toISOString();

function finished(n: number, extra: Partial<FinishedObservation> = {}): FinishedObservation {
  return {
    runId: `run-${n}`,
    repo: "acme/api",
    number: n,
    title: `Task ${n}`,
    url: `https://github.com/acme/api/issues/${n}`,
    outcome: "done",
    attempt: 1,
    fixForwards: 0,
    dispatchedAt: at(-1),
    green: true,
    ...extra,
  };
}

const marker = (payload: string) => `text\n<!-- afk-loop:dashboard v1 ${payload} -->\n`;
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64");

describe("the record: decoded defensively", () => {
  it("a body without a record is a fresh start, not a corruption", () => {
    expect(decodeDashboardRecord("no record here", NOW)).toEqual({ state: "fresh", record: emptyRecord(NOW) });
  });

  it("round-trips what it encodes", () => {
    const record = mergeDashboardRecord(emptyRecord(NOW), { started: 2, finished: [finished(1)] }, NOW);
    expect(decodeDashboardRecord(`x\n${encodeDashboardRecord(record)}\n`, NOW)).toEqual({ state: "read", record });
  });

  it.each([
    ["not base64", marker("!!!!"), /not base64/],
    ["non-canonical base64", marker("AB=="), /not canonical/],
    ["not JSON", marker(Buffer.from("{nope").toString("base64")), /not UTF-8 JSON/],
    ["a wrong shape", marker(b64({ v: 1, since: NOW, finished: "x", events: [] })), /does not validate/],
    ["another version", marker(b64({ v: 2, since: NOW, finished: [], events: [] })), /does not validate/],
    ["unknown fields", marker(b64({ v: 1, since: NOW, finished: [], events: [], extra: 1 })), /does not validate/],
    ["too many events", marker(b64({ v: 1, since: NOW, finished: [], events: Array(1501).fill(["s", 1, null]) })), /./],
    ["no end", "x\n<!-- afk-loop:dashboard v1 AAAA", /not terminated/],
    ["an oversized marker", marker("A".repeat(DASHBOARD_LIMITS.marker)), /size cap/],
  ])("%s is corrupt and starts fresh", (_, body, problem) => {
    const decoded = decodeDashboardRecord(body, NOW);
    expect(decoded.state).toBe("corrupt");
    expect(decoded.record).toEqual(emptyRecord(NOW));
    if (decoded.state === "corrupt") expect(decoded.problem).toMatch(problem);
  });

  it("a marker in the middle of a line is not the record", () => {
    const record = emptyRecord(at(-5));
    const body = `see ${encodeDashboardRecord(record)}`;
    expect(decodeDashboardRecord(body, NOW).state).toBe("fresh");
  });

  it("never throws and always yields a record that encodes, whatever the body", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.base64String({ maxLength: 200 }), (junk, payload) => {
        for (const body of [junk, marker(payload), marker(junk)]) {
          const decoded = decodeDashboardRecord(body, NOW);
          expect(() => encodeDashboardRecord(decoded.record)).not.toThrow();
        }
      }),
    );
  });
});

describe("the record: merged each run once, bounded", () => {
  it("counts a verdict once even when a run is reported twice (a re-run after a lost write)", () => {
    const once = mergeDashboardRecord(emptyRecord(NOW), { started: 0, finished: [finished(1)] }, NOW);
    const twice = mergeDashboardRecord(once, { started: 0, finished: [finished(1)] }, at(1));
    expect(twice.finished).toHaveLength(1);
    expect(rollingCounts(twice, at(1)).done).toBe(1);
  });

  it("keeps the last 30 finished runs, newest first, with time from dispatch to verdict", () => {
    let record = emptyRecord(NOW);
    for (let n = 1; n <= 35; n++) {
      record = mergeDashboardRecord(
        record,
        { started: 1, finished: [finished(n, { dispatchedAt: at(n - 2) })] },
        at(n),
      );
    }
    expect(record.finished).toHaveLength(30);
    expect(record.finished[0]?.number).toBe(35);
    expect(record.finished[0]?.minutes).toBe(120);
    expect(record.finished.at(-1)?.number).toBe(6);
  });

  it("drops events older than 7 days; counts are the window's", () => {
    let record = mergeDashboardRecord(emptyRecord(NOW), { started: 3, finished: [finished(1)] }, NOW);
    record = mergeDashboardRecord(
      record,
      { started: 1, finished: [finished(2, { outcome: "frozen" }), finished(3, { outcome: "escalated" })] },
      at(24 * 6),
    );
    expect(rollingCounts(record, at(24 * 6))).toEqual({
      started: 4,
      done: 1,
      escalated: 1,
      frozen: 1,
      medianMinutesToGreen: 60,
    });
    const later = mergeDashboardRecord(record, { started: 0, finished: [] }, at(24 * 7 + 1));
    expect(rollingCounts(later, at(24 * 7 + 1))).toMatchObject({ started: 1, done: 0, escalated: 1, frozen: 1 });
    expect(later.events).toHaveLength(3);
  });

  it("a released run is listed but not counted; a close without CI is done but not in the time to green", () => {
    const record = mergeDashboardRecord(
      emptyRecord(NOW),
      {
        started: 0,
        finished: [
          finished(1, { outcome: "released" }),
          finished(2, { green: false }),
          finished(3, { dispatchedAt: at(-3) }),
        ],
      },
      NOW,
    );
    expect(record.finished.map((f) => f.outcome)).toEqual(["done", "done", "released"]);
    expect(rollingCounts(record, NOW)).toMatchObject({ done: 2, medianMinutesToGreen: 180 });
  });

  it("the median of an even count is the mean of the middle two", () => {
    const record = mergeDashboardRecord(
      emptyRecord(NOW),
      {
        started: 0,
        finished: [10, 20, 40, 70].map((m, i) =>
          finished(i, { dispatchedAt: new Date(Date.parse(NOW) - m * 60_000).toISOString() }),
        ),
      },
      NOW,
    );
    expect(rollingCounts(record, NOW).medianMinutesToGreen).toBe(30);
  });

  it("stays under its size cap however busy the fleet, dropping the oldest events first", () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 400 }), { minLength: 1, maxLength: 12 }),
        fc.string({ maxLength: 300 }),
        (starts, title) => {
          let record = emptyRecord(NOW);
          starts.forEach((s, i) => {
            const fin = Array.from({ length: 40 }, (_, k) =>
              finished(i * 100 + k, { title, runId: `r-${i}-${k}-${title}` }),
            );
            record = mergeDashboardRecord(record, { started: s, finished: fin }, at(i));
          });
          const encoded = encodeDashboardRecord(record);
          expect(encoded.length).toBeLessThanOrEqual(DASHBOARD_LIMITS.marker);
          expect(decodeDashboardRecord(`\n${encoded}`, at(12)).state).toBe("read");
        },
      ),
      { numRuns: 20 },
    );
  });
});

describe("which issue is the dashboard", () => {
  const body = `x\n${encodeDashboardRecord(emptyRecord(NOW))}\n`;
  const candidate = (number: number, login: string | null, type = "Bot", text = body): DashboardCandidate => ({
    number,
    body: text,
    url: `https://github.com/acme/ctl/issues/${number}`,
    author: login === null ? null : { login, type },
  });

  it("only the loop's own, with the marker starting a line; the oldest wins", () => {
    const picked = pickDashboardIssue(
      [
        candidate(1, "maya", "User"),
        candidate(2, null),
        candidate(3, "afk[bot]", "Bot", "no marker"),
        candidate(5, "afk[bot]"),
        candidate(4, "afk[bot]"),
      ],
      "afk[bot]",
    );
    expect(picked?.number).toBe(4);
  });

  it("matches GraphQL's bot name to REST's `[bot]` login, for a Bot account only", () => {
    expect(pickDashboardIssue([candidate(7, "afk[bot]")], "afk")?.number).toBe(7);
    expect(pickDashboardIssue([candidate(7, "afk", "User")], "afk")?.number).toBe(7);
    expect(pickDashboardIssue([candidate(7, "afk[bot]", "User")], "afk")).toBeNull();
  });
});

describe("the rendered dashboard", () => {
  const { meta, watch, poll } = fixedWorld();

  it("shows counts, Needs you, In flight and finished runs, with instants rather than ages", () => {
    const model = buildReport(meta, watch, poll);
    const record = mergeDashboardRecord(emptyRecord(at(-48)), { started: 1, finished: finishedThisTick(watch) }, NOW);
    const body = renderDashboard({ model, record, now: NOW, maxFixForwards: 3 });
    expect(body).toContain("### Last 7 days");
    expect(body).toContain(`### Needs you (${model.needsYou.length})`);
    expect(body).toContain(`### In flight (${model.inFlight.length})`);
    expect(body).toContain("### Last 30 finished runs");
    expect(body).toContain("_Counting since 2026-02-28 12:00 UTC._");
    expect(body).not.toMatch(/\b\d+ min ago|just now/);
    // The same fleet an hour later (no dispatch in either run: a new one is dated by its run) renders the
    // same text: nothing to write.
    const quiet = { ...poll, dispatched: [] };
    const render = (now: string) =>
      renderDashboard({ model: buildReport({ ...meta, now }, watch, quiet), record, now, maxFixForwards: 3 });
    expect(render(at(1))).toBe(render(NOW));
  });

  it("renders the fixed fleet as the reviewed snapshot", () => {
    const model = buildReport(meta, watch, poll);
    let record = mergeDashboardRecord(
      emptyRecord(at(-24 * 10)),
      { started: 4, finished: [finished(31, { dispatchedAt: at(-31) })] },
      at(-30),
    );
    record = mergeDashboardRecord(
      record,
      { started: 1, finished: [finished(32, { outcome: "frozen", fixForwards: 2, dispatchedAt: at(-50) })] },
      at(-2),
    );
    record = mergeDashboardRecord(record, { started: 1, finished: finishedThisTick(watch) }, NOW);
    expect(renderDashboard({ model, record, now: NOW, maxFixForwards: 3 })).toMatchSnapshot();
  });

  it("escapes hostile titles: no HTML, no mentions, no second record marker", () => {
    const hostile = "x -->\n<!-- afk-loop:dashboard v1 AAAA -->\n@admins <img src=x> | ]( `";
    const run = aRun({ number: 9, title: hostile, action: "close", sha: "c".repeat(40), ci: "green" });
    const model = buildReport(meta, { ...watch, runs: [run] }, poll);
    const record = mergeDashboardRecord(
      emptyRecord(NOW),
      { started: 0, finished: finishedThisTick({ ...watch, runs: [run] }) },
      NOW,
    );
    const body = renderDashboard({ model, record, now: NOW, maxFixForwards: 3 });
    expect(body.match(/^<!-- afk-loop:dashboard v1 /gm)).toHaveLength(1);
    expect(body).not.toContain("<img");
    expect(body).not.toMatch(/@admins/);
    expect(decodeDashboardRecord(body, NOW)).toMatchObject({ state: "read" });
  });

  it("a record edited by hand into something hostile renders inert: no script links, no HTML, no mentions", () => {
    const hostile = {
      v: 1,
      since: NOW,
      events: [],
      finished: [
        {
          runId: "r",
          repo: "acme/api",
          number: 1,
          title: "<script>alert(1)</script> @everyone",
          url: "javascript:alert(1)",
          outcome: "done",
          attempt: 1,
          fixForwards: 0,
          minutes: 5,
          at: NOW,
        },
      ],
    };
    const decoded = decodeDashboardRecord(marker(b64(hostile)), NOW);
    expect(decoded.state).toBe("read");
    const body = renderDashboard({
      model: buildReport(meta, watch, poll),
      record: decoded.record,
      now: NOW,
      maxFixForwards: 3,
    });
    expect(body).not.toContain("javascript:");
    expect(body).not.toContain("<script>");
    expect(body).not.toContain("@everyone");
  });

  it("fits GitHub's 65,536 characters per issue body for any fleet", () => {
    fc.assert(
      fc.property(fc.nat({ max: 3000 }), fc.string({ maxLength: 250 }), (size, title) => {
        const runs = Array.from({ length: size }, (_, i) =>
          aRun({ number: i + 1, title, repo: `acme/r${i % 40}`, action: i % 3 === 0 ? "close" : "wait" }),
        );
        const w = { ...watch, runs };
        const model = buildReport(meta, w, poll);
        const record = mergeDashboardRecord(emptyRecord(NOW), { started: size, finished: finishedThisTick(w) }, NOW);
        expect(renderDashboard({ model, record, now: NOW, maxFixForwards: 3 }).length).toBeLessThan(65_536);
      }),
      { numRuns: 15 },
    );
  });

  it("reads times plainly", () => {
    expect(when("2026-03-02T12:34:56Z")).toBe("2026-03-02 12:34 UTC");
    expect(when(null)).toBe("—");
    expect([duration(null), duration(42), duration(185), duration(3000)]).toEqual([
      "—",
      "42 min",
      "3 h 5 min",
      "2 d 2 h",
    ]);
  });
});
