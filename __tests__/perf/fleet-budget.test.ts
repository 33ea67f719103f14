// The read budget of docs/design.md §12 and issue 4, counted from the GitHub
// emulator's request log (what GitHub would bill), on the generated fleet:
// 50 repos x 20 ready issues, 10 runs in flight. A quiet tick (watch + poll,
// nothing changes) reads in at most 8 batched GraphQL requests plus one role
// lookup per (repo, labeller) and writes nothing; a busy tick's extra requests
// are only the ones a dispatch implies.
//
// The role lookups on a quiet tick are the price of issue 11's gate order:
// capacity is judged after trust, so an issue's skip reason describes the
// issue (untrusted, blocked...) rather than the moment (its repo is busy).
// Here: one labeller per repo, so +50 REST reads per quiet tick (8 -> 58).
//
// Setup, for every scenario:
// - every agent runs forever, so each watched run is "the agent is working":
//   no push, no CI, nothing for the watch tick to write;
// - one watch-only round first, unmeasured: the sandbox seeds the in-flight
//   runs' progress comments without the agent link a real dispatch records,
//   so the first watch tick fills it in (one edit per seeded run, once). The
//   runs the loop dispatches itself need no such round (last test).

import { afterEach, describe, expect, it } from "vitest";
import { parseConfig, type Config } from "../../src/core/config.js";
import { runRound, type RoundReport } from "../../src/sandbox/simulate.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/world/sandbox.js";
import type { WorldInput } from "../../src/sandbox/world/schema.js";
import { fleetWorld } from "../../src/sandbox/worlds/index.js";

const REPOS = 50;
const READY_PER_REPO = 20;
const IN_FLIGHT = 10;
/** The budget issue 4 sets for one tick's reads at this size. */
const READ_BUDGET = 8;
/** Every fleet issue is labelled by one maintainer: one role lookup per repo, busy or not (issue 11). */
const ROLE_LOOKUPS = REPOS;
/** Claim (create the progress comment), lock (add the in-progress label), record (edit the comment with the thread). */
const WRITES_PER_DISPATCH = 3;

/** A busy 50-repo tick makes a few hundred requests; each pays the retry and throttling plugins' scheduling. */
const TICK_TEST_TIMEOUT_MS = 60_000;

let sandbox: Sandbox | null = null;
afterEach(async () => {
  await sandbox?.stop();
  sandbox = null;
});

async function fleet(maxInFlight: number): Promise<{ sandbox: Sandbox; config: Config }> {
  const world = fleetWorld({
    repos: REPOS,
    readyPerRepo: READY_PER_REPO,
    inFlight: IN_FLIGHT,
    inputs: { "max-in-flight": maxInFlight },
  });
  const everyAgentWorks: WorldInput = { ...world, agent: { act: "run-forever" } };
  sandbox = await startSandbox(everyAgentWorks);
  const config = parseConfig(sandbox.inputs);
  await runRound(sandbox, parseConfig({ ...sandbox.inputs, ticks: "watch" }), 0);
  return { sandbox, config };
}

/** One watch + poll round, counted from the emulator's log alone. */
async function measuredRound(s: Sandbox, config: Config, round: number) {
  s.tick();
  s.github.log.reset();
  const report = await runRound(s, config, round);
  return { report, counts: s.github.log.counts(), routes: s.github.log.entries.map((e) => e.route) };
}

function skipCodes(report: RoundReport): Set<string> {
  return new Set(report.poll?.skipped.map((s) => s.code));
}

