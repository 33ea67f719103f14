// The loop's modes, and the action as GitHub runs it. The kill switch and the
// composite path run the real bundle: each step of action.yml is executed with
// bash exactly as written (`node "$GITHUB_ACTION_PATH/dist/index.js" <tick>`),
// with the INPUT_* env its `env:` block maps from the workflow's `with:`, and
// GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files as a runner provides them.
// Drain and dry run are driven through the ticks on the virtual clock.
// The bundle is dist/index.js as built (`npm run build`).

import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  inFlightIssue,
  LABELS,
  readyIssue,
  REPO,
  roundsUntil,
  startLoop,
  stopLoopsAfterEach,
  tickWorld,
  type Loop,
} from "../../__fixtures__/ticks.js";
import { outputsOf, renderMarkdown } from "../../src/report/render.js";

stopLoopsAfterEach();

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WEB = "acme/web";

interface ActionStep {
  id: string;
  run: string;
  env: Record<string, string>;
}
interface ActionYaml {
  inputs: Record<string, { default: string }>;
  runs: { steps: ActionStep[] };
}
const action = parse(readFileSync(join(ROOT, "action.yml"), "utf8")) as ActionYaml;

/** What `${{ inputs.X }}` evaluates to: the workflow's `with:` value, else the input's default. */
function inputValue(name: string, withInputs: Record<string, string>): string {
  const given = withInputs[name];
  if (given !== undefined) return given;
  // What the runner evaluates `${{ github.repository }}` to: the control repository.
  if (name === "dashboard-repo") return REPO;
  const fallback = action.inputs[name]?.default ?? "";
  if (fallback.includes("${{")) throw new Error(`input ${name} defaults to an expression; pass it in with:`);
  return fallback;
}

interface StepResult {
  code: number | null;
  log: string;
  outputs: Record<string, string>;
  summary: string;
}

const temp: string[] = [];
afterEach(() => {
  for (const dir of temp.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs one composite step as the runner would: its `run:` under bash, its `env:` with the inputs evaluated. */
function runStep(
  id: "watch" | "poll",
  withInputs: Record<string, string>,
  runnerTemp: string | null = null,
): Promise<StepResult> {
  const step = action.runs.steps.find((s) => s.id === id);
  if (!step) throw new Error(`action.yml has no ${id} step`);
  const dir = mkdtempSync(join(tmpdir(), `afk-${id}-`));
  temp.push(dir);
  const outputFile = join(dir, "output");
  const summaryFile = join(dir, "summary");
  writeFileSync(outputFile, "");
  writeFileSync(summaryFile, "");
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    GITHUB_ACTION_PATH: ROOT,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    ...(runnerTemp === null
      ? {}
      : { RUNNER_TEMP: runnerTemp, GITHUB_RUN_ID: "77", GITHUB_RUN_ATTEMPT: "1", GITHUB_JOB: "tick" }),
  };
  for (const [name, expression] of Object.entries(step.env)) {
    const input = /^\$\{\{ inputs\.([\w-]+) \}\}$/.exec(expression)?.[1];
    if (input === undefined) throw new Error(`unexpected env mapping ${name}: ${expression}`);
    env[name] = inputValue(input, withInputs);
  }
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run], { env, cwd: dir });
    let log = "";
    child.stdout.on("data", (d: Buffer) => (log += d.toString()));
    child.stderr.on("data", (d: Buffer) => (log += d.toString()));
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({
        code,
        log,
        outputs: parseOutputs(readFileSync(outputFile, "utf8")),
        summary: readFileSync(summaryFile, "utf8"),
      }),
    );
  });
}

/** GITHUB_OUTPUT's `name<<delimiter` blocks. */
function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  for (const [, name = "", , value = ""] of text.matchAll(/^([\w-]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)) {
    outputs[name] = value;
  }
  return outputs;
}

/** Real time now, to the second: the bundle runs on the wall clock, so the world is set just behind it. */
function minutesAgo(minutes: number): string {
  return new Date(Math.floor(Date.now() / 1000) * 1000 - minutes * 60_000).toISOString().replace(".000Z", "Z");
}

/**
 * acme/api#1 in flight (pushes, then green) and acme/api#2 ready behind it;
 * with `asking`, acme/web#1 in flight too, asking a question. Work for both
 * ticks once two world ticks have passed. The world starts half an hour ago,
 * so the bundle's wall clock and the world's virtual one agree.
 */
function busyWorld({ asking = true } = {}) {
  return {
    ...tickWorld({
      inputs: { allowlist: `${REPO}\n${WEB}` },
      issues: [inFlightIssue(1, { run: { since: "-20m" } }), readyIssue(2)],
      repos: [
        {
          repo: WEB,
          collaborators: { bob: "write" },
          issues: asking ? [inFlightIssue(1, { run: { since: "-20m" }, agent: "needs-input" })] : [],
        },
      ],
    }),
    start: minutesAgo(30),
  };
}

function expectNoRequests(loop: Loop): void {
  expect(loop.sandbox.github.log.entries).toEqual([]);
  expect(loop.sandbox.t3.log).toEqual([]);
  expect(loop.sandbox.doorbells.deliveries).toEqual([]);
}

