import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { aRunRecord, RUN_T0 } from "../../__fixtures__/core.js";
import {
  ACTION_KINDS,
  claimRecord,
  dispatchedAt,
  dispatchedRecord,
  previousAttempts,
  RECORD_LIMITS,
  runIdFor,
  RunRecordSchema,
  type RunRecord,
} from "../../src/core/run-record.js";
import { decodeRunRecord, encodeRunRecord, type RecordErrorCode } from "../../src/core/record-codec.js";
import { DOORBELL_KINDS, EXECUTOR_KINDS, RUN_PHASES } from "../../src/core/types.js";

/** A v1 marker around arbitrary JSON, built independently of the encoder. */
function markerOf(json: unknown, version = "v1"): string {
  return `<!-- afk-loop:run ${version} ${Buffer.from(JSON.stringify(json), "utf8").toString("base64")} -->`;
}

function errorCode(body: string): RecordErrorCode | "ok" {
  const result = decodeRunRecord(body);
  return result.ok ? "ok" : result.error.code;
}

function comment(...parts: string[]): string {
  return ["### afk-loop: acme/api#42", "", "- [x] Dispatched", ...parts].join("\n");
}

const instant = fc
  .date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2100-01-01T00:00:00Z"), noInvalidDate: true })
  .map((d) => d.toISOString());
const hex = (length: number) =>
  fc.string({ unit: fc.constantFrom(...Array.from("0123456789abcdef")), minLength: length, maxLength: length });

const anyRecord: fc.Arbitrary<RunRecord> = fc.record({
  v: fc.constant(1 as const),
  runId: fc
    .tuple(fc.integer({ min: 1, max: 99_999 }), fc.integer({ min: 1, max: 50 }))
    .map(([n, a]) => runIdFor("acme/api", n, a)),
  repo: fc.constantFrom("acme/api", "a-b/c.d_e", "X/y"),
  issue: fc.integer({ min: 1, max: 1_000_000_000 }),
  attempt: fc.integer({ min: 1, max: 1000 }),
  phase: fc.constantFrom(...RUN_PHASES),
  executor: fc.constantFrom(...EXECUTOR_KINDS),
  threadId: fc.option(
    fc.string({ unit: fc.constantFrom(...Array.from('abc-_:/"\\0123')), minLength: 1, maxLength: 200 }),
  ),
  claimedAt: instant,
  leaseExpiresAt: instant,
  dispatchedAt: fc.option(instant),
  turnStartedAt: fc.option(instant),
  issueSha256: hex(64),
  pushedSha: fc.option(fc.oneof(hex(40), hex(64))),
  fixForwards: fc.integer({ min: 0, max: 1000 }),
  firstRedAt: fc.option(instant),
  lastFailureSignature: fc.option(fc.string({ unit: "binary", minLength: 1, maxLength: 500 })),
  sameFailureStreak: fc.integer({ min: 0, max: 1000 }),
  lastAction: fc.option(fc.constantFrom(...ACTION_KINDS)),
  reason: fc.option(fc.string({ unit: "binary", maxLength: 250 })),
  doorbell: fc.option(fc.record({ kind: fc.constantFrom(...DOORBELL_KINDS), delivered: fc.boolean() })),
});

