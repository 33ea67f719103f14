// The scripted agent: what happens on the other side of a dispatch. It hears
// every T3 turn start and every workflow dispatch, works out which issue the
// run is for (the run id the prompt carries, or the workflow's inputs), and
// follows that issue's script for its n-th turn: push a commit that says
// `Refs #N` after K world ticks, finish without pushing, fail, ask a human,
// or run forever. Owns the script format and the provider-side effects; never
// decides anything the loop decides, and never touches an issue directly
// (pushing a commit is what writes the `referenced` event).

import { z } from "zod";
import { runIdFor } from "../../core/run-record.js";
import type { IssueRef } from "../../core/types.js";
import type { Clock } from "../clock.js";
import type { GitHubStore, Repo, RunConclusion, WorkflowRun } from "../github/store.js";
import type { T3State, TurnStarted } from "../t3/state.js";

const AGENT_ACTS = [
  "push", // commit to the default branch, `Refs #N` + `AFK-Run: <id>`, then finish the turn
  "pull-request", // the same commit on the branch named after the run, with a pull request open from it
  "idle", // finish the turn without pushing
  "error", // the turn fails (T3 turn state `error`; workflow conclusion `failure`)
  "interrupt", // the turn is interrupted (workflow: `cancelled`)
  "needs-input", // ask the user a question and wait (workflow: `action_required`)
  "needs-approval", // ask for a permission and wait (workflow: `action_required`)
  "run-forever", // never finish
] as const;
type AgentAct = (typeof AGENT_ACTS)[number];

const DEFAULT_COMMIT = "Scripted change, turn {turn}\n\nRefs #{number}\nAFK-Run: {runId}";

const TurnScriptSchema = z
  .strictObject({
    act: z.enum(AGENT_ACTS),
    /** World ticks from the turn's start until the act; 0 acts as the turn starts. */
    afterTicks: z.int().min(0).max(100_000).default(1),
    /** Template with {number}, {repo}, {title}, {runId} and {turn}; push and pull-request only. */
    commitMessage: z.string().min(1).optional(),
    /** The error text, the question, or the approval detail. */
    message: z.string().min(1).optional(),
  })
  .refine((turn) => turn.commitMessage === undefined || turn.act === "push" || turn.act === "pull-request", {
    message: "commitMessage only goes with act: push or pull-request",
    path: ["commitMessage"],
  });
type TurnScript = z.output<typeof TurnScriptSchema>;

/** One entry per turn the issue's agent gets (dispatch, then each follow-up); the last repeats. A bare act is `{act}`. */
export const AgentScriptSchema = z.preprocess(
  (value): unknown => (Array.isArray(value) ? (value as unknown[]) : [value]),
  z.array(z.preprocess((value) => (typeof value === "string" ? { act: value } : value), TurnScriptSchema)).min(1),
);
export type AgentScript = TurnScript[];
export const DEFAULT_AGENT_SCRIPT: AgentScript = [{ act: "push", afterTicks: 1 }];

export interface AgentEvent {
  at: string;
  executor: "t3" | "workflow";
  /** null when the agent could not tell which issue a turn was for. */
  issue: IssueRef | null;
  runId: string | null;
  /** The issue's n-th turn, from 1. */
  turn: number;
  event: "started" | "unmatched" | "superseded" | AgentAct;
  sha?: string;
}

export interface AgentDeps {
  store: GitHubStore;
  t3: T3State;
  clock: Clock;
  /** Who authors the agent's commits. */
  login: string;
  scriptFor(issue: IssueRef): AgentScript;
  /** Scripted CI hears of every push. */
  onPush(issue: IssueRef, sha: string): void;
}

interface Run {
  issue: IssueRef;
  runId: string | null;
}

type Target =
  { executor: "t3"; threadId: string; turnId: string } | { executor: "workflow"; repo: string; workflowRunId: number };

interface Turn {
  run: Run;
  target: Target;
  script: TurnScript;
  number: number;
  ticksLeft: number;
}

