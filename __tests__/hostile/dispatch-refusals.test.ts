// An executor that refuses a dispatch (a 4xx: no agent starts) must not get
// the same dispatch every tick for ever, nor let the refused issue keep its
// repository's slot from the issues behind it. The refusals are counted across
// ticks in the run record; at DISPATCH_REFUSAL_LIMIT the issue goes to a human
// with the executor's message.

import { describe, expect, it } from "vitest";
import { DISPATCH_REFUSAL_LIMIT } from "../../src/core/apply-action.js";
import { LABELS, readyIssue, REPO, startLoop, stopLoopsAfterEach, tickWorld } from "../../__fixtures__/ticks.js";

stopLoopsAfterEach();

const REFUSAL = {
  kind: "status",
  status: 400,
  body: JSON.stringify({ code: "bad_request", message: "Project acme/api is archived." }),
  route: "dispatch",
  commandType: "thread.create",
} as const;

const dispatchesOf = (loop: Awaited<ReturnType<typeof startLoop>>) =>
  loop.sandbox.t3.log.filter((r) => r.route === "dispatch" && r.commandType === "thread.create").length;

describe("a dispatch the executor refuses", () => {
  it("does not take the repository's slot: the next issue in line starts in the same tick", async () => {
    const loop = await startLoop(
      tickWorld({ issues: [readyIssue(1, { labels: [{ name: "P0", by: "bob" }] }), readyIssue(2)] }),
    );
    loop.sandbox.t3.addFault({ ...REFUSAL, times: 1 });
    const report = await loop.poll();
    expect(report.failures).toMatchObject([{ repo: REPO, issue: 1, stage: "dispatch" }]);
    expect(report.dispatched.map((d) => d.number)).toEqual([2]);
    expect(loop.labels(1)).toContain(LABELS.ready);
    expect(loop.labels(1)).not.toContain(LABELS.inProgress);
  });

  it(`is retried across ticks until refused ${DISPATCH_REFUSAL_LIMIT} times, then goes to a human with the executor's message`, async () => {
    const loop = await startLoop(tickWorld({ issues: [readyIssue(1)] }));
    loop.sandbox.t3.addFault(REFUSAL);
    for (let tick = 0; tick < DISPATCH_REFUSAL_LIMIT + 3; tick++) {
      await loop.round();
      loop.advance();
    }
    expect(dispatchesOf(loop)).toBe(DISPATCH_REFUSAL_LIMIT);
    expect(loop.record(1)).toMatchObject({ phase: "escalated", attempt: 1, refusals: DISPATCH_REFUSAL_LIMIT });
    expect(loop.record(1)?.reason).toMatch(/handed to a human: T3 rejected .* \(400\)/);
    expect(loop.labels(1)).toContain(LABELS.human);
    expect(loop.labels(1)).not.toContain(LABELS.ready);
    expect(loop.labels(1)).not.toContain(LABELS.inProgress);
    expect(loop.doorbells()).toEqual([`needs-human ${REPO}#1`]);
  });
});
