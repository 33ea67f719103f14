// Turns a valid world into running state: the GitHub store (accounts, tokens,
// repos, issues with their timelines replayed in time order, native
// dependencies) and the T3 read model, with the scripted agent and CI wired to
// both. Runs already under way get what the loop would have left behind: the
// in-progress label, a progress comment with a run record written by the
// loop's own identity, and the executor's thread or workflow run. Owns that
// construction only; a failure names the world path that caused it.

import { recordSealFor } from "../../ticks/setup.js";
import { createHash } from "node:crypto";
import { INPUT_DEFAULTS, type InputName } from "../../core/config.js";
import { renderProgress } from "../../core/progress.js";
import { implementerPrompt, issueTextForHash } from "../../core/prompt.js";
import { claimRecord, runIdFor, type ActionKind, type RunRecord } from "../../core/run-record.js";
import type { DoorbellKind, ExecutorKind, IssueRef } from "../../core/types.js";
import { projectIdFor, threadIdFor } from "../../executors/t3.js";
import type { VirtualClock } from "../clock.js";
import { GitHubStore } from "../github/store.js";
import { RUNTIME_MODES, type RuntimeMode } from "../t3/commands.js";
import { T3State, type ApplyResult } from "../t3/state.js";
import { DEFAULT_AGENT_SCRIPT, ScriptedAgent, type AgentScript } from "./agent.js";
import { DEFAULT_CI_SCRIPT, ScriptedCi, type CiScript } from "./ci.js";
import { resolveMoment } from "./moment.js";
import {
  ACTIONS_LOGIN,
  DEFAULT_RUN_NAME,
  formatPath,
  issueNumbers,
  parseRef,
  WorldError,
  type IssueDefinition,
  type RunSeed,
  type WorldDefinition,
} from "./schema.js";

export interface SeededWorld {
  store: GitHubStore;
  t3: T3State;
  agent: ScriptedAgent;
  ci: ScriptedCi;
  /** Who the loop acts as: the login of the `github-token` input's token; null without one. */
  loopLogin: string | null;
}

const DAY_MS = 86_400_000;
const TERMINAL: Record<
  Exclude<RunSeed["phase"], "dispatched">,
  { action: ActionKind; doorbell: DoorbellKind | null }
> = {
  escalated: { action: "escalate-prepush", doorbell: "needs-human" },
  frozen: { action: "freeze", doorbell: "frozen" },
  closed: { action: "close", doorbell: "done" },
  released: { action: "release", doorbell: null },
};

