// Shared pieces of the hostile-input suite: the bundle run as the composite
// step runs it (INPUT_* env, stdout and stderr captured), a server that counts
// every connection (to prove "zero requests"), a small world whose issues a
// test fills in, a hook that changes the world at the moment a given request
// arrives (an issue deleted or transferred between the tick's read and its
// write), and the data fence read back out of a prompt. No assertions here.

import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { FaultTarget } from "../src/sandbox/github/faults.js";
import type { Sandbox } from "../src/sandbox/world/sandbox.js";
import type { WorldInput } from "../src/sandbox/world/schema.js";

const BUNDLE = new URL("../dist/index.js", import.meta.url).pathname;

/** `node dist/index.js <args>` with each input as INPUT_<NAME>; everything it prints, in order. */
export function runBundle(
  args: string[],
  inputs: Record<string, string>,
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string }> {
  const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, ...env };
  for (const [name, value] of Object.entries(inputs)) childEnv[`INPUT_${name.toUpperCase()}`] = value;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BUNDLE, ...args], { env: childEnv });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("close", (code) => resolve({ code, out }));
  });
}

export interface CountingServer {
  url: string;
  connections(): number;
  stop(): Promise<void>;
}

/** Answers 500 to anything and counts every TCP connection made to it. */
export async function startCountingServer(): Promise<CountingServer> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createServer((_req, res) => res.writeHead(500).end());
  server.on("connection", (socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export const HOSTILE_LOOP = "afk-loop[bot]";
export const HOSTILE_GITHUB_TOKEN = "ghs_hostileSuiteLoopToken0123456789";
export const HOSTILE_T3_TOKEN = "t3_hostileSuiteOperatorToken0123456789";
export const HOSTILE_WEBHOOK_SECRET = "whsec_hostileSuiteSigningSecret0123456789";
export const MALLORY_TOKEN = "ghp_malloryHostileToken0123456789";

type RepoInput = WorldInput["repos"][number];
export type IssueInput = NonNullable<RepoInput["issues"]>[number];

/**
 * maya (admin) and bob (write) are trusted; mallory triages and is not.
 * `repos` maps each served repo to its issues; `extraRepos` are not served.
 */
export function hostileSuiteWorld(options: {
  repos: Record<string, IssueInput[]>;
  extraRepos?: RepoInput[];
  inputs?: Record<string, string | number | boolean>;
  agent?: WorldInput["agent"];
  ci?: WorldInput["ci"];
  /** The loop token's reach; default: the served repos. */
  reach?: "all" | string[];
}): WorldInput {
  const served = Object.keys(options.repos);
  return {
    version: 1,
    start: "2026-03-02T09:00:00Z",
    users: ["maya", "bob", "mallory"],
    github: {
      tokens: [
        { token: HOSTILE_GITHUB_TOKEN, login: HOSTILE_LOOP, reach: options.reach ?? served },
        { token: MALLORY_TOKEN, login: "mallory", reach: "all" },
      ],
    },
    t3: { tokens: { [HOSTILE_T3_TOKEN]: ["orchestration:operate", "orchestration:read"] } },
    inputs: {
      "github-token": HOSTILE_GITHUB_TOKEN,
      "t3-token": HOSTILE_T3_TOKEN,
      "webhook-secret": HOSTILE_WEBHOOK_SECRET,
      "kill-switch": "off",
      allowlist: served.join("\n"),
      "max-in-flight": 50,
      ...options.inputs,
    },
    ...(options.agent ? { agent: options.agent } : {}),
    ...(options.ci ? { ci: options.ci } : {}),
    repos: [
      ...served.map((repo) => ({
        repo,
        collaborators: { maya: "admin", bob: "write", mallory: "triage" } as const,
        issues: options.repos[repo] ?? [],
      })),
      ...(options.extraRepos ?? []),
    ],
  };
}

/** An issue bob (write) labelled ready an hour ago. */
export function approved(number: number, extra: Partial<IssueInput> = {}): IssueInput {
  const { labels = [], ...rest } = extra;
  return {
    number,
    title: `Issue ${number}`,
    author: "maya",
    ...rest,
    labels: [{ name: "ready-for-agent", by: "bob", at: "-1h" }, ...labels],
  };
}

/**
 * Runs `effect` once, as the first request matching `when` reaches the GitHub
 * emulator and before it is answered: the world changes between what the tick
 * read and what it writes. The request itself is then served as usual.
 */
export function onRequest(sandbox: Sandbox, when: (target: FaultTarget) => boolean, effect: () => void): void {
  const faults = sandbox.github.faults;
  const take = faults.take.bind(faults);
  let done = false;
  faults.take = (target) => {
    if (!done && when(target)) {
      done = true;
      effect();
    }
    return take(target);
  };
}

export interface Fenced {
  /** Everything between the begin and end boundary lines. */
  inside: string;
  /** The prompt with the fenced block cut out. */
  outside: string;
}

/** Splits a prompt at its data fence (core/prompt.ts): the begin and end lines carry the same id. */
export function splitAtFence(prompt: string): Fenced | null {
  const begin = /^\[afk-loop issue data ([0-9a-f]+) begins\]$/m.exec(prompt);
  if (!begin) return null;
  const endLine = `[afk-loop issue data ${begin[1] ?? ""} ends]`;
  const start = begin.index + begin[0].length;
  const end = prompt.indexOf(`\n${endLine}`, start);
  if (end < 0) return null;
  return {
    inside: prompt.slice(start, end),
    outside: prompt.slice(0, begin.index) + prompt.slice(end + endLine.length + 1),
  };
}
