// The CLI as a user meets it (src/cli/main.ts, in process with captured
// output): every misuse is exit code 2 and one line, never a stack trace;
// every command has --help; `tick` reads inputs as the action does, including
// INPUT_KILL_SWITCH; a world file's problems are listed in one pass; simulate
// reports errors and skips and writes the job summary; demo takes --world.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../src/cli/main.js";

const scratch = mkdtempSync(join(tmpdir(), "afk-cli-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t), env });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("misuse: exit 2, one line, no stack trace", () => {
  it.each([
    [["frob"]],
    [["demo", "--nope"]],
    [["demo", "--rounds"]],
    [["demo", "--rounds", "many"]],
    [["simulate"]],
    [["simulate", "--world", "demo", "--ticks", "0"]],
    [["simulate", "--world", "demo", "--set", "no-such-input=1"]],
    [["simulate", "--world", "demo", "stray"]],
    [["tick"]],
    [["tick", "sideways"]],
    [["tick", "poll", "watch"]],
    [["tick", "poll", "--verbose"]],
    [["--nope"]],
  ])("afk-loop %j", async (argv) => {
    const { code, out, err } = await cli(argv);
    expect(code).toBe(2);
    expect(out).toBe("");
    expect(err.split("\n")).toHaveLength(1);
    expect(err).toMatch(/^afk-loop: /);
    expect(err).not.toMatch(/\n\s+at |Error \[|node:internal/);
  });

  it("bad inputs from the environment: a heading and one line per bad input, each named", async () => {
    const { code, err } = await cli(["tick", "poll"], { "INPUT_KILL-SWITCH": "maybe", "INPUT_MAX-PER-REPO": "0" });
    expect(code).toBe(2);
    const [heading, ...lines] = err.split("\n");
    expect(heading).toMatch(/^afk-loop: invalid action inputs \(2\)/);
    expect(lines).toHaveLength(2);
    expect(err).toContain("kill-switch");
    expect(err).toContain("max-per-repo");
    expect(err).not.toMatch(/\n\s+at /);
  });
});

describe("--help", () => {
  it.each([["demo"], ["simulate"], ["tick"]])("afk-loop %s --help", async (command) => {
    const { code, out, err } = await cli([command, "--help"]);
    expect(code).toBe(0);
    expect(err).toBe("");
    expect(out).toMatch(new RegExp(`^usage: afk-loop ${command}`));
  });

  it("afk-loop --help lists every command", async () => {
    const { code, out } = await cli(["--help"]);
    expect(code).toBe(0);
    for (const command of ["demo", "simulate", "tick"]) expect(out).toContain(`  ${command} `);
  });
});

describe("tick reads inputs as the action does", () => {
  it("takes INPUT_KILL_SWITCH (underscores) when the hyphen form is absent", async () => {
    const { code, err } = await cli(["tick", "poll"], { INPUT_KILL_SWITCH: "maybe" });
    expect(code).toBe(2);
    expect(err).toContain("kill-switch");
  });

  it("the runner's hyphen form wins when both are set, even empty (disarmed, no requests)", async () => {
    const { code, out } = await cli(["tick", "poll"], { "INPUT_KILL-SWITCH": "", INPUT_KILL_SWITCH: "off" });
    expect(code).toBe(0);
    expect(out).toContain("disarmed");
  });
});

describe("world files", () => {
  it("lists every problem of a bad world in one pass", async () => {
    const file = join(scratch, "bad.yaml");
    writeFileSync(file, "start: yesterday\ntickMinutes: -3\nrepos: 12\nissues: nope\n");
    const { code, err } = await cli(["simulate", "--world", file]);
    expect(code).toBe(2);
    expect(err).toMatch(/^afk-loop: invalid world .*\((\d+) problems\)/);
    const problems = Number(/\((\d+) problems\)/.exec(err)?.[1]);
    expect(problems).toBeGreaterThanOrEqual(3);
    expect(err.split("\n")).toHaveLength(problems + 1);
    expect(err).not.toMatch(/\n\s+at /);
  });

  it("a file that is not there is one line", async () => {
    const { code, err } = await cli(["demo", "--world", join(scratch, "missing.yaml")]);
    expect(code).toBe(2);
    expect(err).toContain("cannot read the file");
  });
});

describe("simulate and demo", () => {
  it("simulate prints each round's skips on stderr and writes the job summary with --summary", async () => {
    const summary = join(scratch, "summary.md");
    const { code, out, err } = await cli(["simulate", "--world", "demo", "--ticks", "2", "--summary", summary]);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toHaveProperty("issues");
    expect(err).toMatch(/^round 1 poll: \S+#\d+ skipped \([a-z-]+\): /m);
    const markdown = readFileSync(summary, "utf8");
    expect(markdown).toMatch(/^#/m);
    expect(markdown).toContain("|");
  });

  it("docs/setup.md step 2: a copy of the demo world, dry run, with the job summary a real run writes", async () => {
    const world = join(scratch, "my-world.yaml");
    copyFileSync(fileURLToPath(new URL("../src/sandbox/worlds/demo.yaml", import.meta.url)), world);
    const summary = join(scratch, "dry.md");
    const { code, out } = await cli([
      "simulate",
      "--world",
      world,
      "--ticks",
      "1",
      "--set",
      "dry-run=true",
      "--summary",
      summary,
    ]);
    expect(code).toBe(0);
    const markdown = readFileSync(summary, "utf8");
    expect(markdown).toContain("Dry run");
    expect(markdown).toContain("would dispatch");
    // Nothing was written: the loop made no write request to GitHub and rang no doorbell.
    const state = JSON.parse(out) as { requests: { github: { writes: number } }; doorbells: unknown[] };
    expect(state.requests.github.writes).toBe(0);
    expect(state.doorbells).toEqual([]);
  });

  it("demo --world runs the named world", async () => {
    const { code, out } = await cli(["demo", "--world", "hostile", "--rounds", "1"]);
    expect(code).toBe(0);
    expect(out).toContain("the hostile world");
    expect(out).toContain("Where every issue ended up");
    // Issue 11: the final table says why, even for an issue that never ran.
    expect(out).toContain("| issue | state | labels | run | why | progress comments |");
    expect(out).toMatch(/\| — \| untrusted-labeler: /);
  });
});
