// The fault sweep's world and its judge. `lifecycleWorld()` is a small world
// whose full run touches every write the loop makes: three issues dispatched
// at once, a push that goes green and closes, a red push fixed forward then
// closed, an agent that stops without pushing (an escalation), an issue that
// waits for its repo to free up, and two ready issues skipped with a reason;
// every terminal transition rings the sandbox's webhook doorbell.
// `driveRounds` runs the real ticks round by round the way the action does,
// each round in a fresh context (a new process), surviving a tick that throws.
// `pullRequestWorld()` is the same for delivery by pull request: a pull
// request, a trusted review round, merges (one deleting its branch), and the
// repository's next issue started while the first awaits review; the people
// in it act from the world's state (`Lifecycle.people`), never by round.
// `checkInvariants` reads the emulators' state afterwards and names every
// broken promise of docs/design.md §3, §6 and §9. The fault points (one GitHub or T3
// request failing, the process dying at a write boundary) act only on the
// emulators' answers: the loop's own calls are never stubbed.

import { parseConfig, type Config } from "../src/core/config.js";
import type { RequestCounts } from "../src/github/client.js";
import { AWAITING_REVIEW_LABEL, DOORBELL_OWED_LABEL } from "../src/core/labels.js";
import { stopPending } from "../src/core/stop.js";
import { type RunRecord } from "../src/core/run-record.js";
import { decodeRunRecord } from "../src/core/record-codec.js";
import { threadIdFor } from "../src/executors/t3.js";
import { describeError } from "../src/ticks/context.js";
import { pollTick, type PollReport } from "../src/ticks/poll.js";
import { createTickContext } from "../src/ticks/setup.js";
import { watchTick, type WatchReport } from "../src/ticks/watch.js";
import { DashboardStep, type DashboardResult } from "../src/ticks/dashboard.js";
import { buildReport } from "../src/report/model.js";
import { finishedThisTick } from "../src/report/dashboard.js";
import { DASHBOARD_LABEL, decodeDashboardRecord } from "../src/report/dashboard-record.js";
import type { FaultAction, FaultTarget } from "../src/sandbox/github/faults.js";
import type { T3FaultRule } from "../src/sandbox/t3/faults.js";
import { startSandbox, type Sandbox } from "../src/sandbox/world/sandbox.js";
import type { WorldInput } from "../src/sandbox/world/schema.js";

export const LOOP_LOGIN = "afk-loop[bot]";
export const GITHUB_TOKEN = "ghs_fault_sweep_app";
export const T3_TOKEN = "t3_fault_sweep_operator";
export const WEBHOOK_SECRET = "whsec_fault_sweep";
export const LEASE_MINUTES = 15;
export const TICK_MINUTES = 10;

/** Rounds a fault-free lifecycle needs to finish everything (the sweep's baseline test holds it to that). */
export const LIFECYCLE_ROUNDS = 7;

/** The loop's credentials in every sweep world: an App token that reaches every repository, a T3 operator. */
const SWEEP_ACCESS = {
  github: { tokens: [{ token: GITHUB_TOKEN, login: LOOP_LOGIN, reach: "all" }] },
  t3: { tokens: { [T3_TOKEN]: ["orchestration:operate", "orchestration:read"] } },
} satisfies Pick<WorldInput, "github" | "t3">;

/** The inputs every sweep world shares; each world adds its allowlist and delivery. */
const SWEEP_INPUTS = {
  "github-token": GITHUB_TOKEN,
  "t3-token": T3_TOKEN,
  "kill-switch": "off",
  "max-per-repo": 1,
  "max-in-flight": 5,
  "fix-forward-attempts": 2,
  "lease-minutes": LEASE_MINUTES,
  "webhook-secret": WEBHOOK_SECRET,
};

/**
 * acme/api#1 push, green: done. acme/api#2 waits for #1 (repo busy), then red,
 * fix-forward, green: done. acme/web#1 stops without pushing: needs-human.
 * acme/docs#1 red, fix-forward, green: done. acme/docs#2 is labelled by a
 * triager (untrusted), acme/web#2 is blocked by an open issue: both skipped.
 */