describe(`fleet of ${REPOS} repos x ${READY_PER_REPO} ready issues, ${IN_FLIGHT} in flight`, () => {
  it(
    `a quiet tick reads everything in at most ${READ_BUDGET} batched requests and ${ROLE_LOOKUPS} role lookups, and writes nothing`,
    async () => {
      // max-in-flight 10 with 10 runs in flight: the 10 busy repos' issues are repo-busy or
      // already-running, the 40 free repos' issues max-in-flight. Nothing can start, so no
      // dependency is read; the labellers' roles are, since trust comes before capacity.
      const { sandbox: s, config } = await fleet(IN_FLIGHT);
      const { report, counts, routes } = await measuredRound(s, config, 1);

      expect(report.watch?.runs).toHaveLength(IN_FLIGHT);
      expect(report.watch?.runs.every((r) => r.action === "wait")).toBe(true);
      expect(report.poll?.dispatched).toEqual([]);
      expect(report.poll?.skipped).toHaveLength(REPOS * READY_PER_REPO);
      expect(skipCodes(report)).toEqual(new Set(["already-running", "repo-busy", "max-in-flight"]));
      expect([...(report.watch?.failures ?? []), ...(report.poll?.failures ?? [])]).toEqual([]);

      const roleLookups = routes.filter((r) => r.endsWith("/collaborators/{username}/permission")).length;
      expect(roleLookups).toBe(ROLE_LOOKUPS);
      expect(counts.total - roleLookups).toBeLessThanOrEqual(READ_BUDGET);
      expect(counts.writes).toBe(0);
      expect(routes.length).toBeGreaterThan(0);
      // Today: two batched GraphQL queries per tick (25 repos each), and the role lookups.
      expect(routes.every((route) => route === "POST /graphql" || route.endsWith("/permission"))).toBe(true);
      // The client's own accountant agrees with the emulator.
      expect(report.requests.rest + report.requests.graphql).toBe(counts.total);
      expect(report.requests.writes).toBe(0);
    },
    TICK_TEST_TIMEOUT_MS,
  );

  it(
    "a busy tick adds only what each free repo and each dispatch needs",
    async () => {
      // max-in-flight 50: each of the 40 free repos takes its most urgent issue.
      const { sandbox: s, config } = await fleet(REPOS);
      const { report, counts, routes } = await measuredRound(s, config, 1);
      const dispatched = report.poll?.dispatched.length ?? 0;
      const freeRepos = REPOS - IN_FLIGHT;
      expect(dispatched).toBe(freeRepos);

      // The bound, term by term:
      // - the batched reads of a quiet tick (at most READ_BUDGET);
      // - one role lookup per (repo, labeller): here one labeller per repo;
      // - one native "blocked by" read per issue about to be taken (REST only, docs/design.md §6);
      // - WRITES_PER_DISPATCH writes per dispatch, and no other write.
      const roleLookups = routes.filter((r) => r.endsWith("/collaborators/{username}/permission")).length;
      const dependencyReads = routes.filter((r) => r.endsWith("/dependencies/blocked_by")).length;
      const graphql = routes.filter((r) => r === "POST /graphql").length;
      expect(graphql).toBeLessThanOrEqual(READ_BUDGET);
      expect(roleLookups).toBeLessThanOrEqual(ROLE_LOOKUPS);
      expect(dependencyReads).toBe(dispatched);
      expect(counts.writes).toBe(WRITES_PER_DISPATCH * dispatched);
      expect(counts.total).toBeLessThanOrEqual(
        READ_BUDGET + ROLE_LOOKUPS + dispatched + WRITES_PER_DISPATCH * dispatched,
      );
      // Measured: 4 GraphQL + 50 roles + 40 dependency reads + 120 writes = 214 requests.
      expect(counts.total).toBe(graphql + roleLookups + dependencyReads + counts.writes);
    },
    TICK_TEST_TIMEOUT_MS,
  );

  it(
    "the tick after the loop's own dispatches is quiet again: the records it wrote need no rewrite",
    async () => {
      const { sandbox: s, config } = await fleet(REPOS);
      await measuredRound(s, config, 1);
      const { report, counts } = await measuredRound(s, config, 2);

      expect(report.watch?.runs).toHaveLength(REPOS);
      expect(report.watch?.runs.every((r) => r.action === "wait")).toBe(true);
      expect(report.poll?.dispatched).toEqual([]);
      expect(counts.total).toBeLessThanOrEqual(READ_BUDGET + ROLE_LOOKUPS);
      expect(counts.writes).toBe(0);
    },
    TICK_TEST_TIMEOUT_MS,
  );
});
