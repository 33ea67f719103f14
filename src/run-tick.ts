// An armed step: builds the tick's context, runs the tick, and reports it in
// the job summary, the log and the step outputs. Loaded lazily by main.ts so
// a disarmed step never loads the GitHub client. Owns the exit code rule:
// any issue that failed fails the step, after every other issue was served.

// The runner commands main.ts uses too: the action bundles one implementation, not @actions/core.
import * as core from "./workflow-commands.js";
import { shardRepos, type Config, type Tick } from "./core/config.js";
import { writeSummary } from "./report/action-summary.js";
import { outputsOf, renderMarkdown, renderTerminal } from "./report/render.js";
import { describeError } from "./ticks/context.js";
import { pollTick, type PollReport } from "./ticks/poll.js";
import { createTickContext } from "./ticks/setup.js";
import { watchTick, type WatchReport } from "./ticks/watch.js";

export async function runTick(tick: Tick, config: Config): Promise<number> {
  const runId = Number(process.env.GITHUB_RUN_ID);
  const ctx = createTickContext(config, {
    ownWorkflowRunId: Number.isSafeInteger(runId) && runId > 0 ? runId : null,
    log: (line) => core.info(line),
  });
  let reports: { watch: WatchReport | null; poll: PollReport | null };
  try {
    reports = {
      watch: tick === "watch" ? await watchTick(ctx) : null,
      poll: tick === "poll" ? await pollTick(ctx) : null,
    };
  } catch (error) {
    // A failure no single issue owns (the batched reads, say): one clear line, not a stack dump.
    const status = (error as { status?: unknown }).status;
    const why = `${describeError(error)}${typeof status === "number" ? ` (HTTP ${status})` : ""}`;
    core.setFailed(`afk-loop: the ${tick} tick stopped: ${why}`);
    await writeSummary(`### afk-loop ${tick}: stopped\n\n${why.replace(/[<>&`]/g, (c) => `&#${c.charCodeAt(0)};`)}\n`);
    return 1;
  }
  const { watch, poll } = reports;

  const meta = {
    mode: config.killSwitch === "drain" ? ("drain" as const) : ("armed" as const),
    dryRun: config.dryRun,
    repos: shardRepos(config.allowlist, config.shard),
    requests: ctx.github.counts,
    executorRequests: ctx.executorRequests(),
    recordKey: config.recordKey !== null,
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
