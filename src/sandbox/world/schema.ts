// The world file format (documented in worlds/README.md): who exists, which
// tokens reach what, the repos with their collaborators and issues (label
// events, edits, comments, native "blocked by", runs already under way), the
// agent and CI scripts, and the action inputs. Owns validation, shape first
// and then cross-references, with every problem reported as
// `path: problem` (`repos[2].issues[0].labels[0].by: unknown user "mallory"`).
// Never builds anything: seed.ts turns a valid world into running state.

import { z } from "zod";
import { INPUT_NAMES } from "../../core/config.js";
import { EXECUTOR_KINDS, ROLES, type IssueRef } from "../../core/types.js";
import { T3_SCOPES } from "../t3/server.js";
import { AgentScriptSchema } from "./agent.js";
import { CiScriptSchema } from "./ci.js";
import { MomentSchema, resolveMoment } from "./moment.js";

export const ACTIONS_LOGIN = "github-actions[bot]";

/**
 * Inputs the sandbox fills with its own servers. A world never names an
 * endpoint: nothing a world does may reach past the sandbox.
 */
const SANDBOX_INPUTS = [
  "github-api-url",
  "t3-url",
  "webhook-url",
  "slack-webhook-url",
  "ntfy-url",
  "rollout-url",
] as const;

const login = z
  .string()
  .regex(
    /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/,
    "must be a GitHub login (letters, digits, hyphens; bots end in [bot])",
  );
const repoName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9._-]+$/, "must be owner/name");
const refText = z
  .string()
  .regex(
    /^(?:(?:[A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9._-]+)?#\d+|https:\/\/github\.com\/[A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9._-]+\/issues\/\d+)$/,
    'must be "#N", "owner/name#N" or an issue URL',
  );

const UserSchema = z.preprocess(
  (value) => (typeof value === "string" ? { login: value } : value),
  z.strictObject({ login, bot: z.boolean().optional() }),
);

const GitHubTokenSchema = z
  .strictObject({
    token: z.string().min(1),
    /** Who the token acts as. */
    login: login.optional(),
    /** Which repos it reaches; default all. */
    reach: z.union([z.literal("all"), z.array(repoName)]).default("all"),
    /** The workflow's built-in GITHUB_TOKEN for this repo: github-actions[bot], reaching only that repo. */
    builtin: repoName.optional(),
  })
  .refine((t) => (t.login === undefined) !== (t.builtin === undefined), {
    message: "give exactly one of login or builtin",
  });

const LabelEventSchema = z.preprocess(
  (value) => (typeof value === "string" ? { name: value } : value),
  z.strictObject({
    name: z.string().min(1).max(50),
    /** Default: the issue's author. */
    by: login.optional(),
    /** Default: when the issue was created. */
    at: MomentSchema.optional(),
    /** An `unlabeled` event instead. */
    remove: z.boolean().default(false),
  }),
);

const EditSchema = z
  .strictObject({
    by: login,
    at: MomentSchema,
    title: z.string().min(1).optional(),
    body: z.string().max(65_536).optional(),
  })
  .refine((e) => e.title !== undefined || e.body !== undefined, {
    message: "an edit changes the title, the body or both",
  });

const CommentSchema = z.strictObject({ by: login, at: MomentSchema.optional(), body: z.string().min(1).max(65_536) });

const RUN_SEED_PHASES = ["dispatched", "escalated", "frozen", "closed", "released"] as const;

/** A run the loop started before the story begins: its progress comment, lock and agent thread. */
const RunSeedSchema = z.strictObject({
  attempt: z.int().min(1).max(1000).default(1),
  phase: z.enum(RUN_SEED_PHASES).default("dispatched"),
  /** When the loop claimed and dispatched it. */
  since: MomentSchema.default("-15m"),
  /** Default: the `executor` input, else t3. */
  executor: z.enum(EXECUTOR_KINDS).optional(),
  /** What the executor knows of it: `missing` never heard of it (a lost run), `deleted` soft-deleted (T3). */
  thread: z.enum(["running", "missing", "deleted"]).default("running"),
  reason: z.string().min(1).max(500).optional(),
});

const IssueSchema = z.strictObject({
  /** Default: the next free number in the repo, as GitHub numbers issues. */
  number: z.int().min(1).optional(),
  title: z.string().min(1).max(256),
  body: z.string().max(65_536).default(""),
  author: login,
  createdAt: MomentSchema.default("-7d"),
  closed: z
    .strictObject({
      by: login,
      at: MomentSchema.optional(),
      reason: z.enum(["completed", "not_planned", "duplicate"]).default("completed"),
    })
    .optional(),
  labels: z.array(LabelEventSchema).default([]),
  edits: z.array(EditSchema).default([]),
  comments: z.array(CommentSchema).default([]),
  /** GitHub's native issue dependencies; "Blocked by" text goes in the body. */
  blockedBy: z.array(refText).default([]),
  run: RunSeedSchema.optional(),
  agent: AgentScriptSchema.optional(),
  ci: CiScriptSchema.optional(),
});

/** The run-name the example agent workflow uses, so a run can be found by its run id when dispatch answers 204. */
export const DEFAULT_RUN_NAME = "afk-agent ${{ inputs.run-id }}";

const WorkflowSchema = z.preprocess(
  (value) => (typeof value === "string" ? { file: value } : value),
  z.strictObject({
    file: z.string().regex(/^[\w.-]+\.ya?ml$/, "must be a workflow file name such as afk-agent.yml"),
    runName: z.string().min(1).default(DEFAULT_RUN_NAME),
  }),
);

const RepoSchema = z.strictObject({
  repo: repoName,
  defaultBranch: z.string().min(1).default("main"),
  private: z.boolean().default(false),
  /** login -> role; the owner is admin without being listed. */
  collaborators: z.record(login, z.enum(ROLES)).default({}),
  /** Workflows the workflow executor can dispatch: a file name, or `{file, runName}`. */
  workflows: z.array(WorkflowSchema).default([]),
  /** Defaults for this repo's issues. */
  agent: AgentScriptSchema.optional(),
  ci: CiScriptSchema.optional(),
  issues: z.array(IssueSchema).default([]),
});

const inputValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);