export function lifecycleWorld(): WorldInput {
  return {
    version: 1,
    description: "A full lifecycle for the fault sweep: close, fix-forward, escalation, skips, doorbells.",
    start: "2026-03-02T09:00:00Z",
    tickMinutes: TICK_MINUTES,
    users: ["maya", "bob", "tina"],
    ...SWEEP_ACCESS,
    inputs: { ...SWEEP_INPUTS, allowlist: "acme/api\nacme/web\nacme/docs" },
    agent: { act: "push", afterTicks: 1 },
    ci: { result: "green", afterTicks: 1 },
    repos: [
      {
        repo: "acme/api",
        collaborators: { maya: "admin", bob: "write" },
        issues: [
          {
            number: 1,
            title: "Add a health endpoint",
            body: "Return 200 and the build sha.",
            author: "maya",
            labels: [
              { name: "ready-for-agent", by: "bob", at: "-2h" },
              { name: "P1", by: "bob", at: "-2h" },
            ],
          },
          {
            number: 2,
            title: "Answer 404 with a JSON body",
            author: "maya",
            labels: [
              { name: "ready-for-agent", by: "bob", at: "-2h" },
              { name: "P2", by: "bob", at: "-2h" },
            ],
            agent: ["push", "push"],
            ci: [{ result: "red", failing: ["test"] }, "green"],
          },
        ],
      },
      {
        repo: "acme/web",
        collaborators: { bob: "write" },
        issues: [
          {
            number: 1,
            title: "Fix the login redirect",
            author: "bob",
            labels: [{ name: "ready-for-agent", by: "bob", at: "-1h" }],
            agent: { act: "idle", afterTicks: 1 },
          },
          {
            number: 2,
            title: "Move to the new router",
            body: "Blocked by #3",
            author: "bob",
            labels: [{ name: "ready-for-agent", by: "bob", at: "-1h" }],
          },
          { number: 3, title: "Pick a router", author: "bob" },
        ],
      },
      {
        repo: "acme/docs",
        collaborators: { maya: "admin", tina: "triage" },
        issues: [
          {
            number: 1,
            title: "Document the config inputs",
            author: "maya",
            labels: [{ name: "ready-for-agent", by: "maya", at: "-1h" }],
            agent: ["push", "push"],
            ci: [{ result: "red", failing: ["build"] }, "green"],
          },
          {
            number: 2,
            title: "Delete the changelog",
            author: "tina",
            labels: [{ name: "ready-for-agent", by: "tina", at: "-1h" }],
          },
        ],
      },
    ],
  };
}

/** What each issue of the lifecycle world ends as when nothing goes wrong. */
export const LIFECYCLE_OUTCOMES: Readonly<Record<string, string>> = {
  "acme/api#1": "closed",
  "acme/api#2": "closed",
  "acme/web#1": "escalated",
  "acme/web#2": "skipped:blocked",
  "acme/web#3": "untouched",
  "acme/docs#1": "closed",
  "acme/docs#2": "skipped:untrusted-labeler",
};

/** A world the sweep runs: what it ends as without faults, in how many rounds, and what its people do. */
export interface Lifecycle {
  name: string;
  world: () => WorldInput;
  /** Rounds a fault-free run needs to finish everything. */
  rounds: number;
  outcomes: Readonly<Record<string, string>>;
  /**
   * What people do before each round (review, merge), decided from the world's state, so a fault
   * that delays the loop delays them too, and each act happens once.
   */
  people?: (sandbox: Sandbox) => void;
}

export const PUSH_LIFECYCLE: Lifecycle = {
  name: "push",
  world: lifecycleWorld,
  rounds: LIFECYCLE_ROUNDS,
  outcomes: LIFECYCLE_OUTCOMES,
};

/**
 * Delivery by pull request. acme/api#1: a pull request, green, awaiting review; a trusted
 * reviewer (bob, write) requests changes with an inline comment; one review turn; the agent's
 * push goes green; maya merges it and the branch is deleted: done. acme/api#2 (P2) starts while
 * #1 awaits review (a run awaiting review holds no lock); green, merged as it is: done.
 */
function pullRequestWorld(): WorldInput {
  return {
    version: 1,
    description: "Pull-request delivery for the fault sweep: dispatch, pull request, a review round, merges.",
    start: "2026-03-02T09:00:00Z",
    tickMinutes: TICK_MINUTES,
    users: ["maya", "bob"],
    ...SWEEP_ACCESS,
    inputs: { ...SWEEP_INPUTS, allowlist: "acme/api", delivery: "pull-request", "review-rounds": 2 },
    agent: { act: "pull-request", afterTicks: 1 },
    ci: { result: "green", afterTicks: 1 },
    repos: [
      {
        repo: "acme/api",
        collaborators: { maya: "admin", bob: "write" },
        issues: [
          {
            number: 1,
            title: "Add a health endpoint",
            author: "maya",
            labels: [
              { name: "ready-for-agent", by: "bob", at: "-2h" },
              { name: "P1", by: "bob", at: "-2h" },
            ],
            agent: ["pull-request", "pull-request"],
            ci: ["green", "green"],
          },
          {
            number: 2,
            title: "Answer 404 with a JSON body",
            author: "maya",
            labels: [
              { name: "ready-for-agent", by: "bob", at: "-2h" },
              { name: "P2", by: "bob", at: "-2h" },
            ],
          },
        ],
      },
    ],
  };
}