export function seedWorld(world: WorldDefinition, clock: VirtualClock): SeededWorld {
  const start = new Date(world.start);
  const at = (moment: string) => resolveMoment(moment, start);
  const input = (name: InputName): string => world.inputs[name] ?? INPUT_DEFAULTS[name];
  const store = new GitHubStore({ now: () => clock.now() });
  const t3 = new T3State(clock);
  const loopToken = world.github.tokens.find((t) => t.token === input("github-token"));
  const loopLogin = loopToken?.builtin !== undefined ? ACTIONS_LOGIN : (loopToken?.login ?? null);

  const scripts = scriptBook(world);
  const ci = new ScriptedCi({ store, clock, scriptFor: scripts.ci });
  const agent = new ScriptedAgent({
    store,
    t3,
    clock,
    login: world.agentLogin,
    scriptFor: scripts.agent,
    onPush: (issue, sha) => ci.onPush(issue, sha),
  });
  t3.onTurnStart(agent.onTurnStart);
  store.onWorkflowDispatch(agent.onWorkflowRun);

  for (const user of world.users)
    store.addUser(user.login, user.bot === true || user.login.endsWith("[bot]") ? "Bot" : "User");
  const earliest = Math.min(
    start.getTime() - 90 * DAY_MS,
    ...world.repos.flatMap((r) => r.issues.map((i) => at(i.createdAt).getTime() - DAY_MS)),
  );
  for (const [r, repo] of world.repos.entries()) {
    const [owner = "", name = ""] = repo.repo.split("/");
    attempt(["repos", r], () => {
      store.createRepo({
        owner,
        name,
        private: repo.private,
        defaultBranch: repo.defaultBranch,
        at: new Date(earliest),
      });
      for (const [who, role] of Object.entries(repo.collaborators)) store.addCollaborator(repo.repo, who, role);
      for (const { file, runName } of repo.workflows) {
        store.addWorkflow(repo.repo, { path: file, runName, at: new Date(earliest) });
      }
    });
  }
  for (const [i, token] of world.github.tokens.entries()) {
    attempt(["github", "tokens", i], () => {
      if (token.builtin !== undefined) store.addBuiltinToken(token.token, token.builtin);
      else if (token.login !== undefined) store.addToken(token.token, { login: token.login, reach: token.reach });
    });
  }

  const runs: RunContext = { store, t3, input, loopLogin };
  for (const [r, repo] of world.repos.entries()) {
    const numbers = issueNumbers(repo);
    for (const [i, issue] of repo.issues.entries()) {
      const number = numbers[i] ?? 0;
      const path = ["repos", r, "issues", i];
      attempt(path, () => {
        store.createIssue(repo.repo, {
          number,
          author: issue.author,
          title: issue.title,
          body: issue.body,
          at: at(issue.createdAt),
        });
      });
      for (const event of timeline(issue, at(issue.createdAt), at)) {
        attempt([...path, ...event.path], () => event.apply({ repo: repo.repo, number }, runs));
      }
    }
  }
  for (const [r, repo] of world.repos.entries()) {
    const numbers = issueNumbers(repo);
    for (const [i, issue] of repo.issues.entries()) {
      for (const [b, text] of issue.blockedBy.entries()) {
        attempt(["repos", r, "issues", i, "blockedBy", b], () =>
          store.addBlockedBy(repo.repo, numbers[i] ?? 0, parseRef(text, repo.repo)),
        );
      }
    }
  }
  return { store, t3, agent, ci, loopLogin };
}

interface RunContext {
  store: GitHubStore;
  t3: T3State;
  input: (name: InputName) => string;
  loopLogin: string | null;
}

interface TimedEvent {
  when: Date;
  path: PropertyKey[];
  apply(issue: IssueRef, ctx: RunContext): void;
}

/** The issue's setup events in time order (ties keep their order in the file), as GitHub would have recorded them. */
function timeline(issue: IssueDefinition, created: Date, at: (moment: string) => Date): TimedEvent[] {
  const events: TimedEvent[] = [];
  for (const [l, label] of issue.labels.entries()) {
    const when = label.at === undefined ? created : at(label.at);
    const by = label.by ?? issue.author;
    events.push({
      when,
      path: ["labels", l],
      apply: ({ repo, number }, { store }) =>
        label.remove
          ? store.removeLabel(repo, number, label.name, by, when)
          : store.applyLabel(repo, number, label.name, by, when),
    });
  }
  for (const [e, edit] of issue.edits.entries()) {
    const when = at(edit.at);
    events.push({
      when,
      path: ["edits", e],
      apply: ({ repo, number }, { store }) => {
        const patch = {
          ...(edit.title === undefined ? {} : { title: edit.title }),
          ...(edit.body === undefined ? {} : { body: edit.body }),
        };
        store.editIssue(repo, number, patch, edit.by, when);
      },
    });
  }
  for (const [c, comment] of issue.comments.entries()) {
    const when = comment.at === undefined ? created : at(comment.at);
    events.push({
      when,
      path: ["comments", c],
      apply: ({ repo, number }, { store }) => store.addComment(repo, number, comment.body, comment.by, when),
    });
  }
  const { closed, run } = issue;
  if (closed) {
    const when = closed.at === undefined ? created : at(closed.at);
    events.push({
      when,
      path: ["closed"],
      apply: ({ repo, number }, { store }) => store.closeIssue(repo, number, closed.by, closed.reason, when),
    });
  }
  if (run) {
    const when = at(run.since);
    events.push({ when, path: ["run"], apply: (ref, ctx) => seedRun(ref, run, when, ctx) });
  }
  return events
    .map((event, order) => ({ event, order }))
    .sort((a, b) => a.event.when.getTime() - b.event.when.getTime() || a.order - b.order)
    .map(({ event }) => event);
}

