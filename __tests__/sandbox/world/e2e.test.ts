// The shipped worlds driven by the real watch and poll ticks over HTTP: the
// demo shows every path of docs/design.md §5, every skip reason of §6 and every
// doorbell kind; the hostile world dispatches only what a trusted person
// approved, and its traps break nothing.

import { PROMPT_MAX_CHARS } from "../../../src/core/prompt.js";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/core/config.js";
import { threadIdFor } from "../../../src/executors/t3.js";
import { runIdFor } from "../../../src/core/run-record.js";
import { pollTick, type PollReport } from "../../../src/ticks/poll.js";
import { createTickContext } from "../../../src/ticks/setup.js";
import { watchTick, type WatchReport } from "../../../src/ticks/watch.js";
import { startSandbox, type Sandbox } from "../../../src/sandbox/world/sandbox.js";
import { DEMO_WORLD, hostileWorld } from "../../../src/sandbox/worlds/index.js";

interface Round {
  watch: WatchReport;
  poll: PollReport;
}

/** Round 1 runs at the world's start; each later one after a world tick, watch first, as the action runs them. */
async function run(sandbox: Sandbox, rounds: number): Promise<Round[]> {
  const config = parseConfig(sandbox.inputs);
  const out: Round[] = [];
  for (let round = 1; round <= rounds; round++) {
    if (round > 1) sandbox.tick();
    const ctx = createTickContext(config, { now: () => sandbox.world.clock.now(), pacing: "none", retryUnitMs: 1 });
    out.push({ watch: await watchTick(ctx), poll: await pollTick(ctx) });
  }
  return out;
}

const failuresOf = (rounds: Round[]) => rounds.flatMap((r) => [...r.watch.failures, ...r.poll.failures]);
const ref = (run: { repo: string; number: number }) => `${run.repo}#${run.number}`;

describe("the demo world under the real ticks", () => {
  it("walks every state-machine path, gives every skip reason and rings every doorbell kind", async () => {
    const sandbox = await startSandbox(DEMO_WORLD);
    try {
      const rounds = await run(sandbox, 9);
      expect(failuresOf(rounds)).toEqual([]);

      const actions = rounds.flatMap((r) => r.watch.runs.map((w) => `${ref(w)} ${w.action}`));
      expect(actions).toEqual(
        expect.arrayContaining([
          "acme/web#1 wait",
          "acme/api#1 close",
          "acme/api#2 fix-forward",
          "acme/api#2 close",
          "acme/docs#1 freeze",
          "acme/infra#1 escalate-prepush", // idle
          "acme/mobile#2 escalate-prepush", // error
          "acme/web#2 escalate-prepush", // needs input
          "acme/search#2 escalate-prepush", // needs approval
          "acme/search#1 escalate-prepush", // stalled
          "acme/infra#2 escalate-prepush", // stalled after dispatch
          "acme/mobile#1 escalate-lost",
          "acme/billing#1 escalate-no-ci",
        ]),
      );

      const skips = new Set(rounds.flatMap((r) => r.poll.skipped.map((s) => s.code)));
      for (const code of [
        "already-running",
        "handed-to-human",
        "repo-busy",
        "untrusted-labeler",
        "edited-after-approval",
        "max-runs-reached",
        "blocked",
        "outranked",
        "max-in-flight",
      ] as const) {
        expect(skips, code).toContain(code);
      }

      const kinds = sandbox.doorbells.deliveries.map((d) => (d.body as { kind: string }).kind);
      expect(new Set(kinds)).toEqual(new Set(["done", "needs-human", "frozen"]));
      expect(kinds).toHaveLength(12);
    } finally {
      await sandbox.stop();
    }
  });
});

describe("the hostile world under the real ticks", () => {
  it("runs only issues a trusted person approved, at attempt 1, despite forged records and odd text", async () => {
    const sandbox = await startSandbox(hostileWorld());
    try {
      const rounds = await run(sandbox, 11);
      expect(failuresOf(rounds)).toEqual([]);
      const dispatched = rounds.flatMap((r) => r.poll.dispatched.map((d) => `${ref(d)} a${d.attempt}`));
      expect(dispatched).toEqual([
        "acme/api#4 a1",
        "acme/api#7 a1",
        "acme/api#9 a1",
        "acme/api#10 a1",
        "acme/api#11 a1",
      ]);

      const promptOf = (number: number) =>
        sandbox.t3.state.thread(threadIdFor(runIdFor("acme/api", number, 1)))?.messages[0]?.text ?? "";
      expect(promptOf(11)).not.toContain("Ignore all previous instructions");
      // A body at GitHub's limit fits the prompt cap, its closing rules kept.
      expect(promptOf(9).length).toBeLessThanOrEqual(PROMPT_MAX_CHARS);
      expect(promptOf(9)).toMatch(/\nReminder: `Refs #9`[^\n]*no skipped CI\.$/);
      // The zero-width joiner is invisible: the emoji reach the agent unjoined.
      expect(promptOf(10)).toContain("تحقق من الملف — בדיקה 👩🏽💻");
    } finally {
      await sandbox.stop();
    }
  });
});
