// policy: the poll tick's one decision. Given the ready set, the lock (every
// open issue carrying the in-progress label) and the config, it says which
// issues to dispatch now and, for every other one, the single reason why not.
// Owns how the gates are applied (their order is SKIP_CODES, docs/design.md §6),
// the capacity arithmetic, and which actors' roles are worth a lookup
// (rolesToResolve); the trust rule itself is trust.ts.
// Never performs I/O, never reads a clock, never mutates its inputs, and its
// answer does not depend on the order they arrive in.

import { assertNever } from "./assert-never.js";
import type { Config } from "./config.js";
import { comparePriority, refKey, sameRepo } from "./refs.js";
import { isBot, isTrusted, needsRole } from "./trust.js";
import type { SkipReason } from "./skip-reasons.js";
import { mostlyHidden } from "./prompt.js";
import type { FleetGuard } from "./guard-rails.js";
import type { Actor, ContentEdit, Instant, IssueRef, ReadyIssue, RepoSlug } from "./types.js";

/**
 * Role look-ups spent on one issue per tick (its labeller and editors): a thread edited by
 * hundreds of accounts must not cost hundreds of calls. An editor past the cap stays `unknown`,
 * so untrusted: the issue then waits for a human (fail closed).
 */
export const ROLE_LOOKUPS_PER_ISSUE = 10;

type PolicyConfig = Pick<Config, "killSwitch" | "allowlist" | "labels" | "trust" | "limits">;

export interface PolicyInput {
  /** Open issues carrying the ready label, with their facts. */
  ready: readonly ReadyIssue[];
  /** Every open issue carrying the in-progress label in the served repos, ready label or not. */
  inFlight: readonly IssueRef[];
  config: PolicyConfig;
  /** The fleet's guard rails (circuit breaker, daily budget); absent or null: none. */
  guard?: FleetGuard | null;
}

export interface Dispatch {
  issue: ReadyIssue;
  /** previousAttempts + 1: the run id derives from it, so a repeated dispatch is recognised. */
  attempt: number;
}

interface Skip {
  issue: ReadyIssue;
  reason: SkipReason;
}

export interface Selection {
  /** In dispatch order (most urgent first). */
  dispatch: Dispatch[];
  /** Every other input issue, in priority order, each with exactly one reason. */
  skipped: Skip[];
}

/**
 * Chooses what to dispatch this tick. Cheap (sorting, no I/O) and
 * idempotent, so the poll tick can call it again after filling in the native
 * blockers of the issues it chose (see awaitingNativeBlockerCheck).
 */
export function selectDispatches(input: PolicyInput): Selection {
  const { config } = input;
  const ranked = [...input.ready].sort(comparePriority);

  const halted = haltReason(config.killSwitch) ?? guardHalt(input.guard ?? null);
  if (halted !== null) return { dispatch: [], skipped: ranked.map((issue) => ({ issue, reason: { ...halted } })) };
  const budget = input.guard?.budget ?? null;

  const lock = readLock(input.ready, input.inFlight, config.labels.inProgress);
  const copies = countBy(input.ready, refKey);
  const skipped: Skip[] = [];
  const candidates: ReadyIssue[] = [];
  for (const issue of ranked) {
    const reason = standingGate(issue, config, lock, copies.get(refKey(issue)) ?? 0) ?? approvalGate(issue, config);
    if (reason === null) candidates.push(issue);
    else skipped.push({ issue, reason });
  }

  // Capacity, most urgent first across all repos, so one repo's backlog
  // cannot starve a more urgent issue elsewhere of the global cap.
  const { maxPerRepo, maxInFlight } = config.limits;
  const dispatch: Dispatch[] = [];
  const takenThisTick = new Map<string, ReadyIssue[]>();
  let inFlight = lock.total;
  for (const issue of candidates) {
    const repo = issue.repo.toLowerCase();
    const holders = lock.byRepo.get(repo)?.length ?? 0;
    const taken = takenThisTick.get(repo) ?? [];
    // Full before this tick: repo-busy; filled by this tick's dispatches: outranked by the last one in.
    const last = taken.at(-1);
    let reason: SkipReason | null = null;
    // The daily budget first: a fleet-wide limit, like the halts, says more than this repository's room.
    if (budget !== null && budget.left !== null && dispatch.length >= budget.left) {
      reason = {
        code: "daily-budget",
        limit: budget.limit,
        used: budget.used,
        freesAt: budget.freesAt,
        unreadable: null,
      };
    } else if (holders >= maxPerRepo) {
      const held = lock.byRepo.get(repo) ?? [];
      reason = { code: "repo-busy", repo: issue.repo, holders: held.map(copyRef), limit: maxPerRepo };
    } else if (last !== undefined && holders + taken.length >= maxPerRepo) {
      reason = { code: "outranked", by: copyRef(last) };
    } else if (inFlight >= maxInFlight) {
      reason = { code: "max-in-flight", inFlight, limit: maxInFlight };
    }
    if (reason !== null) {
      skipped.push({ issue, reason });
      continue;
    }
    dispatch.push({ issue, attempt: issue.previousAttempts + 1 });
    takenThisTick.set(repo, [...taken, issue]);
    inFlight++;
  }

  skipped.sort((a, b) => comparePriority(a.issue, b.issue));
  return { dispatch, skipped };
}

