// The action's edge: reads the step's inputs, turns them into a Config, and
// runs the tick the composite step named. Owns the exit code and the outputs.
// Must never make a request before the config is valid and the kill switch
// is read: a disarmed or misconfigured loop is inert (zero requests).

import { ConfigError, INPUT_NAMES, SECRET_INPUTS, parseConfig, type Config } from "./core/config.js";
import { TICKS } from "./core/types.js";
// Not @actions/core: it loads an HTTP client at start-up, and a disarmed step should cost little more than node.
import * as core from "./workflow-commands.js";
import { headline } from "./report/headline.js";

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
    // One report per run: the last selected step writes it (the poll step, unless only watch runs).
    if (tick === "poll" || !config.ticks.includes("poll")) {
      const { emoji, text } = headline({ state: "disarmed", repos: 0, dryRun: config.dryRun });
      await core.appendSummary(`## afk-loop\n\n${emoji} **${text}**\n`);
    }
    return 0;
  }
  if (!config.ticks.includes(tick)) {
    core.info(`afk-loop: ${tick} tick not selected by the ticks input (${config.ticks.join(",")}); skipped.`);
    return 0;
  }
  // Loaded only when armed: a disarmed step never pays for Octokit, undici and the ticks.
  const { useProxyFromEnvironment } = await import("./net/proxy.js");
  if (useProxyFromEnvironment(process.env))
    core.info("afk-loop: requests go through the runner's proxy (HTTPS_PROXY/HTTP_PROXY, NO_PROXY).");
  const { runTick } = await import("./run-tick.js");
  return runTick(tick, config);
}
