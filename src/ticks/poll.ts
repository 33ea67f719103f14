// The poll tick: finds ready issues across the served repositories and starts
// an agent on each one the policy chooses. Orchestration only: every decision
// comes from core/policy.ts; this module reads the facts the policy needs
// (spending role and dependency lookups only where they can change the
// answer), then claims, dispatches and records each chosen issue (start-run.ts).
// In drain mode it starts nothing and reads nothing; in dry-run mode it reads
// everything and reports what it would have dispatched.

import { pickProgressComment } from "../core/evidence.js";
import { awaitingNativeBlockerCheck, rolesToResolve, selectDispatches } from "../core/policy.js";
import { decodeRunRecord } from "../core/record-codec.js";
import { refKey } from "../core/refs.js";
import { previousAttempts } from "../core/run-record.js";
import { shardRepos } from "../core/shard.js";
import { describeSkip, type SkipCode } from "../core/skip-reasons.js";
import type { IssueRef, ReadyIssue, Role } from "../core/types.js";
import { vouchedRetry, type FleetGuard } from "../core/guard-rails.js";
import { readBlockerStates, readNativeBlockers, RoleLookup } from "../github/lookups.js";
import { COMMENT_PAGES_PER_ISSUE, readComments, readPollFacts, RECORD_MARKER_PREFIX } from "../github/poll-reads.js";
import { describeError, type IssueFailure, type TickContext } from "./context.js";
import { markerComments, readable, roleKey, toActor, toReadyIssue, withRoles } from "./ready-issues.js";
import { DispatchRefused, startRun, type DispatchedRun, type ReadyIssueState } from "./start-run.js";

export interface SkippedIssue {
  repo: string;
  number: number;
  title: string;
  url: string;
  code: SkipCode;
  reason: string;
}

export interface PollReport {
  tick: "poll";
  identity: string | null;
  repos: { repo: string; error: string | null }[];
  /** Dispatched, or (dry run) would have been. */
  dispatched: DispatchedRun[];
  skipped: SkippedIssue[];
  /** Chosen but not started because the tick ran out of time. */
  deferred: IssueRef[];
  /** Every issue holding the in-progress label when the tick read the fleet (runs already in flight). */
  locked: IssueRef[];
  failures: IssueFailure[];
  note: string | null;
  /** The guard rails the policy applied (the breaker, the daily budget); null when none were asked for. */
  guard: FleetGuard | null;
}

export interface PollOptions {
  /**
   * The fleet's guard rails, asked for once the loop's identity is known (the
   * dashboard is found by it) and before anything is chosen.
   */
  guard?: (identity: string | null) => Promise<FleetGuard | null>;
  /**
   * Records that many dispatches before any is started (the daily budget's
   * claim); false when that failed, and then nothing starts.
   */
  reserve?: (count: number) => Promise<boolean>;
}