/** The reviewers and the merger of pullRequestWorld, acting on what they see. */
function pullRequestPeople(sandbox: Sandbox): void {
  const store = sandbox.world.store;
  for (const issue of issuesOf(sandbox)) {
    const record = issue.record;
    if (record?.phase !== "awaiting-review" || !record.review) continue;
    const pull = store.repo(issue.repo)?.pullRequests.find((p) => p.number === record.review?.pullRequest);
    if (!pull || pull.state !== "open") continue;
    if (issue.number === 1 && pull.reviews.length === 0) {
      store.addReview(issue.repo, pull.number, {
        author: "bob",
        state: "CHANGES_REQUESTED",
        body: "Return the build sha too.",
        comments: [{ path: "src/health.ts", line: 4, body: "Add a test for this." }],
      });
    } else if (issue.number !== 1 || record.review.rounds >= 1) {
      store.mergePullRequest(issue.repo, pull.number, { by: "maya", deleteBranch: issue.number === 1 });
    }
  }
}

export const PULL_REQUEST_LIFECYCLE: Lifecycle = {
  name: "pull-request",
  world: pullRequestWorld,
  rounds: 7,
  outcomes: { "acme/api#1": "closed", "acme/api#2": "closed" },
  people: pullRequestPeople,
};

export interface RoundOutcome {
  round: number;
  watch: WatchReport | null;
  poll: PollReport | null;
  /** A tick that threw (the process would have died with this message). */
  crashed: string | null;
  /** What the dashboard step did, in a world with `dashboard: true`. */
  dashboard?: DashboardResult;
  /** The round's GitHub request counts, as the job summary shows them. */
  requests: RequestCounts;
  executorRequests: () => number | null;
}

export interface DriveOptions {
  /** Milliseconds before a GitHub or T3 request counts as hung. */
  requestTimeoutMs?: number;
  /** Runs before each round's ticks (after the world's step), e.g. to arm or clear faults. */
  beforeRound?: (round: number) => void;
  /** Runs after each round's ticks, e.g. to check an invariant that must hold at every moment. */
  afterRound?: (round: number) => void;
  /** Receives every line the tick logs. */
  log?: (line: string) => void;
  /** Checked after each round: true ends the drive early. */
  until?: (round: number) => boolean;
}

/**
 * Rounds `from`..`to` (inclusive): the world steps (except before round 1),
 * then watch and poll run in a fresh context, as a new process each time.
 * A tick that throws ends that round's process; the next round starts clean.
 */
export async function driveRounds(
  sandbox: Sandbox,
  from: number,
  to: number,
  options: DriveOptions = {},
): Promise<RoundOutcome[]> {
  const config: Config = parseConfig(sandbox.inputs);
  const out: RoundOutcome[] = [];
  for (let round = from; round <= to; round++) {
    if (round > 1) sandbox.tick();
    options.beforeRound?.(round);
    const ctx = createTickContext(config, {
      now: () => sandbox.world.clock.now(),
      pacing: "none",
      retryUnitMs: 1,
      ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
      ...(options.log ? { log: options.log } : {}),
    });
    const outcome: RoundOutcome = {
      round,
      watch: null,
      poll: null,
      crashed: null,
      requests: ctx.github.counts,
      executorRequests: ctx.executorRequests,
    };
    try {
      outcome.watch = await watchTick(ctx);
      if (config.dashboard.enabled) {
        // The poll step as run-tick.ts runs it: the dashboard hands the poll its guard rails and is written last.
        const step = new DashboardStep(ctx, outcome.watch);
        outcome.poll = await pollTick(ctx, { guard: step.guard, reserve: step.reserve });
        const now = ctx.now().toISOString();
        const meta = {
          mode: "armed" as const,
          dryRun: false,
          repos: config.allowlist,
          requests: null,
          executorRequests: null,
          now,
        };
        const model = buildReport(meta, outcome.watch, outcome.poll);
        outcome.dashboard = await step.finish({ model, poll: outcome.poll, identity: outcome.poll.identity });
      } else {
        outcome.poll = await pollTick(ctx);
      }
    } catch (error) {
      outcome.crashed = describeError(error);
    }
    out.push(outcome);
    options.afterRound?.(round);
    if (options.until?.(round) === true) break;
  }
  return out;
}

// --- the judge --------------------------------------------------------------------

/** Agents at work right now (a T3 thread whose latest turn is running), per repo. */
export function runningAgentsByRepo(sandbox: Sandbox): Record<string, number> {
  const out: Record<string, number> = {};
  for (const thread of sandbox.t3.state.snapshot().threads) {
    if (thread.deletedAt !== null || thread.latestTurn?.state !== "running") continue;
    const repo = thread.title.split("#")[0] ?? "?";
    out[repo] = (out[repo] ?? 0) + 1;
  }
  return out;
}

interface IssueView {
  key: string;
  repo: string;
  number: number;
  state: string;
  labels: string[];
  /** The loop's progress comments (there must never be more than one). */
  progress: string[];
  record: RunRecord | null;
}

function issuesOf(sandbox: Sandbox): IssueView[] {
  const out: IssueView[] = [];
  for (const repo of sandbox.world.store.allRepos()) {
    for (const issue of repo.issues.values()) {
      const progress = issue.comments
        .filter((c) => c.author.toLowerCase() === LOOP_LOGIN && c.body.includes("<!-- afk-loop:run"))
        .map((c) => c.body);
      const decoded = progress[0] === undefined ? null : decodeRunRecord(progress[0]);
      out.push({
        key: `${repo.fullName}#${issue.number}`,
        repo: repo.fullName,
        number: issue.number,
        state: issue.state,
        labels: [...issue.labels],
        progress,
        record: decoded?.ok === true ? decoded.record : null,
      });
    }
  }
  return out;
}

