// The action's bundle as shipped (dist/, built by scripts/build.mjs): what
// `node dist/index.js` may load stays within 1.5 MB, and none of the sandbox
// (the GitHub and T3 emulators, the scripted agent, the worlds) or the CLI is
// in it. The sandbox's fingerprint is derived, not hand-listed: every long
// string literal in src/sandbox that no shipped module also contains must be
// absent from every file in dist/ (minifiers keep string literals).
// AFK_BUNDLE_DIR points the test at another build (node scripts/build.mjs DIR).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DIST = process.env.AFK_BUNDLE_DIR ?? join(ROOT, "dist");
export const BUDGET_BYTES = 1.5 * 1024 * 1024;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

/** Every JavaScript file in the bundle folder: the entry and each chunk it may load. */
function bundleFiles(): string[] {
  return files(DIST).filter((path) => path.endsWith(".js"));
}

/**
 * Long prose string literals of the given sources (messages, descriptions: three words or more), as
 * written and without escapes, so a minifier keeps them as they are. Prose, not media types or URLs,
 * which the bundled libraries share.
 */
function literals(paths: string[]): Set<string> {
  const found = new Set<string>();
  for (const path of paths) {
    for (const [, text = ""] of readFileSync(path, "utf8").matchAll(/"([^"\\\n$`{}]{24,})"/g)) {
      if (/[a-z]+ [a-z]+ [a-z]+/i.test(text) && !text.includes("://")) found.add(text);
    }
  }
  return found;
}

// A dist/ from before scripts/build.mjs shipped the CLI and the sandbox in dist/cli/.
const preLean = existsSync(join(DIST, "cli"));
const missing = !existsSync(join(DIST, "index.js"));

describe.skipIf(missing || preLean)("the action bundle (dist/)", () => {
  it("is at most 1.5 MB, entry and chunks together", () => {
    const sizes = Object.fromEntries(bundleFiles().map((path) => [relative(DIST, path), statSync(path).size]));
    const total = Object.values(sizes).reduce((sum, bytes) => sum + bytes, 0);
    expect(total, JSON.stringify(sizes)).toBeLessThanOrEqual(BUDGET_BYTES);
  });

  it("holds none of the sandbox or the CLI", () => {
    const src = join(ROOT, "src");
    const ts = files(src).filter((path) => path.endsWith(".ts"));
    const sandbox = ts.filter((path) => path.startsWith(join(src, "sandbox")) || path === join(src, "cli.ts"));
    const shipped = literals(ts.filter((path) => !sandbox.includes(path)));
    const fingerprint = [...literals(sandbox)].filter((text) => ![...shipped].some((s) => s.includes(text)));
    // Enough to be a fingerprint; the emulators have hundreds.
    expect(fingerprint.length, "sandbox fingerprint").toBeGreaterThan(20);
    const bundle = bundleFiles().map((path) => readFileSync(path, "utf8"));
    const leaked = fingerprint.filter((text) => bundle.some((code) => code.includes(text)));
    expect(leaked).toEqual([]);
  });
});

describe("dist/ is current enough to check", () => {
  it("says how to rebuild when it is not", () => {
    if (missing || preLean) {
      console.warn(`bundle.test: ${DIST} predates scripts/build.mjs; run \`npm run build\` and rerun this file.`);
    }
    expect(existsSync(join(ROOT, "scripts", "build.mjs"))).toBe(true);
  });
});
