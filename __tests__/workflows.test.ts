// Every workflow the project ships or runs (examples/ and .github/workflows/)
// is valid by GitHub's own workflow schema and parser (@actions/workflow-parser,
// maintained by GitHub for the Actions language services), not a hand-written
// one. And no `${{ }}` expression sits inside a `run:` script, where its value
// would be spliced into the shell as code: values reach scripts through `env:`.
// Third-party actions are pinned by full commit SHA with the release in a comment.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from "@actions/workflow-parser";
import { describe, expect, it } from "vitest";
import { parseDocument, isMap, isScalar, isSeq, type Node } from "yaml";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const WORKFLOWS = ["examples", ".github/workflows"].flatMap((dir) =>
  readdirSync(join(ROOT, dir))
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => join(dir, name)),
);

async function schemaErrors(name: string, content: string): Promise<string[]> {
  const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((e) => e.message);
  if (parsed.value !== undefined) {
    const template = await convertWorkflowTemplate(parsed.context, parsed.value);
    errors.push(...(template.errors ?? []).map((e) => e.Message));
  }
  return [...new Set(errors)];
}

/** Every `run:` and `uses:` value in the workflow, with its source line for the message. */
function stepFields(content: string, key: "run" | "uses"): { value: string; line: number }[] {
  const doc = parseDocument(content, { keepSourceTokens: true });
  const found: { value: string; line: number }[] = [];
  const walk = (node: Node | null | undefined): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (
          isScalar(pair.key) &&
          pair.key.value === key &&
          isScalar(pair.value) &&
          typeof pair.value.value === "string"
        ) {
          const offset = pair.value.range?.[0] ?? 0;
          found.push({ value: pair.value.value, line: content.slice(0, offset).split("\n").length });
        }
        walk(pair.value as Node);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) walk(item as Node);
    }
  };
  walk(doc.contents);
  return found;
}

describe("the workflow checks can fail", () => {
  it("the schema rejects a misspelt key and a step without run or uses", async () => {
    const bad =
      "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: a/b@v1\n        wiht: { x: 1 }\n      - name: nothing\n";
    expect((await schemaErrors("bad.yml", bad)).length).toBeGreaterThanOrEqual(2);
  });

  it("an expression inside a run script is found", () => {
    const bad =
      "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: |\n          echo ok\n          echo ${{ github.event.issue.title }}\n";
    expect(stepFields(bad, "run").filter((r) => r.value.includes("${{"))).toHaveLength(1);
  });
});

describe.each(WORKFLOWS)("%s", (file) => {
  const content = readFileSync(join(ROOT, file), "utf8");

  it("is valid by GitHub's workflow schema", async () => {
    expect(await schemaErrors(file, content)).toEqual([]);
  });

  it("has no ${{ }} expression inside a run: script", () => {
    const runs = stepFields(content, "run");
    const spliced = runs.filter((r) => r.value.includes("${{")).map((r) => `line ${r.line}`);
    expect(spliced).toEqual([]);
  });

  it("pins every third-party action by full commit SHA, with the release in a comment", () => {
    const lines = content.split("\n");
    for (const { value, line } of stepFields(content, "uses")) {
      // Local actions and the project's own release tag (examples pin my-org/afk-loop@v1, see README "Versioning").
      if (value.startsWith("./") || value.startsWith("docker://") || /\/afk-loop@/.test(value)) continue;
      expect(value, `line ${line}`).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
      expect(lines[line - 1], `line ${line}`).toMatch(/# v\d+\.\d+\.\d+\s*$/);
    }
  });
});
