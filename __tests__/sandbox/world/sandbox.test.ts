// startSandbox: a world behind real HTTP (GitHub, T3, a doorbell receiver),
// the inputs pointed at it, and a clean stop.

import { Agent, request } from "undici";
import { afterAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/core/config.js";
import { ringAll, sinksFrom } from "../../../src/notify/doorbell.js";
import { sign } from "../../../src/notify/doorbell.js";
import { startSandbox } from "../../../src/sandbox/world/sandbox.js";
import { DEMO_WORLD } from "../../../src/sandbox/worlds/index.js";
import type { T3Snapshot } from "../../../src/sandbox/t3/state.js";

const dispatcher = new Agent();
afterAll(() => dispatcher.close());

async function get(url: string, token: string): Promise<{ status: number; json: unknown }> {
  const response = await request(url, {
    headers: { authorization: `Bearer ${token}`, "user-agent": "afk-loop-tests" },
    dispatcher,
  });
  return { status: response.statusCode, json: JSON.parse(await response.body.text()) as unknown };
}

describe("startSandbox", () => {
  it("serves the demo world over GitHub and T3 HTTP, and points the inputs at itself", async () => {
    const sandbox = await startSandbox(DEMO_WORLD);
    try {
      expect(sandbox.inputs).toMatchObject({
        "github-api-url": sandbox.githubUrl,
        "t3-url": sandbox.t3Url,
        "webhook-url": sandbox.doorbellUrl,
      });
      const urls = [sandbox.githubUrl, sandbox.t3Url, sandbox.doorbellUrl];
      expect(urls.every((u) => u.startsWith("http://127.0.0.1:"))).toBe(true);
      expect(new Set(urls.map((u) => new URL(u).port)).size).toBe(3);

      const token = sandbox.inputs["github-token"] ?? "";
      const issue = await get(`${sandbox.githubUrl}/repos/acme/web/issues/1`, token);
      expect(issue).toMatchObject({ status: 200, json: { title: "Fix the login redirect loop" } });
      const snapshot = await get(`${sandbox.t3Url}/api/orchestration/snapshot`, sandbox.inputs["t3-token"] ?? "");
      expect((snapshot.json as T3Snapshot).threads.map((t) => t.title)).toContain(
        "acme/web#1: Fix the login redirect loop",
      );
      expect(() => parseConfig(sandbox.inputs)).not.toThrow();
    } finally {
      await sandbox.stop();
    }
  });

  it("records the loop's doorbells, signed with the world's secret, and can refuse them", async () => {
    const sandbox = await startSandbox(DEMO_WORLD);
    try {
      const sinks = sinksFrom(parseConfig(sandbox.inputs).doorbell);
      const doorbell = {
        kind: "done" as const,
        repo: "acme/api",
        issue: 1,
        title: "Add a /healthz endpoint",
        issueUrl: "https://github.com/acme/api/issues/1",
        runLink: null,
        reason: "CI green",
      };
      sandbox.doorbells.failNext(1);
      expect((await ringAll(sinks, doorbell)).failed).toHaveLength(1);
      expect((await ringAll(sinks, doorbell)).sent).toEqual(["webhook"]);
      const [refused, delivered] = sandbox.doorbells.deliveries;
      expect(refused?.status).toBe(500);
      expect(delivered).toMatchObject({ status: 200, body: { event: "afk-loop.doorbell", kind: "done", issue: 1 } });
      expect(delivered?.signature).toBe(sign("demo-webhook-secret", JSON.stringify(delivered?.body)));
      expect(delivered?.at).toBe("2026-03-02T09:00:00.000Z");
    } finally {
      await sandbox.stop();
    }
  });

  it("ticks the world: the clock moves and the in-flight agent pushes", async () => {
    const sandbox = await startSandbox(DEMO_WORLD);
    try {
      sandbox.tick();
      expect(sandbox.world.clock.now().toISOString()).toBe("2026-03-02T09:10:00.000Z");
      const commits = await get(`${sandbox.githubUrl}/repos/acme/web/commits`, sandbox.inputs["github-token"] ?? "");
      expect((commits.json as { commit: { message: string } }[])[0]?.commit.message).toContain("Refs #1");
    } finally {
      await sandbox.stop();
    }
  });

  it("stops every server and leaves no listening socket behind", async () => {
    const before = await settledServers();
    const sandbox = await startSandbox(DEMO_WORLD);
    await get(`${sandbox.githubUrl}/repos/acme/api/issues/1`, sandbox.inputs["github-token"] ?? "");
    expect(await settledServers()).toBe(before + 3);
    await sandbox.stop();
    expect(await settledServers()).toBe(before);
    await expect(request(`${sandbox.t3Url}/api/orchestration/snapshot`, { dispatcher })).rejects.toThrow();
  });
});

async function settledServers(): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 50));
  return process.getActiveResourcesInfo().filter((kind) => kind === "TCPServerWrap").length;
}
