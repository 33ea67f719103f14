// A thread flooded with thousands of comments must not make every tick page
// through all of them. The loop reads at most COMMENT_PAGES_PER_ISSUE pages of
// a run's comments per tick; its own progress comment, written early, is on
// the first. When it is not found within the cap, the run goes to a human
// with the reason instead of being paged through again on every tick.

import { describe, expect, it } from "vitest";
import { COMMENT_PAGES_PER_ISSUE } from "../../src/github/poll-reads.js";
import { inFlightIssue, LABELS, REPO, startLoop, stopLoopsAfterEach, tickWorld } from "../../__fixtures__/ticks.js";

stopLoopsAfterEach();

const commentPages = (loop: Awaited<ReturnType<typeof startLoop>>, mark: number) =>
  loop.githubSince(mark).filter((e) => e.method === "GET" && /\/issues\/1\/comments/.test(e.path)).length;

describe("a flood of comments after the loop's progress comment", () => {
  it("is read at most a page at a time: the run is driven, and no tick pages through the flood", async () => {
    const loop = await startLoop(tickWorld({ issues: [inFlightIssue(1, { agent: ["run-forever"] })] }));
    const store = loop.sandbox.world.store;
    for (let i = 0; i < 3000; i++) store.addComment(REPO, 1, `+1 (${i})`, i % 2 === 0 ? "tina" : "randall");
    for (let tick = 0; tick < 2; tick++) {
      loop.advance();
      const mark = loop.mark();
      const report = await loop.watch();
      expect(report.runs.find((r) => r.number === 1)?.action).toBe("wait");
      expect(commentPages(loop, mark)).toBeLessThanOrEqual(COMMENT_PAGES_PER_ISSUE);
    }
    expect(loop.labels(1)).toContain(LABELS.inProgress);
  });
});

describe("a flood of comments before the loop's progress comment", () => {
  it("escalates to a human with the reason after reading at most the cap, and never pages again", async () => {
    const flood = Array.from({ length: 100 * COMMENT_PAGES_PER_ISSUE + 50 }, (_, i) => ({
      by: i % 2 === 0 ? "tina" : "randall",
      at: "-2h",
      body: `+1 (${i})`,
    }));
    const loop = await startLoop(
      tickWorld({ issues: [inFlightIssue(1, { agent: ["run-forever"], comments: flood })] }),
    );
    // And enough after it that the batched read of the newest comments misses it too.
    for (let i = 0; i < 40; i++) loop.sandbox.world.store.addComment(REPO, 1, `me too (${i})`, "tina");
    loop.advance();
    let mark = loop.mark();
    const report = await loop.watch();
    expect(commentPages(loop, mark)).toBeLessThanOrEqual(COMMENT_PAGES_PER_ISSUE);
    const run = report.runs.find((r) => r.number === 1);
    expect(run?.action).toBe("escalate-bad-record");
    expect(run?.reason).toMatch(/not found.*comments/);
    expect(loop.labels(1)).toContain(LABELS.human);
    expect(loop.labels(1)).not.toContain(LABELS.inProgress);
    expect(loop.doorbells()).toEqual([`needs-human ${REPO}#1`]);

    loop.advance();
    mark = loop.mark();
    await loop.round();
    expect(commentPages(loop, mark)).toBe(0);
  });
});