/** What the loop leaves behind after claiming and dispatching: lock, executor thread or run, and the progress comment. */
function seedRun(ref: IssueRef, run: RunSeed, when: Date, ctx: RunContext): void {
  const { store, input, loopLogin } = ctx;
  if (loopLogin === null) throw new Error("a run needs the loop's identity (inputs.github-token)");
  const found = store.lookupIssue(ref.repo, ref.number);
  if (!("issue" in found)) throw new Error(`${ref.repo}#${ref.number} is not an open issue`);
  const { title, body } = found.issue;
  const executor: ExecutorKind = run.executor ?? (input("executor") === "workflow" ? "workflow" : "t3");
  const runId = runIdFor(ref.repo, ref.number, run.attempt);
  const url = `https://github.com/${ref.repo}/issues/${ref.number}`;
  const live = run.phase === "dispatched" && run.thread !== "missing";
  const prompt = implementerPrompt({ issue: { ...ref, title, body, url }, comments: [], runId, delivery: "push" });

  let threadId: string | null = executor === "t3" ? threadIdFor(runId) : "999999999";
  if (live && executor === "t3") seedThread(ref, runId, title, prompt, run.thread === "deleted", when, ctx);
  if (live && executor === "workflow") threadId = String(seedWorkflowRun(ref, runId, prompt, when, ctx));
  if (run.phase === "released") threadId = null;

  const iso = when.toISOString();
  const terminal = run.phase === "dispatched" ? null : TERMINAL[run.phase];
  const record: RunRecord = {
    ...claimRecord({
      repo: ref.repo,
      issue: ref.number,
      attempt: run.attempt,
      executor,
      claimedAt: iso,
      leaseMinutes: Number(input("lease-minutes")),
      issueSha256: createHash("sha256")
        .update(issueTextForHash(title, body, []))
        .digest("hex"),
    }),
    phase: run.phase,
    threadId,
    dispatchedAt: threadId === null ? null : iso,
    turnStartedAt: threadId === null ? null : iso,
    lastAction: terminal?.action ?? null,
    reason: run.reason ?? (terminal ? `seeded by the sandbox world as ${run.phase}` : null),
    doorbell: terminal?.doorbell ? { kind: terminal.doorbell, delivered: true } : null,
  };
  if (run.phase === "dispatched") store.applyLabel(ref.repo, ref.number, input("in-progress-label"), loopLogin, when);
  const progress = renderProgress({
    record,
    issue: { ...ref, url },
    agentLink: null,
    pushed: null,
    ci: null,
    delivery: input("delivery") === "pull-request" ? "pull-request" : "push",
    deployStage: input("deploy-environment") !== "" || input("rollout-url") !== "",
    maxFixForwards: Number(input("fix-forward-attempts")),
    maxReviewRounds: Number(input("review-rounds")),
    // Seeded as the loop would have written it: sealed when the world sets a record key.
    seal: recordSealFor(input("record-key") === "" ? null : input("record-key")),
  });
  store.addComment(ref.repo, ref.number, progress, loopLogin, when);
}

