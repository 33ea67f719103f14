// Config: turns the action's raw string inputs into one typed, validated
// Config, or one ConfigError naming every bad input at once.
// Owns the defaults, and the defaults keep the loop disarmed (kill switch on,
// empty allowlist). Never reads the environment itself (the caller passes the
// inputs in) and never echoes a secret input's value in an error.

import { z } from "zod";
import { KILL_SWITCH_STATES, ROLES, type KillSwitch, type RepoSlug, type Role } from "./types.js";
import { fnv1a } from "./hash.js";

/** Every input the action accepts, with its default as a string exactly as action.yml declares it. */
export const INPUT_DEFAULTS = {
  "github-token": "",
  "github-api-url": "https://api.github.com",
  "kill-switch": "",
  allowlist: "",
  ticks: "watch,poll",
  "dry-run": "false",
  "ready-label": "ready-for-agent",
  "in-progress-label": "agent-in-progress",
  "human-label": "ready-for-human",
  "frozen-label": "frozen",
  "min-labeler-role": "write",
  "trusted-users": "",
  "loop-identity": "",
  "record-key": "",
  "max-per-repo": "1",
  "max-in-flight": "5",
  "max-runs-per-issue": "3",
  "fix-forward-attempts": "3",
  "fix-forward-minutes": "120",
  "same-failure-limit": "2",
  "max-run-minutes": "90",
  "ci-timeout-minutes": "60",
  "no-ci": "escalate",
  "lease-minutes": "15",
  "tick-budget-seconds": "240",
  shard: "",
  delivery: "push",
  "deploy-environment": "",
  "rollout-url": "",
  "rollout-timeout-seconds": "10",
  executor: "t3",
  "t3-url": "",
  "t3-token": "",
  "t3-model-instance": "claudeAgent",
  "t3-model": "claude-sonnet-4-5",
  "t3-runtime-mode": "full-access",
  "t3-workspace-root": "/workspace/{owner}/{repo}",
  "t3-link-template": "{t3Url}/threads/{threadId}",
  "workflow-file": "afk-agent.yml",
  "workflow-ref": "",
  "slack-webhook-url": "",
  "ntfy-url": "",
  "ntfy-token": "",
  "webhook-url": "",
  "webhook-secret": "",
  dashboard: "false",
  "dashboard-repo": "",
  "max-dispatches-per-day": "50",
  "breaker-failures": "5",
} as const satisfies Record<string, string>;

export type InputName = keyof typeof INPUT_DEFAULTS;
export const INPUT_NAMES = Object.keys(INPUT_DEFAULTS) as InputName[];

/** Inputs whose values are credentials (or carry one, like a Slack webhook URL). */
export const SECRET_INPUTS: ReadonlySet<InputName> = new Set<InputName>([
  "github-token",
  "t3-token",
  "slack-webhook-url",
  "ntfy-token",
  "webhook-url",
  "webhook-secret",
  "record-key",
]);

export const TICKS = ["watch", "poll"] as const;
export type Tick = (typeof TICKS)[number];

export interface Shard {
  index: number;
  count: number;
}

export interface Config {
  github: { token: string; apiUrl: string; loopIdentity: string | null };
  /** Key of the run records' HMAC; null: records are trusted by their author's login alone. */
  recordKey: string | null;
  killSwitch: KillSwitch;
  allowlist: RepoSlug[];
  ticks: Tick[];
  dryRun: boolean;
  labels: { ready: string; inProgress: string; human: string; frozen: string };
  trust: { minLabelerRole: Role; trustedUsers: string[] };
  limits: {
    maxPerRepo: number;
    maxInFlight: number;
    maxRunsPerIssue: number;
    fixForwardAttempts: number;
    fixForwardMinutes: number;
    sameFailureLimit: number;
    maxRunMinutes: number;
    ciTimeoutMinutes: number;
    leaseMinutes: number;
    tickBudgetSeconds: number;
  };
  noCi: "escalate" | "close";
  shard: Shard | null;
  delivery: "push" | "pull-request";
  ci: { deployEnvironment: string | null; rolloutUrl: string | null; rolloutTimeoutSeconds: number };
  executor: T3Settings | WorkflowSettings;
  doorbell: {
    slackWebhookUrl: string | null;
    ntfyUrl: string | null;
    ntfyToken: string | null;
    webhookUrl: string | null;
    webhookSecret: string | null;
  };
  /** The opt-in dashboard issue; `repo` is the control repository unless set. */
  dashboard: { enabled: boolean; repo: RepoSlug | null };
  /** The fleet's brakes (issue 12); 0 turns either off. */
  guardRails: { maxDispatchesPerDay: number; breakerFailures: number };
}

