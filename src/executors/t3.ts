// The T3 Code executor: speaks the orchestration HTTP API over undici (current
// T3 and v0.0.27). Owns the command shapes, the deterministic ids that make
// every command safely repeatable (T3 answers a repeated commandId with the
// original sequence), the reads (one per in-flight thread, or on an older T3
// without the per-thread route one snapshot per tick), and the mapping from
// thread, session and activities to a normalised status.
// Must never send the bearer token anywhere but the configured T3 URL, never
// put it in an error, and never read an unknown state as success.

import { createHash } from "node:crypto";
import { request, type Dispatcher } from "undici";
import { z } from "zod";
import type { T3Settings } from "../core/config.js";
import type { AgentState, AgentStatus, RepoSlug } from "../core/types.js";
import {
  checkPromptSize,
  ExecutorError,
  type DispatchRequest,
  type DispatchResult,
  type Executor,
  type FollowUpRequest,
  type StopRequest,
} from "./executor.js";
import { cutAt } from "../core/markdown.js";

const TIMEOUT_MS = 30_000;
/** A snapshot larger than this is refused rather than parsed: a safety bound, far above a real one. */
const MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024;

// --- the snapshot read model, validated; unknown enum values are kept as strings and mapped to `unknown` ---

const Activity = z.looseObject({
  kind: z.string(),
  payload: z.looseObject({ requestId: z.string().optional() }).nullish(),
});
const Thread = z.looseObject({
  id: z.string(),
  projectId: z.string(),
  deletedAt: z.string().nullish(),
  archivedAt: z.string().nullish(),
  latestTurn: z.looseObject({ turnId: z.string(), state: z.string() }).nullable(),
  session: z.looseObject({ status: z.string(), lastError: z.string().nullish() }).nullable(),
  activities: z.array(Activity).default([]),
});
const Project = z.looseObject({ id: z.string(), deletedAt: z.string().nullish() });
const Snapshot = z.looseObject({
  snapshotSequence: z.number(),
  projects: z.array(Project),
  threads: z.array(Thread),
});
type Snapshot = z.infer<typeof Snapshot>;
/** `GET /api/orchestration/threads/{threadId}`: `OrchestrationThreadDetailSnapshot`. */
const ThreadDetail = z.looseObject({ snapshotSequence: z.number(), thread: Thread });
/** T3's 404 for a thread it does not have (`EnvironmentResourceNotFoundError`); any other 404 is a missing route. */
const ThreadNotFound = z.looseObject({ code: z.literal("not_found"), reason: z.literal("thread_not_found") });
type Thread = z.infer<typeof Thread>;

const DispatchAccepted = z.looseObject({ sequence: z.number() });
const ErrorBody = z.looseObject({ code: z.string().optional(), message: z.string().optional() });

