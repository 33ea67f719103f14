// The runner's proxy variables route the loop's requests through the proxy:
// Octokit (on Node's fetch) and undici's request alike, over a real forward
// proxy on loopback in front of the GitHub emulator.
import { createServer, request as httpRequest, type Server } from "node:http";
import { connect } from "node:net";
import { getGlobalDispatcher, request, setGlobalDispatcher, type Dispatcher } from "undici";
import { afterEach, beforeEach, expect, it } from "vitest";
import { createGitHubClient } from "../../src/github/client.js";
import { useProxyFromEnvironment } from "../../src/net/proxy.js";
import { startGitHubEmulator, type GitHubEmulator } from "../../src/sandbox/github/server.js";
import { GitHubStore } from "../../src/sandbox/github/store.js";

const TOKEN = "ghs_proxyTestToken0123456789";

let emulator: GitHubEmulator;
let proxy: Server;
let proxyUrl: string;
/** What the proxy was asked to reach: `CONNECT host:port` or `GET http://...`. */
let proxied: string[];
let previous: Dispatcher;

beforeEach(async () => {
  const store = new GitHubStore({ now: () => new Date("2026-03-02T09:00:00Z") });
  store.addToken(TOKEN, { login: "afk-app[bot]", reach: "all" });
  store.createRepo({ owner: "acme", name: "api" });
  store.createIssue("acme/api", { author: "maya", title: "through the proxy" });
  emulator = await startGitHubEmulator({ store });
  proxied = [];
  // A forward proxy: tunnels CONNECT, forwards absolute-form requests.
  proxy = createServer((req, res) => {
    proxied.push(`${req.method} ${req.url}`);
    const upstream = httpRequest(req.url ?? "", { method: req.method, headers: req.headers }, (reply) => {
      res.writeHead(reply.statusCode ?? 502, reply.headers);
      reply.pipe(res);
    });
    req.pipe(upstream);
  });
  proxy.on("connect", (req, socket, head) => {
    proxied.push(`CONNECT ${req.url}`);
    const [host, port] = (req.url ?? "").split(":");
    const upstream = connect(Number(port), host, () => {
      socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on("error", () => socket.destroy());
    socket.on("error", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const address = proxy.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no port");
  proxyUrl = `http://127.0.0.1:${address.port}`;
  previous = getGlobalDispatcher();
});

afterEach(async () => {
  setGlobalDispatcher(previous);
  proxy.closeAllConnections();
  await new Promise<void>((resolve) => proxy.close(() => resolve()));
  await emulator.stop();
});

const emulatorHost = () => new URL(emulator.url).host;

// Each client alone: they share the proxy agent, so one tunnel would serve both.
it("sends Octokit's requests through HTTP_PROXY when it is set", async () => {
  expect(useProxyFromEnvironment({ HTTP_PROXY: proxyUrl })).toBe(true);
  const github = createGitHubClient({ token: TOKEN, apiUrl: emulator.url, pacing: "none", retryUnitMs: 1 });
  const issue = await github.octokit.request("GET /repos/{owner}/{repo}/issues/{issue_number}", {
    owner: "acme",
    repo: "api",
    issue_number: 1,
  });
  expect(issue.data.title).toBe("through the proxy");
  expect(proxied.length).toBeGreaterThan(0);
  for (const line of proxied) expect(line).toContain(emulatorHost());
});

it("sends undici's requests (T3, doorbells, the rollout probe) through http_proxy (lower case, as some runners set it)", async () => {
  expect(useProxyFromEnvironment({ http_proxy: proxyUrl })).toBe(true);
  const reply = await request(`${emulator.url}/repos/acme/api/issues/1`, {
    headers: { authorization: `token ${TOKEN}`, "user-agent": "afk-loop" },
  });
  expect(reply.statusCode).toBe(200);
  await reply.body.dump();
  expect(proxied.length).toBeGreaterThan(0);
  for (const line of proxied) expect(line).toContain(emulatorHost());
});

it("leaves the direct route alone when no proxy variable is set", async () => {
  expect(useProxyFromEnvironment({ NO_PROXY: "*" })).toBe(false);
  expect(getGlobalDispatcher()).toBe(previous);

  const github = createGitHubClient({ token: TOKEN, apiUrl: emulator.url, pacing: "none", retryUnitMs: 1 });
  await github.octokit.request("GET /repos/{owner}/{repo}/issues/{issue_number}", {
    owner: "acme",
    repo: "api",
    issue_number: 1,
  });
  expect(proxied).toEqual([]);
});

it("skips the proxy for hosts in NO_PROXY", async () => {
  expect(useProxyFromEnvironment({ HTTP_PROXY: proxyUrl, NO_PROXY: "127.0.0.1" })).toBe(true);
  const github = createGitHubClient({ token: TOKEN, apiUrl: emulator.url, pacing: "none", retryUnitMs: 1 });
  await github.octokit.request("GET /repos/{owner}/{repo}/issues/{issue_number}", {
    owner: "acme",
    repo: "api",
    issue_number: 1,
  });
  expect(proxied).toEqual([]);
});