/**
 * The chosen issues whose native "blocked by" dependencies have not been read
 * yet (`checked` holds refKeys). The poll tick reads those, adds them to the
 * issues' blockers, marks them checked and calls selectDispatches again until
 * this is empty. Each round checks at least one more issue, so it ends, and
 * the reads grow with dispatches, not with the ready set (docs/design.md §6).
 */
export function awaitingNativeBlockerCheck(selection: Selection, checked: ReadonlySet<string>): ReadyIssue[] {
  return selection.dispatch.map((d) => d.issue).filter((issue) => !checked.has(refKey(issue)));
}

/**
 * The (repo, login) pairs whose role the trust gates need this tick: the
 * ready-label applier and every post-label editor of every issue that passes
 * every gate before `untrusted-labeler` (none while the switch is on or
 * draining; busy repos included, since capacity is judged after trust), at
 * most ROLE_LOOKUPS_PER_ISSUE per issue. Skipped, because their role cannot
 * change the outcome:
 * actors `isTrusted` settles without a role
 * (listed in trusted-users), bots (untrusted unless listed), actors whose role
 * is already known (anything but `unknown`), an edit at or before the label
 * (it needs no approval), and every editor of an issue whose labeller, or one
 * of whose post-label editors, is already known to be untrusted, or whose edit
 * history was not read in full (it stops at a trust gate either way).
 *
 * Repo and login are compared case-insensitively; each pair is listed once,
 * with its first spelling in priority order, and the list is sorted by repo,
 * then login, so it does not depend on the order of the inputs.
 *
 * The poll tick looks these up, fills in `Actor.role` on every actor with
 * that (repo, login), then calls selectDispatches. An actor left `unknown`
 * (not looked up, or the lookup failed) is untrusted: fail-closed.
 */