const WorldShape = z.strictObject({
  version: z.literal(1),
  description: z.string().optional(),
  start: z.iso.datetime({ offset: true }),
  /** How far the clock moves on each world tick: the schedule's interval. */
  tickMinutes: z
    .number()
    .positive()
    .max(24 * 60)
    .default(10),
  /** Who authors the scripted agent's commits. */
  agentLogin: login.default("afk-agent[bot]"),
  users: z.array(UserSchema).default([]),
  github: z.strictObject({ tokens: z.array(GitHubTokenSchema).min(1) }),
  t3: z
    .strictObject({
      /** Bearer token -> scopes. */
      tokens: z.record(z.string().min(1), z.array(z.enum(T3_SCOPES))).default({}),
      latencyMs: z.int().min(0).max(60_000).optional(),
    })
    .default({ tokens: {} }),
  /** Action inputs, as the workflow's `with:` passes them (values become strings). */
  inputs: z.record(z.string(), inputValue).default({}),
  /** World-wide defaults; a repo's or an issue's own script wins. */
  agent: AgentScriptSchema.optional(),
  ci: CiScriptSchema.optional(),
  repos: z.array(RepoSchema).min(1),
});

const WorldSchema = WorldShape.superRefine(checkReferences);
export type WorldInput = z.input<typeof WorldSchema>;
export type WorldDefinition = z.output<typeof WorldShape>;
export type RepoDefinition = WorldDefinition["repos"][number];
export type IssueDefinition = RepoDefinition["issues"][number];
export type RunSeed = NonNullable<IssueDefinition["run"]>;

export interface WorldProblem {
  path: string;
  problem: string;
}

/** Every problem in a world, each naming where it is. */
export class WorldError extends Error {
  constructor(
    readonly problems: readonly WorldProblem[],
    readonly source: string | null = null,
  ) {
    const lines = problems.slice(0, 50).map((p) => `  ${p.path === "" ? "(world)" : p.path}: ${p.problem}`);
    if (problems.length > 50) lines.push(`  ... and ${problems.length - 50} more`);
    super(
      `invalid world${source === null ? "" : ` ${source}`} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${lines.join("\n")}`,
    );
    this.name = "WorldError";
  }
}

export function parseWorld(input: unknown, source: string | null = null): WorldDefinition {
  const parsed = WorldSchema.safeParse(input, {
    error: (issue) => (issue.code === "invalid_type" && issue.input === undefined ? "required" : undefined),
  });
  if (parsed.success) return parsed.data;
  throw new WorldError(
    parsed.error.issues.map((issue) => ({ path: formatPath(issue.path), problem: issue.message })),
    source,
  );
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) out += typeof key === "number" ? `[${key}]` : out === "" ? String(key) : `.${String(key)}`;
  return out;
}

/** `#N`, `owner/name#N` or an issue URL, relative to the repo it appears in. */
export function parseRef(text: string, repo: string): IssueRef {
  const url = /^https:\/\/github\.com\/([^/]+\/[^/]+)\/issues\/(\d+)$/.exec(text);
  if (url) return { repo: url[1] ?? repo, number: Number(url[2]) };
  const [named, number] = text.split("#");
  return { repo: named === undefined || named === "" ? repo : named, number: Number(number) };
}

/** Issue numbers as the seed will assign them: explicit ones kept, the rest counting up like GitHub. */
export function issueNumbers(repo: Pick<RepoDefinition, "issues">): number[] {
  let next = 1;
  const taken = new Set(repo.issues.flatMap((i) => (i.number === undefined ? [] : [i.number])));
  return repo.issues.map((issue) => {
    if (issue.number !== undefined) return issue.number;
    while (taken.has(next)) next += 1;
    taken.add(next);
    return next;
  });
}

