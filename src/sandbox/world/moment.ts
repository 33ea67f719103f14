// Instants in a world file: either an ISO-8601 instant or an offset from the
// world's `start` (`-90m`, `-2h30m`, `-3d`, `+0s`), so a world reads as "the
// label went on an hour before the story begins" and survives a change of
// start. Owns the syntax and its resolution; never reads the wall clock.

import { z } from "zod";

const OFFSET = /^([+-])?((?:\d+[dhms])+)$/;
const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 } as const;

export const MomentSchema = z.string().refine((value) => OFFSET.test(value) || Number.isFinite(Date.parse(value)), {
  message: 'must be an ISO-8601 instant or an offset from start such as "-90m", "-2h30m" or "+0s"',
});
export type Moment = z.infer<typeof MomentSchema>;

/** The instant a moment names, relative to the world's start. */
export function resolveMoment(moment: Moment, start: Date): Date {
  const offset = OFFSET.exec(moment);
  if (!offset) return new Date(Date.parse(moment));
  const [, sign, parts = ""] = offset;
  let ms = 0;
  for (const [, amount, unit] of parts.matchAll(/(\d+)([dhms])/g)) {
    ms += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  return new Date(start.getTime() + (sign === "-" ? -ms : ms));
}