/** A UUID-shaped id derived from a name: the same run always mints the same ids. */
export function deterministicId(name: string): string {
  const hex = createHash("sha256").update(`afk-loop:${name}`).digest("hex");
  // RFC 9562 version 8 (custom) with the RFC variant bits.
  const variant = ((parseInt(hex[16] ?? "0", 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** One T3 project per repository. */
export const projectIdFor = (repo: RepoSlug): string => deterministicId(`project:${repo.toLowerCase()}`);
/** One T3 thread per run: fix-forward turns go to the same thread. */
export const threadIdFor = (runId: string): string => deterministicId(`thread:${runId}`);

export interface T3ExecutorOptions {
  settings: T3Settings;
  /** `createdAt` for commands: the tick's `now`, so ids and times come from one place. */
  now: () => Date;
  dispatcher?: Dispatcher;
  /** Milliseconds to wait for an answer's headers, and between body chunks (default 30 s). */
  timeoutMs?: number;
}

export class T3Executor implements Executor {
  readonly kind = "t3" as const;
  /** Read once per tick; what this process creates afterwards is remembered instead of re-read. */
  private snapshot: Promise<Snapshot> | null = null;
  /** Each thread read once per tick; null: T3 has no such thread. */
  private readonly threads = new Map<string, Promise<Thread | null>>();
  /** Set when T3 answered the per-thread route as a route it lacks (an older T3): read the snapshot instead. */
  private threadRouteMissing = false;
  private readonly createdProjects = new Set<string>();
  private readonly startedThreads = new Set<string>();
  /** Counts of HTTP requests and of the bytes of their answers, for the job summary and the bench. */
  readonly counts = { requests: 0, commands: 0, bytes: 0 };

  constructor(private readonly options: T3ExecutorOptions) {}

  async dispatch(req: DispatchRequest): Promise<DispatchResult> {
    checkPromptSize(req.prompt);
    const projectId = projectIdFor(req.repo);
    const threadId = threadIdFor(req.runId);
    const settings = this.options.settings;
    await this.ensureProject(req.repo, projectId);
    const threadKnown = this.startedThreads.has(threadId) || (await this.readThread(threadId)) !== null;
    if (!threadKnown) {
      await this.command({
        type: "thread.create",
        commandId: deterministicId(`thread.create:${req.runId}`),
        threadId,
        projectId,
        title: cutAt(`${req.repo}#${req.issue}: ${req.title}`, 200),
        modelSelection: { instanceId: settings.modelInstance, model: settings.model },
        runtimeMode: settings.runtimeMode,
        interactionMode: "default",
        branch: null,
        worktreePath: null,
        createdAt: this.options.now().toISOString(),
      });
    }
    await this.startTurn(req.runId, threadId, 0, req.prompt);
    this.startedThreads.add(threadId);
    return { threadId, link: this.link(threadId, req.repo) };
  }

  async followUp(req: FollowUpRequest): Promise<DispatchResult> {
    checkPromptSize(req.prompt);
    await this.startTurn(req.runId, req.threadId, req.turn, req.prompt);
    this.startedThreads.add(req.threadId);
    return { threadId: req.threadId, link: this.link(req.threadId, req.repo) };
  }

  async status(run: {
    repo: RepoSlug;
    runId: string;
    threadId: string | null;
  }): Promise<AgentStatus & { threadId: string | null }> {
    const threadId = run.threadId ?? threadIdFor(run.runId);
    // A turn this process started is running, whatever the snapshot read before it says.
    if (this.startedThreads.has(threadId))
      return { state: "running", detail: null, link: this.link(threadId, run.repo), threadId };
    const thread = await this.readThread(threadId);
    if (!thread || thread.deletedAt || thread.archivedAt) {
      return {
        state: "missing",
        detail: thread ? "the thread was deleted or archived" : null,
        link: null,
        threadId: null,
      };
    }
    if (thread.latestTurn === null) {
      // A dispatch cut between thread.create and turn.start: no agent ever got the prompt, so
      // there is no run to adopt. Once the claim's lease ends it is released, and the repeat
      // dispatch (same ids) finds the thread and sends the turn.
      return {
        state: "missing",
        detail: "the thread has no turn: the dispatch stopped before the prompt",
        link: null,
        threadId: null,
      };
    }
    return { ...threadStatus(thread), link: this.link(threadId, run.repo), threadId };
  }

  /**
   * Interrupt the running turn (by its id when the read model names it), then stop the session.
   * T3 can leave `session.status` at `running` after an interrupt, so the caller reads the turn's
   * state afterwards, never the session's. Command ids derive from the run, the reason and the
   * force, so a retried stop is answered with its first result.
   */
  async stop(req: StopRequest): Promise<void> {
    const threadId = req.threadId ?? threadIdFor(req.runId);
    const key = `${req.runId}:${req.reason}${req.forced ? ":forced" : ""}`;
    const thread = await this.readThread(threadId);
    // No thread (never created, or T3 lost it): there is no agent to stop.
    if (!thread) return;
    const turn = thread.latestTurn;
    const createdAt = this.options.now().toISOString();
    if (turn?.state === "running") {
      await this.command({
        type: "thread.turn.interrupt",
        commandId: deterministicId(`turn.interrupt:${key}`),
        threadId,
        turnId: turn.turnId,
        createdAt,
      });
    }
    await this.command({
      type: "thread.session.stop",
      commandId: deterministicId(`session.stop:${key}`),
      threadId,
      createdAt,
    });
    this.startedThreads.delete(threadId);
    // The next status read must see the stop: read the server again rather than this tick's copy.
    this.threads.delete(threadId);
    this.snapshot = null;
  }

  link(threadId: string, repo: RepoSlug): string | null {
    const { linkTemplate, url } = this.options.settings;
    return linkTemplate
      .replaceAll("{t3Url}", url)
      .replaceAll("{threadId}", encodeURIComponent(threadId))
      .replaceAll("{projectId}", encodeURIComponent(projectIdFor(repo)));
  }

  /**
   * Creates the repository's project without reading first: its id and commandId are derived from
   * the repository, so T3 answers a repeat with the first result. Only a refusal (a project with
   * that id made by another command) costs a snapshot read, to see whether the project is there.
   */
  private async ensureProject(repo: RepoSlug, projectId: string): Promise<void> {
    if (this.createdProjects.has(projectId)) return;
    const [owner = "", name = ""] = repo.split("/");
    const body = {
      type: "project.create",
      commandId: deterministicId(`project.create:${repo.toLowerCase()}`),
      projectId,
      title: repo,
      workspaceRoot: this.options.settings.workspaceRoot.replaceAll("{owner}", owner).replaceAll("{repo}", name),
      createWorkspaceRootIfMissing: true,
      createdAt: this.options.now().toISOString(),
    };
    const response = await this.send(body);
    if (response.status === 200) parse(DispatchAccepted, response.body, "project.create reply");
    // 500 is T3's business-rule refusal, such as a project with this id made by another command.
    else if (
      response.status !== 500 ||
      !(await this.readSnapshot()).projects.some((p) => p.id === projectId && !p.deletedAt)
    )
      throw this.failure(body.type, response);
    this.createdProjects.add(projectId);
  }

  private startTurn(runId: string, threadId: string, turn: number, text: string): Promise<number> {
    return this.command({
      type: "thread.turn.start",
      commandId: deterministicId(`turn:${runId}:${turn}`),
      threadId,
      message: { messageId: deterministicId(`message:${runId}:${turn}`), role: "user", text, attachments: [] },
      runtimeMode: this.options.settings.runtimeMode,
      interactionMode: "default",
      createdAt: this.options.now().toISOString(),
    });
  }

  /** Send one command. Safe to repeat: the commandId makes T3 answer a repeat with the first result. */
  private async command(body: Record<string, unknown> & { type: string }): Promise<number> {
    const response = await this.send(body);
    if (response.status === 200) return parse(DispatchAccepted, response.body, `${body.type} reply`).sequence;
    throw this.failure(body.type, response);
  }

  private send(body: Record<string, unknown> & { type: string }): Promise<{ status: number; body: string }> {
    this.counts.commands++;
    return this.http("POST", "/api/orchestration/dispatch", JSON.stringify(body));
  }

  /**
   * One thread, read once per tick: `GET /api/orchestration/threads/{threadId}`, whose size is the
   * thread's, not the server's history. T3 answers a thread it lacks with a JSON 404
   * (`not_found`/`thread_not_found`). An older T3 without the route answers with its catch-all:
   * a plain 404 or its web app's HTML with 200. Either one switches this executor to the
   * snapshot, read once for the rest of the tick.
   */
  private readThread(threadId: string): Promise<Thread | null> {
    if (this.threadRouteMissing) return this.threadFromSnapshot(threadId);
    let read = this.threads.get(threadId);
    if (!read) {
      read = (async () => {
        const response = await this.http("GET", `/api/orchestration/threads/${encodeURIComponent(threadId)}`);
        if (response.status === 200 && !/^text\/html\b/i.test(response.contentType)) {
          return parse(ThreadDetail, response.body, "thread read").thread;
        }
        if (response.status === 404 && ThreadNotFound.safeParse(safeJson(response.body)).success) return null;
        if (response.status === 404 || response.status === 200) {
          this.threadRouteMissing = true;
          return this.threadFromSnapshot(threadId);
        }
        throw this.failure("thread read", response);
      })();
      this.threads.set(threadId, read);
      // A failed read must not poison the rest of the tick.
      read.catch(() => this.threads.delete(threadId));
    }
    return read;
  }

  private async threadFromSnapshot(threadId: string): Promise<Thread | null> {
    return (await this.readSnapshot()).threads.find((t) => t.id === threadId) ?? null;
  }

  private readSnapshot(): Promise<Snapshot> {
    this.snapshot ??= (async () => {
      const response = await this.http("GET", "/api/orchestration/snapshot");
      if (response.status !== 200) throw this.failure("snapshot", response);
      return parse(Snapshot, response.body, "snapshot");
    })();
    // A failed read must not poison the rest of the tick.
    this.snapshot.catch(() => (this.snapshot = null));
    return this.snapshot;
  }

  private async http(
    method: "GET" | "POST",
    path: string,
    body?: string,
  ): Promise<{ status: number; body: string; contentType: string }> {
    this.counts.requests++;
    const url = `${this.options.settings.url}${path}`;
    try {
      const response = await request(url, {
        method,
        headers: {
          authorization: `Bearer ${this.options.settings.token}`,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body }),
        headersTimeout: this.options.timeoutMs ?? TIMEOUT_MS,
        bodyTimeout: this.options.timeoutMs ?? TIMEOUT_MS,
        ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}),
      });
      let text = "";
      for await (const chunk of response.body) {
        text += (chunk as Buffer).toString("utf8");
        if (text.length > MAX_SNAPSHOT_BYTES) throw new ExecutorError(`T3 ${method} ${path}: reply too large`, false);
      }
      this.counts.bytes += Buffer.byteLength(text);
      const type = response.headers["content-type"];
      return { status: response.statusCode, body: text, contentType: (Array.isArray(type) ? type[0] : type) ?? "" };
    } catch (error) {
      if (error instanceof ExecutorError) throw error;
      const code = (error as { code?: unknown }).code;
      const timedOut = code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT";
      const reason = timedOut
        ? `no answer within ${this.options.timeoutMs ?? TIMEOUT_MS} ms`
        : error instanceof Error
          ? error.message
          : "request failed";
      throw new ExecutorError(`T3 ${method} ${path}: ${reason}`, false);
    }
  }

  private failure(what: string, response: { status: number; body: string }): ExecutorError {
    const detail = ErrorBody.safeParse(safeJson(response.body));
    const code = detail.success && detail.data.code ? ` (${detail.data.code})` : "";
    switch (response.status) {
      case 400:
        return new ExecutorError(
          `T3 rejected the ${what} command as malformed (400): afk-loop and T3 disagree on the API shape`,
          true,
        );
      case 401:
        return new ExecutorError(`T3 refused the token for ${what} (401${code}): check t3-token`, true);
      case 403:
        return new ExecutorError(
          `T3 token lacks the scope for ${what} (403${code}): it needs orchestration:operate and orchestration:read`,
          true,
        );
      case 500:
        // T3's answer to a command that breaks a business rule: it was refused, not applied.
        return new ExecutorError(`T3 refused the ${what} command (500${code})`, true);
      default:
        // A proxy's 502/504 may come after T3 applied the command: the outcome is unknown.
        return new ExecutorError(`T3 ${what} failed with HTTP ${response.status}${code}`, response.status < 500);
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function parse<T>(schema: z.ZodType<T>, text: string, what: string): T {
  const json = safeJson(text);
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue ? ` at ${issue.path.join(".") || "top level"}: ${issue.message}` : "";
    throw new ExecutorError(`T3 sent an unexpected ${what}${json === null ? " (not JSON)" : where}`, false);
  }
  return result.data;
}

const TURN_STATES: Record<string, AgentState> = {
  running: "running",
  completed: "idle",
  interrupted: "interrupted",
  error: "error",
};

/** The normalised status of one live thread. Pending approvals or questions win: nobody is at the keyboard. */
function threadStatus(thread: Thread): AgentStatus {
  const pending = pendingRequests(thread);
  if (pending.length > 0) return { state: "needs-input", detail: pending.join("; "), link: null };
  const turn = thread.latestTurn;
  if (turn === null) {
    // Created but no turn yet: only a crash between thread.create and turn.start leaves this.
    return { state: "unknown", detail: "the thread has no turn yet", link: null };
  }
  const state = TURN_STATES[turn.state] ?? "unknown";
  if (state === "unknown")
    return { state, detail: `unknown turn state ${JSON.stringify(turn.state).slice(0, 40)}`, link: null };
  if (state === "error") {
    const lastError = thread.session?.lastError;
    return { state, detail: lastError != null ? cutAt(lastError, 300) : "the turn failed", link: null };
  }
  return { state, detail: null, link: null };
}

function pendingRequests(thread: Thread): string[] {
  const open = new Map<string, string>();
  for (const activity of thread.activities) {
    const id = activity.payload?.requestId;
    if (id === undefined) continue;
    if (activity.kind === "approval.requested") open.set(id, "waiting for an approval");
    else if (activity.kind === "user-input.requested") open.set(id, "waiting for user input");
    else if (activity.kind === "approval.resolved" || activity.kind === "user-input.resolved") open.delete(id);
  }
  return [...new Set(open.values())];
}
