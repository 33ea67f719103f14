// A disarmed step should cost little more than starting node (docs/design.md §12):
// the entry's static imports must not reach the GitHub client, Octokit,
// undici or @actions/core (which loads an HTTP client at start-up); the armed
// path is imported lazily. The light runner commands that stand in for
// @actions/core on that path speak its wire format byte for byte.

import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as actionsCore from "@actions/core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import * as light from "../../src/workflow-commands.js";

const SRC = fileURLToPath(new URL("../../src/", import.meta.url));
const HEAVY = [/^@actions\/core$/, /^@actions\/github/, /^@octokit\//, /^undici$/, /^bottleneck/];

/** Every bare package the file reaches through static (non-type) imports and re-exports. */
function staticPackages(entry: string): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const queue = [entry];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, "utf8");
    const specifiers = [
      ...text.matchAll(/^\s*(?:import|export)\s+(?!type\b)(?:[^;"']*?\sfrom\s+)?["']([^"']+)["']/gm),
    ].map((m) => m[1] ?? "");
    for (const specifier of specifiers) {
      if (specifier.startsWith(".")) queue.push(resolve(dirname(file), specifier.replace(/\.js$/, ".ts")));
      else if (!specifier.startsWith("node:")) packages.add(specifier);
    }
  }
  return packages;
}

describe("the disarmed path's start-up", () => {
  it("imports nothing heavy before the kill switch is read: the armed path is loaded lazily", () => {
    const packages = [...staticPackages(join(SRC, "index.ts"))];
    expect(packages.filter((p) => HEAVY.some((heavy) => heavy.test(p)))).toEqual([]);
    // The lazy import is still there (a static one would put the whole client back on the path).
    expect(readFileSync(join(SRC, "main.ts"), "utf8")).toMatch(/await import\("\.\/run-tick\.js"\)/);
  });
});

describe("runner commands without @actions/core", () => {
  let out: string[];
  let dir: string;
  const env = { ...process.env };
  const exitCode = process.exitCode;

  beforeEach(() => {
    out = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    dir = mkdtempSync(join(tmpdir(), "afk-commands-"));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    process.env = { ...env };
    process.exitCode = exitCode;
    rmSync(dir, { recursive: true, force: true });
  });

  /** What a command printed, from @actions/core and from the light module. */
  function both(run: (io: typeof light | typeof actionsCore) => void): [string, string] {
    out.length = 0;
    run(actionsCore);
    const core = out.join("");
    out.length = 0;
    run(light);
    return [core, out.join("")];
  }

  it.each(["plain", "50% off\r\nnext line", "a:b,c", ""])("masks, logs and fails like @actions/core: %j", (text) => {
    const [coreMask, lightMask] = both((io) => io.setSecret(text));
    expect(lightMask).toBe(coreMask);
    const [coreInfo, lightInfo] = both((io) => io.info(text));
    expect(lightInfo).toBe(coreInfo);
    const [coreFail, lightFail] = both((io) => io.setFailed(text));
    expect(lightFail).toBe(coreFail);
    expect(process.exitCode).toBe(1);
  });

  it("reads inputs like @actions/core: INPUT_<NAME>, spaces as underscores, trimmed", () => {
    process.env["INPUT_KILL-SWITCH"] = "  off \n";
    process.env.INPUT_SOME_NAME = "x";
    for (const name of ["kill-switch", "some name", "absent"]) {
      expect(light.getInput(name)).toBe(actionsCore.getInput(name));
    }
  });

  it("sets an output like @actions/core, in the GITHUB_OUTPUT file or as the legacy command", () => {
    const [coreLegacy, lightLegacy] = both((io) => io.setOutput("armed", "false"));
    expect(lightLegacy).toBe(coreLegacy);

    const file = join(dir, "output");
    writeFileSync(file, "");
    process.env.GITHUB_OUTPUT = file;
    actionsCore.setOutput("armed", "false");
    const fromCore = readFileSync(file, "utf8");
    writeFileSync(file, "");
    light.setOutput("armed", "false");
    const fromLight = readFileSync(file, "utf8");
    const shape = (text: string) => text.replace(/ghadelimiter_[\w-]+/g, "DELIMITER");
    expect(shape(fromLight)).toBe(shape(fromCore));
    expect(fromLight).toMatch(/^armed<<(ghadelimiter_\w+)\nfalse\n\1\n$/);
  });

  it("appends to the job summary file, and does nothing outside a runner", async () => {
    await light.appendSummary("ignored\n");
    const file = join(dir, "summary");
    writeFileSync(file, "");
    process.env.GITHUB_STEP_SUMMARY = file;
    await actionsCore.summary.addRaw("### one\n").write();
    await light.appendSummary("### two\n");
    appendFileSync(file, "");
    expect(readFileSync(file, "utf8")).toBe("### one\n### two\n");
  });
});
