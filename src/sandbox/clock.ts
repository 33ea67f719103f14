// The sandbox's virtual clock: one instant shared by the emulators, the
// scripted world and the loop under test, moved only by whoever drives the
// simulation. Deterministic: it never reads the wall clock and never moves by
// itself, and it never goes backwards (leases and elapsed-time rules assume
// time only moves forward, so a backwards step is a driver bug, not a scenario).

/** What everything in the sandbox reads time from. */
export interface Clock {
  now(): Date;
}

export class VirtualClock implements Clock {
  private at: number;

  constructor(start: Date | string) {
    this.at = toMillis(start, "start");
  }

  now(): Date {
    return new Date(this.at);
  }

  /** Moves the clock forward by `ms` (>= 0) and returns the new instant. */
  advance(ms: number): Date {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`clock can only advance by a finite ms >= 0, got ${ms}`);
    this.at += ms;
    return this.now();
  }

  /** Jumps to `date`, which must not be earlier than now. */
  set(date: Date | string): void {
    const to = toMillis(date, "set");
    if (to < this.at) {
      throw new RangeError(`clock cannot go backwards: ${new Date(to).toISOString()} < ${this.now().toISOString()}`);
    }
    this.at = to;
  }
}

function toMillis(date: Date | string, what: string): number {
  const ms = typeof date === "string" ? Date.parse(date) : date.getTime();
  if (!Number.isFinite(ms)) throw new RangeError(`clock ${what}: not a valid instant: ${String(date)}`);
  return ms;
}
