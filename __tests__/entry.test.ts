// The bundle as the composite step runs it: `node dist/index.js <tick>` with
// inputs in INPUT_* env. A disarmed or misconfigured loop makes no request:
// the API URL points at a server that counts every connection.
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const bundle = new URL("../dist/index.js", import.meta.url).pathname;

let server: Server;
let apiUrl: string;
let connections = 0;

beforeAll(async () => {
  server = createServer((_req, res) => res.writeHead(500).end());
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function runBundle(args: string[], inputs: Record<string, string>) {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, "INPUT_GITHUB-API-URL": apiUrl };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  return new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn(process.execPath, [bundle, ...args], { env });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("close", (code) => resolve({ code, out }));
  });
}

describe("node dist/index.js", () => {
  it.each(["watch", "poll"])("%s with no inputs exits 0, says it is disarmed, and makes no request", async (tick) => {
    const before = connections;
    const { code, out } = await runBundle([tick], {});
    expect(code).toBe(0);
    expect(out).toContain("disarmed");
    expect(connections).toBe(before);
  });

  it("a bad kill switch fails the step with one clear line and no request", async () => {
    const before = connections;
    const { code, out } = await runBundle(["poll"], { "kill-switch": "maybe" });
    expect(code).toBe(1);
    expect(out).toContain("kill-switch: must be empty or on");
    expect(connections).toBe(before);
  });

  it("bad inputs never print a secret", async () => {
    const { code, out } = await runBundle(["poll"], {
      "kill-switch": "off",
      "t3-token": "t3-very-secret-value",
      "github-token": "ghs_very_secret_value",
      "max-per-repo": "lots",
    });
    // `::add-mask::` is how a step registers a secret with the runner, which swallows the line.
    const logged = out
      .split("\n")
      .filter((line) => !line.startsWith("::add-mask::"))
      .join("\n");
    expect(code).toBe(1);
    expect(out).toContain("::add-mask::t3-very-secret-value");
    expect(logged).toContain("max-per-repo");
    expect(logged).not.toContain("t3-very-secret-value");
    expect(logged).not.toContain("ghs_very_secret_value");
  });

  it("an unknown tick is a usage error", async () => {
    const { code, out } = await runBundle(["sweep"], {});
    expect(code).toBe(1);
    expect(out).toContain("usage");
  });
});
