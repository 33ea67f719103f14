// Secrets never leave the process: the GitHub token, the T3 token and the
// webhook secret appear in no report, summary, error, log line, comment,
// prompt or doorbell, whatever goes wrong. Everything the loop says is
// captured while the emulators misbehave, then searched for each secret.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/core/config.js";
import { renderMarkdown, renderTerminal } from "../../src/report/render.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/world/sandbox.js";
import { driveRounds, type RoundOutcome } from "../../__fixtures__/faults.js";
import {
  approved,
  hostileSuiteWorld,
  HOSTILE_GITHUB_TOKEN,
  HOSTILE_T3_TOKEN,
  HOSTILE_WEBHOOK_SECRET,
  runBundle,
} from "../../__fixtures__/faults-hostile.js";

const SECRETS = {
  "github token": HOSTILE_GITHUB_TOKEN,
  "T3 token": HOSTILE_T3_TOKEN,
  "webhook secret": HOSTILE_WEBHOOK_SECRET,
};

function expectNoSecret(text: string, where: string): void {
  expect(text.length, `${where} captured nothing`).toBeGreaterThan(0);
  for (const [name, value] of Object.entries(SECRETS)) {
    expect(text.includes(value), `${name} in ${where}`).toBe(false);
    // Nor a telling piece of it (a token cut at a line break or in a truncated message).
    expect(text.includes(value.slice(0, 16)), `part of the ${name} in ${where}`).toBe(false);
  }
}

const world = () =>
  hostileSuiteWorld({
    repos: {
      "acme/api": [approved(1), approved(2, { run: { since: "-5m" } })],
      "acme/web": [approved(1, { agent: { act: "idle", afterTicks: 1 } })],
      "acme/docs": [approved(1, { agent: { act: "push", afterTicks: 1 }, ci: { result: "red" } })],
    },
    agent: { act: "push", afterTicks: 1 },
  });

/**
 * Faults that make the loop write errors: refused and garbled T3 replies, GitHub 5xx and resets, a
 * failing doorbell, and (in process, where the timeout is short) a T3 request that never answers.
 */
function misbehave(sandbox: Sandbox, hang: boolean): void {
  sandbox.t3.addFault({ kind: "status", status: 401, body: '{"code":"unauthorized"}', route: "thread", times: 1 });
  sandbox.t3.addFault({ kind: "garbage", route: "dispatch", times: 1 });
  if (hang) sandbox.t3.addFault({ kind: "hang", route: "dispatch", commandType: "thread.turn.start", times: 1 });
  sandbox.github.faults.add({ route: "/graphql", times: 4, action: { kind: "status", status: 502 } });
  sandbox.github.faults.add({ method: "PATCH", times: 5, action: { kind: "reset" } });
  sandbox.doorbells.failNext(1, 500);
}

describe("in process, across a misbehaving lifecycle", () => {
  let sandbox: Sandbox;
  let rounds: RoundOutcome[];
  const logged: string[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox(world());
    misbehave(sandbox, true);
    rounds = await driveRounds(sandbox, 1, 6, { requestTimeoutMs: 400, log: (line) => logged.push(line) });
  });
  afterAll(() => sandbox.stop());

  it("the run really went wrong in several ways (so there were errors to leak into)", () => {
    const errors = rounds.flatMap((r) => [
      ...(r.crashed ? [r.crashed] : []),
      ...[...(r.watch?.failures ?? []), ...(r.poll?.failures ?? [])].map((f) => f.error),
    ]);
    expect(errors.join("\n")).toMatch(/401/);
    expect(errors.join("\n")).toMatch(/502|Server Error|Bad Gateway/i);
    expect(errors.length).toBeGreaterThanOrEqual(3);
  });

  it("no report, error or log line carries a secret", () => {
    expectNoSecret(JSON.stringify(rounds), "the tick reports");
    expectNoSecret(logged.join("\n") || "(no log lines)", "the log");
  });

  it("no job summary or terminal report carries a secret", () => {
    const config = parseConfig(sandbox.inputs);
    const text = rounds
      .map((r) => {
        const meta = {
          mode: "armed" as const,
          dryRun: false,
          repos: config.allowlist,
          requests: r.requests,
          executorRequests: r.executorRequests(),
        };
        return renderMarkdown(meta, r.watch, r.poll) + renderTerminal(meta, r.watch, r.poll);
      })
      .join("\n");
    expectNoSecret(text, "the summaries");
  });

  it("no comment, prompt or doorbell carries a secret", () => {
    const comments = sandbox.world.store
      .allRepos()
      .flatMap((repo) => [...repo.issues.values()].flatMap((issue) => issue.comments.map((c) => c.body)));
    expectNoSecret(comments.join("\n"), "the issue comments");
    const threads = sandbox.t3.state.snapshot().threads;
    expectNoSecret(JSON.stringify(threads), "the T3 threads");
    expectNoSecret(JSON.stringify(sandbox.doorbells.deliveries), "the doorbells");
  });
});

describe("the bundle, as the step runs it", () => {
  it.each(["watch", "poll"])("%s prints a secret only to register it as one (::add-mask::)", async (tick) => {
    const sandbox = await startSandbox(world());
    const dir = mkdtempSync(join(tmpdir(), "afk-secrets-"));
    const summary = join(dir, "summary.md");
    writeFileSync(summary, "");
    try {
      misbehave(sandbox, false);
      const { out } = await runBundle([tick], sandbox.inputs, { GITHUB_STEP_SUMMARY: summary });
      const masks = out.split("\n").filter((line) => line.startsWith("::add-mask::"));
      expect(masks.sort()).toEqual(
        [HOSTILE_GITHUB_TOKEN, HOSTILE_T3_TOKEN, HOSTILE_WEBHOOK_SECRET, sandbox.doorbellUrl]
          .map((secret) => `::add-mask::${secret}`)
          .sort(),
      );
      const printed = out
        .split("\n")
        .filter((line) => !line.startsWith("::add-mask::"))
        .join("\n");
      expectNoSecret(printed, `${tick}'s output`);
      expectNoSecret(readFileSync(summary, "utf8"), `${tick}'s job summary`);
      // Nothing the loop prints can start a workflow command of its own.
      const commands = printed.split("\n").filter((line) => /^\s*::/.test(line));
      expect(commands.every((line) => /^::(error|warning|notice|debug|set-output|group|endgroup)\b/.test(line))).toBe(
        true,
      );
    } finally {
      await sandbox.stop();
    }
  });
});
