// The fleet world, generated: N repos x M ready issues, K of them already in
// flight, every label applied by a trusted maintainer. For benchmarks and
// scale tests (read cost per tick, dispatch fairness), not for stories.
// Deterministic: the same options always give the same world.

import type { WorldInput } from "../world/schema.js";

export interface FleetOptions {
  repos: number;
  readyPerRepo: number;
  /** Runs already under way, spread one per repo first (max-per-repo stays honest), then wrapping. */
  inFlight: number;
  /** Overrides or additions to the generated action inputs. */
  inputs?: Record<string, string | number | boolean>;
  start?: string;
}

const FLEET_OWNER = "fleet";
const FLEET_MAINTAINER = "maintainer";
const LOOP_TOKEN = "ghs_fleet_app";

export function fleetWorld(options: FleetOptions): WorldInput {
  const { repos, readyPerRepo, inFlight } = options;
  if (inFlight > repos * readyPerRepo)
    throw new RangeError(`${inFlight} in flight but only ${repos * readyPerRepo} issues`);
  const width = String(repos).length;
  const names = Array.from({ length: repos }, (_, r) => `${FLEET_OWNER}/repo-${String(r + 1).padStart(width, "0")}`);
  return {
    version: 1,
    description: `A generated fleet: ${repos} repos x ${readyPerRepo} ready issues, ${inFlight} in flight.`,
    start: options.start ?? "2026-03-02T09:00:00Z",
    users: [FLEET_MAINTAINER],
    github: { tokens: [{ token: LOOP_TOKEN, login: "afk-loop[bot]" }] },
    t3: { tokens: { t3_fleet_operator: ["orchestration:operate", "orchestration:read"] } },
    inputs: {
      "github-token": LOOP_TOKEN,
      "t3-token": "t3_fleet_operator",
      "kill-switch": "off",
      allowlist: names.join("\n"),
      "max-per-repo": 1,
      "max-in-flight": Math.max(inFlight, Math.min(repos, 50)),
      ...options.inputs,
    },
    agent: { act: "push", afterTicks: 2 },
    ci: { result: "green", afterTicks: 1 },
    repos: names.map((repo, r) => ({
      repo,
      collaborators: { [FLEET_MAINTAINER]: "write" as const },
      issues: Array.from({ length: readyPerRepo }, (_, i) => {
        // Repo r's (i+1)-th issue is the (i * repos + r)-th run: one per repo before any repo gets a second.
        const running = i * repos + r < inFlight;
        return {
          number: i + 1,
          title: `Fleet task ${i + 1} in ${repo}`,
          body: `Generated task ${i + 1}.`,
          author: FLEET_MAINTAINER,
          createdAt: "-2d",
          labels: [
            { name: "ready-for-agent", by: FLEET_MAINTAINER, at: "-1h" },
            { name: `P${(i % 4) + 1}`, by: FLEET_MAINTAINER, at: "-1h" },
          ],
          ...(running ? { run: { since: "-20m" } } : {}),
        };
      }),
    })),
  };
}
