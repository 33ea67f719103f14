// Loading a world: read a world file (YAML or JSON) or take an object, validate
// it, seed the stores on a virtual clock set to the world's start, and hand
// back everything a driver needs: the GitHub store, the T3 emulator's options,
// the action inputs, the scripted agent and CI, and `tick()`. Starts no
// server (sandbox.ts does) and never reads the wall clock.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { VirtualClock } from "../clock.js";
import type { GitHubStore } from "../github/store.js";
import type { T3EmulatorOptions } from "../t3/server.js";
import type { T3State } from "../t3/state.js";
import type { ScriptedAgent } from "./agent.js";
import type { ScriptedCi } from "./ci.js";
import { parseWorld, WorldError, type WorldDefinition } from "./schema.js";
import { seedWorld } from "./seed.js";

export interface World {
  definition: WorldDefinition;
  clock: VirtualClock;
  store: GitHubStore;
  t3: T3State;
  /** Ready for startT3Emulator: the world's tokens, its clock and its seeded state. */
  t3Options: T3EmulatorOptions & { state: T3State };
  /** The world's action inputs; the sandbox adds its endpoints when it starts. */
  inputs: Record<string, string>;
  agent: ScriptedAgent;
  ci: ScriptedCi;
  /** Who the loop acts as (the `github-token` input's login), or null. */
  loopLogin: string | null;
  /** How far one tick moves the clock. */
  tickMs: number;
  /** One scheduled interval passes: the clock moves on, then CI and every agent take one step. */
  tick(): void;
}

export interface LoadOptions {
  /** A clock to share; it is set to the world's start (so it must not be past it). Default: a new one. */
  clock?: VirtualClock;
}

/** A path or URL is read as a file (YAML, of which JSON is a subset); anything else is taken as the world itself. */
export function loadWorld(fileOrObject: string | URL | object, options: LoadOptions = {}): World {
  const isFile = typeof fileOrObject === "string" || fileOrObject instanceof URL;
  const source = isFile ? (fileOrObject instanceof URL ? fileURLToPath(fileOrObject) : fileOrObject) : null;
  const definition = parseWorld(source === null ? fileOrObject : readWorldFile(source), source);

  const clock = options.clock ?? new VirtualClock(definition.start);
  clock.set(definition.start);
  const seeded = seedWorld(definition, clock);
  const tickMs = definition.tickMinutes * 60_000;
  return {
    definition,
    clock,
    ...seeded,
    t3Options: {
      tokens: definition.t3.tokens,
      clock,
      state: seeded.t3,
      ...(definition.t3.latencyMs === undefined ? {} : { latencyMs: definition.t3.latencyMs }),
    },
    inputs: { ...definition.inputs },
    tickMs,
    tick() {
      clock.advance(tickMs);
      // CI first: a push made during this tick's agent step starts counting from the next tick.
      seeded.ci.step();
      seeded.agent.step();
    },
  };
}

function readWorldFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new WorldError([{ path: "", problem: `cannot read the file: ${(error as Error).message}` }], path);
  }
  try {
    return parseYaml(text, { maxAliasCount: 100 }) as unknown;
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? ` at line ${error.linePos[0].line}` : "";
    throw new WorldError(
      [{ path: "", problem: `not valid YAML or JSON${where}: ${(error as Error).message.split("\n")[0] ?? ""}` }],
      path,
    );
  }
}