export interface T3Settings {
  kind: "t3";
  url: string;
  token: string;
  modelInstance: string;
  model: string;
  runtimeMode: "approval-required" | "auto-accept-edits" | "full-access";
  workspaceRoot: string;
  linkTemplate: string;
}

export interface WorkflowSettings {
  kind: "workflow";
  workflowFile: string;
  ref: string | null;
}

/** One error for all bad inputs; `problems` never contains a secret's value. */
export class ConfigError extends Error {
  constructor(readonly problems: ReadonlyArray<{ input: string; problem: string }>) {
    super(
      `invalid action inputs (${problems.length}):\n` + problems.map((p) => `  - ${p.input}: ${p.problem}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

// --- field parsers: string in, typed value out, with a message a maintainer can act on ---

const text = z.string().transform((s) => s.trim());

const optionalText = text.transform((s) => (s === "" ? null : s));

/**
 * A credential sent in an HTTP header. A space or line break inside it would make the request
 * fail with an error that quotes the header, token and all, so it is refused here, unquoted.
 */
const credential = text.transform((s, ctx) => {
  if (/[\s\p{Cc}]/u.test(s)) {
    ctx.addIssue({
      code: "custom",
      message: "must be a single token, without spaces, line breaks or control characters",
    });
    return z.NEVER;
  }
  return s;
});

const boolean = text.pipe(
  z.string().transform((s, ctx) => {
    const v = s.toLowerCase();
    if (v === "true") return true;
    if (v === "false" || v === "") return false;
    ctx.addIssue({ code: "custom", message: "must be true or false" });
    return z.NEVER;
  }),
);

const integer = (min: number, max: number) =>
  text.transform((s, ctx) => {
    if (!/^\d+$/.test(s) || Number(s) < min || Number(s) > max) {
      ctx.addIssue({ code: "custom", message: `must be a whole number from ${min} to ${max}` });
      return z.NEVER;
    }
    return Number(s);
  });

const oneOf = <const T extends readonly string[]>(values: T) =>
  text.transform((s, ctx): T[number] => {
    const v = values.find((value) => value === s.toLowerCase());
    if (v === undefined) {
      ctx.addIssue({ code: "custom", message: `must be one of ${values.join(", ")}` });
      return z.NEVER;
    }
    return v;
  });

/**
 * An https URL; plain http only for a loopback address (the sandbox, a local
 * T3): tokens, webhook secrets and doorbell text never cross a network in the
 * clear. `anyHttp` keeps github-api-url as it was (any http(s) URL).
 */
const httpsUrl = (required: boolean, anyHttp = false) =>
  text.transform((s, ctx): string | null => {
    if (s === "") {
      if (required) ctx.addIssue({ code: "custom", message: "is required" });
      return required ? z.NEVER : null;
    }
    let url: URL;
    try {
      url = new URL(s);
    } catch {
      ctx.addIssue({ code: "custom", message: anyHttp ? "must be an http(s) URL" : HTTPS_ONLY });
      return z.NEVER;
    }
    if (url.protocol !== "https:" && !(url.protocol === "http:" && (anyHttp || isLoopback(url.hostname)))) {
      ctx.addIssue({ code: "custom", message: anyHttp ? "must be an http(s) URL" : HTTPS_ONLY });
      return z.NEVER;
    }
    return s.replace(/\/+$/, "");
  });

const HTTPS_ONLY = "must be an https URL (plain http only for a loopback address: 127.0.0.0/8, [::1], localhost)";

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** Lines or commas; blank entries and `#` comments dropped. */
function entries(s: string): string[] {
  return s
    .split(/[\n,]/)
    .map((line) => line.replace(/#.*$/, "").trim())
    .filter((line) => line !== "");
}

// GitHub's own rules: owner is alphanumeric with single hyphens; repo names
// also allow `.` and `_` but are never `.` or `..`.
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const REPO = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,100}$/;

const allowlist = text.transform((s, ctx) => {
  const seen = new Set<string>();
  const out: RepoSlug[] = [];
  for (const entry of entries(s)) {
    const parts = entry.split("/");
    const [owner, repo] = parts;
    if (parts.length !== 2 || owner === undefined || repo === undefined || !OWNER.test(owner) || !REPO.test(repo)) {
      ctx.addIssue({
        code: "custom",
        message: `entry ${JSON.stringify(entry.slice(0, 80))} is not an exact owner/name (no URLs, globs or bare names)`,
      });
      continue;
    }
    const key = entry.toLowerCase();
    if (seen.has(key)) {
      ctx.addIssue({ code: "custom", message: `entry ${JSON.stringify(entry)} is listed twice` });
      continue;
    }
    seen.add(key);
    out.push(entry);
  }
  return out;
});

const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/;

const logins = text.transform((s, ctx) => {
  const out: string[] = [];
  for (const entry of entries(s)) {
    const login = entry.replace(/^@/, "");
    if (!LOGIN.test(login)) {
      ctx.addIssue({ code: "custom", message: `${JSON.stringify(entry.slice(0, 80))} is not a GitHub login` });
      continue;
    }
    out.push(login);
  }
  return out;
});

const ticks = text.transform((s, ctx) => {
  const out: Tick[] = [];
  for (const entry of entries(s)) {
    const tick = entry.toLowerCase();
    if (!(TICKS as readonly string[]).includes(tick)) {
      ctx.addIssue({ code: "custom", message: `unknown tick ${JSON.stringify(entry.slice(0, 40))} (use watch, poll)` });
      continue;
    }
    if (!out.includes(tick as Tick)) out.push(tick as Tick);
  }
  if (out.length === 0) ctx.addIssue({ code: "custom", message: "must name at least one of watch, poll" });
  // Watch always runs first so a repo it frees can take new work in the same run.
  return TICKS.filter((t) => out.includes(t));
});

const killSwitch = text.transform((s, ctx): KillSwitch => {
  const v = s.toLowerCase();
  if (v === "") return "on";
  if (!(KILL_SWITCH_STATES as readonly string[]).includes(v)) {
    ctx.addIssue({
      code: "custom",
      message: "must be empty or on (disarmed), off (armed), drain, or stop (emergency stop)",
    });
    return z.NEVER;
  }
  return v as KillSwitch;
});

const shard = text.transform((s, ctx): Shard | null => {
  if (s === "") return null;
  const m = /^(\d+)\/(\d+)$/.exec(s);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || count > 256 || index < 1 || index > count) {
    ctx.addIssue({ code: "custom", message: "must look like 2/8 (slice 2 of 8, counting from 1)" });
    return z.NEVER;
  }
  return { index, count };
});

const label = text.transform((s, ctx) => {
  // Control characters (a line break could start a workflow command where a label is printed) and bidi controls.
  if (s === "" || s.length > 50 || /[\p{Cc}\u202a-\u202e\u2066-\u2069]/u.test(s)) {
    ctx.addIssue({ code: "custom", message: "must be a label name of 1 to 50 characters, without control characters" });
    return z.NEVER;
  }
  return s;
});

/** One exact `owner/name`, or empty (null). */
const repoSlug = text.transform((s, ctx): RepoSlug | null => {
  if (s === "") return null;
  const [owner, repo, ...rest] = s.split("/");
  if (rest.length > 0 || owner === undefined || repo === undefined || !OWNER.test(owner) || !REPO.test(repo)) {
    ctx.addIssue({ code: "custom", message: "must be an exact owner/name repository, such as my-org/control" });
    return z.NEVER;
  }
  return `${owner}/${repo}`;
});

const login = text.transform((s, ctx): string | null => {
  if (s === "") return null;
  const value = s.replace(/^@/, "");
  if (!LOGIN.test(value)) {
    ctx.addIssue({ code: "custom", message: "must be a GitHub login, such as my-app[bot]" });
    return z.NEVER;
  }
  return value;
});

const template = (placeholders: readonly string[]) =>
  text.transform((s, ctx) => {
    for (const m of s.matchAll(/\{(\w+)\}/g)) {
      if (!placeholders.includes(m[1] ?? "")) {
        ctx.addIssue({
          code: "custom",
          message: `unknown placeholder {${m[1]}} (known: ${placeholders.map((p) => `{${p}}`).join(", ")})`,
        });
        return z.NEVER;
      }
    }
    return s;
  });

const workflowFile = text.transform((s, ctx) => {
  if (!/^[\w.-]+\.ya?ml$/.test(s)) {
    ctx.addIssue({ code: "custom", message: "must be a workflow file name such as afk-agent.yml" });
    return z.NEVER;
  }
  return s;
});

const InputsSchema = z.object({
  "github-token": credential,
  "github-api-url": httpsUrl(true, true),
  "kill-switch": killSwitch,
  allowlist,
  ticks,
  "dry-run": boolean,
  "ready-label": label,
  "in-progress-label": label,
  "human-label": label,
  "frozen-label": label,
  "min-labeler-role": oneOf(ROLES.filter((r) => r !== "none" && r !== "read")),
  "trusted-users": logins,
  "loop-identity": login,
  "record-key": text
    .refine((s) => s === "" || (s.length >= 32 && s.length <= 1024), "must be 32 to 1024 characters")
    .transform((s) => (s === "" ? null : s)),
  "max-per-repo": integer(1, 50),
  "max-in-flight": integer(1, 500),
  "max-runs-per-issue": integer(1, 50),
  "fix-forward-attempts": integer(0, 20),
  "fix-forward-minutes": integer(1, 10_080),
  "same-failure-limit": integer(1, 20),
  "max-run-minutes": integer(1, 10_080),
  "ci-timeout-minutes": integer(1, 10_080),
  "no-ci": oneOf(["escalate", "close"] as const),
  "lease-minutes": integer(1, 1_440),
  "tick-budget-seconds": integer(10, 21_600),
  shard,
  delivery: oneOf(["push", "pull-request"] as const),
  "deploy-environment": optionalText,
  "rollout-url": text.pipe(template(["sha", "owner", "repo"])).pipe(httpsUrl(false)),
  "rollout-timeout-seconds": integer(1, 120),
  executor: oneOf(["t3", "workflow"] as const),
  "t3-url": httpsUrl(false),
  "t3-token": credential,
  "t3-model-instance": text.pipe(z.string().regex(/^[A-Za-z][\w-]{0,63}$/, "must be a slug such as claudeAgent")),
  "t3-model": text.pipe(z.string().min(1, "is required").max(200)),
  "t3-runtime-mode": oneOf(["approval-required", "auto-accept-edits", "full-access"] as const),
  "t3-workspace-root": template(["owner", "repo"]).pipe(z.string().min(1, "is required")),
  "t3-link-template": template(["t3Url", "threadId", "projectId"]),
  "workflow-file": workflowFile,
  "workflow-ref": optionalText,
  "slack-webhook-url": httpsUrl(false),
  "ntfy-url": httpsUrl(false),
  "ntfy-token": credential.transform((s) => (s === "" ? null : s)),
  "webhook-url": httpsUrl(false),
  "webhook-secret": optionalText,
  dashboard: boolean,
  "dashboard-repo": repoSlug,
  // Bounded so the last 24 hours' starts always fit in the dashboard record's kept events.
  "max-dispatches-per-day": integer(0, 200),
  // Bounded by what the dashboard record remembers of a streak (BREAKER_MEMORY).
  "breaker-failures": integer(0, 20),
});

type ParsedInputs = z.infer<typeof InputsSchema>;

/**
 * Parse the raw inputs (missing or empty means the default).
 * Throws ConfigError listing every problem; never returns a half-valid Config.
 */
export function parseConfig(raw: Readonly<Record<string, string | undefined>>): Config {
  const filled: Record<string, string> = {};
  for (const name of INPUT_NAMES) {
    const value = raw[name];
    filled[name] = value === undefined || value.trim() === "" ? INPUT_DEFAULTS[name] : value;
  }
  // The kill switch's empty value is meaningful (ON), so it is never replaced.
  filled["kill-switch"] = raw["kill-switch"] ?? "";

  const result = InputsSchema.safeParse(filled);
  const problems: { input: string; problem: string }[] = [];
  if (!result.success) {
    for (const issue of result.error.issues) {
      const input = String(issue.path[0] ?? "inputs");
      const shown = SECRET_INPUTS.has(input as InputName)
        ? ""
        : ` (got ${JSON.stringify((filled[input] ?? "").slice(0, 80))})`;
      problems.push({ input, problem: `${issue.message}${shown}` });
    }
  }
  problems.push(...crossCheck(filled, result.success ? result.data : null));
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return toConfig(result.data);
}

/**
 * Rules that tie inputs together. They read the raw strings so they are
 * reported together with every per-input problem, in one error.
 */
function crossCheck(raw: Record<string, string>, parsed: ParsedInputs | null): { input: string; problem: string }[] {
  const value = (name: InputName) => (raw[name] ?? "").trim().toLowerCase();
  const armed = ["off", "drain", "stop"].includes(value("kill-switch"));
  if (!armed) return []; // disarmed (or an invalid switch, reported already): nothing below is used
  const problems: { input: string; problem: string }[] = [];
  const required = (name: InputName, why: string) => {
    if (value(name) === "") problems.push({ input: name, problem: `is required ${why}` });
  };
  required("github-token", "when armed");
  if (value("executor") === "t3") {
    required("t3-url", "with executor t3");
    required("t3-token", "with executor t3");
  }
  if (parsed && parsed["max-per-repo"] > parsed["max-in-flight"]) {
    problems.push({ input: "max-per-repo", problem: "must not exceed max-in-flight" });
  }
  if (parsed?.dashboard === true) {
    required("dashboard-repo", "with dashboard true (action.yml defaults it to the control repository)");
    // Each shard sees only its slice: one dashboard written by every shard would flip between slices each run.
    if (parsed.shard !== null) {
      problems.push({ input: "dashboard", problem: "must be false with shard: each shard sees only its own slice" });
    }
  }
  if (parsed?.delivery === "pull-request") {
    // The deploy stage waits for the pushed commit to be deployed, which a pull request's head never is.
    for (const name of ["deploy-environment", "rollout-url"] as const) {
      if (value(name) !== "") {
        const problem = "must be empty with delivery pull-request: a pull request is deployed only after its merge";
        problems.push({ input: name, problem });
      }
    }
  }
  return problems;
}

function toConfig(i: ParsedInputs): Config {
  const executor: Config["executor"] =
    i.executor === "t3"
      ? {
          kind: "t3",
          url: i["t3-url"] ?? "",
          token: i["t3-token"],
          modelInstance: i["t3-model-instance"],
          model: i["t3-model"],
          runtimeMode: i["t3-runtime-mode"],
          workspaceRoot: i["t3-workspace-root"],
          linkTemplate: i["t3-link-template"],
        }
      : { kind: "workflow", workflowFile: i["workflow-file"], ref: i["workflow-ref"] };
  return {
    github: { token: i["github-token"], apiUrl: i["github-api-url"] ?? "", loopIdentity: i["loop-identity"] },
    recordKey: i["record-key"],
    killSwitch: i["kill-switch"],
    allowlist: i.allowlist,
    ticks: i.ticks,
    dryRun: i["dry-run"],
    labels: {
      ready: i["ready-label"],
      inProgress: i["in-progress-label"],
      human: i["human-label"],
      frozen: i["frozen-label"],
    },
    trust: { minLabelerRole: i["min-labeler-role"], trustedUsers: i["trusted-users"] },
    limits: {
      maxPerRepo: i["max-per-repo"],
      maxInFlight: i["max-in-flight"],
      maxRunsPerIssue: i["max-runs-per-issue"],
      fixForwardAttempts: i["fix-forward-attempts"],
      fixForwardMinutes: i["fix-forward-minutes"],
      sameFailureLimit: i["same-failure-limit"],
      maxRunMinutes: i["max-run-minutes"],
      ciTimeoutMinutes: i["ci-timeout-minutes"],
      leaseMinutes: i["lease-minutes"],
      tickBudgetSeconds: i["tick-budget-seconds"],
    },
    noCi: i["no-ci"],
    shard: i.shard,
    delivery: i.delivery,
    ci: {
      deployEnvironment: i["deploy-environment"],
      rolloutUrl: i["rollout-url"],
      rolloutTimeoutSeconds: i["rollout-timeout-seconds"],
    },
    executor,
    doorbell: {
      slackWebhookUrl: i["slack-webhook-url"],
      ntfyUrl: i["ntfy-url"],
      ntfyToken: i["ntfy-token"],
      webhookUrl: i["webhook-url"],
      webhookSecret: i["webhook-secret"],
    },
    dashboard: { enabled: i.dashboard, repo: i["dashboard-repo"] },
    guardRails: { maxDispatchesPerDay: i["max-dispatches-per-day"], breakerFailures: i["breaker-failures"] },
  };
}

/** The repos this shard serves: a stable, disjoint slice of the allowlist. */
export function shardRepos(allowlist: readonly RepoSlug[], shard: Shard | null): RepoSlug[] {
  if (shard === null) return [...allowlist];
  // Slice by a hash of the name, not by position, so adding a repo moves no other repo between shards.
  return allowlist.filter((repo) => (fnv1a(repo.toLowerCase()) % shard.count) + 1 === shard.index);
}