describe("run id", () => {
  it("is the same for the same repo, issue and attempt (a repeated dispatch is recognised)", () => {
    expect(runIdFor("acme/api", 42, 1)).toBe(runIdFor("acme/api", 42, 1));
  });

  it("ignores the repo's letter case, as GitHub does", () => {
    expect(runIdFor("Acme/API", 42, 1)).toBe(runIdFor("acme/api", 42, 1));
  });

  // Run ids persist in records, branch names and thread ids across releases: any change to how
  // they are made orphans every run in flight. Values computed independently (FNV-1a 32 of the
  // lower-cased repo, in hex).
  it.each([
    ["acme/api", 42, 1, "afk-acme-api-42-a1-5353fa30"],
    ["Acme/API", 42, 3, "afk-acme-api-42-a3-5353fa30"],
    ["acme/a.b", 1, 1, "afk-acme-a-b-1-a1-35f6a31f"],
    ["acme/a-b", 1, 1, "afk-acme-a-b-1-a1-5bf91d88"],
    ["my-org/web.site", 1000, 12, "afk-my-org-web-site-1000-a12-eb66b31e"],
  ] as const)("is pinned: %s#%i attempt %i is %s", (repo, issue, attempt, id) => {
    expect(runIdFor(repo, issue, attempt)).toBe(id);
  });

  it("reads as afk-<owner>-<repo>-<issue>-a<attempt>-<hash>", () => {
    expect(runIdFor("acme/api", 42, 3)).toMatch(/^afk-acme-api-42-a3-[0-9a-f]{8}$/);
  });

  it.each([
    ["another issue", "acme/api", 43, 1],
    ["another attempt", "acme/api", 42, 2],
    ["another repo", "acme/web", 42, 1],
    ["a repo whose slug looks the same", "acme/a-pi", 42, 1],
  ])("differs for %s", (_, repo, issue, attempt) => {
    expect(runIdFor(repo, issue, attempt)).not.toBe(runIdFor("acme/api", 42, 1));
  });

  it("keeps repos apart that sanitise alike (a.b vs a-b)", () => {
    expect(runIdFor("acme/a.b", 1, 1)).not.toBe(runIdFor("acme/a-b", 1, 1));
  });

  it("fits the record for the longest names GitHub allows", () => {
    const id = runIdFor(`${"o".repeat(39)}/${"r".repeat(100)}`, 1_000_000_000, 1000);
    expect(id.length).toBeLessThanOrEqual(RECORD_LIMITS.runId);
    expect(RunRecordSchema.safeParse(aRunRecord({ runId: id })).success).toBe(true);
  });

  it("is always branch- and id-safe and fits the record, for any names", () => {
    const name = fc.string({ unit: fc.constantFrom(...Array.from("abcXYZ019._-")), minLength: 1, maxLength: 100 });
    fc.assert(
      fc.property(
        name,
        name,
        fc.integer({ min: 1, max: 1_000_000_000 }),
        fc.integer({ min: 1, max: 1000 }),
        (o, r, n, a) => {
          const id = runIdFor(`${o}/${r}`, n, a);
          expect(id).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
          expect(id.length).toBeLessThanOrEqual(RECORD_LIMITS.runId);
        },
      ),
    );
  });
});

describe("encode and decode round-trip", () => {
  it("decodes what it encoded, for any valid record", () => {
    fc.assert(
      fc.property(anyRecord, (record) => {
        const result = decodeRunRecord(comment(encodeRunRecord(record)));
        expect(result).toEqual({ ok: true, record });
      }),
      { numRuns: 300 },
    );
  });

  it("writes the documented marker shape", () => {
    expect(encodeRunRecord(aRunRecord())).toMatch(/^<!-- afk-loop:run v1 [A-Za-z0-9+/]+={0,2} -->$/);
  });

  it("reads a marker written by any base64 encoder", () => {
    const record = aRunRecord({ reason: "naïve ✓ 𝄞" });
    expect(decodeRunRecord(markerOf(record))).toEqual({ ok: true, record });
  });

  it("keeps the worst-case record (every string at its limit, every character escaped) under the marker cap", () => {
    const worst = aRunRecord({
      runId: "a".repeat(RECORD_LIMITS.runId),
      repo: `${"o".repeat(39)}/${"r".repeat(100)}`,
      threadId: '"'.repeat(RECORD_LIMITS.threadId),
      reason: "\u0001".repeat(RECORD_LIMITS.reason),
      lastFailureSignature: "\u0001".repeat(RECORD_LIMITS.failureSignature),
      pushedSha: "f".repeat(64),
      claimedAt: "2026-03-02T09:00:00.123456789+05:30",
      firstRedAt: RUN_T0,
      doorbell: { kind: "needs-human", delivered: false },
      lastAction: "escalate-prepush",
    });
    const marker = encodeRunRecord(worst);
    expect(marker.length).toBeLessThanOrEqual(RECORD_LIMITS.marker);
    expect(decodeRunRecord(marker)).toEqual({ ok: true, record: worst });
  });

  it("refuses to encode an invalid record instead of writing one the next tick must escalate", () => {
    expect(() => encodeRunRecord(aRunRecord({ attempt: 0 }))).toThrow();
    expect(() => encodeRunRecord(aRunRecord({ reason: "x".repeat(RECORD_LIMITS.reason + 1) }))).toThrow();
  });

  it("finds the marker at the end of a full progress comment, after a blank line", () => {
    const record = aRunRecord();
    expect(decodeRunRecord(comment("- [ ] Done", "", encodeRunRecord(record)))).toEqual({ ok: true, record });
  });

  it("accepts CRLF line endings around the marker", () => {
    const record = aRunRecord();
    expect(decodeRunRecord(`text\r\n\r\n${encodeRunRecord(record)}\r\n`)).toEqual({ ok: true, record });
  });
});

