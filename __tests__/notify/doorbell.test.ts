// Doorbells against a real node:http receiver: what each sink sends (Slack
// JSON, ntfy headers, a signed generic webhook), which sinks the config
// builds, and that one failing sink (5xx, refused, hung) never stops the others
// nor leaks a URL or secret into its error.
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Config } from "../../src/core/config.js";
import {
  DoorbellError,
  headline,
  ringAll,
  SIGNATURE_HEADER,
  sinksFrom,
  type Doorbell,
} from "../../src/notify/doorbell.js";

interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

// Paths the receiver treats specially; anything else answers 200.
const BROKEN = "/broken";
const HANG = "/hang";

// Secrets the error messages must never carry.
const SLACK_SECRET_PATH = "/services/T0AFK/B0LOOP/xoxSlackSecret123";
const WEBHOOK_SECRET = "hmac-secret-value-42";
const NTFY_TOKEN = "tk_ntfysecrettoken99";

const doorbell: Doorbell = {
  kind: "needs-human",
  repo: "acme/api",
  issue: 7,
  title: "Add rate limits — naïve über ✨",
  issueUrl: "https://github.com/acme/api/issues/7",
  runLink: "https://github.com/acme/api/actions/runs/1234",
  reason: "CI failed three times on the same signature",
};

const none: Config["doorbell"] = {
  slackWebhookUrl: null,
  ntfyUrl: null,
  ntfyToken: null,
  webhookUrl: null,
  webhookSecret: null,
};

let receiver: Server;
let base: string;
let received: Received[];

beforeEach(async () => {
  received = [];
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const path = req.url ?? "/";
      received.push({ method: req.method ?? "", path, headers: req.headers, body: Buffer.concat(chunks).toString() });
      if (path.startsWith(HANG)) return; // never answers
      res.writeHead(path.startsWith(BROKEN) ? 500 : 200, { "content-type": "text/plain" });
      res.end(path.startsWith(BROKEN) ? "boom" : "ok");
    });
  });
  base = await listen(receiver);
});
afterEach(async () => {
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** An address nothing listens on: a port that was just freed. */
async function closedPort(): Promise<string> {
  const server = createServer();
  const url = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return url;
}

const at = (path: string) => received.filter((r) => r.path === path);

function decodeEncodedWord(value: string): string {
  const match = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]+)\?=$/.exec(value);
  if (!match?.[1]) throw new Error(`not an RFC 2047 encoded word: ${value}`);
  return Buffer.from(match[1], "base64").toString("utf8");
}

