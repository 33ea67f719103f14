// Fault rules: how a test makes the emulator misbehave the way GitHub does
// (an error status with GitHub's body, a dropped connection, a slow or hung
// reply, primary and secondary rate-limit replies), chosen by route, method
// and/or request index. Owns matching and the rule's remaining uses; the
// server performs the action.

export type FaultAction =
  | { kind: "status"; status: number; message?: string; headers?: Record<string, string> }
  | { kind: "reset" }
  | { kind: "delay"; ms: number }
  | { kind: "hang" }
  | { kind: "primary-rate-limit"; status?: 403 | 429; resetInSeconds?: number }
  | { kind: "secondary-rate-limit"; status?: 403 | 429; retryAfterSeconds?: number };

export interface FaultRule {
  /**
   * A templated route, with or without the method ("GET /repos/{owner}/{repo}/issues"
   * or "/graphql"), or a RegExp tried on both the templated route and "METHOD /actual/path".
   */
  route?: string | RegExp;
  method?: string;
  /** Request index(es) (0-based arrival order, as in the log). */
  index?: number | readonly number[];
  /** How many requests the rule answers before it retires; unlimited when absent. */
  times?: number;
  action: FaultAction;
}

export interface FaultTarget {
  index: number;
  method: string;
  route: string;
  path: string;
}

interface ActiveRule {
  rule: FaultRule;
  remaining: number;
}

export class Faults {
  private rules: ActiveRule[] = [];

  /** Adds a rule (checked after earlier ones); returns a function that removes it. */
  add(rule: FaultRule): () => void {
    const active: ActiveRule = { rule, remaining: rule.times ?? Number.POSITIVE_INFINITY };
    this.rules.push(active);
    return () => {
      this.rules = this.rules.filter((r) => r !== active);
    };
  }

  clear(): void {
    this.rules = [];
  }

  /** The first live rule matching the request, spending one of its uses. */
  take(target: FaultTarget): FaultAction | undefined {
    const hit = this.rules.find((r) => r.remaining > 0 && matches(r.rule, target));
    if (!hit) return undefined;
    hit.remaining--;
    return hit.rule.action;
  }
}

function matches(rule: FaultRule, target: FaultTarget): boolean {
  if (rule.method !== undefined && rule.method.toUpperCase() !== target.method) return false;
  if (rule.index !== undefined) {
    const wanted: readonly number[] = typeof rule.index === "number" ? [rule.index] : rule.index;
    if (!wanted.includes(target.index)) return false;
  }
  if (rule.route === undefined) return true;
  if (typeof rule.route === "string") {
    const template = target.route.slice(target.method.length + 1);
    return rule.route === target.route || rule.route === template;
  }
  return rule.route.test(target.route) || rule.route.test(`${target.method} ${target.path}`);
}
