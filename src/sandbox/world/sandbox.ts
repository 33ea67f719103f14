// The running sandbox: a loaded world behind real HTTP, meaning the GitHub
// emulator on the world's store, the T3 emulator on its T3 state, and a
// doorbell receiver, with the action inputs completed by their URLs. Owns
// start-up and shutdown as a unit (a failed start stops what already
// started); the world owns time and the scripts.

import { startGitHubEmulator, type EmulatorOptions, type GitHubEmulator } from "../github/server.js";
import { startT3Emulator, type T3Emulator, type T3EmulatorOptions } from "../t3/server.js";
import { startDoorbellReceiver, type DoorbellReceiver } from "./doorbell-receiver.js";
import { loadWorld, type World } from "./load.js";

export interface SandboxOptions {
  /** Extra GitHub emulator knobs (latency, faults, limits). */
  github?: Omit<EmulatorOptions, "store">;
  /** Extra T3 emulator knobs (latency, faults). */
  t3?: Pick<T3EmulatorOptions, "latencyMs" | "faults">;
}

export interface Sandbox {
  world: World;
  githubUrl: string;
  t3Url: string;
  doorbellUrl: string;
  /** The world's inputs with `github-api-url`, `t3-url` and `webhook-url` pointing at the sandbox. */
  inputs: Record<string, string>;
  github: GitHubEmulator;
  t3: T3Emulator;
  doorbells: DoorbellReceiver;
  /** One scheduled interval passes in the world (see World.tick). */
  tick(): void;
  stop(): Promise<void>;
}

/** Starts a loaded world, or loads one first from a file path, URL or world object. */
export async function startSandbox(
  world: World | string | URL | object,
  options: SandboxOptions = {},
): Promise<Sandbox> {
  const loaded = isWorld(world) ? world : loadWorld(world);
  const started: { stop(): Promise<void> }[] = [];
  try {
    const github = await startGitHubEmulator({ ...options.github, store: loaded.store });
    started.push(github);
    const t3 = await startT3Emulator({ ...loaded.t3Options, ...options.t3 });
    started.push(t3);
    const doorbells = await startDoorbellReceiver(loaded.clock);
    started.push(doorbells);
    return {
      world: loaded,
      githubUrl: github.url,
      t3Url: t3.url,
      doorbellUrl: doorbells.url,
      inputs: { ...loaded.inputs, "github-api-url": github.url, "t3-url": t3.url, "webhook-url": doorbells.url },
      github,
      t3,
      doorbells,
      tick: () => loaded.tick(),
      stop: async () => {
        await Promise.all(started.map((server) => server.stop()));
      },
    };
  } catch (error) {
    await Promise.all(started.map((server) => server.stop()));
    throw error;
  }
}

function isWorld(value: unknown): value is World {
  return typeof value === "object" && value !== null && "definition" in value && "tick" in value;
}
