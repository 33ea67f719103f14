// The afk-loop command line: the same ticks as the action, from a terminal
// (`npm run cli -- <command>`, built into build/cli/, never into dist/).
//   demo [--rounds N] [--world FILE|demo|hostile|fleet]   each round's report, then where every issue ended up
//   simulate --world FILE|... [--ticks N] [--set input=value ...] [--summary FILE]
//                                                         errors and skips on stderr, final state as JSON on stdout
//   tick watch|poll                                       one real tick, inputs from INPUT_* as in the action
// Owns argument parsing and printing; every decision stays in the ticks.
// A user's mistake (unknown command or option, a bad value, a bad input or
// world file) is exit code 2 and a message, never a stack trace; only a
// defect in afk-loop itself may throw.

import { writeFileSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { compactRound } from "./compact.js";
import { ConfigError, INPUT_NAMES, parseConfig, type Config } from "../core/config.js";
import { TICKS } from "../core/types.js";
import { shardRepos } from "../core/shard.js";
import { refKey } from "../core/refs.js";
import { plural } from "../core/markdown.js";
import { renderMarkdown, renderTerminal, type ReportMeta } from "../report/render.js";
import { finalState, simulate, type RoundReport } from "../sandbox/simulate.js";
import { startSandbox, type Sandbox } from "../sandbox/world/sandbox.js";
import { WorldError } from "../sandbox/world/schema.js";
import { BUNDLED_WORLDS, bundledWorld, type BundledWorld } from "../sandbox/worlds/index.js";
import { pollTick } from "../ticks/poll.js";
import { createTickContext } from "../ticks/setup.js";
import { watchTick } from "../ticks/watch.js";
import { getInput } from "../workflow-commands.js";

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

const WORLDS = `FILE|${BUNDLED_WORLDS.join("|")}`;

const HELP = {
  main: `usage: afk-loop <command> [options]

commands:
  demo       run the bundled demo world (or --world) round by round on a virtual clock
  simulate   run a world for N ticks and print its final state as JSON
  tick       run one real watch or poll tick with the action's INPUT_* variables

afk-loop <command> --help shows a command's options.`,
  demo: `usage: afk-loop demo [--rounds N] [--world ${WORLDS}]

Runs a world (default: the bundled demo) against the sandbox's GitHub, T3 and
doorbell emulators, printing each round's report and then where every issue
ended up.
  --rounds N      rounds of one watch and one poll tick, 1 to 10000 (default 8)
  --world W       a world file (YAML or JSON) or a bundled world (default demo)`,
  simulate: `usage: afk-loop simulate --world ${WORLDS} [--ticks N] [--set input=value ...] [--summary FILE]

Runs a world for N rounds and prints its final state (issues, labels, runs,
threads, doorbells, requests) as JSON on stdout. Each round's errors and skip
reasons go to stderr.
  --world W          a world file (YAML or JSON) or a bundled world (required)
  --ticks N          rounds, 1 to 10000 (default 6)
  --set input=value  override one of the world's action inputs (repeatable)
  --summary FILE     write the job summary Markdown of the last round, as a real run would`,
  tick: `usage: afk-loop tick ${TICKS.join("|")}

Runs one real tick against GitHub with inputs read as the action reads them:
INPUT_<NAME> environment variables, for example INPUT_ALLOWLIST, INPUT_GITHUB-TOKEN.
A shell cannot export a hyphen, so INPUT_KILL_SWITCH works as well as INPUT_KILL-SWITCH.
Empty or missing kill switch: disarmed, no requests.`,
} as const;

class UsageError extends Error {}

export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case "--help":
      case "-h":
      case "help":
        io.out(HELP.main);
        return 0;
      case "demo":
        return await demo(rest, io);
      case "simulate":
        return await simulateCommand(rest, io);
      case "tick":
        return await tickCommand(rest, io);
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)} (afk-loop --help lists the commands)`);
    }
  } catch (error) {
    const message = userMistake(error);
    if (message === null) throw error;
    io.err(`afk-loop: ${message}`);
    return 2;
  }
}

/** The message for a mistake the user can fix, or null for a defect in afk-loop (which keeps its stack). */
function userMistake(error: unknown): string | null {
  if (error instanceof UsageError || error instanceof ConfigError || error instanceof WorldError) return error.message;
  // node:util parseArgs: unknown option, missing value, unexpected positional argument.
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_") && error instanceof Error) {
    return `${error.message.split("\n")[0] ?? code} (--help lists the options)`;
  }
  return null;
}

function processIo(): Io {
  return {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    env: process.env,
  };
}

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** parseArgs with `--help` on every command; null when help was printed. */
function parse(
  args: readonly string[],
  options: NonNullable<ParseArgsConfig["options"]>,
  help: string,
  io: Io,
  allowPositionals = false,
): { values: Values; positionals: string[] } | null {
  const parsed = parseArgs({
    args: [...args],
    options: { ...options, help: { type: "boolean", short: "h" } },
    allowPositionals,
    strict: true,
  });
  const values = parsed.values as Values;
  if (values.help === true) {
    io.out(help);
    return null;
  }
  return { values, positionals: parsed.positionals };
}

function count(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== "string" || !/^\d+$/.test(value) || n < 1 || n > 10_000)
    throw new UsageError(`--${name} must be a whole number from 1 to 10000 (got ${JSON.stringify(value)})`);
  return n;
}

function metaOf(
  config: Config,
  report: Pick<RoundReport, "requests" | "executorRequests"> & { at?: string },
): ReportMeta {
  return {
    mode:
      config.killSwitch === "on"
        ? "disarmed"
        : config.killSwitch === "drain"
          ? "drain"
          : config.killSwitch === "stop"
            ? "emergency-stop"
            : "armed",
    dryRun: config.dryRun,
    repos: shardRepos(config.allowlist, config.shard),
    requests: report.requests,
    executorRequests: report.executorRequests,
    // The report's clock, for ages: the round's virtual time.
    now: report.at ?? null,
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

/** One line per problem a round ran into: repositories that could not be read, failed issues, skips. */
function roundProblems(report: RoundReport): string[] {
  const lines: string[] = [];
  const at = `round ${report.round}`;
  for (const tick of [report.watch, report.poll]) {
    if (tick === null) continue;
    for (const repo of tick.repos)
      if (repo.error !== null) lines.push(`${at} ${tick.tick}: ${repo.repo}: ${repo.error}`);
    for (const f of tick.failures)
      lines.push(`${at} ${tick.tick}: ${f.repo}#${f.issue} failed (${f.stage}): ${f.error}`);
    if (tick.note !== null) lines.push(`${at} ${tick.tick}: ${tick.note}`);
  }
  for (const s of report.poll?.skipped ?? [])
    lines.push(`${at} poll: ${s.repo}#${s.number} skipped (${s.code}): ${s.reason}`);
  return lines;
}

