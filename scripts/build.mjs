// `npm run build`: bundles the action, and only the action, into dist/ (the
// folder that is committed and that every workflow using afk-loop downloads).
// ncc bundles src/index.ts with its lazily loaded armed path as a chunk; ncc's
// --minify leaves chunks as they are, so terser minifies every file it wrote.
// No source map: it would double the bundle past the budget of
// __tests__/bundle.test.ts. Never bundles the CLI or the sandbox (scripts/cli.mjs
// builds those into the ignored build/ folder).
//   node scripts/build.mjs [OUT_DIR]   (default dist; tests build into a temp dir)
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { minify } from "terser";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = resolve(root, process.argv[2] ?? "dist");
const ncc = createRequire(import.meta.url).resolve("@vercel/ncc/dist/ncc/cli.js");

rmSync(out, { recursive: true, force: true });
const built = spawnSync(
  process.execPath,
  [ncc, "build", "src/index.ts", "-o", out, "--target", "es2022", "--license", "licenses.txt", "--quiet"],
  { cwd: root, stdio: "inherit" },
);
if (built.status !== 0) process.exit(built.status ?? 1);

for (const name of readdirSync(out)
  .filter((n) => n.endsWith(".js"))
  .sort()) {
  const path = join(out, name);
  const result = await minify(readFileSync(path, "utf8"), {
    module: true,
    ecma: 2022,
    compress: { passes: 1 },
    mangle: true,
    format: { comments: false },
  });
  if (result.code === undefined) throw new Error(`terser produced nothing for ${name}`);
  writeFileSync(path, result.code);
}
