// docs/setup.md against the code. Its troubleshooting table needs a row for
// every code the job summary can show, derived from the source rather than
// listed here, so a code added later fails this test until it is documented:
// the skip reasons (SKIP_CODES), the escalation causes (every `*Cause` union
// of the state machine) and the failure stages of the ticks (`stage: "…"` in
// src/ticks). A row for a code the source no longer has fails too. And the
// commands and files the guide names exist. action.yml states the bounds
// and case rule of every bounded input config.ts parses.
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { SKIP_CODES } from "../src/core/skip-reasons.js";
import { RECORD_ERROR_CODES } from "../src/core/record-codec.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const SETUP = read("docs/setup.md");

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? tsFiles(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : [],
  );
}

/** The string members of every `type XCause = "a" | "b";` (exported or not) in the file. */
function causeCodes(source: string): string[] {
  return [...source.matchAll(/(?:export )?type \w+Cause\s*=\s*([^;]+);/g)].flatMap(([, union = ""]) =>
    [...union.matchAll(/"([a-z-]+)"/g)].map(([, code = ""]) => code),
  );
}

/** Every `stage: "x"` of a failure record; a CI verdict (`state: …, stage: …`) is not a failure. */
function failureStages(source: string): string[] {
  return [...source.matchAll(/^.*\bstage: "([a-z-]+)".*$/gm)]
    .filter(([line = ""]) => !/\bstate: /.test(line))
    .map(([, stage = ""]) => stage);
}

/** First-cell codes of the troubleshooting table: "| `code` | …". */
function documentedCodes(markdown: string): string[] {
  const section = markdown.slice(markdown.indexOf("## Troubleshooting"));
  return [...section.matchAll(/^\| `([a-z0-9-]+)` +\|/gm)].map(([, code = ""]) => code);
}

const ticks = tsFiles("src/ticks").map(read).join("\n") + read("src/run-tick.ts");
const DERIVED = {
  skip: [...SKIP_CODES],
  cause: causeCodes(read("src/core/state-machine.ts")),
  stage: [...new Set(failureStages(ticks))],
  // A run record the loop cannot use sends its run to a human with the decoder's message.
  record: [...RECORD_ERROR_CODES],
};

describe("the derivation can fail", () => {
  it("finds causes and stages in source text, and ignores CI verdicts", () => {
    expect(causeCodes('export type FooCause = "a-b" | "c";\nexport type Other = "x";')).toEqual(["a-b", "c"]);
    // Exported or not (knip un-exports what only its own file uses).
    expect(causeCodes('type BarCause = "d";')).toEqual(["d"]);
    expect(failureStages('push({ stage: "act", error });\nconst V = { state: "none", stage: "build" };')).toEqual([
      "act",
    ]);
    expect(documentedCodes("## Troubleshooting\n| `a` | b |\n| prose | x |\n")).toEqual(["a"]);
  });

  it("found codes of every kind in the source", () => {
    expect(DERIVED.skip.length).toBeGreaterThan(5);
    expect(DERIVED.cause.length).toBeGreaterThan(3);
    expect(DERIVED.stage.length).toBeGreaterThan(2);
  });
});

describe("docs/setup.md troubleshooting", () => {
  const documented = documentedCodes(SETUP);

  it.each(Object.entries(DERIVED))("has a row for every %s code", (_kind, codes) => {
    expect(codes.filter((code) => !documented.includes(code))).toEqual([]);
  });

  it("has no row for a code the source does not have", () => {
    const source = tsFiles("src").map(read).join("\n");
    expect(documented.filter((code) => !source.includes(`"${code}"`))).toEqual([]);
  });
});

describe("docs/setup.md commands and files", () => {
  it("names only npm scripts that exist", () => {
    const scripts = Object.keys((JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts);
    const named = [...SETUP.matchAll(/npm run ([a-z:-]+)/g)].map(([, name = ""]) => name);
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((name) => !scripts.includes(name))).toEqual([]);
  });

  it("links and names only files that exist", () => {
    const paths = [
      ...[...SETUP.matchAll(/\]\(\.\.\/([^)#]+)\)/g)].map(([, path = ""]) => path),
      ...[...SETUP.matchAll(/`((?:src|examples|docs)\/[\w./-]+\.\w+)`/g)].map(([, path = ""]) => path),
    ];
    expect(paths.length).toBeGreaterThan(2);
    expect(paths.filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
  });
});

describe("action.yml states each input's bounds and case rule (so does the generated README table)", () => {
  const config = read("src/core/config.ts");
  const schema = config.slice(config.indexOf("const InputsSchema"));
  const inputs = (parse(read("action.yml")) as { inputs: Record<string, { description: string }> }).inputs;
  const integers = [...schema.matchAll(/"?([a-z0-9-]+)"?: integer\(([\d_]+), ([\d_]+)\)/g)].map(
    ([, name = "", min = "", max = ""]) => ({
      name,
      min: Number(min.replace(/_/g, "")),
      max: Number(max.replace(/_/g, "")),
    }),
  );
  const enums = [...schema.matchAll(/"?([a-z0-9-]+)"?: oneOf\(/g)].map(([, name = ""]) => name);

  it("found the bounded inputs in config.ts", () => {
    expect(integers.map((i) => i.name)).toContain("max-per-repo");
    expect(enums).toContain("executor");
  });

  it.each(integers)("$name: whole number, $min–$max", ({ name, min, max }) => {
    expect(inputs[name]?.description).toContain(`${min.toLocaleString("en")}–${max.toLocaleString("en")}`);
  });

  it.each(enums)("%s: its allowed values, any case", (name) => {
    expect(inputs[name]?.description.toLowerCase()).toContain("any case");
  });
});