/** Each issue's end state in the vocabulary of LIFECYCLE_OUTCOMES. */
export function outcomesOf(sandbox: Sandbox, rounds: readonly RoundOutcome[]): Record<string, string> {
  const lastPoll = [...rounds].reverse().find((r) => r.poll !== null)?.poll ?? null;
  const out: Record<string, string> = {};
  for (const issue of issuesOf(sandbox)) {
    const skip = lastPoll?.skipped.find((s) => `${s.repo}#${s.number}` === issue.key);
    out[issue.key] = issue.record?.phase ?? (skip ? `skipped:${skip.code}` : "untouched");
  }
  return out;
}

/**
 * Every invariant the sweep promises, checked on the emulators' state after
 * recovery. Returns one line per violation; empty when everything held.
 */
export function checkInvariants(sandbox: Sandbox, rounds: readonly RoundOutcome[]): string[] {
  const violations: string[] = [];
  const config = parseConfig(sandbox.inputs);
  const labels = config.labels;
  const now = sandbox.world.clock.now().getTime();
  const snapshot = sandbox.t3.state.snapshot();
  const issues = issuesOf(sandbox);
  const lastPoll = [...rounds].reverse().find((r) => r.poll !== null)?.poll ?? null;
  const everDispatched = new Set(rounds.flatMap((r) => r.poll?.dispatched.map((d) => `${d.repo}#${d.number}`) ?? []));

  // 1. Never two agents on one issue: one T3 thread per issue (one run each here), each turn's message sent once.
  for (const issue of issues) {
    const threads = snapshot.threads.filter((t) => t.title.startsWith(`${issue.key}:`));
    if (threads.length > 1) violations.push(`${issue.key}: ${threads.length} agent threads`);
    for (const thread of threads) {
      const messages = thread.messages.filter((m) => m.role === "user");
      const ids = new Set(messages.map((m) => m.id));
      if (ids.size !== messages.length) violations.push(`${issue.key}: a turn's message was sent twice`);
      // The prompt, then at most one turn per fix-forward and per review round.
      const most = 1 + config.limits.fixForwardAttempts + config.limits.reviewRounds;
      if (messages.length > most) {
        violations.push(`${issue.key}: ${messages.length} user messages on one thread (max ${most})`);
      }
    }
    // A run the loop believes it dispatched has an agent that got its prompt.
    const record = issue.record;
    if (record && record.dispatchedAt !== null && record.phase !== "released") {
      const thread = snapshot.threads.find((t) => t.id === (record.threadId ?? threadIdFor(record.runId)));
      if (!thread || !thread.messages.some((m) => m.role === "user")) {
        violations.push(`${issue.key}: the record says dispatched (${record.phase}) but no agent ever got the prompt`);
      }
    }
    // A thread exists only for an issue the loop has a record for.
    if (threads.length > 0 && record === null) violations.push(`${issue.key}: an agent thread with no run record`);
  }

  // 2. Every ready, eligible issue ends dispatched or skipped with a reason.
  for (const issue of issues) {
    const open = issue.state === "open";
    const ready = issue.labels.includes(labels.ready);
    if (!open || !ready) continue;
    const running = issue.labels.includes(labels.inProgress);
    const skipped = lastPoll?.skipped.find((s) => `${s.repo}#${s.number}` === issue.key);
    if (running || (everDispatched.has(issue.key) && issue.record?.phase !== "released")) continue;
    if (skipped && skipped.reason.trim() !== "") continue;
    violations.push(`${issue.key}: ready but neither dispatched nor skipped with a reason`);
  }

  // 3. No in-progress label outlives its lease: a lock belongs to a live run.
  for (const issue of issues) {
    if (!issue.labels.includes(labels.inProgress)) continue;
    const record = issue.record;
    // The watch also reads closed issues with the lock, so a lock removal that failed is finished later.
    if (issue.state !== "open" && !(record !== null && stopPending(record))) {
      violations.push(`${issue.key}: closed with ${labels.inProgress} still on`);
      continue;
    }
    if (record !== null && stopPending(record)) continue; // the lock stays on until the agent's stop is confirmed
    if (record === null) violations.push(`${issue.key}: carries ${labels.inProgress} with no run record`);
    else if (record.phase === "claimed" && Date.parse(record.leaseExpiresAt) <= now) {
      violations.push(`${issue.key}: a claim outlived its lease (${record.leaseExpiresAt})`);
    } else if (record.phase !== "claimed" && record.phase !== "dispatched") {
      violations.push(`${issue.key}: carries ${labels.inProgress} but its run is ${record.phase}`);
    }
  }

  // 3b. The awaiting-review label marks exactly the runs awaiting review (the watch finds them by it).
  for (const issue of issues) {
    const awaiting = issue.record?.phase === "awaiting-review";
    if (issue.labels.includes(AWAITING_REVIEW_LABEL) !== awaiting) {
      violations.push(
        awaiting
          ? `${issue.key}: awaits review without ${AWAITING_REVIEW_LABEL}`
          : `${issue.key}: carries ${AWAITING_REVIEW_LABEL} but its run is ${issue.record?.phase ?? "unrecorded"}`,
      );
    }
  }

  // 4. Exactly one progress comment per dispatched issue.
  for (const issue of issues) {
    if (issue.progress.length > 1) violations.push(`${issue.key}: ${issue.progress.length} progress comments`);
    if (everDispatched.has(issue.key) && issue.progress.length !== 1) {
      violations.push(`${issue.key}: dispatched but has ${issue.progress.length} progress comments`);
    }
    if (issue.progress.length === 1 && issue.record === null) {
      violations.push(`${issue.key}: its progress comment carries no readable record`);
    }
  }

  // 5. Every terminal transition's doorbell delivered exactly once, as a receiver sees it that drops
  // a repeat of a delivery id it already has (repeats themselves are counted by repeatedDoorbells).
  const delivered = new Map<string, Set<string>>();
  for (const d of deliveriesOf(sandbox)) {
    const ids = delivered.get(d.key) ?? new Set<string>();
    ids.add(d.id);
    delivered.set(d.key, ids);
  }
  const owed = new Set<string>();
  for (const issue of issues) {
    const doorbell = issue.record?.doorbell;
    if (!doorbell) continue;
    const key = `${issue.key} ${doorbell.kind}`;
    owed.add(key);
    const count = delivered.get(key)?.size ?? 0;
    if (count !== 1) violations.push(`${key} doorbell delivered ${count} times`);
    if (!doorbell.delivered) violations.push(`${key} doorbell still owed after recovery`);
  }
  for (const [key, ids] of delivered) {
    if (!owed.has(key)) violations.push(`${key} doorbell rang ${ids.size} times with no terminal record asking for it`);
  }

  // 6. Stop means stop: an agent still at work belongs to a run in flight, or to one whose stop is
  // owed (retried every tick) or deliberately left open (it waits for a person). Never to a run the
  // loop let go of and forgot. (Never more than max-per-repo at work: checked after every round.)
  for (const thread of snapshot.threads) {
    if (thread.deletedAt !== null || thread.latestTurn?.state !== "running") continue;
    const issue = issues.find((i) => thread.title.startsWith(`${i.key}:`));
    const record = issue?.record ?? null;
    if (record === null) continue; // no record: judged by invariant 1
    const inFlight = record.phase === "claimed" || record.phase === "dispatched";
    const stop = record.stop?.state;
    if (!inFlight && stop !== "owed" && stop !== "requested" && stop !== "left-open") {
      violations.push(
        `${issue?.key ?? thread.title}: an agent still at work after its run was ${record.phase}, with no stop owed`,
      );
    }
  }
  return violations;
}

