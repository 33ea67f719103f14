// The release workflow's checks for a tag vX.Y.Z, runnable anywhere (its test
// runs them in a temporary repository): the tag is vX.Y.Z and points at the
// checked-out commit, package.json has version X.Y.Z, CHANGELOG.md has a
// non-empty "## [X.Y.Z]" section, and a rebuild reproduces the committed dist/
// byte for byte. Lists every problem, then exits 1; never publishes anything.
//   node scripts/release-check.mjs vX.Y.Z [--notes FILE]   (FILE gets the CHANGELOG section)
// AFK_RELEASE_BUILD names the build script to run with node (default scripts/build.mjs).
// Runs git and node with argument lists, never a shell: the tag is input.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { positionals, values } = parseArgs({ allowPositionals: true, options: { notes: { type: "string" } } });
const tag = positionals[0] ?? "";
const root = process.cwd();
const problems = [];
const git = (...args) => execFileSync("git", args, { cwd: root, encoding: "utf8" }).trim();

const version = /^v(\d+)\.(\d+)\.(\d+)$/.exec(tag)?.slice(1).join(".") ?? null;
if (version === null) problems.push(`the tag ${JSON.stringify(tag)} is not vX.Y.Z`);

if (version !== null) {
  let tagged = null;
  try {
    tagged = git("rev-parse", "--verify", "--quiet", `refs/tags/${tag}^{commit}`);
  } catch {
    problems.push(`there is no tag ${tag}`);
  }
  if (tagged !== null && tagged !== git("rev-parse", "HEAD")) problems.push(`${tag} is not the checked-out commit`);

  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  if (pkg.version !== version) problems.push(`package.json has version ${pkg.version}, the tag says ${version}`);
}

/** The body of CHANGELOG.md's "## [X.Y.Z]" section, up to the next "## " heading. */
function changelogSection(text, wanted) {
  const lines = text.split("\n");
  const start = lines.findIndex((line) => line.startsWith(`## [${wanted}]`));
  if (start < 0) return null;
  const end = lines.findIndex((line, i) => i > start && line.startsWith("## "));
  return lines
    .slice(start + 1, end < 0 ? undefined : end)
    .join("\n")
    .replace(/^\n+|\s+$/g, "");
}

let notes = null;
if (version !== null) {
  const changelog = join(root, "CHANGELOG.md");
  notes = existsSync(changelog) ? changelogSection(readFileSync(changelog, "utf8"), version) : null;
  if (!notes) problems.push(`CHANGELOG.md has no "## [${version}]" section with notes`);
}

if (git("status", "--porcelain", "--", "dist") !== "") {
  problems.push("dist/ has uncommitted changes before the rebuild");
} else {
  const build = process.env.AFK_RELEASE_BUILD ?? join("scripts", "build.mjs");
  const built = spawnSync(process.execPath, [build], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
  if (built.status !== 0) problems.push(`the build (${build}) failed`);
  else if (git("status", "--porcelain", "--", "dist") !== "") {
    problems.push("dist/ does not match a rebuild of the tagged sources: run npm run build and commit dist/");
  }
}

if (problems.length > 0) {
  for (const problem of problems) console.log(`::error::release ${tag}: ${problem}`);
  process.exit(1);
}
if (values.notes !== undefined) writeFileSync(values.notes, `${notes}\n`);
console.log(`release ${tag}: ready (CHANGELOG section, package.json and dist/ agree)`);
