// The release workflow's checks (scripts/release-check.mjs) on a tag in a
// temporary git repository: a consistent release passes and hands back its
// CHANGELOG section as notes; a stale dist/, a missing CHANGELOG section, a
// version that disagrees with package.json, a tag that is not vX.Y.Z or not
// the checked-out commit each fail with their own line. The build is a stub
// (AFK_RELEASE_BUILD) that writes dist/ as a real build would, quickly.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const SCRIPT = fileURLToPath(new URL("../scripts/release-check.mjs", import.meta.url));
const CHANGELOG = `# Changelog

## [Unreleased]

## [1.2.0] - 2026-12-07

### Added

- The thing.

## [1.1.0] - 2026-11-01

- Older.
`;
let repo = "";
afterEach(() => rmSync(repo, { recursive: true, force: true }));

function git(...args: string[]) {
  return execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
    cwd: repo,
    encoding: "utf8",
  });
}

/** A repository whose build writes dist/index.js = BUILT; `committed` is the dist/ that is committed. */
function setup(options: { version?: string; changelog?: string; committed?: string; tag?: string } = {}) {
  repo = mkdtempSync(join(tmpdir(), "afk-release-"));
  git("init", "--quiet", "--initial-branch=main");
  mkdirSync(join(repo, "scripts"));
  mkdirSync(join(repo, "dist"));
  copyFileSync(SCRIPT, join(repo, "scripts", "release-check.mjs"));
  writeFileSync(
    join(repo, "scripts", "fake-build.mjs"),
    'import { writeFileSync } from "node:fs";\nwriteFileSync("dist/index.js", "BUILT\\n");\n',
  );
  writeFileSync(join(repo, "package.json"), JSON.stringify({ version: options.version ?? "1.2.0" }));
  writeFileSync(join(repo, "CHANGELOG.md"), options.changelog ?? CHANGELOG);
  writeFileSync(join(repo, "dist", "index.js"), options.committed ?? "BUILT\n");
  git("add", "-A");
  git("commit", "--quiet", "-m", "release");
  git("tag", options.tag ?? "v1.2.0");
}

function check(tag: string) {
  const notes = join(repo, "notes.md");
  const run = spawnSync(process.execPath, [join("scripts", "release-check.mjs"), tag, "--notes", notes], {
    cwd: repo,
    encoding: "utf8",
    env: { PATH: process.env.PATH, AFK_RELEASE_BUILD: join("scripts", "fake-build.mjs") },
  });
  const errors = run.stdout.split("\n").filter((line) => line.startsWith("::error::"));
  return { code: run.status, errors, notes: () => readFileSync(notes, "utf8") };
}

describe("release-check on a tag", () => {
  it("passes a consistent release and writes its CHANGELOG section as the notes", () => {
    setup();
    const result = check("v1.2.0");
    expect(result.errors).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.notes()).toBe("### Added\n\n- The thing.\n");
  });

  it("fails when dist/ is not what a rebuild makes", () => {
    setup({ committed: "STALE\n" });
    const result = check("v1.2.0");
    expect(result.code).toBe(1);
    expect(result.errors.join("\n")).toContain("dist/ does not match a rebuild");
  });

  it("fails when CHANGELOG.md has no section for the version", () => {
    setup({ version: "1.3.0", tag: "v1.3.0" });
    const result = check("v1.3.0");
    expect(result.code).toBe(1);
    expect(result.errors).toEqual([expect.stringContaining('no "## [1.3.0]" section') as unknown]);
  });

  it("fails when package.json disagrees with the tag", () => {
    setup({ version: "1.1.0" });
    const result = check("v1.2.0");
    expect(result.code).toBe(1);
    expect(result.errors.join("\n")).toContain("package.json has version 1.1.0");
  });

  it("fails on a tag that is not vX.Y.Z, or not the checked-out commit", () => {
    setup();
    expect(check("v1.2").errors.join("\n")).toContain("is not vX.Y.Z");
    git("commit", "--quiet", "--allow-empty", "-m", "later");
    const result = check("v1.2.0");
    expect(result.code).toBe(1);
    expect(result.errors.join("\n")).toContain("is not the checked-out commit");
  });
});
