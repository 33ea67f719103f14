// The T3 emulator's read model: projects, threads, turns, sessions and
// activities, shaped like T3's snapshot, plus the command receipts that make a
// resent `commandId` a safe retry. Owns the business rules of the three
// commands (duplicate ids, unknown project, unknown or deleted thread) and the
// provider-side changes a scripted agent makes (turn settles, input and
// approval requests, deletion). Never speaks HTTP and never validates wire
// shapes (commands.ts does); reads time only from the injected clock.

import type { Clock } from "../clock.js";
import type { Command, InteractionMode, ModelSelection, RuntimeMode } from "./commands.js";

export type TurnState = "running" | "interrupted" | "completed" | "error";
type SessionStatus = "idle" | "starting" | "running" | "ready" | "interrupted" | "stopped" | "error";

export interface T3Project {
  id: string;
  title: string;
  workspaceRoot: string;
  defaultModelSelection: ModelSelection | null;
  scripts: never[];
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
}

interface T3Turn {
  turnId: string;
  state: TurnState;
  requestedAt: string;
  startedAt: string | null;
  completedAt: string | null;
  assistantMessageId: string | null;
}

interface T3Session {
  threadId: string;
  status: SessionStatus;
  providerName: string | null;
  runtimeMode: RuntimeMode;
  activeTurnId: string | null;
  lastError: string | null;
  updatedAt: string;
}

export interface T3Activity {
  id: string;
  tone: "info" | "tool" | "approval" | "error";
  kind: string;
  summary: string;
  payload: { requestId?: string } & Record<string, unknown>;
  turnId: string | null;
  createdAt: string;
}

interface T3Message {
  id: string;
  role: "user" | "assistant" | "system";
  text: string;
  attachments: unknown[];
  turnId: string | null;
  streaming: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface T3Thread {
  id: string;
  projectId: string;
  title: string;
  modelSelection: ModelSelection;
  runtimeMode: RuntimeMode;
  interactionMode: InteractionMode;
  branch: string | null;
  worktreePath: string | null;
  latestTurn: T3Turn | null;
  createdAt: string;
  updatedAt: string;
  archivedAt: string | null;
  deletedAt: string | null;
  messages: T3Message[];
  activities: T3Activity[];
  checkpoints: never[];
  session: T3Session | null;
}

export interface T3Snapshot {
  snapshotSequence: number;
  projects: T3Project[];
  threads: T3Thread[];
  updatedAt: string;
}

export type ApplyResult = { ok: true; sequence: number; replayed: boolean } | { ok: false; reason: string };

/** Heard by the scripted agent whenever a turn starts, over HTTP or from a world's seed. */
export interface TurnStarted {
  thread: Readonly<T3Thread>;
  project: Readonly<T3Project>;
  turnId: string;
  /** The user message that started the turn: the loop's prompt. */
  text: string;
}
export type TurnListener = (turn: TurnStarted) => void;

/** What the agent's provider asked of a human: a question or a permission. */
export type PendingRequestKind = "user-input" | "approval";

export class T3State {
  private sequence = 0;
  private updatedAt: string;
  private readonly projects = new Map<string, T3Project>();
  private readonly threads = new Map<string, T3Thread>();
  private readonly receipts = new Map<string, number>();
  private readonly turnListeners = new Set<TurnListener>();
  private serial = 0;

  constructor(private readonly clock: Clock) {
    this.updatedAt = clock.now().toISOString();
  }