/** Successful doorbell deliveries: which issue and kind, and the delivery id (the raw body when it has none). */
function deliveriesOf(sandbox: Sandbox): { key: string; id: string }[] {
  return sandbox.doorbells.deliveries
    .filter((d) => d.status >= 200 && d.status < 300)
    .map((d) => {
      const body = d.body as { id?: string; kind?: string; repo?: string; issue?: number };
      return {
        key: `${body.repo ?? "?"}#${body.issue ?? "?"} ${body.kind ?? "?"}`,
        id: body.id ?? JSON.stringify(body),
      };
    });
}

/**
 * Doorbells rung more than once under one delivery id. The loop rings at least once: a ring
 * whose "delivered" write then fails is rung again by the next tick, with the same id.
 */
export function repeatedDoorbells(sandbox: Sandbox): string[] {
  const counts = new Map<string, number>();
  for (const d of deliveriesOf(sandbox)) counts.set(`${d.key} ${d.id}`, (counts.get(`${d.key} ${d.id}`) ?? 0) + 1);
  return [...counts]
    .filter(([, n]) => n > 1)
    .map(([key, n]) => `${key.split(" ").slice(0, 2).join(" ")} rang ${n} times`);
}

// --- fault points -----------------------------------------------------------------

/** How a GitHub request fails: as GitHub fails (5xx, a dropped connection, no answer, a secondary limit). */
export const GITHUB_FAULT_KINDS = ["5xx", "reset", "hang", "secondary-rate-limit"] as const;
export type GitHubFaultKind = (typeof GITHUB_FAULT_KINDS)[number];

/**
 * How a T3 request fails. `reset` and `hang` strike after T3 applied the
 * command (the reply is lost, the client cannot tell it landed); `5xx` and
 * `429` before (nothing happened).
 */
export const T3_FAULT_KINDS = ["5xx", "reset", "hang", "429"] as const;
export type T3FaultKind = (typeof T3_FAULT_KINDS)[number];