describe("kill switch on (node dist/index.js through action.yml's steps)", () => {
  it.each([
    ["on", "on"],
    ["unset", ""],
  ])("kill switch %s: the watch and poll steps exit 0 and make zero requests to every server", async (_, value) => {
    const loop = await startLoop(busyWorld());
    loop.advance(2);
    const inputs = { ...loop.sandbox.inputs, "kill-switch": value };
    const watch = await runStep("watch", inputs);
    const poll = await runStep("poll", inputs);
    expect([watch.code, poll.code]).toEqual([0, 0]);
    expect(poll.log).toContain("disarmed");
    expectNoRequests(loop);
    expect(poll.outputs).toEqual({ armed: "false" });
    // One report per run, from the last step: no second "disarmed" block.
    expect(watch.summary).toBe("");
    expect(poll.summary.match(/^## afk-loop$/gm)).toHaveLength(1);
    expect(poll.summary).toContain("Disarmed");
  });
});

describe("drain", () => {
  it("watches in-flight runs to the end and starts nothing new", async () => {
    const loop = await startLoop(busyWorld(), { "kill-switch": "drain" });
    const rounds = await roundsUntil(loop, () => loop.issue(1).state === "closed", 4);
    expect(loop.issue(1).state).toBe("closed");
    expect(loop.labels(1, WEB)).toContain(LABELS.human);
    expect(rounds.flatMap((r) => r.poll.dispatched)).toEqual([]);
    expect(loop.labels(2)).toEqual([LABELS.ready]);
    expect(loop.progressComments(2)).toEqual([]);
    expect(loop.threadsFor(2)).toEqual([]);
  });
});

describe("dry run", () => {
  async function dryRound() {
    // Room for #2 beside #1: a dry run writes nothing, so the close that would free the repo never lands.
    const loop = await startLoop(busyWorld(), { "dry-run": "true", "max-per-repo": "2" });
    loop.advance(2); // api#1 has pushed and gone green; web#1 has asked its question
    const round = await loop.round();
    return { loop, round };
  }

  it("writes nothing to GitHub, dispatches nothing to T3 and rings no doorbell", async () => {
    const { loop } = await dryRound();
    expect(loop.sandbox.github.log.entries.length).toBeGreaterThan(0);
    expect(loop.writesSince(0)).toEqual([]);
    expect(loop.t3Commands()).toEqual([]);
    expect(loop.sandbox.doorbells.deliveries).toEqual([]);
    expect(loop.issue(1).state).toBe("open");
  });

  it("reports what it would have closed, escalated and dispatched", async () => {
    const { round } = await dryRound();
    expect(outputsOf(round.watch, round.poll)).toEqual({
      dispatched: [`${REPO}#2`],
      closed: [`${REPO}#1`],
      escalated: [`${WEB}#1`],
    });
  });

  it("the summary says it is a dry run and names the dispatch it would have made", async () => {
    const { round } = await dryRound();
    const summary = renderMarkdown(
      { mode: "armed", dryRun: true, repos: [REPO, WEB], requests: null, executorRequests: null },
      round.watch,
      round.poll,
    );
    expect(summary).toContain("Dry run");
    expect(summary).toMatch(/acme\/api\\#2.*would dispatch/);
    expect(summary).toMatch(/acme\/api\\#1.*\*\*closed\*\*/);
  });
});

describe("the composite action against the sandbox", () => {
  // The bundle paces its writes as GitHub asks (a second or more apart), so this world is kept to a few.
  it("runs watch then poll from action.yml's steps: exit 0, JSON outputs, summary tables, issues changed", async () => {
    const loop = await startLoop(busyWorld({ asking: false }));
    loop.advance(2);
    // The steps share the runner's temp directory: the watch hands its findings to the poll (issue 11).
    const runnerTemp = mkdtempSync(join(tmpdir(), "afk-runner-temp-"));
    temp.push(runnerTemp);
    const watch = await runStep("watch", loop.sandbox.inputs, runnerTemp);
    const poll = await runStep("poll", loop.sandbox.inputs, runnerTemp);
    expect([watch.code, poll.code], `${watch.log}\n${poll.log}`).toEqual([0, 0]);

    expect(watch.outputs).toEqual({
      armed: "true",
      closed: JSON.stringify([`${REPO}#1`]),
      escalated: JSON.stringify([]),
      "in-flight": "0",
      "needs-human": JSON.stringify([]),
    });
    expect(poll.outputs).toEqual({
      armed: "true",
      dispatched: JSON.stringify([`${REPO}#2`]),
      "in-flight": "1",
      "needs-human": JSON.stringify([]),
    });
    // One report per run: the poll step writes it, with the watch step's findings in it.
    expect(watch.summary).toBe("");
    expect(poll.summary.match(/^## afk-loop$/gm)).toHaveLength(1);
    expect(poll.summary).toMatch(/acme\/api\\#1.*\*\*closed\*\*/);
    expect(poll.summary).toMatch(/acme\/api\\#2.*\*\*started\*\*/);
    expect(poll.summary).toContain("### In flight (1)");
    expect(readdirSync(runnerTemp)).toEqual([]);

    expect(loop.issue(1).state).toBe("closed");
    expect(loop.labels(2)).toContain(LABELS.inProgress);
    expect(loop.record(2)?.phase).toBe("dispatched");
  });
});