export class ScriptedAgent {
  readonly journal: AgentEvent[] = [];
  private readonly waiting: Turn[] = [];
  private readonly turnsTaken = new Map<string, number>();
  private readonly threadRuns = new Map<string, Run>();

  constructor(private readonly deps: AgentDeps) {}

  /** For T3State.onTurnStart: a follow-up on a known thread continues its run. */
  readonly onTurnStart = (turn: TurnStarted): void => {
    const target: Target = { executor: "t3", threadId: turn.thread.id, turnId: turn.turnId };
    const run = this.threadRuns.get(turn.thread.id) ?? this.identify(turn.text);
    if (!run) {
      // Nobody scripted this work: the agent stops, as one that cannot find its task would.
      this.note(target, null, 0, "unmatched");
      this.deps.t3.settleTurn(turn.thread.id, "completed");
      return;
    }
    this.threadRuns.set(turn.thread.id, run);
    this.begin(run, target);
  };

  /** For GitHubStore.onWorkflowDispatch: the agent workflow's inputs name the issue and the run. */
  readonly onWorkflowRun = (repo: Repo, run: WorkflowRun): void => {
    const target: Target = { executor: "workflow", repo: repo.fullName, workflowRunId: run.id };
    const runId = run.inputs["run-id"]?.replace(/\.t\d+$/, "") ?? null;
    const number = Number(run.inputs.issue);
    const known = Number.isInteger(number) && number > 0 ? { issue: { repo: repo.fullName, number }, runId } : null;
    const found = known ?? (runId === null ? null : this.identify(`AFK-Run: ${runId}`));
    if (!found) {
      this.note(target, null, 0, "unmatched");
      this.settle(target, "completed");
      return;
    }
    this.deps.store.updateWorkflowRun(repo.fullName, run.id, { status: "in_progress" });
    this.begin(found, target);
  };

  /** One world tick: every waiting turn comes one tick closer to its act. */
  step(): void {
    const due = this.waiting.filter((turn) => --turn.ticksLeft <= 0);
    for (const turn of due) {
      this.waiting.splice(this.waiting.indexOf(turn), 1);
      this.act(turn);
    }
  }

  private begin(run: Run, target: Target): void {
    const key = `${run.issue.repo.toLowerCase()}#${run.issue.number}`;
    const index = this.turnsTaken.get(key) ?? 0;
    this.turnsTaken.set(key, index + 1);
    const script = this.deps.scriptFor(run.issue);
    const step = script[Math.min(index, script.length - 1)] ?? { act: "idle", afterTicks: 1 };
    this.note(target, run, index + 1, "started");
    if (step.act === "run-forever") return;
    const turn: Turn = { run, target, script: step, number: index + 1, ticksLeft: step.afterTicks };
    if (step.afterTicks === 0) this.act(turn);
    else this.waiting.push(turn);
  }

  private act(turn: Turn): void {
    const { target, run, script } = turn;
    if (!this.stillCurrent(target)) {
      this.note(target, run, turn.number, "superseded");
      return;
    }
    let sha: string | undefined;
    switch (script.act) {
      case "push":
      case "pull-request":
        sha = this.push(turn);
        this.settle(target, "completed");
        break;
      case "idle":
        this.settle(target, "completed");
        break;
      case "error":
        this.settle(target, "error", script.message ?? "The agent hit an error it could not recover from.");
        break;
      case "interrupt":
        this.settle(target, "interrupted");
        break;
      case "needs-input":
      case "needs-approval": {
        const kind = script.act === "needs-input" ? "user-input" : "approval";
        const detail =
          script.message ?? (kind === "approval" ? "Allow running `npm install`?" : "Which approach do you want?");
        if (target.executor === "t3") this.deps.t3.requestHuman(target.threadId, kind, detail);
        else this.settle(target, "action_required");
        break;
      }
      case "run-forever":
        return;
    }
    this.note(target, run, turn.number, script.act, sha);
    if (sha !== undefined) this.deps.onPush(run.issue, sha);
  }