  /**
   * Applies one validated command. A `commandId` seen before answers with the
   * sequence it got the first time and changes nothing. `at` backdates the
   * server-side timestamps, for worlds that seed runs already under way.
   */
  apply(command: Command, at?: Date): ApplyResult {
    const receipt = this.receipts.get(command.commandId);
    if (receipt !== undefined) return { ok: true, sequence: receipt, replayed: true };
    const when = (at ?? this.clock.now()).toISOString();
    let started: TurnStarted | null = null;

    switch (command.type) {
      case "project.create": {
        if (this.projects.has(command.projectId)) return reject(`project ${command.projectId} already exists`);
        this.projects.set(command.projectId, {
          id: command.projectId,
          title: command.title,
          workspaceRoot: command.workspaceRoot,
          defaultModelSelection: command.defaultModelSelection ?? null,
          scripts: [],
          createdAt: command.createdAt,
          updatedAt: when,
          deletedAt: null,
        });
        break;
      }
      case "thread.create": {
        if (this.threads.has(command.threadId)) return reject(`thread ${command.threadId} already exists`);
        const project = this.projects.get(command.projectId);
        if (!project || project.deletedAt !== null) return reject(`project ${command.projectId} does not exist`);
        this.threads.set(command.threadId, {
          id: command.threadId,
          projectId: command.projectId,
          title: command.title,
          modelSelection: command.modelSelection,
          runtimeMode: command.runtimeMode,
          interactionMode: command.interactionMode,
          branch: command.branch,
          worktreePath: command.worktreePath,
          latestTurn: null,
          createdAt: command.createdAt,
          updatedAt: when,
          archivedAt: null,
          deletedAt: null,
          messages: [],
          activities: [],
          checkpoints: [],
          session: null,
        });
        break;
      }
      case "thread.turn.start": {
        const thread = this.threads.get(command.threadId);
        if (!thread) return reject(`thread ${command.threadId} does not exist`);
        if (thread.deletedAt !== null) return reject(`thread ${command.threadId} was deleted`);
        const turnId = this.nextId("turn");
        // A new turn supersedes a running one, as sending a message mid-turn does in T3.
        thread.latestTurn = {
          turnId,
          state: "running",
          requestedAt: command.createdAt,
          startedAt: when,
          completedAt: null,
          assistantMessageId: null,
        };
        thread.runtimeMode = command.runtimeMode;
        thread.interactionMode = command.interactionMode;
        thread.messages.push({
          id: command.message.messageId,
          role: "user",
          text: command.message.text,
          attachments: [],
          turnId,
          streaming: false,
          createdAt: command.createdAt,
          updatedAt: when,
        });
        thread.session = {
          threadId: thread.id,
          status: "running",
          providerName: thread.modelSelection.instanceId,
          runtimeMode: command.runtimeMode,
          activeTurnId: turnId,
          lastError: null,
          updatedAt: when,
        };
        thread.updatedAt = when;
        const project = this.projects.get(thread.projectId);
        if (project) started = { thread, project, turnId, text: command.message.text };
        break;
      }
      case "thread.turn.interrupt": {
        const thread = this.threads.get(command.threadId);
        if (!thread) return reject(`thread ${command.threadId} does not exist`);
        const turn = thread.latestTurn;
        if (command.turnId !== undefined && turn?.turnId !== command.turnId) {
          return reject(`turn ${command.turnId} is not the thread's latest turn`);
        }
        if (turn?.state === "running") {
          turn.state = "interrupted";
          turn.completedAt = when;
          // As T3 can: the session may still say `running` after an interrupt. The turn is the truth.
          if (thread.session) thread.session = { ...thread.session, activeTurnId: null, updatedAt: when };
          thread.updatedAt = when;
        }
        break;
      }
      case "thread.session.stop": {
        const thread = this.threads.get(command.threadId);
        if (!thread) return reject(`thread ${command.threadId} does not exist`);
        // The provider process ends: a turn still running ends with it.
        const turn = thread.latestTurn;
        if (turn?.state === "running") {
          turn.state = "interrupted";
          turn.completedAt = when;
        }
        thread.session = {
          ...(thread.session ?? sessionFor(thread, when)),
          status: "stopped",
          activeTurnId: null,
          updatedAt: when,
        };
        thread.updatedAt = when;
        break;
      }
    }

    const sequence = this.bump(when);
    this.receipts.set(command.commandId, sequence);
    if (started) for (const listener of this.turnListeners) listener(started);
    return { ok: true, sequence, replayed: false };
  }

  onTurnStart(listener: TurnListener): () => void {
    this.turnListeners.add(listener);
    return () => this.turnListeners.delete(listener);
  }

  // --- reads -----------------------------------------------------------------

  thread(threadId: string): Readonly<T3Thread> | undefined {
    return this.threads.get(threadId);
  }

  project(projectId: string): Readonly<T3Project> | undefined {
    return this.projects.get(projectId);
  }

  /** The read model as `GET /api/orchestration/snapshot` returns it: deleted and archived threads included. */
  snapshot(): T3Snapshot {
    return structuredClone({
      snapshotSequence: this.sequence,
      projects: [...this.projects.values()],
      threads: [...this.threads.values()],
      updatedAt: this.updatedAt,
    });
  }

