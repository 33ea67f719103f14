import { describe, expect, it } from "vitest";
import { AWAITING_REVIEW_LABEL, DOORBELL_OWED_LABEL, labelDiff, labelsFor } from "../../src/core/labels.js";
import type { RunRecord } from "../../src/core/run-record.js";

const LABELS = {
  ready: "ready-for-agent",
  inProgress: "agent-in-progress",
  human: "ready-for-human",
  frozen: "frozen",
};
const owed = { kind: "needs-human", delivered: false } as const;
const delivered = { kind: "needs-human", delivered: true } as const;

describe("labels by phase", () => {
  it.each<[RunRecord["phase"], RunRecord["doorbell"], string[], string[]]>([
    ["claimed", null, ["agent-in-progress"], []],
    ["dispatched", null, ["agent-in-progress"], []],
    ["released", null, [], ["agent-in-progress", DOORBELL_OWED_LABEL]],
    ["closed", { kind: "done", delivered: true }, [], ["agent-in-progress", "ready-for-agent", DOORBELL_OWED_LABEL]],
    ["escalated", delivered, ["ready-for-human"], ["agent-in-progress", "ready-for-agent", DOORBELL_OWED_LABEL]],
    [
      "frozen",
      { kind: "frozen", delivered: true },
      ["ready-for-human", "frozen"],
      ["agent-in-progress", "ready-for-agent", DOORBELL_OWED_LABEL],
    ],
    ["escalated", owed, ["ready-for-human", DOORBELL_OWED_LABEL], ["agent-in-progress", "ready-for-agent"]],
  ])("%s with doorbell %j adds %j and removes %j (and the awaiting-review label)", (phase, doorbell, add, remove) => {
    expect(labelsFor({ phase, doorbell }, LABELS)).toEqual({ add, remove: [...remove, AWAITING_REVIEW_LABEL] });
  });

  it("awaiting review: the lock and the ready label come off, the awaiting label goes on", () => {
    expect(labelsFor({ phase: "awaiting-review", doorbell: null }, LABELS)).toEqual({
      add: [AWAITING_REVIEW_LABEL],
      remove: ["agent-in-progress", "ready-for-agent", DOORBELL_OWED_LABEL],
    });
  });

  it("a handed-back issue loses the ready label, so the poller cannot take it again (defect 8)", () => {
    for (const phase of ["escalated", "frozen"] as const) {
      expect(labelsFor({ phase, doorbell: delivered }, LABELS).remove).toContain("ready-for-agent");
    }
  });
});

describe("label diff", () => {
  it("writes only what is not already true, comparing case-insensitively", () => {
    const target = { add: ["ready-for-human", "frozen"], remove: ["agent-in-progress", "ready-for-agent"] };
    expect(labelDiff(["Frozen", "agent-in-progress", "bug"], target)).toEqual({
      add: ["ready-for-human"],
      remove: ["agent-in-progress"],
    });
  });

  it("a settled issue needs no write at all", () => {
    const target = labelsFor({ phase: "escalated", doorbell: delivered }, LABELS);
    expect(labelDiff(["ready-for-human", "bug"], target)).toEqual({ add: [], remove: [] });
  });
});