  /** A commit on the default branch, or (act pull-request) on the run's branch with its pull request open. */
  private push({ run, script, number }: Turn): string {
    const { store } = this.deps;
    const found = store.lookupIssue(run.issue.repo, run.issue.number);
    const title = "issue" in found ? found.issue.title : "";
    const message = (script.commitMessage ?? DEFAULT_COMMIT)
      .replaceAll("{number}", String(run.issue.number))
      .replaceAll("{repo}", run.issue.repo)
      .replaceAll("{title}", title)
      .replaceAll("{turn}", String(number))
      .replaceAll("{runId}", run.runId ?? "")
      .replace(/\nAFK-Run: *$/, "");
    if (script.act === "push") return store.pushCommit(run.issue.repo, message, this.deps.login).sha;

    const repo = store.repo(run.issue.repo);
    const branch = run.runId ?? `afk-${run.issue.number}`;
    if (repo && !repo.branches.has(branch)) {
      store.createBranch(repo.fullName, branch, repo.branches.get(repo.defaultBranch) ?? "");
    }
    const sha = store.pushCommit(run.issue.repo, message, this.deps.login, { branch }).sha;
    const open = repo?.pullRequests.some((p) => p.state === "open" && p.headBranch === branch) ?? false;
    if (!open) {
      store.openPullRequest(run.issue.repo, {
        author: this.deps.login,
        title: title || `Issue #${run.issue.number}`,
        body: `Closes #${run.issue.number}\n\nAFK-Run: ${run.runId ?? ""}`,
        headBranch: branch,
      });
    }
    return sha;
  }

  private settle(target: Target, outcome: "completed" | "error" | "interrupted" | "action_required", error?: string) {
    if (target.executor === "t3") {
      if (outcome === "action_required") return;
      this.deps.t3.settleTurn(target.threadId, outcome, error);
      return;
    }
    const conclusion: RunConclusion = (
      { completed: "success", error: "failure", interrupted: "cancelled", action_required: "action_required" } as const
    )[outcome];
    this.deps.store.updateWorkflowRun(target.repo, target.workflowRunId, { status: "completed", conclusion });
  }

  /**
   * A T3 turn is current while it is the thread's running turn on a live thread; a new turn
   * supersedes it, an interrupt or a stopped session ends it. A workflow run is current until it
   * completes (a cancel ends it): a stopped agent never pushes.
   */
  private stillCurrent(target: Target): boolean {
    if (target.executor === "workflow") {
      const run = this.deps.store.repo(target.repo)?.workflowRuns.find((r) => r.id === target.workflowRunId);
      return run !== undefined && run.status !== "completed";
    }
    const thread = this.deps.t3.thread(target.threadId);
    return (
      thread?.deletedAt === null && thread.latestTurn?.turnId === target.turnId && thread.latestTurn.state === "running"
    );
  }

  /** The run a prompt is for: its run id (`Run id: \`…\`` or `AFK-Run: …`), mapped back to a repo in the store. */
  private identify(text: string): Run | null {
    const runId = /Run id: `([a-z0-9-]+)`/.exec(text)?.[1] ?? /AFK-Run: ([a-z0-9-]+)/.exec(text)?.[1];
    const parts = runId === undefined ? null : /-(\d+)-a(\d+)-[0-9a-f]{8}$/.exec(runId);
    if (runId === undefined || !parts) return null;
    const number = Number(parts[1]);
    const attempt = Number(parts[2]);
    const repo = this.deps.store.allRepos().find((r) => runIdFor(r.fullName, number, attempt) === runId);
    return repo ? { issue: { repo: repo.fullName, number }, runId } : null;
  }

  private note(target: Target, run: Run | null, turn: number, event: AgentEvent["event"], sha?: string): void {
    this.journal.push({
      at: this.deps.clock.now().toISOString(),
      executor: target.executor,
      issue: run?.issue ?? null,
      runId: run?.runId ?? null,
      turn,
      event,
      ...(sha === undefined ? {} : { sha }),
    });
  }
}