async function demo(args: readonly string[], io: Io): Promise<number> {
  const parsed = parse(args, { rounds: { type: "string" }, world: { type: "string" } }, HELP.demo, io);
  if (parsed === null) return 0;
  const rounds = count(parsed.values.rounds, 8, "rounds");
  const world = typeof parsed.values.world === "string" ? parsed.values.world : "demo";
  await withSandbox(world, async (sandbox) => {
    io.out(
      `afk-loop demo: the ${world} world on a virtual clock, ${rounds} rounds of one watch tick and one poll tick.`,
    );
    io.out("Every request below goes over HTTP to the sandbox's GitHub, T3 and doorbell emulators.\n");
    // Each issue's latest skip reason, for the final table: an issue that never ran still says why.
    const lastSkip = new Map<string, string>();
    // After the first round, only what changed: unchanged table rows collapse into a count.
    let lastReport: string | null = null;
    await simulate(sandbox, {
      rounds,
      onRound: (report) => {
        for (const s of report.poll?.skipped ?? []) lastSkip.set(refKey(s), `${s.code}: ${s.reason}`);
        for (const d of report.poll?.dispatched ?? []) lastSkip.delete(refKey(d));
        io.out(`${"=".repeat(100)}\nRound ${report.round} at ${report.at}\n${"=".repeat(100)}`);
        const text = renderTerminal(metaOf(report.config, report), report.watch, report.poll, {
          maxFixForwards: report.config.limits.fixForwardAttempts,
        });
        io.out(compactRound(lastReport, text));
        lastReport = text;
      },
    });
    const state = finalState(sandbox);
    io.out(`${"=".repeat(100)}\nWhere every issue ended up\n${"=".repeat(100)}`);
    io.out("| issue | state | labels | run | why | progress comments |");
    io.out("| --- | --- | --- | --- | --- | --- |");
    for (const issue of state.issues) {
      const run = issue.run
        ? `${issue.run.phase} (attempt ${issue.run.attempt}, ${plural(issue.run.fixForwards, "fix-forward")})`
        : "—";
      const why = issue.run?.reason ?? lastSkip.get(refKey(issue)) ?? "—";
      io.out(
        `| ${issue.repo}#${issue.number} | ${issue.state} | ${issue.labels.join(", ")} | ${run} | ${why.replace(/\|/g, "\\|")} | ${issue.progressComments} |`,
      );
    }
    io.out(
      `\nDoorbells rung: ${state.doorbells.length} (${state.doorbells.map((d) => `${String(d.kind)} ${String(d.issue)}`).join("; ")})`,
    );
    io.out(
      `Requests: GitHub ${state.requests.github.total} (${state.requests.github.graphql} GraphQL, ${state.requests.github.points} points, ${state.requests.github.writes} writes), T3 ${state.requests.t3}.`,
    );
  });
  return 0;
}

