// Config: turns the action's raw string inputs into one typed, validated
// Config, or one ConfigError naming every bad input at once.
// Owns the defaults, and the defaults keep the loop disarmed (kill switch on,
// empty allowlist). Never reads the environment itself (the caller passes the
// inputs in) and never echoes a secret input's value in an error.

import { z } from "zod";
import { ROLES, type KillSwitch, type RepoSlug, type Role, type Tick } from "./types.js";
import type { Shard } from "./shard.js";
import {
  allowlist,
  boolean,
  credential,
  httpsUrl,
  integer,
  killSwitch,
  label,
  login,
  logins,
  oneOf,
  optionalText,
  repoSlug,
  shard,
  template,
  text,
  ticks,
  workflowFile,
} from "./input-fields.js";

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
  "review-rounds": "3",
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
    /** Review turns per run for trusted reviewers' requested changes (delivery by pull request). */
    reviewRounds: number;
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

const InputsSchema = z.object({
  "github-token": credential,
  "github-api-url": httpsUrl(true),
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
  "review-rounds": integer(0, 20),
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
      reviewRounds: i["review-rounds"],
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