function checkReferences(world: WorldDefinition, ctx: z.RefinementCtx): void {
  const problem = (path: PropertyKey[], message: string) => ctx.addIssue({ code: "custom", path, message });
  const start = new Date(world.start);
  const key = (s: string) => s.toLowerCase();

  const listed = new Set<string>();
  for (const [i, user] of world.users.entries()) {
    if (listed.has(key(user.login))) problem(["users", i, "login"], `duplicate user "${user.login}"`);
    listed.add(key(user.login));
  }
  // Accounts that exist without being listed: GitHub's own bot, the agent, token identities, repo owners.
  const accounts = new Set<string>([...listed, key(ACTIONS_LOGIN), key(world.agentLogin)]);
  for (const token of world.github.tokens) if (token.login !== undefined) accounts.add(key(token.login));
  for (const repo of world.repos) accounts.add(key(repo.repo.split("/")[0] ?? ""));
  const known = (path: PropertyKey[], who: string) => {
    if (!accounts.has(key(who))) problem(path, `unknown user "${who}"`);
  };

  const tokens = new Set<string>();
  for (const [i, token] of world.github.tokens.entries()) {
    if (tokens.has(token.token)) problem(["github", "tokens", i, "token"], "duplicate token");
    tokens.add(token.token);
  }

  const numbersByRepo = new Map<string, Set<number>>();
  for (const [r, repo] of world.repos.entries()) {
    if (numbersByRepo.has(key(repo.repo))) problem(["repos", r, "repo"], `duplicate repo "${repo.repo}"`);
    const numbers = issueNumbers(repo);
    const seen = new Set<number>();
    for (const [i, number] of numbers.entries()) {
      if (seen.has(number)) problem(["repos", r, "issues", i, "number"], `duplicate issue #${number} in ${repo.repo}`);
      seen.add(number);
    }
    numbersByRepo.set(key(repo.repo), seen);
  }

  /** Setup happens before the story begins, and (given `created`) not before its issue exists. */
  const inThePast = (path: PropertyKey[], moment: string, created?: Date) => {
    const at = resolveMoment(moment, start);
    if (at > start) problem(path, `${moment} is after the world's start (${world.start}); the story begins there`);
    else if (created && at < created) problem(path, `${moment} is before the issue was created`);
  };

  for (const [i, token] of world.github.tokens.entries()) {
    if (token.builtin !== undefined && !numbersByRepo.has(key(token.builtin))) {
      problem(["github", "tokens", i, "builtin"], `no repo "${token.builtin}" in the world`);
    }
  }

  const loopToken = world.inputs["github-token"];
  const loopTokenKnown = world.github.tokens.some((t) => t.token === loopToken);
  for (const [r, repo] of world.repos.entries()) {
    const at = (...rest: PropertyKey[]) => ["repos", r, ...rest];
    for (const who of Object.keys(repo.collaborators)) known(at("collaborators", who), who);
    for (const [i, issue] of repo.issues.entries()) {
      const here = (...rest: PropertyKey[]) => at("issues", i, ...rest);
      const created = resolveMoment(issue.createdAt, start);
      known(here("author"), issue.author);
      inThePast(here("createdAt"), issue.createdAt);
      for (const [l, label] of issue.labels.entries()) {
        if (label.by !== undefined) known(here("labels", l, "by"), label.by);
        if (label.at !== undefined) inThePast(here("labels", l, "at"), label.at, created);
      }
      for (const [e, edit] of issue.edits.entries()) {
        known(here("edits", e, "by"), edit.by);
        inThePast(here("edits", e, "at"), edit.at, created);
      }
      for (const [c, comment] of issue.comments.entries()) {
        known(here("comments", c, "by"), comment.by);
        if (comment.at !== undefined) inThePast(here("comments", c, "at"), comment.at, created);
      }
      if (issue.closed) {
        known(here("closed", "by"), issue.closed.by);
        if (issue.closed.at !== undefined) inThePast(here("closed", "at"), issue.closed.at, created);
      }
      for (const [b, text] of issue.blockedBy.entries()) {
        const ref = parseRef(text, repo.repo);
        const numbers = numbersByRepo.get(key(ref.repo));
        // A repo outside the world stands for one the loop cannot read; a missing issue in a world repo is a typo.
        if (numbers && !numbers.has(ref.number))
          problem(here("blockedBy", b), `${ref.repo} has no issue #${ref.number}`);
      }
      if (issue.run) {
        inThePast(here("run", "since"), issue.run.since, created);
        if (!loopTokenKnown) {
          problem(
            here("run"),
            "a run needs inputs.github-token to name a token in github.tokens (its login writes the progress comment)",
          );
        }
      }
    }
  }

  for (const name of Object.keys(world.inputs)) {
    if ((SANDBOX_INPUTS as readonly string[]).includes(name)) {
      problem(["inputs", name], "set by the sandbox to its own server; a world never names an endpoint");
    } else if (!(INPUT_NAMES as readonly string[]).includes(name)) {
      problem(["inputs", name], `unknown input "${name}"`);
    }
  }
  if (loopToken !== undefined && loopToken !== "" && !loopTokenKnown) {
    problem(["inputs", "github-token"], "names no token in github.tokens");
  }
  const t3Token = world.inputs["t3-token"];
  if (t3Token !== undefined && t3Token !== "" && !(t3Token in world.t3.tokens)) {
    problem(["inputs", "t3-token"], "names no token in t3.tokens");
  }
}
