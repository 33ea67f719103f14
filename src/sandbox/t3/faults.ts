// Fault rules and the request log of the T3 emulator: how a test makes the
// server misbehave (a status, a garbage or HTML body, a hang, a reset) for
// chosen requests, and how it counts what the client sent. Owns matching
// only; the server performs the fault.

export type T3Route = "dispatch" | "snapshot" | "thread" | "other";

export type T3Fault =
  /** Answer with this status and body (default: empty) instead of the real response. */
  | { kind: "status"; status: number; body?: string }
  /** 200 with a body that is not JSON. */
  | { kind: "garbage" }
  /** A proxy's HTML error page (default 502). */
  | { kind: "html"; status?: number }
  /** Never answer; the connection stays open until the client gives up or the emulator stops. */
  | { kind: "hang" }
  /** Destroy the connection without a response. */
  | { kind: "reset" };

export type T3FaultRule = T3Fault & {
  route?: T3Route;
  /** Zero-based index of the request among all this emulator has received. */
  index?: number;
  /** Only dispatches of this command type. */
  commandType?: string;
  /** How many matching requests it hits before it is spent (default: every one). */
  times?: number;
  /**
   * Let the command take effect first, then fail the response: the client
   * cannot tell whether its dispatch landed, which is what commandId replay is for.
   */
  afterApply?: boolean;
};

export interface T3RequestRecord {
  index: number;
  /** Virtual-clock instant the request arrived. */
  at: string;
  method: string;
  path: string;
  route: T3Route;
  commandType: string | null;
  commandId: string | null;
  /** The status sent; null when the connection was reset or left hanging. */
  status: number | null;
  fault: T3Fault["kind"] | null;
  /** A resent commandId answered from its receipt. */
  replayed: boolean;
  /** Bytes of the response body sent (0 until it is sent). */
  bytes: number;
}

export interface RequestFacts {
  index: number;
  route: T3Route;
  commandType: string | null;
}

/** Finds the first live rule that matches and spends one of its uses. */
export function takeFault(rules: T3FaultRule[], request: RequestFacts): T3FaultRule | undefined {
  const rule = rules.find(
    (r) =>
      (r.times === undefined || r.times > 0) &&
      (r.route === undefined || r.route === request.route) &&
      (r.index === undefined || r.index === request.index) &&
      (r.commandType === undefined || r.commandType === request.commandType),
  );
  if (rule?.times !== undefined) rule.times -= 1;
  return rule;
}