/** Retries the GitHub client makes after a failed request (its default). */
const GITHUB_RETRIES = 3;
/** A hung request is abandoned after this long: short, but far above an emulator reply under load. */
export const SWEEP_TIMEOUT_MS = 750;

function githubAction(kind: GitHubFaultKind): FaultAction {
  switch (kind) {
    case "5xx":
      return { kind: "status", status: 502, message: "Server Error" };
    case "reset":
      return { kind: "reset" };
    case "hang":
      return { kind: "hang" };
    case "secondary-rate-limit":
      return { kind: "secondary-rate-limit", retryAfterSeconds: 1 };
  }
}

function t3Rule(kind: T3FaultKind, index: number): T3FaultRule {
  switch (kind) {
    case "5xx":
      return { kind: "status", status: 503, body: "", index, times: 1 };
    case "reset":
      return { kind: "reset", index, times: 1, afterApply: true };
    case "hang":
      return { kind: "hang", index, times: 1, afterApply: true };
    case "429":
      return { kind: "status", status: 429, body: '{"code":"rate_limited"}', index, times: 1 };
  }
}

/**
 * Watches a sandbox's GitHub requests: entry `i` of the returned array is the number of
 * doorbell deliveries the receiver had accepted when GitHub request `i` arrived. A request
 * whose count exceeds its predecessor's is the first one after a ring (the record write that
 * marks the doorbell delivered). Answers nothing itself: every request passes on unchanged.
 */
export function ringsBeforeRequests(sandbox: Sandbox): number[] {
  const rings: number[] = [];
  const faults = sandbox.github.faults;
  const take = faults.take.bind(faults);
  faults.take = (target) => {
    rings[target.index] = deliveriesOf(sandbox).length;
    return take(target);
  };
  return rings;
}

/**
 * A programmable front for the GitHub emulator's fault rules: decides per
 * request (by index, method and path as they arrive) and remembers whether it
 * struck. Only the emulator's answers change; the loop's client is untouched.
 */
interface GitHubSwitch {
  decide: ((target: FaultTarget) => FaultAction | undefined) | null;
}

function installSwitch(sandbox: Sandbox): GitHubSwitch {
  const control: GitHubSwitch = { decide: null };
  const faults = sandbox.github.faults;
  const take = faults.take.bind(faults);
  faults.take = (target) => control.decide?.(target) ?? take(target);
  return control;
}

export interface FaultPoint {
  name: string;
  /**
   * The one known way a doorbell rings twice under one delivery id: the point fails the
   * record write that follows a successful ring (or the process dies just before it), so
   * the doorbell stays owed and the next tick rings it again (at-least-once delivery).
   * Set from the fault-free baseline (`ringsBeforeRequests`); any other point that leaves a
   * repeated ring fails the sweep.
   */
  ringsAgain?: boolean;
  /** Arms the fault before round 1. */
  arm(sandbox: Sandbox): ArmedFault;
}

export interface ArmedFault {
  /** Whether the fault struck at all (a point whose request never came is not counted as tried). */
  struck(): boolean;
  /** Called as each new round (a new process) begins. */
  roundBegins?(): void;
}

/** GitHub request `index` fails, and so does every retry of it (the loop sees that request fail). */
export function githubFault(index: number, kind: GitHubFaultKind): FaultPoint {
  return {
    name: `github #${index} ${kind}`,
    arm(sandbox) {
      const control = installSwitch(sandbox);
      let struck: string | null = null;
      let left = GITHUB_RETRIES + 1;
      control.decide = (target) => {
        const key = `${target.method} ${target.path}`;
        const hit = target.index === index || (struck === key && target.index <= index + 2 * GITHUB_RETRIES);
        if (!hit || left === 0) return undefined;
        struck = key;
        left--;
        return githubAction(kind);
      };
      return { struck: () => struck !== null };
    },
  };
}

/** T3 request `index` fails once (T3 requests are never retried by the executor). */
export function t3Fault(index: number, kind: T3FaultKind): FaultPoint {
  return {
    name: `t3 #${index} ${kind}`,
    arm(sandbox) {
      sandbox.t3.addFault(t3Rule(kind, index));
      return { struck: () => sandbox.t3.log.some((r) => r.index === index && r.fault !== null) };
    },
  };
}

/**
 * The process dies: just before GitHub request `github`, or just before (or,
 * with `afterApply`, just after T3 applied) T3 request `t3`. From that moment
 * every request of the round, to either service, is dropped unanswered, as a
 * dead process makes none; the next round starts as a new process.
 */
