// Hostile action inputs: wrong types, negative and huge numbers, strings that
// look like shell or workflow-command injection, an unknown executor. Each
// is one ConfigError that names the input (and never echoes a secret or a
// raw newline), and the bundle makes no request at all before it fails.
// Free-text inputs (a model name, an environment) carry such strings as
// inert data: they are accepted verbatim and never executed.

import { describe, expect, it } from "vitest";
import { ConfigError, INPUT_NAMES, parseConfig, SECRET_INPUTS, type InputName } from "../../src/core/config.js";
import { runBundle, startCountingServer } from "../../__fixtures__/faults-hostile.js";

/** The least an armed loop needs; each case overrides one input. */
const ARMED = {
  "kill-switch": "off",
  "github-token": "ghs_hostile_token_value",
  allowlist: "acme/api",
  "t3-url": "https://t3.invalid",
  "t3-token": "t3_hostile_token_value",
};

const INJECTIONS = [
  "$(rm -rf /)",
  "`rm -rf /`",
  "x\n::set-output name=armed::true",
  "x%0A::set-output name=armed::true",
  "'; DROP TABLE runs; --",
  "${{ secrets.GITHUB_TOKEN }}",
  "\u202Eoff",
] as const;

function configError(raw: Record<string, string>): ConfigError {
  try {
    parseConfig(raw);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`accepted: ${JSON.stringify(raw)}`);
}

/** The inputs a ConfigError names (each once): exactly the one a case got wrong. */
function namedInputs(raw: Record<string, string>): string[] {
  return [...new Set(configError(raw).problems.map((p) => p.input))];
}

const INTEGER_INPUTS: InputName[] = [
  "max-per-repo",
  "max-in-flight",
  "max-runs-per-issue",
  "fix-forward-attempts",
  "fix-forward-minutes",
  "same-failure-limit",
  "max-run-minutes",
  "ci-timeout-minutes",
  "lease-minutes",
  "tick-budget-seconds",
  "rollout-timeout-seconds",
];

describe("numbers that are not small whole numbers", () => {
  const values = ["-1", "-0", "1.5", "1e3", "0x10", "Infinity", "NaN", "99999999999999999999", "1_000", "１２", "3 4"];
  for (const input of INTEGER_INPUTS) {
    it.each(values)(`${input}=%j is one error naming ${input}`, (value) => {
      const error = configError({ ...ARMED, [input]: value });
      expect(namedInputs({ ...ARMED, [input]: value })).toEqual([input]);
      expect(error.problems[0]?.problem).toMatch(/whole number from \d+ to [\d,]+/);
    });
  }

  it.each(INTEGER_INPUTS)("%s at 10^21 is refused, not rounded to a float", (input) => {
    expect(namedInputs({ ...ARMED, [input]: "1000000000000000000000" })).toEqual([input]);
  });
});

/** Inputs with a closed vocabulary or a fixed shape: anything injection-like is simply the wrong type. */
const TYPED_INPUTS: InputName[] = [
  "github-api-url",
  "kill-switch",
  "allowlist",
  "ticks",
  "dry-run",
  "min-labeler-role",
  "trusted-users",
  "loop-identity",
  "no-ci",
  "shard",
  "delivery",
  "rollout-url",
  "executor",
  "t3-url",
  "t3-model-instance",
  "t3-runtime-mode",
  "workflow-file",
  "slack-webhook-url",
  "ntfy-url",
  "webhook-url",
  ...INTEGER_INPUTS,
];

describe("injection-looking strings in typed inputs", () => {
  for (const input of TYPED_INPUTS) {
    it.each(INJECTIONS)(`${input}=%j is one error naming ${input}`, (value) => {
      expect(namedInputs({ ...ARMED, [input]: value })).toEqual([input]);
    });
  }

  it("an error quotes a bad value JSON-escaped: no raw newline can start a workflow command", () => {
    for (const input of TYPED_INPUTS) {
      const { message } = configError({ ...ARMED, [input]: "x\n::set-output name=armed::true" });
      for (const line of message.split("\n"))
        expect(line.trimStart().startsWith("::"), `${input}: ${line}`).toBe(false);
    }
  });

  it("an error never quotes a secret input's value", () => {
    for (const input of INPUT_NAMES.filter((name) => SECRET_INPUTS.has(name))) {
      const { message } = configError({ ...ARMED, [input]: "not a url $(sekrit-value)", "max-per-repo": "-1" });
      expect(message, input).not.toContain("sekrit-value");
    }
  });
});

describe("credentials", () => {
  const CREDENTIALS: InputName[] = ["github-token", "t3-token", "ntfy-token"];
  it.each(CREDENTIALS)(
    "%s with a line break, tab or space inside is one error naming it, never quoting it",
    (input) => {
      for (const value of ["ghs_FIRSTHALF\nSECONDHALF", "ghs_FIRST\tSECOND", "ghs_FIRST SECOND", "ghs_\u0000x"]) {
        const error = configError({ ...ARMED, [input]: value });
        expect(error.problems.map((p) => p.input)).toEqual([input]);
        expect(error.message).not.toMatch(/FIRST|SECOND|ghs_/);
      }
    },
  );

  it("surrounding whitespace is trimmed, as a pasted secret's trailing newline", () => {
    expect(parseConfig({ ...ARMED, "github-token": "  ghs_pasted\n" }).github.token).toBe("ghs_pasted");
  });
});

