// The report's first line: what state the loop is in, at a glance. Pure, and
// imports only two small pure helpers (assert-never, markdown), so the disarmed
// path in main.ts can use it without loading the rest of the report. Owns the one rule about colour: the emoji is green only
// when the loop is armed AND serves at least one repository; an armed loop with
// nothing to serve is not "all good", it is a configuration to look at.

import { assertNever } from "../core/assert-never.js";
import { plural } from "../core/markdown.js";

export type LoopState = "armed" | "draining" | "emergency-stop" | "stopped" | "disarmed";

export interface Headline {
  state: LoopState;
  emoji: string;
  text: string;
}

export interface HeadlineInput {
  state: LoopState;
  /** Repositories this run serves (after sharding). */
  repos: number;
  dryRun: boolean;
  /** Why a tick stopped early; only for `stopped`. */
  stoppedBecause?: string | null;
  /** Why an armed loop starts nothing (the circuit breaker, the daily budget); null when it may. */
  halted?: string | null;
}

export function headline({ state, repos, dryRun, stoppedBecause = null, halted = null }: HeadlineInput): Headline {
  const dry = dryRun ? " 🧪 Dry run: nothing was written, dispatched or rung; below is what would have happened." : "";
  switch (state) {
    case "armed":
      // Armed, but a guard rail holds new work back: not green, and the headline says why.
      if (halted !== null) return { state, emoji: "⛔", text: `Armed, but nothing new starts. ${halted}.${dry}` };
      return repos > 0
        ? { state, emoji: "🟢", text: `Armed, serving ${plural(repos, "repository", "repositories")}.${dry}` }
        : { state, emoji: "🟡", text: `Armed, but serving no repository: check the allowlist and shard.${dry}` };
    case "draining":
      return {
        state,
        emoji: "🚰",
        text: `Draining: in-flight runs are watched to the end; nothing new starts.${dry}`,
      };
    case "emergency-stop":
      return {
        state,
        emoji: "🚨",
        text: `Emergency stop (kill switch stop): every in-flight agent is stopped and handed to a human; nothing starts.${dry}`,
      };
    case "stopped":
      return {
        state,
        emoji: "❌",
        text: `Stopped: ${stoppedBecause ?? "a tick could not finish"}.${dry}`,
      };
    case "disarmed":
      return { state, emoji: "🛑", text: "Disarmed (kill switch on): no requests were made." };
    default:
      return assertNever(state);
  }
}
