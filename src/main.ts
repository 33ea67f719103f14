// The action's edge: reads the step's inputs, turns them into a Config, and
// runs the tick the composite step named. Owns the exit code and the outputs.
// Must never make a request before the config is valid and the kill switch
// is read: a disarmed or misconfigured loop is inert (zero requests).

import * as core from "@actions/core";
import { ConfigError, INPUT_NAMES, SECRET_INPUTS, TICKS, parseConfig, type Config, type Tick } from "./core/config.js";

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

async function runTick(tick: Tick, _config: Config): Promise<number> {
  // The ticks land with the GitHub adapter and executors; until then an armed
  // loop must say so rather than pretend to have worked.
  core.setFailed(`afk-loop: the ${tick} tick is not available in this build yet; set the kill switch back to on.`);
  return Promise.resolve(1);
}

async function writeSummary(markdown: string): Promise<void> {
  // Outside a runner (tests, local runs) there is no summary file to write to.
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  await core.summary.addRaw(markdown).write();
}