export async function pollTick(ctx: TickContext, options: PollOptions = {}): Promise<PollReport> {
  const { config } = ctx;
  const report: PollReport = {
    tick: "poll",
    identity: null,
    repos: [],
    dispatched: [],
    skipped: [],
    deferred: [],
    locked: [],
    failures: [],
    note: null,
    guard: null,
  };
  if (config.killSwitch !== "off") {
    report.note =
      config.killSwitch === "stop"
        ? "emergency stop: the watch tick stops every agent, nothing new starts"
        : "draining: in-flight runs are watched to the end, nothing new starts";
    return report;
  }
  const repos = shardRepos(config.allowlist, config.shard);
  if (repos.length === 0) {
    report.note =
      config.allowlist.length === 0 ? "the allowlist is empty: nothing to serve" : "this shard serves no repository";
    return report;
  }

  const facts = await readPollFacts(ctx.github, repos, config.labels);
  const identity = config.github.loopIdentity ?? facts.viewer;
  report.identity = identity;
  report.repos = facts.repos.map((r) => ({ repo: r.repo, error: r.error }));

  const states = new Map<string, ReadyIssueState>();
  let ready: ReadyIssue[] = [];
  for (const repoFacts of facts.repos) {
    for (const issueFacts of repoFacts.ready) {
      const own = identity === null ? null : pickProgressComment(markerComments(issueFacts), identity).own;
      states.set(refKey(issueFacts), {
        facts: issueFacts,
        comment: own && { id: own.id, body: own.body },
        defaultBranch: repoFacts.defaultBranch,
      });
      ready.push(toReadyIssue(issueFacts, own ? decodeRunRecord(own.body, ctx.recordSeal) : null));
    }
  }
  const inFlight = facts.repos.flatMap((r) => r.locked.map((number) => ({ repo: r.repo, number })));
  report.locked = inFlight;
  const guard = (await options.guard?.(identity)) ?? null;
  report.guard = guard;
  // A ready label the loop applied for a trusted person's Retry stands for that person; their role
  // in the issue's repository is looked up below like any labeller's.
  if (guard !== null) ready = ready.map((issue) => vouchedRetry(issue, guard.requests, identity));

  // Roles, then blocker states: each read only for issues whose outcome they can change.
  const roles = new RoleLookup(ctx.github);
  const needed = rolesToResolve({ ready, inFlight, config, guard });
  const resolved = new Map<string, Role | "unknown">();
  // Reads, so they may overlap; the client's throttle keeps them within GitHub's concurrency limit.
  const found = await Promise.all(needed.map(({ repo, login }) => roles.roleOf(repo, login)));
  needed.forEach(({ repo, login }, i) => resolved.set(roleKey(repo, login), found[i] ?? "unknown"));
  ready = ready.map((issue) => withRoles(issue, resolved));

  const textRefs = ready.flatMap((issue) => issue.blockers.map((b) => b.ref));
  if (textRefs.length > 0) {
    const blockerStates = await readBlockerStates(ctx.github, textRefs);
    ready = ready.map((issue) => ({
      ...issue,
      blockers: issue.blockers.map((b) => ({ ...b, state: blockerStates.get(refKey(b.ref)) ?? "unreadable" })),
    }));
  }

  // Native dependencies only for the issues about to be taken: the cost follows dispatches.
  let selection = selectDispatches({ ready, inFlight, config, guard });
  const checked = new Set<string>();
  // Chooses (again, after a refused dispatch freed a slot) and reads the chosen issues' native blockers.
  const choose = async () => {
    selection = selectDispatches({ ready, inFlight, config, guard });
    for (;;) {
      const pending = awaitingNativeBlockerCheck(selection, checked);
      if (pending.length === 0) break;
      // Reads, one per pending issue; they overlap like the role lookups above.
      const natives = await Promise.all(pending.map((issue) => readNativeBlockers(ctx.github, issue)));
      for (const [i, issue] of pending.entries()) {
        checked.add(refKey(issue));
        const native = natives[i] ?? "unreadable";
        if (native === "unreadable") {
          report.failures.push({
            repo: issue.repo,
            issue: issue.number,
            stage: "dependencies",
            error: "its blocked-by dependencies could not be read; not dispatched this tick",
          });
          ready = ready.filter((r) => refKey(r) !== refKey(issue));
          continue;
        }
        let chosen: ReadyIssue = { ...issue, blockers: [...issue.blockers, ...native] };
        const state = states.get(refKey(issue));
        if (state?.facts.commentsTruncated && identity !== null) {
          // The batched read saw only the first comments; a previous run's record may be further down.
          const { comments, complete } = await readComments(ctx.github, issue);
          const own = pickProgressComment(
            comments.filter((c) => c.body.includes(RECORD_MARKER_PREFIX)),
            identity,
          ).own;
          if (own === null && !complete) {
            // A record past the pages read would be missed and a second run started beside it: fail closed.
            report.failures.push({
              repo: issue.repo,
              issue: issue.number,
              stage: "comments",
              error: `over ${COMMENT_PAGES_PER_ISSUE * 100} comments and no run record of the loop's among them; not dispatched (a human can start it afresh in a new issue)`,
            });
            ready = ready.filter((r) => refKey(r) !== refKey(issue));
            continue;
          }
          state.comment = own && { id: own.id, body: own.body };
          chosen = {
            ...chosen,
            comments: comments.map((c) => ({ ...c, author: toActor(c.author) })),
            previousAttempts: previousAttempts(readable(own ? decodeRunRecord(own.body, ctx.recordSeal) : null)),
          };
        }
        ready = ready.map((r) => (refKey(r) === refKey(issue) ? chosen : r));
      }
      selection = selectDispatches({ ready, inFlight, config, guard });
    }
  };
  await choose();

  // The budget is claimed before any agent starts, as a run is claimed before its dispatch: a
  // write lost after the dispatches could otherwise let the fleet run past its budget.
  let reserved = Infinity;
  if (options.reserve !== undefined && !config.dryRun && selection.dispatch.length > 0) {
    reserved = (await options.reserve(selection.dispatch.length)) ? selection.dispatch.length : 0;
  }
  const attempted = new Set<string>();
  /** Dispatches that started, or may have: a refused one gives its reserved start to the next issue. */
  let spent = 0;
  let queue = [...selection.dispatch];
  for (let choice = queue.shift(); choice !== undefined; choice = queue.shift()) {
    attempted.add(refKey(choice.issue));
    const state = states.get(refKey(choice.issue));
    if (!state) continue;
    // Past the time budget, or past the starts recorded beforehand (a refusal's slot may go to an issue not counted).
    if (ctx.overBudget() || spent >= reserved) {
      report.deferred.push({ repo: choice.issue.repo, number: choice.issue.number });
      continue;
    }
    try {
      spent++;
      const run = await startRun(ctx, choice, state, roles, identity);
      report.dispatched.push(run);
    } catch (error) {
      report.failures.push({
        repo: choice.issue.repo,
        issue: choice.issue.number,
        stage: "dispatch",
        error: describeError(error),
      });
      if (error instanceof DispatchRefused) {
        spent--;
        // No agent started, and the claim is given back: the refused issue holds no slot, so the
        // next issue in line (in its repository or the fleet) may take it in this same tick.
        const refused = refKey(choice.issue);
        ready = ready.filter((r) => refKey(r) !== refused);
        await choose();
        queue = selection.dispatch.filter((d) => !attempted.has(refKey(d.issue)));
      }
    }
  }

  report.skipped = selection.skipped.map(({ issue, reason }) => ({
    repo: issue.repo,
    number: issue.number,
    title: issue.title,
    url: issue.url,
    code: reason.code,
    reason: describeSkip(reason, issue.repo),
  }));
  if (report.deferred.length > 0)
    report.note = `tick budget spent: ${report.deferred.length} chosen issue(s) wait for the next tick`;
  return report;
}
