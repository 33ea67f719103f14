// An armed step: builds the tick's context, runs the tick, and reports it in
// the job summary, the log and the step outputs. Loaded lazily by main.ts so
// a disarmed step never loads the GitHub client. Owns the exit code rule:
// any issue that failed fails the step, after every other issue was served.

import * as core from "@actions/core";
import { shardRepos, type Config, type Tick } from "./core/config.js";
import { writeSummary } from "./report/action-summary.js";
import { outputsOf, renderMarkdown, renderTerminal } from "./report/render.js";
import { pollTick } from "./ticks/poll.js";
import { createTickContext } from "./ticks/setup.js";
import { watchTick } from "./ticks/watch.js";

export async function runTick(tick: Tick, config: Config): Promise<number> {
  const runId = Number(process.env.GITHUB_RUN_ID);
  const ctx = createTickContext(config, {
    ownWorkflowRunId: Number.isSafeInteger(runId) && runId > 0 ? runId : null,
    log: (line) => core.info(line),
  });
  const watch = tick === "watch" ? await watchTick(ctx) : null;
  const poll = tick === "poll" ? await pollTick(ctx) : null;

  const meta = {
    mode: config.killSwitch === "drain" ? ("drain" as const) : ("armed" as const),
    dryRun: config.dryRun,
    repos: shardRepos(config.allowlist, config.shard),
    requests: ctx.github.counts,
    executorRequests: ctx.executorRequests(),
  };
  core.info(renderTerminal(meta, watch, poll));
  await writeSummary(renderMarkdown(meta, watch, poll));
  const outputs = outputsOf(watch, poll);
  if (watch) {
    core.setOutput("closed", JSON.stringify(outputs.closed));
    core.setOutput("escalated", JSON.stringify(outputs.escalated));
  }
  if (poll) core.setOutput("dispatched", JSON.stringify(outputs.dispatched));

  const failures = [...(watch?.failures ?? []), ...(poll?.failures ?? [])];
  if (failures.length > 0) {
    // Every other issue was served; the step still fails so the failure is seen.
    core.setFailed(`afk-loop: ${failures.length} issue(s) failed this ${tick} tick; see the summary.`);
    return 1;
  }
  return 0;
}
