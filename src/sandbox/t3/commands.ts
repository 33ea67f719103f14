// The T3 orchestration commands the emulator accepts over HTTP (docs/design.md §8):
// `project.create`, `thread.create`, `thread.turn.start`, `thread.turn.interrupt`
// and `thread.session.stop`, one bare object
// discriminated by `type`. Owns the wire schema only; business rules (ids that
// exist or not) live in state.ts.
//
// Stricter than the real server on purpose: T3 decodes with Effect Schema,
// which drops unknown keys silently, so a misspelt optional field
// (`createWorkspaceRootIfMisssing`) would vanish without a trace in
// production. Here every object is strict, so that mistake fails in tests
// with a 400, and a client that passes the emulator also passes the server.
// Command types the real server knows but the loop never sends (thread.delete,
// thread.approval.respond, ...) are not accepted either: 400, like any unknown type.

import { z } from "zod";

/** T3's TrimmedNonEmptyString: surrounding whitespace is dropped, nothing may remain empty. */
const text = z.string().trim().min(1);
const id = text;
const instant = z.iso.datetime({ offset: true });

/** Provider instance slugs as T3 defines them: `claudeAgent`, `codex`, `codex_work`. */
const instanceId = z
  .string()
  .trim()
  .max(64)
  .regex(/^[a-zA-Z][a-zA-Z0-9_-]*$/);

const optionSelections = z.union([
  z.array(z.strictObject({ id: text, value: z.union([text, z.boolean()]) })),
  // The legacy object form T3 still decodes.
  z.record(z.string(), z.union([z.string(), z.boolean()])),
]);

const ModelSelectionSchema = z.strictObject({
  instanceId,
  model: text,
  options: optionSelections.optional(),
});
export type ModelSelection = z.infer<typeof ModelSelectionSchema>;

export const RUNTIME_MODES = ["approval-required", "auto-accept-edits", "full-access"] as const;
export type RuntimeMode = (typeof RUNTIME_MODES)[number];
const INTERACTION_MODES = ["default", "plan"] as const;
export type InteractionMode = (typeof INTERACTION_MODES)[number];

const uploadAttachment = z.strictObject({
  type: z.literal("image"),
  name: text.max(255),
  mimeType: text.max(100).regex(/^image\//i),
  sizeBytes: z
    .int()
    .min(0)
    .max(10 * 1024 * 1024),
  dataUrl: text,
});

const ProjectCreateSchema = z.strictObject({
  type: z.literal("project.create"),
  commandId: id,
  projectId: id,
  title: text,
  workspaceRoot: text,
  createWorkspaceRootIfMissing: z.boolean().optional(),
  defaultModelSelection: ModelSelectionSchema.nullable().optional(),
  createdAt: instant,
});

const ThreadCreateSchema = z.strictObject({
  type: z.literal("thread.create"),
  commandId: id,
  threadId: id,
  projectId: id,
  title: text,
  modelSelection: ModelSelectionSchema,
  runtimeMode: z.enum(RUNTIME_MODES),
  interactionMode: z.enum(INTERACTION_MODES),
  // Both keys must be present; null means "no branch / no worktree".
  branch: text.nullable(),
  worktreePath: text.nullable(),
  createdAt: instant,
});

const TurnStartSchema = z.strictObject({
  type: z.literal("thread.turn.start"),
  commandId: id,
  threadId: id,
  message: z.strictObject({
    messageId: id,
    role: z.literal("user"),
    text: z.string(),
    attachments: z.array(uploadAttachment),
  }),
  runtimeMode: z.enum(RUNTIME_MODES),
  interactionMode: z.enum(INTERACTION_MODES),
  createdAt: instant,
});

/** T3's ThreadTurnInterruptCommand: the turn id is optional (the running turn, when left out). */
const TurnInterruptSchema = z.strictObject({
  type: z.literal("thread.turn.interrupt"),
  commandId: id,
  threadId: id,
  turnId: id.optional(),
  createdAt: instant,
});

const SessionStopSchema = z.strictObject({
  type: z.literal("thread.session.stop"),
  commandId: id,
  threadId: id,
  createdAt: instant,
});

export const CommandSchema = z.discriminatedUnion("type", [
  ProjectCreateSchema,
  ThreadCreateSchema,
  TurnStartSchema,
  TurnInterruptSchema,
  SessionStopSchema,
]);
export type Command = z.infer<typeof CommandSchema>;
