// Ready issues: the poll query's facts as the core's ReadyIssue (actors with
// roles to be looked up, blockers named in the text), and the roles filled in
// once looked up. Pure conversions; no I/O, no decisions.

import type { DecodeResult } from "../core/record-codec.js";
import { parseBlockedBy } from "../core/refs.js";
import { previousAttempts, type RunRecord } from "../core/run-record.js";
import type { Actor, Blocker, ReadyIssue, Role } from "../core/types.js";
import { RECORD_MARKER_PREFIX, type Login, type ReadyIssueFacts } from "../github/poll-reads.js";

export function markerComments(facts: ReadyIssueFacts) {
  return facts.comments.filter((c) => c.body.includes(RECORD_MARKER_PREFIX));
}

export function toActor(login: Login | null): Actor | null {
  return login === null ? null : { login: login.login, isBot: login.isBot, role: "unknown" };
}

export function readable(decoded: DecodeResult | null): RunRecord | null {
  return decoded?.ok === true ? decoded.record : null;
}

export function toReadyIssue(facts: ReadyIssueFacts, decoded: DecodeResult | null): ReadyIssue {
  const self = { repo: facts.repo, number: facts.number };
  const blockers: Blocker[] = parseBlockedBy(facts.body, self).refs.map((ref) => ({
    ref,
    state: "unreadable",
    source: "text",
  }));
  return {
    repo: facts.repo,
    number: facts.number,
    title: facts.title,
    body: facts.body,
    url: facts.url,
    labels: facts.labels,
    readyLabeledBy: toActor(facts.readyLabeled?.by ?? null),
    readyLabeledAt: facts.readyLabeled?.at ?? null,
    edits: facts.edits.map((edit) => ({ ...edit, by: toActor(edit.by) })),
    editHistoryComplete: facts.editHistoryComplete,
    blockers,
    previousAttempts: previousAttempts(readable(decoded)),
    comments: facts.comments.map((c) => ({ ...c, author: toActor(c.author) })),
  };
}

export function roleKey(repo: string, login: string): string {
  return `${repo.toLowerCase()} ${login.toLowerCase()}`;
}

export function withRoles(issue: ReadyIssue, roles: ReadonlyMap<string, Role | "unknown">): ReadyIssue {
  const fill = (actor: Actor | null): Actor | null =>
    actor === null ? null : { ...actor, role: roles.get(roleKey(issue.repo, actor.login)) ?? actor.role };
  return {
    ...issue,
    readyLabeledBy: fill(issue.readyLabeledBy),
    edits: issue.edits.map((edit) => ({ ...edit, by: fill(edit.by) })),
  };
}
