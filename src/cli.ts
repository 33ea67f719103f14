// The afk-loop command line: the same ticks as the action, from a terminal.
//   afk-loop demo [--rounds N]                       the bundled demo world, each round's report, then a table
//   afk-loop simulate --world FILE|demo|hostile|fleet [--ticks N] [--set input=value ...]
//                                                    final state as JSON on stdout
//   afk-loop tick watch|poll                         one tick with inputs from AFK_* / INPUT_* environment variables
// Owns argument parsing and printing; every decision stays in the ticks.

import { parseArgs } from "node:util";
import { ConfigError, INPUT_NAMES, parseConfig, shardRepos, TICKS, type Config } from "./core/config.js";
import { renderTerminal, type ReportMeta } from "./report/render.js";
import { finalState, simulate, type RoundReport } from "./sandbox/simulate.js";
import { startSandbox, type Sandbox } from "./sandbox/world/sandbox.js";
import { WorldError } from "./sandbox/world/schema.js";
import { BUNDLED_WORLDS, bundledWorld, type BundledWorld } from "./sandbox/worlds/index.js";
import { pollTick } from "./ticks/poll.js";
import { createTickContext } from "./ticks/setup.js";
import { watchTick } from "./ticks/watch.js";

const USAGE = `usage:
  afk-loop demo [--rounds N]
  afk-loop simulate --world FILE|${BUNDLED_WORLDS.join("|")} [--ticks N] [--set input=value ...]
  afk-loop tick ${TICKS.join("|")}      (inputs from INPUT_<NAME> environment variables, as in the action)`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "demo":
        return await demo(rest);
      case "simulate":
        return await simulateCommand(rest);
      case "tick":
        return await tickCommand(rest);
      default:
        process.stderr.write(`${USAGE}\n`);
        return command === undefined || command === "--help" || command === "-h" ? 0 : 2;
    }
  } catch (error) {
    if (error instanceof ConfigError || error instanceof WorldError || error instanceof UsageError) {
      process.stderr.write(`afk-loop: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

class UsageError extends Error {}

function count(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000)
    throw new UsageError(`--${name} must be a whole number from 1 to 10000`);
  return n;
}

function metaOf(config: Config, report: RoundReport): ReportMeta {
  return {
    mode: config.killSwitch === "on" ? "disarmed" : config.killSwitch === "off" ? "armed" : config.killSwitch,
    dryRun: config.dryRun,
    repos: shardRepos(config.allowlist, config.shard),
    requests: report.requests,
    executorRequests: report.executorRequests,
  };
}

async function withSandbox<T>(world: string, run: (sandbox: Sandbox) => Promise<T>): Promise<T> {
  const source = (BUNDLED_WORLDS as readonly string[]).includes(world) ? bundledWorld(world as BundledWorld) : world;
  const sandbox = await startSandbox(source);
  try {
    return await run(sandbox);
  } finally {
    await sandbox.stop();
  }
}

async function demo(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { rounds: { type: "string" } } });
  const rounds = count(values.rounds, 8, "rounds");
  const out = (text: string) => process.stdout.write(`${text}\n`);
  await withSandbox("demo", async (sandbox) => {
    out(`afk-loop demo: the bundled world on a virtual clock, ${rounds} rounds of one watch tick and one poll tick.`);
    out("Every request below goes over HTTP to the sandbox's GitHub, T3 and doorbell emulators.\n");
    await simulate(sandbox, {
      rounds,
      onRound: (report) => {
        out(`${"=".repeat(100)}\nRound ${report.round} at ${report.at}\n${"=".repeat(100)}`);
        out(renderTerminal(metaOf(report.config, report), report.watch, report.poll));
      },
    });
    const state = finalState(sandbox);
    out(`${"=".repeat(100)}\nWhere every issue ended up\n${"=".repeat(100)}`);
    out("| issue | state | labels | run | progress comments |");
    out("| --- | --- | --- | --- | --- |");
    for (const issue of state.issues) {
      const run = issue.run
        ? `${issue.run.phase} (attempt ${issue.run.attempt}, ${issue.run.fixForwards} fix-forwards)`
        : "—";
      out(
        `| ${issue.repo}#${issue.number} | ${issue.state} | ${issue.labels.join(", ")} | ${run} | ${issue.progressComments} |`,
      );
    }
    out(
      `\nDoorbells rung: ${state.doorbells.length} (${state.doorbells.map((d) => `${String(d.kind)} ${String(d.issue)}`).join("; ")})`,
    );
    out(
      `Requests: GitHub ${state.requests.github.total} (${state.requests.github.graphql} GraphQL, ${state.requests.github.points} points, ${state.requests.github.writes} writes), T3 ${state.requests.t3}.`,
    );
  });
  return 0;
}

async function simulateCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { world: { type: "string" }, ticks: { type: "string" }, set: { type: "string", multiple: true } },
  });
  if (values.world === undefined) throw new UsageError(`--world is required\n${USAGE}`);
  const ticks = count(values.ticks, 6, "ticks");
  const inputs: Record<string, string> = {};
  for (const pair of values.set ?? []) {
    const eq = pair.indexOf("=");
    const name = pair.slice(0, eq);
    if (eq < 1 || !(INPUT_NAMES as readonly string[]).includes(name))
      throw new UsageError(`--set expects input=value with a known input (got ${JSON.stringify(pair)})`);
    inputs[name] = pair.slice(eq + 1);
  }
  const state = await withSandbox(values.world, async (sandbox) => {
    await simulate(sandbox, { rounds: ticks, inputs });
    return finalState(sandbox);
  });
  process.stdout.write(`${JSON.stringify(state, null, 2)}\n`);
  return 0;
}

async function tickCommand(args: string[]): Promise<number> {
  const tick = TICKS.find((t) => t === args[0]);
  if (tick === undefined) throw new UsageError(USAGE);
  const raw: Record<string, string> = {};
  for (const name of INPUT_NAMES) raw[name] = process.env[`INPUT_${name.toUpperCase()}`] ?? "";
  const config = parseConfig(raw);
  if (config.killSwitch === "on") {
    process.stdout.write("afk-loop is disarmed (kill switch on): no requests made.\n");
    return 0;
  }
  const ctx = createTickContext(config, { log: (line) => process.stderr.write(`${line}\n`) });
  const watch = tick === "watch" ? await watchTick(ctx) : null;
  const poll = tick === "poll" ? await pollTick(ctx) : null;
  const report = { requests: ctx.github.counts, executorRequests: ctx.executorRequests() } as RoundReport;
  process.stdout.write(`${renderTerminal(metaOf(config, report), watch, poll)}\n`);
  return [...(watch?.failures ?? []), ...(poll?.failures ?? [])].length > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
