// Doorbells: tell a human that a run reached a terminal state (done, needs a
// human, frozen). Owns the three sinks (Slack incoming webhook, ntfy, a
// generic JSON webhook with an optional HMAC signature) and their timeouts.
// A failed ring never undoes a transition: it is reported per sink, and the
// caller keeps the doorbell owed. Never logs a webhook URL or a secret.

import { createHmac } from "node:crypto";
import { request } from "undici";
import type { Config } from "../core/config.js";
import { cutAt } from "../core/markdown.js";
import type { DoorbellKind, FleetDoorbellKind, RepoSlug } from "../core/types.js";

/** How long one sink may take before its ring counts as failed. */
const TIMEOUT_MS = 10_000;

export interface SinkOptions {
  /** Per-request timeout; 10 s unless a test wants a hung receiver to fail fast. */
  timeoutMs?: number;
}

export interface Doorbell {
  /**
   * The same for every ring of one run's terminal doorbell. The loop rings at least once: when the
   * record write after a successful ring fails, the next tick rings again with this id, so a
   * receiver that keeps the ids it has seen (the webhook carries it) can drop the repeat.
   */
  id?: string;
  /** A run's terminal state, or (for the fleet) the breaker or the daily budget; those carry the dashboard issue. */
  kind: DoorbellKind | FleetDoorbellKind;
  repo: RepoSlug;
  issue: number;
  title: string;
  issueUrl: string;
  /** The agent's thread or workflow run. */
  runLink: string | null;
  reason: string;
}

export interface DoorbellSink {
  readonly name: "slack" | "ntfy" | "webhook";
  ring(doorbell: Doorbell): Promise<void>;
}

/** A sink that did not take a ring: which sink, and the HTTP status it answered (null: no answer). */
export class DoorbellError extends Error {
  constructor(
    readonly sink: DoorbellSink["name"],
    readonly status: number | null,
    reason: string,
  ) {
    super(`${sink}: ${reason}`);
    this.name = "DoorbellError";
  }
}

export interface RingResult {
  sent: DoorbellSink["name"][];
  failed: { sink: DoorbellSink["name"]; error: string }[];
}

const HEADLINES: Record<Doorbell["kind"], string> = {
  done: "✅ done",
  "needs-human": "🙋 needs a human",
  frozen: "🧊 frozen",
  breaker: "⛔ circuit breaker tripped",
  "daily-budget": "⏳ daily budget spent",
};

export function headline(d: Doorbell): string {
  return cutAt(`afk-loop ${HEADLINES[d.kind]}: ${d.repo}#${d.issue} ${d.title}`, 250);
}

export function sinksFrom(settings: Config["doorbell"], options: SinkOptions = {}): DoorbellSink[] {
  const timeoutMs = options.timeoutMs ?? TIMEOUT_MS;
  const sinks: DoorbellSink[] = [];
  if (settings.slackWebhookUrl) sinks.push(slackSink(settings.slackWebhookUrl, timeoutMs));
  if (settings.ntfyUrl) sinks.push(ntfySink(settings.ntfyUrl, settings.ntfyToken, timeoutMs));
  if (settings.webhookUrl) sinks.push(webhookSink(settings.webhookUrl, settings.webhookSecret, timeoutMs));
  return sinks;
}

/** Ring every sink; one failing never stops the others. */
export async function ringAll(sinks: readonly DoorbellSink[], doorbell: Doorbell): Promise<RingResult> {
  const result: RingResult = { sent: [], failed: [] };
  for (const sink of sinks) {
    try {
      await sink.ring(doorbell);
      result.sent.push(sink.name);
    } catch (error) {
      result.failed.push({ sink: sink.name, error: error instanceof DoorbellError ? error.message : "failed" });
    }
  }
  return result;
}

async function post(
  sink: DoorbellSink["name"],
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<void> {
  let status: number;
  try {
    const response = await request(url, {
      method: "POST",
      headers,
      body,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = response.statusCode;
    await response.body.dump();
  } catch (error) {
    // The URL itself may be the secret (Slack's is): name the sink, never the address.
    const reason =
      error instanceof Error && error.name === "TimeoutError" ? `timed out after ${timeoutMs} ms` : "unreachable";
    // No cause attached: it would carry the secret URL into logs.
    throw new DoorbellError(sink, null, reason);
  }
  if (status < 200 || status >= 300) throw new DoorbellError(sink, status, `answered HTTP ${status}`);
}

function slackSink(url: string, timeoutMs: number): DoorbellSink {
  return {
    name: "slack",
    ring: (d) => {
      const link = (url: string, label: string) => `<${slackEscape(url)}|${slackEscape(label)}>`;
      const links = [link(d.issueUrl, `${d.repo}#${d.issue}`), ...(d.runLink ? [link(d.runLink, "agent run")] : [])];
      const text = `${slackEscape(headline(d))}\n${slackEscape(d.reason)}\n${links.join(" · ")}`;
      return post("slack", url, JSON.stringify({ text }), { "content-type": "application/json" }, timeoutMs);
    },
  };
}

/**
 * Slack reads `&`, `<` and `>` as control characters (`<!channel>` pings a
 * channel, `<url|text>` links): outside text gets them as entities, as Slack's
 * formatting reference asks, so an issue title can never ping or link.
 */
function slackEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const NTFY_PRIORITY: Record<Doorbell["kind"], string> = {
  done: "default",
  "needs-human": "high",
  frozen: "high",
  breaker: "urgent",
  "daily-budget": "default",
};
const NTFY_TAGS: Record<Doorbell["kind"], string> = {
  done: "white_check_mark",
  "needs-human": "raising_hand",
  frozen: "ice_cube",
  breaker: "no_entry",
  "daily-budget": "hourglass",
};

function ntfySink(url: string, token: string | null, timeoutMs: number): DoorbellSink {
  return {
    name: "ntfy",
    ring: (d) =>
      post(
        "ntfy",
        url,
        `${d.reason}\n${d.issueUrl}${d.runLink ? `\n${d.runLink}` : ""}`,
        {
          "content-type": "text/plain; charset=utf-8",
          // Header values must be ASCII-safe: ntfy decodes RFC 2047 encoded words.
          title: `=?UTF-8?B?${Buffer.from(headline(d)).toString("base64")}?=`,
          priority: NTFY_PRIORITY[d.kind],
          tags: NTFY_TAGS[d.kind],
          click: d.issueUrl,
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        timeoutMs,
      ),
  };
}

/** The generic webhook's signature header: `sha256=<hex HMAC of the body>`, as GitHub signs its own webhooks. */
export const SIGNATURE_HEADER = "x-afk-signature-256";

export function sign(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

function webhookSink(url: string, secret: string | null, timeoutMs: number): DoorbellSink {
  return {
    name: "webhook",
    ring: (d) => {
      const body = JSON.stringify({ event: "afk-loop.doorbell", ...d });
      return post(
        "webhook",
        url,
        body,
        {
          "content-type": "application/json",
          ...(secret ? { [SIGNATURE_HEADER]: sign(secret, body) } : {}),
        },
        timeoutMs,
      );
    },
  };
}
