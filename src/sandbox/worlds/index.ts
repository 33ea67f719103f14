// The worlds that ship with afk-loop: `demo` (a world file, the format's
// worked example), `hostile` and `fleet` (built in code). Owns their names
// and where they live; loading is world/load.ts's job.

import type { WorldInput } from "../world/schema.js";
import { fleetWorld, type FleetOptions } from "./fleet.js";
import { hostileWorld } from "./hostile.js";

export { fleetWorld, hostileWorld, type FleetOptions };

/** The demo world file, for loadWorld or `afk-loop simulate --world`. */
export const DEMO_WORLD = new URL("./demo.yaml", import.meta.url);

export const BUNDLED_WORLDS = ["demo", "hostile", "fleet"] as const;
export type BundledWorld = (typeof BUNDLED_WORLDS)[number];

/** A bundled world, ready for loadWorld: the demo's file URL, or the generated object (fleet: 20 repos x 5, 5 in flight). */
export function bundledWorld(
  name: BundledWorld,
  fleet: FleetOptions = { repos: 20, readyPerRepo: 5, inFlight: 5 },
): URL | WorldInput {
  switch (name) {
    case "demo":
      return DEMO_WORLD;
    case "hostile":
      return hostileWorld();
    case "fleet":
      return fleetWorld(fleet);
  }
}
