// The few GitHub Actions runner commands the action needs: read an input,
// mask a secret, log, fail, set an output, append to the job summary. Same
// wire format as @actions/core (escaped `::command::` lines, the GITHUB_OUTPUT
// heredoc), without importing it: @actions/core loads its HTTP client (undici)
// and exec helpers at start-up, which made a disarmed step cost over 3x a bare
// `node` start (docs/design.md §12), and it would be a second HTTP stack in
// the bundle. The CLI reads its inputs through the same getInput.

import { appendFileSync, existsSync } from "node:fs";
import { appendFile } from "node:fs/promises";
import { EOL } from "node:os";

/**
 * As core.getInput: `INPUT_<NAME>` (spaces as underscores, upper case), trimmed; empty when unset.
 * A shell cannot export `INPUT_KILL-SWITCH`, so when the runner's hyphen form is absent (not merely
 * empty: the composite action always sets it) the underscore form `INPUT_KILL_SWITCH` is read instead.
 */
export function getInput(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const key = `INPUT_${name.replace(/ /g, "_").toUpperCase()}`;
  return (env[key] ?? env[key.replace(/-/g, "_")] ?? "").trim();
}

/** As core.setSecret: the runner masks the value in every later log line. */
export function setSecret(secret: string): void {
  issue("add-mask", secret);
}

export function info(message: string): void {
  process.stdout.write(message + EOL);
}

/** As core.setFailed: an error annotation, and the step exits 1. */
export function setFailed(message: string): void {
  process.exitCode = 1;
  issue("error", message);
}

/** As core.setOutput: the GITHUB_OUTPUT file when the runner gives one, else the legacy command. */
export function setOutput(name: string, value: string): void {
  const file = process.env.GITHUB_OUTPUT ?? "";
  if (file === "") {
    process.stdout.write(EOL);
    issue(`set-output name=${escapeProperty(name)}`, value);
    return;
  }
  if (!existsSync(file)) throw new Error(`Missing file at path: ${file}`);
  // Unguessable enough, and checked: a value can never close the heredoc early. (Not crypto.randomUUID:
  // loading node:crypto alone costs a disarmed step several milliseconds.)
  const delimiter = `ghadelimiter_${process.pid}_${Date.now()}_${Math.random().toString(36).slice(2)}`;
  if (name.includes(delimiter) || value.includes(delimiter)) throw new Error("an output contains its own delimiter");
  appendFileSync(file, `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`, { encoding: "utf8" });
}

/** As core.summary.addRaw(markdown).write(): appends to the job summary; outside a runner, does nothing. */
export async function appendSummary(markdown: string): Promise<void> {
  const file = process.env.GITHUB_STEP_SUMMARY;
  if (!file) return;
  await appendFile(file, markdown, { encoding: "utf8" });
}

function issue(command: string, message: string): void {
  process.stdout.write(`::${command}::${escapeData(message)}${EOL}`);
}

function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}