/** The T3 side of a dispatch, through the same commands the loop sends, backdated to the dispatch. */
function seedThread(
  ref: IssueRef,
  runId: string,
  title: string,
  prompt: string,
  deleted: boolean,
  when: Date,
  { t3, input }: RunContext,
): void {
  const createdAt = when.toISOString();
  const projectId = projectIdFor(ref.repo);
  const runtimeMode = (RUNTIME_MODES as readonly string[]).includes(input("t3-runtime-mode"))
    ? (input("t3-runtime-mode") as RuntimeMode)
    : "full-access";
  const [owner = "", name = ""] = ref.repo.split("/");
  const applied = [
    t3.project(projectId)
      ? null
      : t3.apply(
          {
            type: "project.create",
            commandId: `sandbox-seed:project:${ref.repo}`,
            projectId,
            title: ref.repo,
            workspaceRoot: input("t3-workspace-root").replaceAll("{owner}", owner).replaceAll("{repo}", name),
            createdAt,
          },
          when,
        ),
    t3.apply(
      {
        type: "thread.create",
        commandId: `sandbox-seed:thread:${runId}`,
        threadId: threadIdFor(runId),
        projectId,
        title: `${ref.repo}#${ref.number}: ${title}`.slice(0, 200).trim(),
        modelSelection: { instanceId: input("t3-model-instance"), model: input("t3-model") },
        runtimeMode,
        interactionMode: "default",
        branch: null,
        worktreePath: null,
        createdAt,
      },
      when,
    ),
  ];
  if (deleted) {
    t3.deleteThread(threadIdFor(runId));
  } else {
    applied.push(
      t3.apply(
        {
          type: "thread.turn.start",
          commandId: `sandbox-seed:turn:${runId}`,
          threadId: threadIdFor(runId),
          message: { messageId: `sandbox-seed:message:${runId}`, role: "user", text: prompt, attachments: [] },
          runtimeMode,
          interactionMode: "default",
          createdAt,
        },
        when,
      ),
    );
  }
  const failed = applied.find((result): result is Extract<ApplyResult, { ok: false }> => result?.ok === false);
  if (failed) throw new Error(`T3 refused the seeded run: ${failed.reason}`);
}

function seedWorkflowRun(
  ref: IssueRef,
  runId: string,
  prompt: string,
  when: Date,
  { store, input, loopLogin }: RunContext,
): number {
  const file = input("workflow-file");
  const workflow =
    store.findWorkflow(ref.repo, file) ??
    store.addWorkflow(ref.repo, { path: file, runName: DEFAULT_RUN_NAME, at: when });
  return store.dispatchWorkflow(ref.repo, {
    workflowId: workflow.id,
    inputs: { issue: String(ref.number), "run-id": runId, prompt },
    actor: loopLogin ?? undefined,
    at: when,
  }).id;
}

/** Each issue's scripts, falling back to its repo's, the world's, then the defaults (push after a tick; green after a tick). */
function scriptBook(world: WorldDefinition): {
  agent: (issue: IssueRef) => AgentScript;
  ci: (issue: IssueRef) => CiScript;
} {
  const agents = new Map<string, AgentScript>();
  const cis = new Map<string, CiScript>();
  for (const repo of world.repos) {
    const numbers = issueNumbers(repo);
    for (const [i, issue] of repo.issues.entries()) {
      const key = `${repo.repo.toLowerCase()}#${numbers[i] ?? 0}`;
      agents.set(key, issue.agent ?? repo.agent ?? world.agent ?? DEFAULT_AGENT_SCRIPT);
      cis.set(key, issue.ci ?? repo.ci ?? world.ci ?? DEFAULT_CI_SCRIPT);
    }
  }
  const keyOf = (issue: IssueRef) => `${issue.repo.toLowerCase()}#${issue.number}`;
  return {
    agent: (issue) => agents.get(keyOf(issue)) ?? world.agent ?? DEFAULT_AGENT_SCRIPT,
    ci: (issue) => cis.get(keyOf(issue)) ?? world.ci ?? DEFAULT_CI_SCRIPT,
  };
}

function attempt(path: PropertyKey[], build: () => unknown): void {
  try {
    build();
  } catch (error) {
    if (error instanceof WorldError) throw error;
    throw new WorldError([{ path: formatPath(path), problem: error instanceof Error ? error.message : String(error) }]);
  }
}