export function rolesToResolve(input: PolicyInput): { repo: RepoSlug; login: string }[] {
  const { config } = input;
  if (haltReason(config.killSwitch) !== null || guardHalt(input.guard ?? null) !== null) return [];

  const { trust } = config;
  const lock = readLock(input.ready, input.inFlight, config.labels.inProgress);
  const copies = countBy(input.ready, refKey);
  const wanted = new Map<string, { repo: RepoSlug; login: string }>();
  // Whether the actor's trust is settled without a role: known trusted, or known not to be.
  const settledUntrusted = (actor: Actor | null) =>
    actor === null || (!needsRole(actor, trust) && !isTrusted(actor, trust));
  // A space cannot occur in a repo slug or a login, so the key is unambiguous and sorts by repo first.
  const keyOf = (repo: RepoSlug, login: string) => `${repo.toLowerCase()} ${login.toLowerCase()}`;

  for (const issue of [...input.ready].sort(comparePriority)) {
    if (standingGate(issue, config, lock, copies.get(refKey(issue)) ?? 0) !== null) continue;
    const labeler = issue.readyLabeledBy;
    if (settledUntrusted(labeler)) continue;
    const editors = issue.editHistoryComplete ? editsAfterLabel(issue).map((edit) => edit.by) : [];
    // One editor already known untrusted voids the approval: no other editor's role can change that.
    const actors = editors.some(settledUntrusted) ? [labeler] : [labeler, ...editors];
    const needed = actors.filter((a): a is Actor => a !== null && needsRole(a, trust));
    const perIssue = new Set<string>();
    for (const actor of needed) {
      const key = keyOf(issue.repo, actor.login);
      if (perIssue.has(key)) continue;
      if (perIssue.size >= ROLE_LOOKUPS_PER_ISSUE) break;
      perIssue.add(key);
      if (!wanted.has(key)) wanted.set(key, { repo: issue.repo, login: actor.login });
    }
  }

  return [...wanted.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, pair]) => pair);
}

/**
 * The guard rails' fleet-wide halts: the breaker tripped, or the daily budget
 * is spent (nothing starts, like `drain`). Counts that could not be read halt
 * too (fail closed): a brake that cannot be read is not known to be off.
 */
function guardHalt(guard: FleetGuard | null): SkipReason | null {
  if (guard === null) return null;
  const { breaker, budget, unreadable } = guard;
  if (breaker !== null) {
    return {
      code: "breaker",
      trippedAt: breaker.trippedAt,
      failures: breaker.failures,
      runs: breaker.runs,
      unreadable,
    };
  }
  if (unreadable !== null) return { code: "breaker", trippedAt: null, failures: 0, runs: [], unreadable };
  if (budget.left === 0) {
    return { code: "daily-budget", limit: budget.limit, used: budget.used, freesAt: budget.freesAt, unreadable };
  }
  return null;
}

function haltReason(killSwitch: PolicyConfig["killSwitch"]): SkipReason | null {
  switch (killSwitch) {
    case "on":
      return { code: "kill-switch" };
    case "stop":
      return { code: "emergency-stop" };
    case "drain":
      return { code: "draining" };
    case "off":
      return null;
    default:
      return assertNever(killSwitch);
  }
}

interface Lock {
  /** Lower-cased repo -> the issues holding it, de-duplicated and sorted. */
  byRepo: Map<string, IssueRef[]>;
  keys: Set<string>;
  total: number;
}

/**
 * The lock is every open issue with the in-progress label: the caller's list,
 * plus any ready issue carrying the label that the list missed (both are open
 * and labelled, so both hold their repo).
 */
function readLock(ready: readonly ReadyIssue[], inFlight: readonly IssueRef[], inProgress: string): Lock {
  const running = ready.filter((issue) => hasLabel(issue, inProgress));
  // Sorted before de-duplicating, so which spelling survives does not depend on input order.
  const refs = [...inFlight, ...running].map(copyRef).sort(compareRefs);
  const keys = new Set<string>();
  const byRepo = new Map<string, IssueRef[]>();
  for (const ref of refs) {
    const key = refKey(ref);
    if (keys.has(key)) continue;
    keys.add(key);
    const repo = ref.repo.toLowerCase();
    byRepo.set(repo, [...(byRepo.get(repo) ?? []), ref]);
  }
  return { byRepo, keys, total: keys.size };
}

/**
 * The first gate before trust that the issue fails, or null when it reaches
 * the trust gate. Needs nothing the tick has to look up: rolesToResolve asks
 * for roles only for the issues this lets through.
 */
