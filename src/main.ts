// The action's edge: reads the step's inputs, turns them into a Config, and
// runs the tick the composite step named. Owns the exit code and the outputs.
// Must never make a request before the config is valid and the kill switch
// is read: a disarmed or misconfigured loop is inert (zero requests).

import * as core from "@actions/core";
import {
  ConfigError,
  INPUT_NAMES,
  SECRET_INPUTS,
  TICKS,
  parseConfig,
  shardRepos,
  type Config,
  type Tick,
} from "./core/config.js";
import { outputsOf, renderMarkdown, renderTerminal } from "./report/render.js";
import { pollTick } from "./ticks/poll.js";
import { createTickContext } from "./ticks/setup.js";
import { watchTick } from "./ticks/watch.js";

export async function run(tickArg: string | undefined): Promise<number> {
  const tick = TICKS.find((t) => t === tickArg);
  if (tick === undefined) {
    core.setFailed(`afk-loop: usage: node dist/index.js <${TICKS.join("|")}> (got ${JSON.stringify(tickArg ?? "")})`);
    return 1;
  }

  const raw: Record<string, string> = {};
  for (const name of INPUT_NAMES) {
    raw[name] = core.getInput(name);
    // Registered first, so not even an error message can print them.
    if (SECRET_INPUTS.has(name) && raw[name] !== "") core.setSecret(raw[name]);
  }

  let config: Config;
  try {
    config = parseConfig(raw);
  } catch (error) {
    if (error instanceof ConfigError) {
      core.setFailed(`afk-loop: ${error.message}`);
      return 1;
    }
    throw error;
  }

  core.setOutput("armed", String(config.killSwitch !== "on"));
  if (config.killSwitch === "on") {
    core.info(`afk-loop is disarmed (kill switch on): ${tick} tick skipped, no requests made.`);
    core.info(
      "Set the kill-switch input (vars.AFK_KILL_SWITCH) to `off` to arm it, or `drain` to finish in-flight runs.",
    );
    await writeSummary(`### afk-loop ${tick}: disarmed\n\nKill switch on: no requests were made.\n`);
    return 0;
  }
  if (!config.ticks.includes(tick)) {
    core.info(`afk-loop: ${tick} tick not selected by the ticks input (${config.ticks.join(",")}); skipped.`);
    return 0;
  }
  return runTick(tick, config);
}

async function runTick(tick: Tick, config: Config): Promise<number> {
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

async function writeSummary(markdown: string): Promise<void> {
  // Outside a runner (tests, local runs) there is no summary file to write to.
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  await core.summary.addRaw(markdown).write();
}
