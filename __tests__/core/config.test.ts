import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigError, INPUT_DEFAULTS, parseConfig } from "../../src/core/config.js";
import { shardRepos } from "../../src/core/shard.js";

/** The least an armed loop needs; tests override what they are about. */
const ARMED = { "kill-switch": "off", "github-token": "ghs_x", "t3-url": "https://t3.local", "t3-token": "t3tok" };

function problemsOf(raw: Record<string, string>): { input: string; problem: string }[] {
  try {
    parseConfig(raw);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("defaults keep the loop disarmed", () => {
  it("no inputs at all parse to kill switch on and an empty allowlist", () => {
    const config = parseConfig({});
    expect(config.killSwitch).toBe("on");
    expect(config.allowlist).toEqual([]);
    expect(config.dryRun).toBe(false);
  });

  it("every default in the table parses (the table itself is valid)", () => {
    expect(() => parseConfig({ ...INPUT_DEFAULTS })).not.toThrow();
  });

  it("a disarmed loop needs no token and no executor settings", () => {
    expect(parseConfig({ "github-token": "" }).killSwitch).toBe("on");
  });
});

describe("kill switch", () => {
  it.each([
    ["", "on"],
    ["on", "on"],
    ["ON", "on"],
    [" off ", "off"],
    ["Off", "off"],
    ["drain", "drain"],
    ["stop", "stop"],
  ])("%j means %s", (value, expected) => {
    expect(parseConfig({ ...ARMED, "kill-switch": value }).killSwitch).toBe(expected);
  });

  it.each(["of", "false", "0", "disabled", "armed"])("%j is an error, not a guess", (value) => {
    expect(problemsOf({ "kill-switch": value })).toEqual([
      { input: "kill-switch", problem: expect.stringContaining("must be empty or on") as unknown },
    ]);
  });
});

describe("allowlist", () => {
  it("accepts exact owner/name lines, commas, comments and blank lines", () => {
    const config = parseConfig({ ...ARMED, allowlist: "acme/api\n\n# the web app\nacme/web, acme/docs.site\n" });
    expect(config.allowlist).toEqual(["acme/api", "acme/web", "acme/docs.site"]);
  });

  it.each([
    ["a bare name", "api"],
    ["a URL", "https://github.com/acme/api"],
    ["a glob", "acme/*"],
    ["three parts", "acme/api/extra"],
    ["an owner with a leading hyphen", "-acme/api"],
    ["a dot-dot repo", "acme/.."],
  ])("rejects %s", (_, entry) => {
    const problems = problemsOf({ ...ARMED, allowlist: entry });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.input).toBe("allowlist");
    expect(problems[0]?.problem).toContain("not an exact owner/name");
  });

  it("rejects a repo listed twice, case-insensitively", () => {
    expect(problemsOf({ ...ARMED, allowlist: "acme/api\nACME/Api" })[0]?.problem).toContain("listed twice");
  });
});

describe("numbers and choices", () => {
  it.each([
    ["max-per-repo", "0"],
    ["max-per-repo", "-1"],
    ["max-per-repo", "1.5"],
    ["max-in-flight", "1e3"],
    ["lease-minutes", "99999999999999999999"],
    ["fix-forward-attempts", "three"],
    ["review-rounds", "21"],
  ])("%s=%j is rejected with its range", (input, value) => {
    const problems = problemsOf({ ...ARMED, [input]: value });
    expect(problems).toEqual([{ input, problem: expect.stringMatching(/whole number from \d+ to \d+/) as unknown }]);
  });

  it.each([
    ["dry-run", "yes", "true or false"],
    ["no-ci", "ignore", "escalate, close"],
    ["executor", "claude", "t3, workflow"],
    ["min-labeler-role", "read", "triage, write, maintain, admin"],
    ["t3-runtime-mode", "yolo", "approval-required"],
    ["delivery", "email", "push, pull-request"],
  ])("%s=%j names the allowed values", (input, value, allowed) => {
    expect(problemsOf({ ...ARMED, [input]: value })).toEqual([
      { input, problem: expect.stringContaining(allowed) as unknown },
    ]);
  });

  it("max-per-repo above max-in-flight is a contradiction", () => {
    expect(problemsOf({ ...ARMED, "max-per-repo": "3", "max-in-flight": "2" })).toEqual([
      { input: "max-per-repo", problem: "must not exceed max-in-flight" },
    ]);
  });

  it("a deploy stage with pull-request delivery is a contradiction: nothing is deployed before the merge", () => {
    const prMode = { ...ARMED, delivery: "pull-request" };
    expect(
      problemsOf({ ...prMode, "deploy-environment": "production", "rollout-url": "https://x.example/{sha}" }),
    ).toEqual([
      {
        input: "deploy-environment",
        problem: "must be empty with delivery pull-request: a pull request is deployed only after its merge",
      },
      {
        input: "rollout-url",
        problem: "must be empty with delivery pull-request: a pull request is deployed only after its merge",
      },
    ]);
    expect(parseConfig(prMode).delivery).toBe("pull-request");
    expect(parseConfig({ ...ARMED, "deploy-environment": "production" }).ci.deployEnvironment).toBe("production");
  });

  it("choices are case-insensitive", () => {
    expect(parseConfig({ ...ARMED, "min-labeler-role": "Maintain" }).trust.minLabelerRole).toBe("maintain");
  });
});

describe("one error lists every problem", () => {
  it("reports all bad inputs together, including missing required ones", () => {
    const problems = problemsOf({ "kill-switch": "off", allowlist: "nope", "max-per-repo": "x", "t3-token": "" });
    expect(problems.map((p) => p.input).sort()).toEqual(
      ["allowlist", "github-token", "max-per-repo", "t3-token", "t3-url"].sort(),
    );
  });

  it("never echoes a secret input's value", () => {
    const secret = "https://hooks.slack.com/services/T000/B000/SECRETSECRET";
    const error = (() => {
      try {
        parseConfig({ ...ARMED, "slack-webhook-url": secret.replace("https", "ftp") });
      } catch (e) {
        return e as Error;
      }
      throw new Error("expected failure");
    })();
    expect(error.message).toContain("slack-webhook-url");
    expect(error.message).not.toContain("SECRETSECRET");
  });

  it("quotes a non-secret bad value, cut to a readable length", () => {
    const problems = problemsOf({ ...ARMED, "ready-label": "x".repeat(500) });
    expect(problems[0]?.problem.length).toBeLessThan(200);
  });
});

describe("executor settings", () => {
  it("t3 needs its URL and token when armed", () => {
    expect(problemsOf({ "kill-switch": "off", "github-token": "t" }).map((p) => p.input)).toEqual([
      "t3-url",
      "t3-token",
    ]);
  });

  it("the workflow executor needs no T3 settings", () => {
    const config = parseConfig({ "kill-switch": "off", "github-token": "t", executor: "workflow" });
    expect(config.executor).toEqual({ kind: "workflow", workflowFile: "afk-agent.yml", ref: null });
  });

  it("templates with unknown placeholders are rejected", () => {
    expect(problemsOf({ ...ARMED, "t3-link-template": "{t3Url}/t/{thread}" })[0]?.problem).toContain(
      "unknown placeholder {thread}",
    );
  });

  it("trailing slashes are trimmed from URLs", () => {
    const config = parseConfig({ ...ARMED, "t3-url": "https://t3.local/" });
    expect(config.executor.kind === "t3" && config.executor.url).toBe("https://t3.local");
  });
});

describe("ticks and trusted users", () => {
  it("watch always runs before poll, whatever the order given", () => {
    expect(parseConfig({ ticks: "poll, watch" }).ticks).toEqual(["watch", "poll"]);
  });

  it("an unknown tick is rejected", () => {
    expect(problemsOf({ ticks: "watch,sweep" })[0]?.problem).toContain('unknown tick "sweep"');
  });

  it("trusted users accept @-prefixed logins and bots", () => {
    expect(parseConfig({ "trusted-users": "@alice\nrenovate[bot]" }).trust.trustedUsers).toEqual([
      "alice",
      "renovate[bot]",
    ]);
  });
});

describe("shards", () => {
  it.each(["0/4", "5/4", "1/0", "a/b", "2-8"])("%j is rejected", (value) => {
    expect(problemsOf({ shard: value })[0]?.input).toBe("shard");
  });

  it("slices are disjoint and together cover the allowlist", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^[a-z]{1,8}\/[a-z]{1,8}$/), { maxLength: 60 }),
        fc.integer({ min: 1, max: 9 }),
        (repos, count) => {
          const slices = Array.from({ length: count }, (_, i) => shardRepos(repos, { index: i + 1, count }));
          expect(slices.flat().sort()).toEqual([...repos].sort());
        },
      ),
    );
  });

  /** Each repo's shard number (1-based) under `count` shards. */
  const shardOf = (repos: readonly string[], count: number) => {
    const out = new Map<string, number>();
    for (let index = 1; index <= count; index++) for (const r of shardRepos(repos, { index, count })) out.set(r, index);
    return out;
  };

  it("inserting a repo anywhere in the allowlist moves no other repo to a different shard", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^[a-z]{1,8}\/[a-z]{1,8}$/), { minLength: 2, maxLength: 40 }),
        fc.nat(),
        fc.integer({ min: 2, max: 9 }),
        (list, at, count) => {
          const [added, ...repos] = list as [string, ...string[]];
          const position = at % (repos.length + 1);
          const before = shardOf(repos, count);
          const after = shardOf([...repos.slice(0, position), added, ...repos.slice(position)], count);
          expect(after.size).toBe(repos.length + 1);
          for (const repo of repos) expect(after.get(repo)).toBe(before.get(repo));
        },
      ),
    );
  });

  it.each([2, 3, 5, 8])(
    "spreads a fleet of 800 repos evenly over %i shards (each within 20% of its share)",
    (count) => {
      const repos = Array.from({ length: 800 }, (_, i) => `org-${i % 37}/service-${i}`);
      const sizes = Array.from({ length: count }, (_, i) => shardRepos(repos, { index: i + 1, count }).length);
      const share = repos.length / count;
      expect(sizes).toHaveLength(count);
      for (const size of sizes) expect(Math.abs(size - share)).toBeLessThanOrEqual(share * 0.2);
    },
  );
});