function standingGate(issue: ReadyIssue, config: PolicyConfig, lock: Lock, copies: number): SkipReason | null {
  const { labels } = config;
  if (!config.allowlist.some((repo) => sameRepo(repo, issue.repo))) {
    return { code: "not-allowlisted", repo: issue.repo };
  }
  if (copies > 1) return { code: "duplicate", copies };
  if (lock.keys.has(refKey(issue))) return { code: "already-running", label: labels.inProgress };

  // `frozen` first: a frozen issue carries both labels, and frozen says more.
  const handBack = [labels.frozen, labels.human].find((label) => hasLabel(issue, label));
  if (handBack !== undefined) return { code: "handed-to-human", label: handBack };
  return null;
}

/** The first gate from trust to blockers that the issue fails, or null when only capacity stands before a dispatch. */
function approvalGate(issue: ReadyIssue, config: PolicyConfig): SkipReason | null {
  const { trust, limits } = config;
  const labeler = issue.readyLabeledBy;
  if (!isTrusted(labeler, trust)) {
    return {
      code: "untrusted-labeler",
      actor: labeler?.login ?? null,
      role: labeler?.role ?? null,
      bot: labeler !== null && isBot(labeler),
      needs: trust.minLabelerRole,
    };
  }

  if (!issue.editHistoryComplete) return { code: "edit-history-unread", labeledAt: issue.readyLabeledAt };
  // Any untrusted edit after the label voids it, whatever came after: a trusted person who later
  // retitles the issue or ticks a box has not approved the text someone else put there.
  const untrusted = editsAfterLabel(issue).find((edit) => !isTrusted(edit.by, trust));
  if (untrusted !== undefined) {
    return {
      code: "edited-after-approval",
      editor: untrusted.by?.login ?? null,
      editedAt: untrusted.at,
      labeledAt: issue.readyLabeledAt,
    };
  }

  // What the maintainer approved is the rendered page; text mostly hidden from it was not approved.
  const hidden = mostlyHidden(issue.title, issue.body);
  if (hidden !== null) return { code: "mostly-hidden", ...hidden };

  if (issue.previousAttempts >= limits.maxRunsPerIssue) {
    return { code: "max-runs-reached", runs: issue.previousAttempts, limit: limits.maxRunsPerIssue };
  }

  // Only a closed blocker is resolved; one that could not be read counts as open (docs/design.md §13.3).
  const blocking = uniqueBy(
    issue.blockers.filter((b) => b.state !== "closed"),
    (b) => refKey(b.ref),
  );
  if (blocking.length > 0) return { code: "blocked", blockers: blocking };

  return null;
}

/**
 * The title and body edits made after the ready label, earliest first (ties by
 * login), so the one reported does not depend on the order GitHub lists them.
 * An edit provably at or before the label needs no approval; an unknown label
 * time or a time that does not parse cannot prove it, so it counts as after
 * (fail closed).
 */
function editsAfterLabel({ edits, readyLabeledAt }: ReadyIssue): ContentEdit[] {
  const labeledAt = readyLabeledAt === null ? NaN : Date.parse(readyLabeledAt);
  return edits
    .filter((edit) => !(Date.parse(edit.at) <= labeledAt)) // NaN compares false
    .sort((a, b) => compareTime(a.at, b.at) || compareText(a.by?.login ?? "", b.by?.login ?? ""));
}

/** Chronological; an unparseable time sorts first (it is reported before any other). */
function compareTime(a: Instant, b: Instant): number {
  const [x, y] = [Date.parse(a), Date.parse(b)];
  if (Number.isNaN(x) || Number.isNaN(y))
    return Number.isNaN(x) === Number.isNaN(y) ? compareText(a, b) : Number.isNaN(x) ? -1 : 1;
  return x - y;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// GitHub label names are unique regardless of case.
function hasLabel(issue: ReadyIssue, label: string): boolean {
  const wanted = label.toLowerCase();
  return issue.labels.some((l) => l.toLowerCase() === wanted);
}

function compareRefs(a: IssueRef, b: IssueRef): number {
  return comparePriority({ ...a, labels: [] }, { ...b, labels: [] });
}

function copyRef(ref: IssueRef): IssueRef {
  return { repo: ref.repo, number: ref.number };
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

/** The first of each key, in order. */
export function uniqueBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
