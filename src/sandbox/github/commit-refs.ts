// Issue references in a commit message, the way GitHub links them: `#N`,
// `owner/repo#N` and issue URLs make `referenced` timeline events; a closing
// keyword in front of one also closes the issue once the commit lands on the
// default branch. Pure text parsing: never looks anything up.

export interface CommitRef {
  /** `owner/name` as written, or null for a bare `#N` (the pushing repo). */
  repo: string | null;
  number: number;
  closes: boolean;
}

// GitHub's closing keywords (docs: "Linking a pull request to an issue using a keyword").
const CLOSING = "(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)";
const NAME = "[A-Za-z0-9_.-]+";
const REF = new RegExp(
  `(?:(${CLOSING}):?\\s+)?(?:(?<![\\w/#])(${NAME}/${NAME})?#(\\d+)|https://github\\.com/(${NAME}/${NAME})/issues/(\\d+))\\b`,
  "gi",
);

export function parseCommitRefs(message: string): CommitRef[] {
  const refs = new Map<string, CommitRef>();
  for (const match of message.matchAll(REF)) {
    const [, keyword, shortRepo, shortNumber, urlRepo, urlNumber] = match;
    const repo = shortRepo ?? urlRepo ?? null;
    const number = Number(shortNumber ?? urlNumber);
    const key = `${repo?.toLowerCase() ?? ""}#${number}`;
    const closes = keyword !== undefined || refs.get(key)?.closes === true;
    refs.set(key, { repo, number, closes });
  }
  return [...refs.values()];
}