describe("dashboard", () => {
  it("is off by default, and on with an exact owner/name repository", () => {
    expect(parseConfig(ARMED).dashboard).toEqual({ enabled: false, repo: null });
    expect(parseConfig({ ...ARMED, dashboard: "TRUE", "dashboard-repo": "acme/control" }).dashboard).toEqual({
      enabled: true,
      repo: "acme/control",
    });
  });

  it("rejects a value that is not true or false, and a repository that is not an exact owner/name", () => {
    expect(problemsOf({ ...ARMED, dashboard: "yes", "dashboard-repo": "https://github.com/acme/control" })).toEqual([
      { input: "dashboard", problem: 'must be true or false (got "yes")' },
      {
        input: "dashboard-repo",
        problem:
          'must be an exact owner/name repository, such as my-org/control (got "https://github.com/acme/control")',
      },
    ]);
  });

  it("is refused with a shard: every shard would overwrite the one dashboard with its own slice", () => {
    expect(problemsOf({ ...ARMED, dashboard: "true", "dashboard-repo": "acme/control", shard: "1/2" })).toEqual([
      { input: "dashboard", problem: "must be false with shard: each shard sees only its own slice" },
    ]);
  });

  it("needs a repository when on and armed (action.yml defaults it to the control repository)", () => {
    expect(problemsOf({ ...ARMED, dashboard: "true" })).toEqual([
      {
        input: "dashboard-repo",
        problem: "is required with dashboard true (action.yml defaults it to the control repository)",
      },
    ]);
  });
});
