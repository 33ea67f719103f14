// action.yml, the config schema, README and .ci/run must agree: a newcomer
// reads README, GitHub reads action.yml, the code reads the schema.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { INPUT_DEFAULTS, INPUT_NAMES } from "../src/core/config.js";
import { renderInputsTable } from "../scripts/inputs-table.mjs";

const root = new URL("../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");

interface ActionYaml {
  inputs: Record<string, { description: string; default: string; required: boolean }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: { id: string; run: string; env: Record<string, string> }[] };
}
const action = parse(read("action.yml")) as ActionYaml;

/** Defaults that are workflow expressions in action.yml and plain values in the schema. */
const EXPRESSION_DEFAULTS: Record<string, string> = {
  "github-token": "${{ github.token }}",
  "github-api-url": "${{ github.api_url }}",
  "dashboard-repo": "${{ github.repository }}",
};

describe("action.yml and the config schema", () => {
  it("declare the same inputs in the same order", () => {
    expect(Object.keys(action.inputs)).toEqual(INPUT_NAMES);
  });

  it("declare each input once: action.yml's raw input keys are INPUT_NAMES, one line each", () => {
    // Read as text: a YAML reader that keeps the last of two equal keys would hide a duplicate.
    const block = /^inputs:\n([\s\S]*?)^\S/m.exec(read("action.yml"))?.[1] ?? "";
    const keys = [...block.matchAll(/^ {2}([A-Za-z0-9_-]+):/gm)].map((m) => m[1]);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys).toEqual(INPUT_NAMES);
  });

  it.each(INPUT_NAMES)("input %s has the schema's default and a description", (name) => {
    const spec = action.inputs[name];
    expect(spec?.default).toBe(EXPRESSION_DEFAULTS[name] ?? INPUT_DEFAULTS[name]);
    expect(spec?.description.length).toBeGreaterThan(10);
    expect(spec?.required).toBe(false);
  });
});

describe("the composite steps", () => {
  it("are a watch step then a poll step, each running the bundle for its tick", () => {
    expect(action.runs.using).toBe("composite");
    expect(action.runs.steps.map((s) => s.id)).toEqual(["watch", "poll"]);
    for (const step of action.runs.steps) {
      expect(step.run).toContain(`node "$GITHUB_ACTION_PATH/dist/index.js" ${step.id}`);
    }
  });

  it("check the Node version before running the bundle", () => {
    for (const step of action.runs.steps) {
      expect(step.run.indexOf("process.versions.node")).toBeLessThan(step.run.indexOf("dist/index.js"));
    }
  });

  it.each(["watch", "poll"])("the %s step maps every input, and nothing else, into INPUT_* env", (id) => {
    const step = action.runs.steps.find((s) => s.id === id);
    const expected = Object.fromEntries(INPUT_NAMES.map((n) => [`INPUT_${n.toUpperCase()}`, `\${{ inputs.${n} }}`]));
    expect(step?.env).toEqual(expected);
  });

  it("outputs come from the steps that produce them", () => {
    expect(Object.keys(action.outputs).sort()).toEqual([
      "armed",
      "closed",
      "dispatched",
      "escalated",
      "in-flight",
      "needs-human",
    ]);
    // Both steps set them; the poll step's (the whole run's) wins when it ran.
    expect(action.outputs["in-flight"]?.value).toContain("steps.poll.outputs.in-flight ||");
    expect(action.outputs["needs-human"]?.value).toContain("steps.poll.outputs.needs-human ||");
    expect(action.outputs.dispatched?.value).toContain("steps.poll.outputs.dispatched");
    expect(action.outputs.closed?.value).toContain("steps.watch.outputs.closed");
  });
});

describe("README", () => {
  const readme = read("README.md");

  it("carries the inputs table generated from action.yml (run `npm run docs` when this fails)", () => {
    expect(readme).toContain(renderInputsTable(read("action.yml")));
  });

  it("gives the newcomer's three commands", () => {
    for (const command of ["npm ci", "npm run demo", "npm test"]) expect(readme).toContain(command);
  });

  it("documents every kill switch value", () => {
    for (const value of ["`on`", "`off`", "`drain`", "unset, empty"]) expect(readme).toContain(value);
  });

  it("names every npm script it documents, and they exist", () => {
    const scripts = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts;
    for (const [, name] of readme.matchAll(/`npm run ([\w:-]+)`/g)) expect(Object.keys(scripts)).toContain(name);
  });
});

describe(".ci/run", () => {
  const ci = read(".ci/run");

  it("installs, checks, runs the README's test command and checks dist for drift", () => {
    for (const step of ["npm ci", "npm run typecheck", "npm run lint", "npm test", "npm run build"]) {
      expect(ci).toContain(step);
    }
    expect(ci).toContain("git diff --exit-code");
  });
});
