// Well-formed T3 commands and a small undici client for the emulator tests:
// each test states only the field it breaks or the id it reuses.

import { Agent, request } from "undici";

export const OPERATOR = "t3-operator";
export const READER = "t3-reader";
export const WRITER_ONLY = "t3-writer-only";
export const TOKENS = {
  [OPERATOR]: ["orchestration:operate", "orchestration:read"],
  [READER]: ["orchestration:read"],
  [WRITER_ONLY]: ["orchestration:operate"],
};

export const AT = "2026-03-02T09:00:00.000Z";

export function projectCreate(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: "project.create",
    commandId: "cmd-project-1",
    projectId: "project-1",
    title: "acme/api",
    workspaceRoot: "/workspace/acme/api",
    createWorkspaceRootIfMissing: true,
    defaultModelSelection: { instanceId: "claudeAgent", model: "claude-sonnet-4-5" },
    createdAt: AT,
    ...overrides,
  };
}

export function threadCreate(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: "thread.create",
    commandId: "cmd-thread-1",
    threadId: "thread-1",
    projectId: "project-1",
    title: "acme/api#7: Add a thing",
    modelSelection: { instanceId: "claudeAgent", model: "claude-sonnet-4-5" },
    runtimeMode: "full-access",
    interactionMode: "default",
    branch: null,
    worktreePath: null,
    createdAt: AT,
    ...overrides,
  };
}

export function turnStart(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: "thread.turn.start",
    commandId: "cmd-turn-1",
    threadId: "thread-1",
    message: { messageId: "msg-1", role: "user", text: "Implement acme/api#7.", attachments: [] },
    runtimeMode: "full-access",
    interactionMode: "default",
    createdAt: AT,
    ...overrides,
  };
}

export interface Answer {
  status: number;
  text: string;
  contentType: string | undefined;
}

/** One HTTP exchange; a fresh dispatcher per test file keeps sockets from outliving it. */
export function client(dispatcher: Agent) {
  async function call(url: string, method: "GET" | "POST", token: string | null, body?: unknown): Promise<Answer> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    const response = await request(url, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
      dispatcher,
    });
    const contentType = response.headers["content-type"];
    return {
      status: response.statusCode,
      text: await response.body.text(),
      contentType: Array.isArray(contentType) ? contentType[0] : contentType,
    };
  }
  return {
    dispatch: (base: string, command: unknown, token: string | null = OPERATOR) =>
      call(`${base}/api/orchestration/dispatch`, "POST", token, command),
    snapshot: (base: string, token: string | null = OPERATOR) =>
      call(`${base}/api/orchestration/snapshot`, "GET", token),
  };
}

/** A copy of `command` with the value at `path` removed (`undefined`) or replaced. */
export function withField(command: Record<string, unknown>, path: string, value?: unknown): Record<string, unknown> {
  const copy = structuredClone(command);
  const keys = path.split(".");
  const last = keys.pop() ?? path;
  let target: Record<string, unknown> = copy;
  for (const key of keys) target = target[key] as Record<string, unknown>;
  if (value === undefined) Reflect.deleteProperty(target, last);
  else target[last] = value;
  return copy;
}