describe("decode errors are typed, never thrown, never guessed", () => {
  const good = encodeRunRecord(aRunRecord());
  const payload = /v1 (\S+) -->/.exec(good)?.[1] ?? "";

  it("missing: a comment without any marker", () => {
    expect(errorCode(comment("- [ ] Done"))).toBe("missing");
    expect(errorCode("")).toBe("missing");
  });

  it("unsupported-version: a v2 marker is not read as v1", () => {
    expect(errorCode(markerOf(aRunRecord(), "v2"))).toBe("unsupported-version");
    expect(errorCode(`<!-- afk-loop:run v2 whatever future format -->`)).toBe("unsupported-version");
  });

  it("unsupported-version names the version seen", () => {
    const result = decodeRunRecord(markerOf(aRunRecord(), "v2"));
    expect(result.ok ? "" : result.error.message).toContain("v2");
  });

  it.each([
    ["a tampered base64 character", good.replace(payload, `${payload.slice(0, 10)}!${payload.slice(11)}`)],
    ["truncated base64", good.replace(payload, payload.slice(0, -3))],
    ["base64 that is not JSON", `<!-- afk-loop:run v1 ${Buffer.from("not json").toString("base64")} -->`],
    [
      "base64 of bytes that are not UTF-8",
      `<!-- afk-loop:run v1 ${Buffer.from([0xff, 0xfe, 0x7b]).toString("base64")} -->`,
    ],
    ["non-canonical base64 padding bits", "<!-- afk-loop:run v1 e30= -->".replace("e30=", "e31=")],
    ["a marker cut off before -->", good.slice(0, -4)],
    ["a marker with no version", "<!-- afk-loop:run -->"],
    ["junk after the payload", good.replace(" -->", " extra -->")],
    ["an empty payload", "<!-- afk-loop:run v1  -->"],
  ])("malformed: %s", (_, body) => {
    expect(errorCode(comment("", body))).toBe("malformed");
  });

  it("invalid: a schema failure names the field", () => {
    const result = decodeRunRecord(markerOf({ ...aRunRecord(), phase: "running" }));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe("invalid");
      expect(result.error.message).toContain("phase");
    }
  });

  it.each([
    ["an unknown field (never silently dropped)", { ...aRunRecord(), extra: true }],
    ["a negative fix-forward count", aRunRecord({ fixForwards: -1 })],
    ["a version field other than 1 inside a v1 marker", { ...aRunRecord(), v: 2 }],
    ["an over-long reason", aRunRecord({ reason: "x".repeat(RECORD_LIMITS.reason + 1) })],
    ["a short sha", aRunRecord({ pushedSha: "abc1234" })],
    ["a time that is not ISO", aRunRecord({ claimedAt: "yesterday" })],
    ["a missing field", (({ doorbell: _, ...rest }) => rest)(aRunRecord())],
    ["an unknown doorbell kind", { ...aRunRecord(), doorbell: { kind: "party", delivered: false } }],
    ["JSON that is not an object", [1, 2, 3]],
  ])("invalid: %s", (_, json) => {
    expect(errorCode(markerOf(json))).toBe("invalid");
  });

  it("oversized: a marker over the cap is refused before it is parsed", () => {
    const huge = `<!-- afk-loop:run v1 ${"A".repeat(RECORD_LIMITS.marker)} -->`;
    expect(errorCode(comment("", huge))).toBe("oversized");
  });

  it("oversized: an unterminated marker longer than the cap", () => {
    expect(errorCode(`<!-- afk-loop:run v1 ${"A".repeat(RECORD_LIMITS.marker)}`)).toBe("oversized");
  });

  it("multiple: two real markers", () => {
    expect(errorCode(comment(good, "", good))).toBe("multiple");
  });

  it("never throws, whatever follows the marker prefix", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 300 }),
        fc.string({ unit: "binary", maxLength: 50 }),
        (a, b) => {
          const result = decodeRunRecord(`${a}\n<!-- afk-loop:run ${b}`);
          expect(result.ok).toBe(false);
        },
      ),
    );
  });

  it("every error carries a message", () => {
    for (const body of ["", good.slice(0, -4), markerOf({}), markerOf({}, "v9"), `${good}\n${good}`]) {
      const result = decodeRunRecord(body);
      expect(result.ok ? "" : result.error.message).not.toBe("");
    }
  });
});