export function crashAt(at: { github: number } | { t3: number; afterApply?: boolean }): FaultPoint {
  const name =
    "github" in at ? `crash before github #${at.github}` : `crash ${at.afterApply ? "after" : "before"} t3 #${at.t3}`;
  return {
    name,
    arm(sandbox) {
      const control = installSwitch(sandbox);
      let dead = false;
      let died = false;
      const die = () => {
        dead = true;
        sandbox.t3.addFault({ kind: "reset" });
      };
      if ("t3" in at) {
        sandbox.t3.addFault({ kind: "reset", index: at.t3, times: 1, afterApply: at.afterApply === true });
      }
      control.decide = (target) => {
        if (!dead) {
          const due = "github" in at ? target.index >= at.github : sandbox.t3.log.length > at.t3;
          if (due) die();
        }
        return dead ? { kind: "reset" } : undefined;
      };
      // T3 requests after a T3 crash point die too, even before GitHub is asked anything.
      if ("t3" in at) for (let i = at.t3 + 1; i < at.t3 + 64; i++) sandbox.t3.addFault({ kind: "reset", index: i });
      return {
        struck: () => died,
        roundBegins: () => {
          // The dead process is gone; the new one meets healthy services.
          if (dead) disarm(sandbox);
          died ||= dead;
          dead = false;
          if (died) control.decide = null;
        },
      };
    },
  };
}

export interface PointResult {
  point: string;
  struck: boolean;
  violations: string[];
  /** Issues that ended differently from the fault-free run (safe, but worth a look). */
  diverged: string[];
  /** Doorbells rung again under the same delivery id (at-least-once delivery; see `repeatedDoorbells`). */
  repeats: string[];
  /** The point is the known case of a repeated ring (`FaultPoint.ringsAgain`). */
  ringsAgain: boolean;
  rounds: RoundOutcome[];
}

/** At most this many rounds after the faulted ones, without faults: enough for leases to expire and delayed runs to finish. */
export const RECOVERY_ROUNDS = 8;

/**
 * Nothing more can happen: the last round wrote nothing, asked T3 for nothing,
 * and no issue is locked or still owes a doorbell (so the next round is the same).
 */
function settledSince(sandbox: Sandbox, mark: { github: number; t3: number }): boolean {
  const lock = parseConfig(sandbox.inputs).labels.inProgress;
  const github = sandbox.github.log.entries.slice(mark.github).some((e) => e.mutation);
  const t3 = sandbox.t3.log.slice(mark.t3).some((r) => r.route === "dispatch");
  if (github || t3) return false;
  return issuesOf(sandbox).every(
    (issue) =>
      // A run awaiting review still has its merge (or its review) to come, open issue or closed.
      !issue.labels.includes(AWAITING_REVIEW_LABEL) &&
      (issue.state !== "open" || !issue.labels.some((label) => label === lock || label === DOORBELL_OWED_LABEL)),
  );
}

/** The lifecycle world with the dashboard on (issue 12): the guard rails' counts live in its record. */
export function dashboardLifecycleWorld(): WorldInput {
  const world = lifecycleWorld();
  return {
    ...world,
    description: "The fault sweep's lifecycle with the dashboard, its record and the guard rails on.",
    inputs: { ...world.inputs, dashboard: true, "dashboard-repo": "acme/api" },
  };
}

/** The push lifecycle with the dashboard on: the same outcomes (the dashboard issue is one more, unlisted). */
export const DASHBOARD_LIFECYCLE: Lifecycle = {
  name: "dashboard",
  world: dashboardLifecycleWorld,
  rounds: LIFECYCLE_ROUNDS,
  outcomes: LIFECYCLE_OUTCOMES,
};

/**
 * The dashboard's promises, in a world that has one (none to check otherwise):
 * exactly one dashboard by the loop, whose record reads; no dispatch it missed
 * (its starts are at least the agents started: a lost write may over-count, never
 * under-count); and every verdict the watch reached counted once.
 */
export function checkDashboard(sandbox: Sandbox, rounds: readonly RoundOutcome[]): string[] {
  if (!parseConfig(sandbox.inputs).dashboard.enabled) return [];
  const dashboards = sandbox.world.store
    .allRepos()
    .flatMap((repo) => [...repo.issues.values()])
    .filter((i) => i.labels.includes(DASHBOARD_LABEL) && i.author === LOOP_LOGIN);
  if (dashboards.length !== 1) return [`${dashboards.length} dashboard issues by the loop, not 1`];
  const [dashboard] = dashboards;
  if (dashboard === undefined) return [];
  const decoded = decodeDashboardRecord(dashboard.body, sandbox.world.clock.now().toISOString());
  if (decoded.state !== "read") return [`the dashboard's record does not read (${decoded.state})`];
  const count = (kind: string) => decoded.record.events.filter(([k]) => k === kind).length;
  const threads = sandbox.t3.state.snapshot().threads.length;
  const problems: string[] = [];
  if (count("s") < threads) problems.push(`dashboard counts ${count("s")} starts for ${threads} agents started`);
  const verdicts = new Set(
    rounds.flatMap((r) =>
      finishedThisTick(r.watch)
        .filter((f) => f.outcome !== "released")
        .map((f) => f.runId),
    ),
  );
  const counted = count("d") + count("e") + count("f");
  if (counted !== verdicts.size)
    problems.push(`dashboard counts ${counted} verdicts for the ${verdicts.size} the watch reached`);
  return problems;
}

