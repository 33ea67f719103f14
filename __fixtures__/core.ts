// Builders for the core's plain data: one sensible default per type, so a
// test spells out only the facts it is about. Add new builders here by name;
// keep them free of behaviour (no assertions, no I/O).

import { parseConfig, type Config } from "../src/core/config.js";
import type { Actor, Blocker, IssueRef, ReadyIssue } from "../src/core/types.js";

/** The repo every builder defaults to; it is on the default allowlist. */
export const REPO = "acme/api";
/** A second allowlisted repo, for tests about more than one repo. */
export const OTHER_REPO = "acme/web";

/** When the default issue got its ready label. */
export const LABELED_AT = "2026-06-01T10:00:00Z";

/** A person with write access: trusted under the default config. */
export function anActor(overrides: Partial<Actor> = {}): Actor {
  return { login: "maintainer", isBot: false, role: "write", ...overrides };
}

export function aBot(login = "dependabot[bot]", overrides: Partial<Actor> = {}): Actor {
  return anActor({ login, isBot: true, role: "write", ...overrides });
}

export function aRef(number: number, repo: string = REPO): IssueRef {
  return { repo, number };
}

export function aBlocker(number: number, overrides: Partial<Omit<Blocker, "ref">> & { repo?: string } = {}): Blocker {
  const { repo = REPO, ...rest } = overrides;
  return { ref: aRef(number, repo), state: "open", source: "text", ...rest };
}

/**
 * An open issue with the ready label, applied by a trusted maintainer, never
 * edited, unblocked and never run: dispatchable under `aConfig()`.
 */
export function aReadyIssue(overrides: Partial<ReadyIssue> = {}): ReadyIssue {
  const repo = overrides.repo ?? REPO;
  const number = overrides.number ?? 1;
  return {
    repo,
    number,
    title: `Issue ${number}`,
    body: "",
    url: `https://github.com/${repo}/issues/${number}`,
    labels: ["ready-for-agent"],
    readyLabeledBy: anActor(),
    readyLabeledAt: LABELED_AT,
    lastEditedAt: null,
    lastEditedBy: null,
    blockers: [],
    previousAttempts: 0,
    comments: [],
    ...overrides,
  };
}

/**
 * An armed config (kill switch off) over REPO and OTHER_REPO, otherwise the
 * action's defaults. `inputs` are raw action inputs, as a user would write them.
 */
export function aConfig(inputs: Record<string, string> = {}): Config {
  return parseConfig({
    "kill-switch": "off",
    "github-token": "ghs_test",
    "t3-url": "http://t3.test",
    "t3-token": "t3_test",
    allowlist: `${REPO}\n${OTHER_REPO}`,
    ...inputs,
  });
}