describe("look-alike markers in code are not markers", () => {
  const real = aRunRecord({ reason: "the real one" });
  const fake = encodeRunRecord(aRunRecord({ reason: "a forged one" }));

  it.each([
    ["a backtick fence", "```", "```"],
    ["a tilde fence", "~~~", "~~~"],
    ["a longer fence closed by a longer run", "````md", "`````"],
    ["an indented fence", "   ```", "   ```"],
  ])("ignores a marker inside %s", (_, open, close) => {
    expect(errorCode(comment(open, fake, close))).toBe("missing");
    expect(decodeRunRecord(comment(open, fake, close, "", encodeRunRecord(real)))).toEqual({ ok: true, record: real });
  });

  it("ignores a marker inside inline code", () => {
    expect(errorCode(comment(`\`${fake}\``))).toBe("missing");
    expect(errorCode(comment(`\`\`${fake}\`\``))).toBe("missing");
  });

  it("ignores a marker inside a code span that spans lines", () => {
    expect(errorCode(comment("see `", fake, "` above"))).toBe("missing");
  });

  it("a shorter run does not close a fence, so the marker after it is still code", () => {
    expect(errorCode(comment("````", "```", fake, "````"))).toBe("missing");
  });

  it("a tilde run does not close a backtick fence", () => {
    expect(errorCode(comment("```", "~~~", fake, "```"))).toBe("missing");
  });

  it("an unclosed fence runs to the end, as GitHub renders it", () => {
    expect(errorCode(comment("```", fake))).toBe("missing");
  });

  it("a stray backtick before the marker does not hide it", () => {
    expect(decodeRunRecord(comment("a `stray backtick", "", encodeRunRecord(real)))).toEqual({
      ok: true,
      record: real,
    });
  });

  it("ignores a marker that does not begin a line", () => {
    expect(errorCode(comment(`quoted: ${fake}`))).toBe("missing");
    expect(errorCode(comment(`    ${fake}`))).toBe("missing");
  });

  it("a fenced look-alike does not make the real one count as multiple", () => {
    expect(errorCode(comment("~~~", fake, "~~~", "", encodeRunRecord(real)))).toBe("ok");
  });
});

describe("schema", () => {
  it("the fixture record is valid (the builders stay honest)", () => {
    expect(RunRecordSchema.safeParse(aRunRecord()).success).toBe(true);
  });

  it("accepts instants with an offset", () => {
    expect(RunRecordSchema.safeParse(aRunRecord({ claimedAt: "2026-03-02T10:00:00+01:00" })).success).toBe(true);
  });
});