describe("slack", () => {
  it("posts {text} JSON with the headline, the reason and links to the issue and the agent run", async () => {
    const sinks = sinksFrom({ ...none, slackWebhookUrl: `${base}${SLACK_SECRET_PATH}` });
    expect(await ringAll(sinks, doorbell)).toEqual({ sent: ["slack"], failed: [] });
    const [request] = at(SLACK_SECRET_PATH);
    expect(request?.method).toBe("POST");
    expect(request?.headers["content-type"]).toBe("application/json");
    const payload = JSON.parse(request?.body ?? "") as Record<string, unknown>;
    expect(Object.keys(payload)).toEqual(["text"]);
    const text = String(payload["text"]);
    expect(text).toContain(headline(doorbell));
    expect(text).toContain(doorbell.reason);
    expect(text).toContain(`<${doorbell.issueUrl}|acme/api#7>`);
    expect(text).toContain(`<${doorbell.runLink ?? ""}|agent run>`);
  });

  it("escapes &, < and > in outside text, so a title like <!channel> cannot ping a channel", async () => {
    const hostile = { ...doorbell, title: "<!channel> & <@U123|you>", reason: "a <https://evil.example|link> & more" };
    await ringAll(sinksFrom({ ...none, slackWebhookUrl: `${base}/slack` }), hostile);
    const { text } = JSON.parse(at("/slack")[0]?.body ?? "") as { text: string };
    expect(text).toContain("&lt;!channel&gt; &amp; &lt;@U123|you&gt;");
    expect(text).toContain("a &lt;https://evil.example|link&gt; &amp; more");
    expect(text).not.toMatch(/<[!@#]|<https:\/\/evil/);
    // Only our own two links stay links.
    expect(text.match(/<[^&]*?\|[^&]*?>/g)).toEqual([
      `<${doorbell.issueUrl}|acme/api#7>`,
      `<${doorbell.runLink ?? ""}|agent run>`,
    ]);
  });

  it("links the issue alone when there is no run link", async () => {
    await ringAll(sinksFrom({ ...none, slackWebhookUrl: `${base}/slack` }), { ...doorbell, runLink: null });
    const { text } = JSON.parse(at("/slack")[0]?.body ?? "") as { text: string };
    expect(text).toContain(doorbell.issueUrl);
    expect(text).not.toContain("agent run");
  });
});

describe("ntfy", () => {
  it("posts a plain body with the reason and links, and title, priority, tags and click headers", async () => {
    expect(await ringAll(sinksFrom({ ...none, ntfyUrl: `${base}/afk` }), doorbell)).toEqual({
      sent: ["ntfy"],
      failed: [],
    });
    const [request] = at("/afk");
    expect(request?.method).toBe("POST");
    expect(request?.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(request?.body).toBe(`${doorbell.reason}\n${doorbell.issueUrl}\n${doorbell.runLink ?? ""}`);
    const title = decodeEncodedWord(String(request?.headers["title"]));
    expect(title).toBe(headline(doorbell));
    expect(title).toContain("naïve über ✨");
    expect(request?.headers).toMatchObject({ priority: "high", tags: "raising_hand", click: doorbell.issueUrl });
    expect(request?.headers.authorization).toBeUndefined();
  });

  it.each([
    ["done", "default", "white_check_mark"],
    ["needs-human", "high", "raising_hand"],
    ["frozen", "high", "ice_cube"],
    ["breaker", "urgent", "no_entry"],
    ["daily-budget", "default", "hourglass"],
  ] as const)("a %s doorbell rings with priority %s and tag %s", async (kind, priority, tags) => {
    await ringAll(sinksFrom({ ...none, ntfyUrl: `${base}/afk` }), { ...doorbell, kind });
    expect(at("/afk")[0]?.headers).toMatchObject({ priority, tags });
  });

  it("sends the access token as a bearer token when one is set", async () => {
    await ringAll(sinksFrom({ ...none, ntfyUrl: `${base}/afk`, ntfyToken: NTFY_TOKEN }), doorbell);
    expect(at("/afk")[0]?.headers.authorization).toBe(`Bearer ${NTFY_TOKEN}`);
  });
});

describe("generic webhook", () => {
  function verifies(secret: string, body: string, header: string): boolean {
    const expected = Buffer.from(`sha256=${createHmac("sha256", secret).update(body).digest("hex")}`);
    const got = Buffer.from(header);
    return got.length === expected.length && timingSafeEqual(got, expected);
  }

  it("posts the doorbell as JSON with a sha256 HMAC signature that verifies with the secret", async () => {
    const sinks = sinksFrom({ ...none, webhookUrl: `${base}/hook`, webhookSecret: WEBHOOK_SECRET });
    expect(await ringAll(sinks, doorbell)).toEqual({ sent: ["webhook"], failed: [] });
    const [request] = at("/hook");
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(request?.body ?? "")).toEqual({ event: "afk-loop.doorbell", ...doorbell });
    const signature = String(request?.headers[SIGNATURE_HEADER]);
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifies(WEBHOOK_SECRET, request?.body ?? "", signature)).toBe(true);
    expect(verifies("another-secret", request?.body ?? "", signature)).toBe(false);
  });

  it("sends no signature header without a secret", async () => {
    await ringAll(sinksFrom({ ...none, webhookUrl: `${base}/hook` }), doorbell);
    const [request] = at("/hook");
    expect(request).toBeDefined();
    expect(request?.headers[SIGNATURE_HEADER]).toBeUndefined();
  });
});

describe("sinksFrom", () => {
  it("builds no sink when nothing is configured", () => {
    expect(sinksFrom(none)).toEqual([]);
  });

  it("builds only the sinks whose URL is set; a token or secret alone builds nothing", () => {
    expect(sinksFrom({ ...none, ntfyToken: NTFY_TOKEN, webhookSecret: WEBHOOK_SECRET })).toEqual([]);
    expect(sinksFrom({ ...none, ntfyUrl: `${base}/afk` }).map((s) => s.name)).toEqual(["ntfy"]);
    expect(sinksFrom({ ...none, webhookUrl: `${base}/hook` }).map((s) => s.name)).toEqual(["webhook"]);
  });

  it("builds all three when all are configured", () => {
    const all = { ...none, slackWebhookUrl: `${base}/slack`, ntfyUrl: `${base}/afk`, webhookUrl: `${base}/hook` };
    expect(sinksFrom(all).map((s) => s.name)).toEqual(["slack", "ntfy", "webhook"]);
  });
});

describe("a failing sink", () => {
  const healthy = (): Partial<Config["doorbell"]> => ({ ntfyUrl: `${base}/afk`, webhookUrl: `${base}/hook` });

  it("answering 500 fails only that sink; the others still send", async () => {
    const sinks = sinksFrom({ ...none, ...healthy(), slackWebhookUrl: `${base}${BROKEN}` });
    expect(await ringAll(sinks, doorbell)).toEqual({
      sent: ["ntfy", "webhook"],
      failed: [{ sink: "slack", error: "slack: answered HTTP 500" }],
    });
    expect(at("/afk")).toHaveLength(1);
    expect(at("/hook")).toHaveLength(1);
  });

  it("a sink's failure is a DoorbellError naming the sink and the status it answered (null: no answer)", async () => {
    const [broken] = sinksFrom({ ...none, slackWebhookUrl: `${base}${BROKEN}` });
    const [refused] = sinksFrom({ ...none, webhookUrl: `${await closedPort()}/hook` });
    const answered = await broken?.ring(doorbell).catch((e: unknown) => e);
    const unanswered = await refused?.ring(doorbell).catch((e: unknown) => e);
    expect(answered).toBeInstanceOf(DoorbellError);
    expect(answered).toMatchObject({ sink: "slack", status: 500 });
    expect(unanswered).toBeInstanceOf(DoorbellError);
    expect(unanswered).toMatchObject({ sink: "webhook", status: null, message: "webhook: unreachable" });
  });

  it("refusing the connection fails only that sink; the others still send", async () => {
    const sinks = sinksFrom({ ...none, ...healthy(), slackWebhookUrl: `${await closedPort()}/slack` });
    expect(await ringAll(sinks, doorbell)).toEqual({
      sent: ["ntfy", "webhook"],
      failed: [{ sink: "slack", error: "slack: unreachable" }],
    });
  });

  it("hanging past the timeout fails only that sink, promptly; the others still send", async () => {
    const sinks = sinksFrom({ ...none, ...healthy(), slackWebhookUrl: `${base}${HANG}` }, { timeoutMs: 300 });
    const started = Date.now();
    expect(await ringAll(sinks, doorbell)).toEqual({
      sent: ["ntfy", "webhook"],
      failed: [{ sink: "slack", error: "slack: timed out after 300 ms" }],
    });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(at(HANG)).toHaveLength(1);
  });

  it("no error message carries a webhook URL, the signing secret or the ntfy token", async () => {
    const refused = await closedPort();
    const sinks = sinksFrom(
      {
        slackWebhookUrl: `${base}${BROKEN}${SLACK_SECRET_PATH}`,
        ntfyUrl: `${refused}/afk-secret-topic`,
        ntfyToken: NTFY_TOKEN,
        webhookUrl: `${base}${HANG}/hook-secret-path`,
        webhookSecret: WEBHOOK_SECRET,
      },
      { timeoutMs: 300 },
    );
    const result = await ringAll(sinks, doorbell);
    expect(result.sent).toEqual([]);
    expect(result.failed.map((f) => f.sink)).toEqual(["slack", "ntfy", "webhook"]);
    const messages = result.failed.map((f) => f.error).join("\n");
    for (const secret of [
      base,
      refused,
      "127.0.0.1",
      SLACK_SECRET_PATH,
      "xoxSlackSecret123",
      "afk-secret-topic",
      "hook-secret-path",
      NTFY_TOKEN,
      WEBHOOK_SECRET,
    ]) {
      expect(messages).not.toContain(secret);
    }
  });
});

describe("the headline", () => {
  it("a cut never leaves half a surrogate pair (an emoji title straddling the limit)", () => {
    for (let pad = 0; pad < 4; pad++) {
      const text = headline({ ...doorbell, title: `${"x".repeat(pad)}${"😀".repeat(200)}` });
      expect(text.length).toBeLessThanOrEqual(250);
      expect(text).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
    }
  });
});