/** One lifecycle with the point armed for its rounds, then recovery rounds without faults, then the judge. */
export async function runPoint(point: FaultPoint, lifecycle: Lifecycle = PUSH_LIFECYCLE): Promise<PointResult> {
  const faultedRounds = lifecycle.rounds;
  const sandbox = await startSandbox(lifecycle.world());
  const people = () => lifecycle.people?.(sandbox);
  try {
    const maxPerRepo = parseConfig(sandbox.inputs).limits.maxPerRepo;
    const perRound: string[] = [];
    // Never two agents at work in one repo, at the end of any round (each round is a tick's end state).
    const afterRound = (round: number) => {
      for (const [repo, count] of Object.entries(runningAgentsByRepo(sandbox))) {
        if (count > maxPerRepo) perRound.push(`round ${round}: ${count} agents at work in ${repo}`);
      }
    };
    const armed = point.arm(sandbox);
    const faulted = await driveRounds(sandbox, 1, faultedRounds, {
      requestTimeoutMs: SWEEP_TIMEOUT_MS,
      beforeRound: () => {
        people();
        armed.roundBegins?.();
      },
      afterRound,
    });
    armed.roundBegins?.();
    const didStrike = armed.struck();
    disarm(sandbox);
    let mark = { github: sandbox.github.log.entries.length, t3: sandbox.t3.log.length };
    const recovery = await driveRounds(sandbox, faultedRounds + 1, faultedRounds + RECOVERY_ROUNDS, {
      requestTimeoutMs: SWEEP_TIMEOUT_MS,
      beforeRound: people,
      afterRound,
      until: () => {
        const settled = settledSince(sandbox, mark);
        mark = { github: sandbox.github.log.entries.length, t3: sandbox.t3.log.length };
        return settled;
      },
    });
    const rounds = [...faulted, ...recovery];
    const outcomes = outcomesOf(sandbox, rounds);
    const diverged = Object.entries(lifecycle.outcomes)
      .filter(([key, expected]) => outcomes[key] !== expected)
      .map(([key, expected]) => `${key}: ${outcomes[key] ?? "missing"} (fault-free: ${expected})`);
    const violations = [...perRound, ...checkInvariants(sandbox, rounds), ...checkDashboard(sandbox, rounds)];
    return {
      point: point.name,
      struck: didStrike,
      violations,
      diverged,
      repeats: repeatedDoorbells(sandbox),
      ringsAgain: point.ringsAgain === true,
      rounds,
    };
  } finally {
    await sandbox.stop();
  }
}

function disarm(sandbox: Sandbox): void {
  sandbox.github.faults.clear();
  const faults = sandbox.github.faults as { take: unknown };
  // The switch lives on the instance; removing it restores the class's own matching.
  delete faults.take;
  sandbox.t3.clearFaults();
}

/**
 * The sweep's counters, printed at the end of each mode and asserted by the sweep. Every point
 * lands in exactly one of `tried` and `missed`; `failures`, `repeats` and `diverged` list tried
 * points only (a point may be in several).
 */
export interface SweepTally {
  /** Points whose fault struck (the request came and was failed, or the process died). */
  tried: number;
  /** Tried points after which every invariant held. */
  held: number;
  /** Tried points after which an invariant broke, with the broken promises. */
  failures: { point: string; violations: string[] }[];
  /**
   * Tried points after which a doorbell had rung twice under one delivery id (harmless to a
   * receiver that keeps ids); `known` says whether the point is marked `ringsAgain`.
   */
  repeats: { point: string; doorbells: string[]; known: boolean }[];
  /** Tried points after which an issue ended otherwise than without faults, though every invariant held. */
  diverged: { point: string; issues: string[] }[];
  /** Points whose fault never struck: the request never came, so the point tested nothing. */
  missed: number;
}

export function newTally(): SweepTally {
  return { tried: 0, held: 0, failures: [], repeats: [], diverged: [], missed: 0 };
}

export function tallyPoint(tally: SweepTally, result: PointResult): void {
  if (!result.struck) {
    tally.missed++;
    return;
  }
  tally.tried++;
  if (result.violations.length === 0) tally.held++;
  else tally.failures.push({ point: result.point, violations: result.violations });
  if (result.repeats.length > 0) {
    tally.repeats.push({ point: result.point, doorbells: result.repeats, known: result.ringsAgain });
  }
  if (result.diverged.length > 0) tally.diverged.push({ point: result.point, issues: result.diverged });
}

export function describeTally(name: string, mode: string, tally: SweepTally): string {
  return [
    `fault sweep (${mode}), ${name}: ${tally.tried} fault points tried, ${tally.held} held`,
    tally.missed > 0 ? `${tally.missed} never struck` : null,
    tally.repeats.length > 0
      ? `${tally.repeats.length} left a harmless residue (a doorbell rung again under its delivery id)`
      : null,
    tally.diverged.length > 0 ? `${tally.diverged.length} ended an issue differently` : null,
  ]
    .filter((part) => part !== null)
    .join("; ");
}