describe("sealed records (record-key)", () => {
  // A stand-in MAC: the codec only calls the seal, the adapter computes the HMAC (ticks/setup.ts).
  const seal = (message: string) => Buffer.from(message).toString("hex").padEnd(64, "0").slice(-64);
  const record = aRunRecord({ hiddenPassages: 2 });

  it("a sealed marker ends with mac=<64 hex digits> and decodes with the same seal", () => {
    const marker = encodeRunRecord(record, seal);
    expect(marker).toMatch(/^<!-- afk-loop:run v1 [A-Za-z0-9+/]+={0,2} mac=[0-9a-f]{64} -->$/);
    expect(decodeRunRecord(comment(marker), seal)).toEqual({ ok: true, record });
  });

  it("the MAC covers the domain-separated payload, so new fields are covered too", () => {
    const seen: string[] = [];
    encodeRunRecord(record, (m) => (seen.push(m), seal(m)));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/^afk-loop:run v1 [A-Za-z0-9+/]+={0,2}$/);
    const payload = (seen[0] ?? "").split(" ")[2] ?? "";
    expect(JSON.parse(Buffer.from(payload, "base64").toString("utf8"))).toMatchObject({ hiddenPassages: 2 });
  });

  it("with a seal, a marker without a MAC is `unsigned` and one with a wrong MAC is `forged`", () => {
    const decode = (body: string) => {
      const result = decodeRunRecord(body, seal);
      return result.ok ? "ok" : result.error.code;
    };
    expect(decode(comment(encodeRunRecord(record)))).toBe("unsigned");
    expect(decode(comment(encodeRunRecord(record, () => "0".repeat(64))))).toBe("forged");
    const other = encodeRunRecord({ ...record, phase: "closed" });
    const mac = / mac=[0-9a-f]{64}/.exec(encodeRunRecord(record, seal))?.[0] ?? "";
    expect(decode(comment(other.replace(" -->", `${mac} -->`)))).toBe("forged");
  });

  it("without a seal, a sealed marker still decodes (the key can be removed)", () => {
    expect(errorCode(comment(encodeRunRecord(record, seal)))).toBe("ok");
  });

  it("records written before hiddenPassages existed still decode", () => {
    const { hiddenPassages: _, ...old } = record;
    expect(decodeRunRecord(comment(markerOf(old)))).toMatchObject({ ok: true });
  });
});

describe("previousAttempts: only runs that reached the executor count", () => {
  it("no readable record: none", () => {
    expect(previousAttempts(null)).toBe(0);
  });

  it.each(RUN_PHASES.filter((p) => p !== "claimed" && p !== "released"))("a %s run counts its attempt", (phase) => {
    expect(previousAttempts(aRunRecord({ phase, attempt: 3 }))).toBe(3);
  });

  it.each(["claimed", "released"] as const)("a %s claim never dispatched does not count", (phase) => {
    expect(previousAttempts(aRunRecord({ phase, attempt: 3, dispatchedAt: null }))).toBe(2);
  });

  it.each(["claimed", "released"] as const)("a %s run that was dispatched counts", (phase) => {
    expect(previousAttempts(aRunRecord({ phase, attempt: 3, dispatchedAt: RUN_T0 }))).toBe(3);
  });
});

describe("dispatchedAt: a run counts from its first claim that may have reached the executor", () => {
  const NOW = "2026-03-02T10:00:00Z";
  const runId = runIdFor("acme/api", 42, 2);
  const lostReply = aRunRecord({ runId, attempt: 2, phase: "claimed", dispatchedAt: null, claimedAt: RUN_T0 });

  it("the same run, claimed and never recorded as dispatched: from that claim", () => {
    expect(dispatchedAt(lostReply, runId, NOW)).toBe(RUN_T0);
  });

  it.each([
    ["no earlier record", null],
    ["an earlier record of another run", { ...lostReply, runId: runIdFor("acme/api", 42, 1) }],
    ["an earlier record already dispatched", { ...lostReply, dispatchedAt: RUN_T0 }],
  ] as const)("%s: from now", (_what, earlier) => {
    expect(dispatchedAt(earlier, runId, NOW)).toBe(NOW);
  });

  it("the dispatched record starts its turn at the same instant, keeping the claim", () => {
    const claimed = claimRecord({
      repo: "acme/api",
      issue: 42,
      attempt: 2,
      executor: "t3",
      claimedAt: NOW,
      leaseMinutes: 15,
      issueSha256: "0".repeat(64),
    });
    expect(dispatchedRecord(claimed, "thread-1", RUN_T0)).toEqual({
      ...claimed,
      phase: "dispatched",
      threadId: "thread-1",
      dispatchedAt: RUN_T0,
      turnStartedAt: RUN_T0,
    });
    expect(RunRecordSchema.safeParse(dispatchedRecord(claimed, "thread-1", RUN_T0)).success).toBe(true);
  });
});
