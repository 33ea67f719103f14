#!/usr/bin/env node
// The afk-loop CLI (demo, simulate, tick) from a clone: builds src/cli.ts with
// ncc into build/cli/ (ignored by git, never shipped in dist/) when it is
// missing or older than the sources, then runs it with the given arguments.
// `npm run demo` and `npm run cli -- <command>` go through here, so
// `npm ci && npm run demo` works from a fresh clone.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = join(root, "build", "cli");
const entry = join(out, "index.js");

function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((max, name) => Math.max(max, newest(join(path, name))), 0);
}

const stale =
  !existsSync(entry) ||
  statSync(entry).mtimeMs < Math.max(newest(join(root, "src")), newest(join(root, "package-lock.json")));
if (stale) {
  process.stderr.write("afk-loop: building the CLI into build/cli/ (once per source change)...\n");
  const ncc = createRequire(import.meta.url).resolve("@vercel/ncc/dist/ncc/cli.js");
  const built = spawnSync(process.execPath, [ncc, "build", "src/cli.ts", "-o", out, "--target", "es2022", "--quiet"], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (built.status !== 0) process.exit(built.status ?? 1);
}
const run = spawnSync(process.execPath, [entry, ...process.argv.slice(2)], { stdio: "inherit" });
process.exit(run.status ?? 1);
