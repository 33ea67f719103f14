// An armed step: builds the tick's context, runs the tick, and reports it in
// the job summary, the log and the step outputs. Loaded lazily by main.ts so
// a disarmed step never loads the GitHub client. Owns the exit code rule:
// any issue that failed fails the step, after every other issue was served.
// Owns "one report per run" too: when a poll step follows, the watch step
// hands its findings on (report/findings.ts) instead of writing a summary, and
// the poll step writes the one report for both, and (opt-in) the dashboard issue.

// The runner commands main.ts uses too: the action bundles one implementation, not @actions/core.
import * as core from "./workflow-commands.js";
import { type Config } from "./core/config.js";
import { type Tick } from "./core/types.js";
import { shardRepos } from "./core/shard.js";
import type { RequestCounts } from "./github/client.js";
import { writeSummary } from "./report/action-summary.js";
import { githubStatus } from "./github/errors.js";
import { addCounts, findingsPath, saveWatchFindings, takeWatchFindings } from "./report/findings.js";
import { buildReport, type ReportMeta } from "./report/model.js";
import { fleetOutputsOf, outputsOf, renderReport, toTerminal } from "./report/render.js";
import { describeError } from "./ticks/context.js";
import { pollTick, type PollReport } from "./ticks/poll.js";
import { DashboardStep, dashboardNote, progressCommentGuard } from "./ticks/dashboard.js";
import { createTickContext } from "./ticks/setup.js";
import { watchTick, type WatchReport } from "./ticks/watch.js";

export async function runTick(tick: Tick, config: Config): Promise<number> {
  const runId = Number(process.env.GITHUB_RUN_ID);
  const ctx = createTickContext(config, {
    ownWorkflowRunId: Number.isSafeInteger(runId) && runId > 0 ? runId : null,
    log: (line) => core.info(line),
  });
  const carrier = findingsPath(process.env);
  // The poll step runs only if the watch step succeeded (composite steps stop at a failure).
  const pollFollows = tick === "watch" && config.ticks.includes("poll") && carrier !== null;
  const earlier = tick === "poll" && carrier !== null ? await takeWatchFindings(carrier.path, carrier.run) : null;

  let watch: WatchReport | null = earlier?.report ?? null;
  let poll: PollReport | null = null;
  let stoppedBecause: string | null = null;
  // Opened before the poll, which takes its guard rails from it (the breaker, the daily budget, the controls).
  let dashboard: DashboardStep | null = null;
  try {
    if (tick === "watch") watch = await watchTick(ctx);
    else {
      const step = config.dashboard.enabled ? new DashboardStep(ctx, watch) : null;
      dashboard = step;
      const guard =
        step?.guard ?? ((identity: string | null) => Promise.resolve(progressCommentGuard(ctx, watch, identity)));
      poll = await pollTick(ctx, step === null ? { guard } : { guard, reserve: step.reserve });
    }
  } catch (error) {
    // A failure no single issue owns (the batched reads, say): one clear line, not a stack dump.
    const status = githubStatus(error);
    stoppedBecause = `the ${tick} tick stopped: ${describeError(error)}${status === null ? "" : ` (HTTP ${status})`}`;
    core.setFailed(`afk-loop: ${stoppedBecause}`);
  }

  const requests: RequestCounts | null = addCounts(earlier?.requests ?? null, ctx.github.counts);
  const executorRequests = sumOrNull(earlier?.executorRequests ?? null, ctx.executorRequests());
  const meta: ReportMeta = {
    mode:
      stoppedBecause !== null
        ? "stopped"
        : config.killSwitch === "drain"
          ? "drain"
          : config.killSwitch === "stop"
            ? "emergency-stop"
            : "armed",
    stoppedBecause,
    dryRun: config.dryRun,
    repos: shardRepos(config.allowlist, config.shard),
    requests,
    executorRequests,
    now: ctx.now().toISOString(),
    recordKey: config.recordKey !== null,
  };
  const model = buildReport(meta, watch, poll);
  const options = { maxFixForwards: config.limits.fixForwardAttempts };
  const failures = [...(tick === "watch" ? (watch?.failures ?? []) : []), ...(poll?.failures ?? [])];
  const handsOn = pollFollows && stoppedBecause === null && failures.length === 0 && watch !== null;

  // The step that writes the summary writes the dashboard: once per run, with both ticks' findings.
  if (config.dashboard.enabled && !handsOn) {
    if (stoppedBecause === null) {
      const identity = poll?.identity ?? watch?.identity ?? null;
      const step = dashboard ?? new DashboardStep(ctx, watch);
      const result = await step.finish({ model, poll, identity });
      model.notes.push(...step.notes, dashboardNote(result));
    } else {
      model.notes.push("Dashboard: left as it was, since a tick could not finish.");
    }
  }

  const markdown = renderReport(model, options);
  core.info(toTerminal(markdown));
  if (handsOn && watch !== null) {
    await saveWatchFindings(carrier.path, {
      run: carrier.run,
      report: watch,
      requests: ctx.github.counts,
      executorRequests: ctx.executorRequests(),
    });
  } else {
    await writeSummary(markdown);
  }

  const outputs = outputsOf(watch, poll);
  // The poll step carries the watch findings for the report only; action.yml takes these two from the watch step.
  if (tick === "watch" && watch) {
    core.setOutput("closed", JSON.stringify(outputs.closed));
    core.setOutput("escalated", JSON.stringify(outputs.escalated));
  }
  if (poll) core.setOutput("dispatched", JSON.stringify(outputs.dispatched));
  const fleet = fleetOutputsOf(model);
  core.setOutput("in-flight", String(fleet.inFlight));
  core.setOutput("needs-human", JSON.stringify(fleet.needsHuman));

  if (stoppedBecause !== null) return 1;
  if (failures.length > 0) {
    // Every other issue was served; the step still fails so the failure is seen.
    core.setFailed(`afk-loop: ${failures.length} issue(s) failed this ${tick} tick; see the summary.`);
    return 1;
  }
  return 0;
}

function sumOrNull(a: number | null, b: number | null): number | null {
  return a === null && b === null ? null : (a ?? 0) + (b ?? 0);
}
