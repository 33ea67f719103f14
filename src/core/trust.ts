// Trust: whose word counts (the ready label, edits and comments after it).
// Owns the rule alone: listed users, bots, the minimum role. Pure; the roles
// themselves are looked up by the poll tick (policy.ts says which are needed),
// and an actor whose role is unknown is never trusted.

import type { Config } from "./config.js";
import { ROLES, type Actor } from "./types.js";

/**
 * Whether an actor's word counts: for the ready label, and for edits and
 * comments made after it. Listed users are trusted whatever their role; bots
 * only when listed; everyone else needs at least the minimum role. Unknown or
 * missing means untrusted.
 */
export function isTrusted(actor: Actor | null, trust: Config["trust"]): boolean {
  if (actor === null) return false;
  if (isListed(actor, trust)) return true;
  if (isBot(actor) || actor.role === "unknown") return false;
  return ROLES.indexOf(actor.role) >= ROLES.indexOf(trust.minLabelerRole);
}

/** Only an unlisted, non-bot actor of unknown role is trusted or not depending on a role lookup. */
export function needsRole(actor: Actor, trust: Config["trust"]): boolean {
  return actor.role === "unknown" && !isListed(actor, trust) && !isBot(actor);
}

function isListed(actor: Actor, trust: Config["trust"]): boolean {
  const login = actor.login.toLowerCase();
  return trust.trustedUsers.some((user) => user.toLowerCase() === login);
}

// An adapter that forgets to set isBot must not make a bot trusted.
export function isBot(actor: Actor): boolean {
  return actor.isBot || actor.login.toLowerCase().endsWith("[bot]");
}