  /**
   * One thread as `GET /api/orchestration/threads/{threadId}` returns it; undefined when T3 would
   * answer 404 `thread_not_found`. Soft-deleted and archived threads are kept, with their dates,
   * as in the snapshot.
   */
  threadDetail(threadId: string): { snapshotSequence: number; thread: T3Thread } | undefined {
    const thread = this.threads.get(threadId);
    return thread && structuredClone({ snapshotSequence: this.sequence, thread });
  }

  // --- what the provider does (the scripted agent) -------------------------------

  /** Ends the running turn: `completed` leaves the session ready for the next turn. */
  settleTurn(threadId: string, outcome: Exclude<TurnState, "running">, lastError?: string): void {
    const thread = this.mustThread(threadId);
    const turn = thread.latestTurn;
    if (turn?.state !== "running") throw new Error(`thread ${threadId} has no running turn to settle`);
    const when = this.clock.now().toISOString();
    turn.state = outcome;
    turn.completedAt = when;
    const status = ({ completed: "ready", error: "error", interrupted: "interrupted" } as const)[outcome];
    thread.session = {
      ...(thread.session ?? sessionFor(thread, when)),
      status,
      activeTurnId: null,
      lastError: outcome === "error" ? (lastError ?? "The provider reported an error.") : null,
      updatedAt: when,
    };
    thread.updatedAt = when;
    this.bump(when);
  }

  /** The provider asks a human something mid-turn; returns the request id its resolution must name. */
  requestHuman(threadId: string, kind: PendingRequestKind, detail: string): string {
    const thread = this.mustThread(threadId);
    const requestId = this.nextId(kind === "approval" ? "approval" : "input");
    const payload =
      kind === "approval"
        ? { requestId, requestKind: "command", detail }
        : { requestId, questions: [{ id: "q1", header: "Question", question: detail, options: [] }] };
    this.appendActivity(thread, {
      kind: `${kind}.requested`,
      tone: kind === "approval" ? "approval" : "info",
      summary: kind === "approval" ? "Approval requested" : "User input requested",
      payload,
    });
    return requestId;
  }

  resolveHuman(threadId: string, kind: PendingRequestKind, requestId: string): void {
    this.appendActivity(this.mustThread(threadId), {
      kind: `${kind}.resolved`,
      tone: kind === "approval" ? "approval" : "info",
      summary: kind === "approval" ? "Approval resolved" : "User input resolved",
      payload: { requestId },
    });
  }

  /** Soft delete, as T3 does: the thread stays in the snapshot with `deletedAt`. */
  deleteThread(threadId: string): void {
    const thread = this.mustThread(threadId);
    const when = this.clock.now().toISOString();
    thread.deletedAt = when;
    thread.updatedAt = when;
    this.bump(when);
  }

  archiveThread(threadId: string): void {
    const thread = this.mustThread(threadId);
    const when = this.clock.now().toISOString();
    thread.archivedAt = when;
    thread.updatedAt = when;
    this.bump(when);
  }

  // --- internals ---------------------------------------------------------------

  private appendActivity(thread: T3Thread, activity: Pick<T3Activity, "kind" | "tone" | "summary" | "payload">): void {
    const when = this.clock.now().toISOString();
    thread.activities.push({
      id: this.nextId("activity"),
      ...activity,
      turnId: thread.latestTurn?.turnId ?? null,
      createdAt: when,
    });
    thread.updatedAt = when;
    this.bump(when);
  }

  private mustThread(threadId: string): T3Thread {
    const thread = this.threads.get(threadId);
    if (!thread) throw new Error(`no T3 thread ${threadId}`);
    return thread;
  }

  private nextId(prefix: string): string {
    this.serial += 1;
    return `${prefix}-${this.serial}`;
  }

  private bump(when: string): number {
    this.sequence += 1;
    this.updatedAt = when;
    return this.sequence;
  }
}

function reject(reason: string): ApplyResult {
  return { ok: false, reason };
}

function sessionFor(thread: T3Thread, when: string): T3Session {
  return {
    threadId: thread.id,
    status: "idle",
    providerName: thread.modelSelection.instanceId,
    runtimeMode: thread.runtimeMode,
    activeTurnId: null,
    lastError: null,
    updatedAt: when,
  };
}
