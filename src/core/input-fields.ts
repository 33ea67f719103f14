// Input fields: one zod parser per kind of action input (string in, typed
// value out), each with a message a maintainer can act on. Owns the syntax of
// inputs (URLs, logins, repository slugs, labels, templates); config.ts owns
// which input uses which field and how they combine. Never echoes a
// credential's value in a message.

import { z } from "zod";
import { KILL_SWITCH_STATES, TICKS, type KillSwitch, type RepoSlug, type Tick } from "./types.js";
import type { Shard } from "./shard.js";

export const text = z.string().transform((s) => s.trim());

export const optionalText = text.transform((s) => (s === "" ? null : s));

/**
 * A credential sent in an HTTP header. A space or line break inside it would make the request
 * fail with an error that quotes the header, token and all, so it is refused here, unquoted.
 */
export const credential = text.transform((s, ctx) => {
  if (/[\s\p{Cc}]/u.test(s)) {
    ctx.addIssue({
      code: "custom",
      message: "must be a single token, without spaces, line breaks or control characters",
    });
    return z.NEVER;
  }
  return s;
});

export const boolean = text.pipe(
  z.string().transform((s, ctx) => {
    const v = s.toLowerCase();
    if (v === "true") return true;
    if (v === "false" || v === "") return false;
    ctx.addIssue({ code: "custom", message: "must be true or false" });
    return z.NEVER;
  }),
);

export const integer = (min: number, max: number) =>
  text.transform((s, ctx) => {
    if (!/^\d+$/.test(s) || Number(s) < min || Number(s) > max) {
      ctx.addIssue({ code: "custom", message: `must be a whole number from ${min} to ${max}` });
      return z.NEVER;
    }
    return Number(s);
  });

export const oneOf = <const T extends readonly string[]>(values: T) =>
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
 * clear (github-api-url carries the GitHub token on every request).
 */
export const httpsUrl = (required: boolean) =>
  text.transform((s, ctx): string | null => {
    if (s === "") {
      if (required) ctx.addIssue({ code: "custom", message: "is required" });
      return required ? z.NEVER : null;
    }
    let url: URL;
    try {
      url = new URL(s);
    } catch {
      ctx.addIssue({ code: "custom", message: HTTPS_ONLY });
      return z.NEVER;
    }
    if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopback(url.hostname))) {
      ctx.addIssue({ code: "custom", message: HTTPS_ONLY });
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

export const allowlist = text.transform((s, ctx) => {
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

export const logins = text.transform((s, ctx) => {
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

export const ticks = text.transform((s, ctx) => {
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

export const killSwitch = text.transform((s, ctx): KillSwitch => {
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

export const shard = text.transform((s, ctx): Shard | null => {
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

export const label = text.transform((s, ctx) => {
  // Control characters (a line break could start a workflow command where a label is printed) and bidi controls.
  if (s === "" || s.length > 50 || /[\p{Cc}\u202a-\u202e\u2066-\u2069]/u.test(s)) {
    ctx.addIssue({ code: "custom", message: "must be a label name of 1 to 50 characters, without control characters" });
    return z.NEVER;
  }
  return s;
});

/** One exact `owner/name`, or empty (null). */
export const repoSlug = text.transform((s, ctx): RepoSlug | null => {
  if (s === "") return null;
  const [owner, repo, ...rest] = s.split("/");
  if (rest.length > 0 || owner === undefined || repo === undefined || !OWNER.test(owner) || !REPO.test(repo)) {
    ctx.addIssue({ code: "custom", message: "must be an exact owner/name repository, such as my-org/control" });
    return z.NEVER;
  }
  return `${owner}/${repo}`;
});

export const login = text.transform((s, ctx): string | null => {
  if (s === "") return null;
  const value = s.replace(/^@/, "");
  if (!LOGIN.test(value)) {
    ctx.addIssue({ code: "custom", message: "must be a GitHub login, such as my-app[bot]" });
    return z.NEVER;
  }
  return value;
});

export const template = (placeholders: readonly string[]) =>
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

export const workflowFile = text.transform((s, ctx) => {
  if (!/^[\w.-]+\.ya?ml$/.test(s)) {
    ctx.addIssue({ code: "custom", message: "must be a workflow file name such as afk-agent.yml" });
    return z.NEVER;
  }
  return s;
});