describe("labels", () => {
  const LABELS: InputName[] = ["ready-label", "in-progress-label", "human-label", "frozen-label"];
  it.each(LABELS)("%s longer than GitHub's 50 characters is one error naming it", (input) => {
    expect(namedInputs({ ...ARMED, [input]: "x".repeat(51) })).toEqual([input]);
  });

  it.each(LABELS)("%s with a line break or other control character is one error naming it", (input) => {
    for (const value of ["ready\n::set-output name=armed::true", "ready\u0000", "ready\u202E"]) {
      expect(namedInputs({ ...ARMED, [input]: value }), JSON.stringify(value)).toEqual([input]);
    }
  });

  it("shell-looking label text without control characters is a label name like any other (it is only data)", () => {
    expect(parseConfig({ ...ARMED, "ready-label": "$(rm -rf /)" }).labels.ready).toBe("$(rm -rf /)");
  });
});

describe("free-text inputs carry hostile strings as inert data", () => {
  it.each(["$(rm -rf /)", "`id`", "'; DROP TABLE runs; --"])("t3-model %j is kept verbatim", (value) => {
    const config = parseConfig({ ...ARMED, "t3-model": value });
    expect(config.executor).toMatchObject({ kind: "t3", model: value });
  });

  it.each(["prod $(id)", "`id`"])("deploy-environment %j is kept verbatim", (value) => {
    expect(parseConfig({ ...ARMED, "deploy-environment": value }).ci.deployEnvironment).toBe(value);
  });
});

describe("executor", () => {
  it.each(["t4", "codex", "workflow; rm -rf /", "t3\nworkflow", "shell"])(
    "%j is one error naming executor",
    (value) => {
      const error = configError({ ...ARMED, executor: value });
      expect(error.problems.map((p) => p.input)).toEqual(["executor"]);
      expect(error.problems[0]?.problem).toContain("must be one of t3, workflow");
    },
  );
});

describe("record-key", () => {
  it("is a secret input, sealed only when long enough, and an error never echoes it", () => {
    expect(SECRET_INPUTS.has("record-key")).toBe(true);
    const short = "short-record-key-value";
    const error = configError({ ...ARMED, "record-key": short });
    expect(error.problems.map((p) => p.input)).toEqual(["record-key"]);
    expect(error.problems[0]?.problem).toContain("must be 32 to 1024 characters");
    expect(error.message).not.toContain(short);
    expect(parseConfig({ ...ARMED, "record-key": "k".repeat(32) }).recordKey).toBe("k".repeat(32));
    expect(parseConfig(ARMED).recordKey).toBeNull();
  });
});

describe("URLs that would carry secrets or doorbell text in the clear", () => {
  // github-api-url carries the GitHub token on every request.
  const URL_INPUTS = [
    "github-api-url",
    "t3-url",
    "ntfy-url",
    "webhook-url",
    "slack-webhook-url",
    "rollout-url",
  ] as const;
  const PLAIN = [
    "http://t3.example.com",
    "http://10.0.0.5:8080/hook",
    "http://127.0.0.1.nip.io/x",
    "ftp://example.com",
  ];

  it.each(URL_INPUTS.flatMap((input) => PLAIN.map((url) => [input, url] as const)))(
    "%s %j is one error naming it: https only",
    (input, url) => {
      const error = configError({ ...ARMED, [input]: url });
      expect(error.problems.map((p) => p.input)).toEqual([input]);
      expect(error.problems[0]?.problem).toMatch(/must be an https URL \(plain http only for a loopback address/);
    },
  );

  it.each(
    URL_INPUTS.flatMap((input) =>
      [
        "http://127.0.0.1:8080/x",
        "http://127.9.9.9/x",
        "http://[::1]:9/x",
        "http://localhost:3000/x",
        "https://example.com/x",
      ].map((url) => [input, url] as const),
    ),
  )("%s %j is accepted (https, or a loopback address)", (input, url) => {
    expect(() => parseConfig({ ...ARMED, [input]: url })).not.toThrow();
  });
});

describe("the bundle refuses hostile inputs before any request", () => {
  // A couple of cases end to end: `node dist/index.js poll` with INPUT_* env, the API URL on a counting server.
  const CASES: [string, Record<string, string>, string][] = [
    ["a negative number", { "max-per-repo": "-1" }, "max-per-repo"],
    ["a huge number", { "lease-minutes": "99999999999999999999" }, "lease-minutes"],
    ["shell in the allowlist", { allowlist: "acme/api\n$(rm -rf /)" }, "allowlist"],
    ["a workflow command in the kill switch", { "kill-switch": "off\n::set-output name=armed::true" }, "kill-switch"],
    ["an unknown executor", { executor: "t4" }, "executor"],
  ];

  it.each(CASES)("%s: exit 1, one error naming the input, zero requests", async (_, inputs, input) => {
    const server = await startCountingServer();
    try {
      const { code, out } = await runBundle(["poll"], { ...ARMED, "github-api-url": server.url, ...inputs });
      expect(code).toBe(1);
      const errors = out.split("\n").filter((line) => line.startsWith("::error::"));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(`${input}:`);
      expect(out).not.toMatch(/^\s*::set-output/m);
      expect(server.connections()).toBe(0);
    } finally {
      await server.stop();
    }
  });
});