async function simulateCommand(args: readonly string[], io: Io): Promise<number> {
  const parsed = parse(
    args,
    {
      world: { type: "string" },
      ticks: { type: "string" },
      set: { type: "string", multiple: true },
      summary: { type: "string" },
    },
    HELP.simulate,
    io,
  );
  if (parsed === null) return 0;
  const { values } = parsed;
  if (typeof values.world !== "string")
    throw new UsageError("simulate needs --world FILE (see afk-loop simulate --help)");
  const ticks = count(values.ticks, 6, "ticks");
  const inputs: Record<string, string> = {};
  for (const pair of Array.isArray(values.set) ? values.set : []) {
    const text = String(pair);
    const eq = text.indexOf("=");
    const name = text.slice(0, eq);
    if (eq < 1 || !(INPUT_NAMES as readonly string[]).includes(name))
      throw new UsageError(`--set expects input=value with a known input (got ${JSON.stringify(text)})`);
    inputs[name] = text.slice(eq + 1);
  }
  const summary = typeof values.summary === "string" ? values.summary : null;
  const state = await withSandbox(values.world, async (sandbox) => {
    const reports = await simulate(sandbox, {
      rounds: ticks,
      inputs,
      onRound: (report) => roundProblems(report).forEach((line) => io.err(line)),
    });
    const last = reports.at(-1);
    if (summary !== null && last !== undefined) {
      writeFileSync(summary, renderMarkdown(metaOf(last.config, last), last.watch, last.poll));
    }
    return finalState(sandbox);
  });
  io.out(JSON.stringify(state, null, 2));
  return 0;
}

async function tickCommand(args: readonly string[], io: Io): Promise<number> {
  const parsed = parse(args, {}, HELP.tick, io, true);
  if (parsed === null) return 0;
  const [name, ...extra] = parsed.positionals;
  const tick = TICKS.find((t) => t === name);
  if (tick === undefined || extra.length > 0)
    throw new UsageError(`tick needs one of ${TICKS.join(", ")} (got ${JSON.stringify(parsed.positionals.join(" "))})`);
  const raw: Record<string, string> = {};
  for (const input of INPUT_NAMES) raw[input] = getInput(input, io.env);
  const config = parseConfig(raw);
  if (config.killSwitch === "on") {
    io.out("afk-loop is disarmed (kill switch on): no requests made.");
    return 0;
  }
  const ctx = createTickContext(config, { log: (line) => io.err(line) });
  const watch = tick === "watch" ? await watchTick(ctx) : null;
  const poll = tick === "poll" ? await pollTick(ctx) : null;
  io.out(
    renderTerminal(
      metaOf(config, { requests: ctx.github.counts, executorRequests: ctx.executorRequests() }),
      watch,
      poll,
    ),
  );
  return [...(watch?.failures ?? []), ...(poll?.failures ?? [])].length > 0 ? 1 : 0;
}
