// Contract test: every REST route the emulator serves answers what GitHub's
// published OpenAPI description (@octokit/openapi, api.github.com.json) says it
// answers, status and body. GitHub's `nullable: true` is rewritten into a union
// with null for Ajv; `$ref`s resolve against the document itself. A body with
// a required field removed must fail (the broken fixture at the end proves the
// check has teeth).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { smallWorld, TOKENS, type SmallWorld } from "../../../__fixtures__/sandbox-github.js";
import { restRouteNames, startGitHubEmulator, type GitHubEmulator } from "../../../src/sandbox/github/server.js";

// ajv-formats ships CommonJS; under NodeNext its default import is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

type Json = Record<string, unknown>;

/** GitHub's OpenAPI 3.0 `nullable` as JSON Schema: a union with null. */
function rewriteNullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteNullable);
  if (typeof node !== "object" || node === null) return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) out[key] = rewriteNullable(value);
  if (out["nullable"] !== true) return out;
  delete out["nullable"];
  if (typeof out["type"] === "string" && out["$ref"] === undefined) {
    out["type"] = [out["type"], "null"];
    if (Array.isArray(out["enum"])) out["enum"] = [...(out["enum"] as unknown[]), null];
    return out;
  }
  return { anyOf: [out, { type: "null" }] };
}

const spec = rewriteNullable(
  JSON.parse(
    readFileSync(createRequire(import.meta.url).resolve("@octokit/openapi/generated/api.github.com.json"), "utf8"),
  ),
) as { paths: Record<string, Record<string, { responses: Record<string, Json> }>>; components: Json };
const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
addFormats(ajv);
ajv.addSchema(spec, "github");

const pointer = (segments: string[]): string =>
  "github#/" + segments.map((s) => encodeURIComponent(s.replaceAll("~", "~0").replaceAll("/", "~1"))).join("/");

const validators = new Map<string, ValidateFunction | "no-content" | "unlisted">();

/** The validator for one operation's reply, from the document's own pointer (response `$ref`s followed). */
function validatorFor(method: string, template: string, status: number): ValidateFunction | "no-content" | "unlisted" {
  const key = `${method} ${template} ${status}`;
  const cached = validators.get(key);
  if (cached) return cached;
  let segments = ["paths", template, method.toLowerCase(), "responses", String(status)];
  let response = spec.paths[template]?.[method.toLowerCase()]?.responses[String(status)];
  const ref = response?.["$ref"];
  if (typeof ref === "string") {
    segments = ref.slice(2).split("/");
    response = segments.reduce<Json | undefined>((node, s) => node?.[s] as Json | undefined, spec as unknown as Json);
  }
  const content = (response?.["content"] as Json | undefined)?.["application/json"];
  const result =
    response === undefined
      ? "unlisted"
      : content === undefined
        ? "no-content"
        : ajv.compile({ $ref: pointer([...segments, "content", "application/json", "schema"]) });
  validators.set(key, result);
  return result;
}

