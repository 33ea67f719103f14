// Which labels an issue carries in each phase of a run, and the changes that
// take it there. One table for both ticks, so the label set after a crash is
// completed by the next tick exactly as an uninterrupted tick would have.
// Pure: the tick diffs against the labels it read and writes only the change.

import type { Config } from "./config.js";
import type { RunRecord } from "./run-record.js";
import { stopPending } from "./stop.js";

/** Marks an issue whose terminal doorbell failed, so the next tick finds it and rings again. */
export const DOORBELL_OWED_LABEL = "afk-doorbell-owed";

/**
 * Marks an issue whose run awaits review of its pull request: the watch tick follows it by this
 * label, since it no longer holds the lock (a run awaiting review blocks no other work).
 */
export const AWAITING_REVIEW_LABEL = "afk-awaiting-review";

export interface LabelChange {
  add: string[];
  remove: string[];
}

/**
 * The labels a run's issue must and must not carry, from its record. While the agent's stop is
 * owed or unconfirmed the lock stays on: the agent may still be working, so it still holds its
 * repository's slot, nothing starts beside it, and the watch keeps visiting it until it stops.
 */
export function labelsFor(
  record: Pick<RunRecord, "phase" | "doorbell"> & Partial<Pick<RunRecord, "dispatchedAt" | "stop">>,
  labels: Config["labels"],
): LabelChange {
  const phased = phaseLabels(record, labels);
  // Every phase but awaiting review takes the awaiting label off (a review turn, the merge, a handover).
  const change =
    record.phase === "awaiting-review"
      ? phased
      : { add: phased.add, remove: [...phased.remove, AWAITING_REVIEW_LABEL] };
  if (!stopPending(record)) return change;
  return {
    add: [...change.add, labels.inProgress],
    remove: change.remove.filter((l) => l.toLowerCase() !== labels.inProgress.toLowerCase()),
  };
}

function phaseLabels(
  record: Pick<RunRecord, "phase" | "doorbell"> & Partial<Pick<RunRecord, "dispatchedAt">>,
  labels: Config["labels"],
): LabelChange {
  const owed = record.doorbell !== null && !record.doorbell.delivered;
  const doorbell = { add: owed ? [DOORBELL_OWED_LABEL] : [], remove: owed ? [] : [DOORBELL_OWED_LABEL] };
  switch (record.phase) {
    case "claimed":
    case "dispatched":
      return { add: [labels.inProgress], remove: [] };
    case "released":
      // Released before any agent had it (a lapsed claim, a refused dispatch): the ready label
      // stays, the issue is still wanted and the next poll takes it again. Released after a
      // dispatch (the issue was closed under the run): the attempt counts and the ready label
      // goes, so reopening the issue never restarts work by itself.
      return {
        add: [],
        remove: [
          labels.inProgress,
          DOORBELL_OWED_LABEL,
          ...((record.dispatchedAt ?? null) === null ? [] : [labels.ready]),
        ],
      };
    case "awaiting-review":
      // The lock comes off: nothing runs, so the repository may take other work meanwhile.
      return { add: [AWAITING_REVIEW_LABEL], remove: [labels.inProgress, labels.ready, DOORBELL_OWED_LABEL] };
    case "closed":
      return { add: doorbell.add, remove: [labels.inProgress, labels.ready, ...doorbell.remove] };
    case "escalated":
      // The ready label goes too, or the next poll would hand the issue straight back to an agent.
      return { add: [labels.human, ...doorbell.add], remove: [labels.inProgress, labels.ready, ...doorbell.remove] };
    case "frozen":
      return {
        add: [labels.human, labels.frozen, ...doorbell.add],
        remove: [labels.inProgress, labels.ready, ...doorbell.remove],
      };
  }
}

/** The writes that take `current` to `target`: nothing already true is written again. */
export function labelDiff(current: readonly string[], target: LabelChange): LabelChange {
  const has = new Set(current.map((l) => l.toLowerCase()));
  return {
    add: target.add.filter((l) => !has.has(l.toLowerCase())),
    remove: target.remove.filter((l) => has.has(l.toLowerCase())),
  };
}