function violations(validate: ValidateFunction, body: unknown): string[] {
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`);
}

interface Exchange {
  method: string;
  template: string;
  status: number;
  body: unknown;
}

let world: SmallWorld;
let emulator: GitHubEmulator;
const exchanges: Exchange[] = [];

async function call(method: string, path: string, body?: unknown): Promise<Exchange> {
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers: { authorization: `token ${TOKENS.pat}`, accept: "application/vnd.github+json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  const route = emulator.log.entries.at(-1)?.route ?? "";
  const exchange = {
    method,
    template: route.slice(method.length + 1),
    status: response.status,
    body: text === "" ? undefined : (JSON.parse(text) as unknown),
  };
  exchanges.push(exchange);
  return exchange;
}

beforeAll(async () => {
  world = smallWorld();
  world.store.deleteIssue("acme/web", 1);
  emulator = await startGitHubEmulator({ store: world.store });
  const r = "/repos/acme/api";
  const { pushedSha, parentSha, deploymentId, runId } = world;
  await call("GET", `${r}/issues?labels=ready-for-agent&state=open&per_page=100`);
  await call("GET", `${r}/issues/1`);
  await call("POST", `${r}/issues`, { title: "afk-loop dashboard", body: "hello", labels: ["afk-loop-dashboard"] });
  await call("POST", `${r}/issues`, { title: "" });
  await call("PATCH", `${r}/issues/2`, { title: "Add a cache layer", state: "closed", state_reason: "completed" });
  await call("PATCH", `${r}/issues/3`, { state: "archived" });
  await call("GET", `${r}/issues/1/labels`);
  await call("POST", `${r}/issues/1/labels`, { labels: ["in-progress"] });
  await call("DELETE", `${r}/issues/1/labels/in-progress`);
  await call("DELETE", `${r}/issues/1/labels/in-progress`);
  await call("GET", `${r}/issues/1/comments`);
  const created = await call("POST", `${r}/issues/1/comments`, { body: "progress" });
  const commentId = (created.body as { id: number }).id;
  await call("GET", `${r}/issues/comments/${commentId}`);
  await call("PATCH", `${r}/issues/comments/${commentId}`, { body: "progress, edited" });
  await call("GET", `${r}/issues/1/timeline`);
  await call("GET", `${r}/issues/2/timeline`);
  await call("GET", `${r}/issues/1/events`);
  await call("GET", `${r}/issues/2/events`);
  await call("GET", `${r}/issues/1/dependencies/blocked_by`);
  await call("GET", `${r}/issues/404`);
  await call("GET", `/repos/acme/web/issues/1`);
  await call("GET", `${r}/collaborators/triager/permission`);
  await call("GET", `${r}/commits?sha=main`);
  await call("GET", `${r}/commits/${pushedSha}`);
  await call("GET", `${r}/compare/${parentSha}...${pushedSha}`);
  await call("GET", `${r}/commits/${pushedSha}/check-runs`);
  await call("GET", `${r}/commits/${pushedSha}/status`);
  await call("GET", `${r}/deployments?sha=${pushedSha}&environment=production`);
  await call("GET", `${r}/deployments/${deploymentId}/statuses`);
  await call("POST", `${r}/actions/workflows/ci.yml/dispatches`, { ref: "main" });
  const dispatched = await call("POST", `${r}/actions/workflows/ci.yml/dispatches`, {
    ref: "main",
    return_run_details: true,
  });
  const dispatchedRun = (dispatched.body as { workflow_run_id: number }).workflow_run_id;
  await call("POST", `${r}/actions/runs/${dispatchedRun}/cancel`);
  await call("POST", `${r}/actions/runs/${dispatchedRun}/force-cancel`); // 409: already cancelled
  const another = await call("POST", `${r}/actions/workflows/ci.yml/dispatches`, {
    ref: "main",
    return_run_details: true,
  });
  await call("POST", `${r}/actions/runs/${(another.body as { workflow_run_id: number }).workflow_run_id}/force-cancel`);
  await call("GET", `${r}/actions/runs?event=workflow_dispatch`);
  await call("GET", `${r}/actions/workflows/ci.yml/runs?head_sha=${pushedSha}`);
  await call("GET", `${r}/actions/runs/${runId}`);
  await call("GET", `/rate_limit`);
  await call("GET", `/user`);
});
afterAll(() => emulator.stop());

// The published union for `/issues/{n}/events` (issue-event-for-issue) has no
// variant for closed/referenced/reopened events, which GitHub does send: those
// items are held to the generic `issue-event` schema instead.
const issueEvent = ajv.compile({ $ref: "github#/components/schemas/issue-event" });
const UNLISTED_EVENTS = new Set(["closed", "reopened", "referenced"]);

describe("every served REST route answers as GitHub's OpenAPI description says", () => {
  it("exercises every route in the emulator's table", () => {
    const exercised = new Set(exchanges.map((e) => `${e.method} ${e.template}`));
    expect(restRouteNames().filter((name) => !exercised.has(name))).toEqual([]);
  });

  it.each(restRouteNames())("%s", (name) => {
    const mine = exchanges.filter((e) => `${e.method} ${e.template}` === name);
    expect(mine.length).toBeGreaterThan(0);
    for (const exchange of mine) {
      const validate = validatorFor(exchange.method, exchange.template, exchange.status);
      expect(validate, `${name} answered ${exchange.status}, which the description does not list`).not.toBe("unlisted");
      if (validate === "unlisted") continue;
      if (validate === "no-content") {
        expect(exchange.body).toBeUndefined();
        continue;
      }
      if (name === "GET /repos/{owner}/{repo}/issues/{issue_number}/events" && Array.isArray(exchange.body)) {
        const items = exchange.body as { event: string }[];
        const listed = items.filter((e) => !UNLISTED_EVENTS.has(e.event));
        expect(violations(validate, listed)).toEqual([]);
        for (const item of items.filter((e) => !listed.includes(e))) expect(violations(issueEvent, item)).toEqual([]);
        continue;
      }
      expect(violations(validate, exchange.body), `${name} ${exchange.status}`).toEqual([]);
    }
  });

  it("checks the event kinds the loop reads, in the timeline and the events list", () => {
    const kinds = new Set(
      exchanges
        .filter((e) => /\/(timeline|events)$/.test(e.template))
        .flatMap((e) => (e.body as { event: string }[]).map((item) => item.event)),
    );
    expect([...kinds].sort()).toEqual(["closed", "commented", "labeled", "referenced", "renamed", "unlabeled"]);
  });

  it("covers the error replies too: 404, 410 and 422 bodies", () => {
    const statuses = new Set(exchanges.map((e) => e.status));
    expect([404, 410, 422].filter((s) => !statuses.has(s))).toEqual([]);
  });
});

describe("the contract check has teeth", () => {
  it("fails an issue whose required `number` was removed, and one whose user lost `login`", () => {
    const served = exchanges.find(
      (e) => e.template === "/repos/{owner}/{repo}/issues/{issue_number}" && e.status === 200,
    );
    const validate = validatorFor("GET", "/repos/{owner}/{repo}/issues/{issue_number}", 200);
    if (!served || typeof validate === "string") throw new Error("no served issue to break");
    expect(violations(validate, served.body)).toEqual([]);

    const withoutNumber = structuredClone(served.body) as Json;
    delete withoutNumber["number"];
    expect(violations(validate, withoutNumber)).toContain("/ must have required property 'number'");

    const withoutLogin = structuredClone(served.body) as { user: Json };
    delete withoutLogin.user["login"];
    expect(violations(validate, withoutLogin).join("\n")).toMatch(/\/user.*login/);
  });

  it("fails a check-runs list whose run lost `head_sha`", () => {
    const served = exchanges.find((e) => e.template.endsWith("/check-runs"));
    const validate = validatorFor("GET", "/repos/{owner}/{repo}/commits/{ref}/check-runs", 200);
    if (!served || typeof validate === "string") throw new Error("no served check runs to break");
    const broken = structuredClone(served.body) as { check_runs: Json[] };
    delete broken.check_runs[0]?.["head_sha"];
    expect(violations(validate, broken)).toContain("/check_runs/0 must have required property 'head_sha'");
  });
});
