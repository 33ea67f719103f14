// The original project's GitHub access pattern (the seed's poller, docs/design.md
// §12), reproduced for comparison only and never shipped: per repo one REST
// list of the open ready issues; per ready issue one REST timeline read (for
// who applied the label); per dispatch one label write; all sequential. It
// reproduces the requests, not the original's bugs: its trust check read
// `author_association` from timeline events, which GitHub never sends
// (docs/design.md §13.1), so it would have dispatched nothing at all. Here it takes as
// many issues as afk-loop's tick does (`dispatches`), so the writes compare.

import { getOctokit } from "@actions/github";

export interface BaselineOptions {
  apiUrl: string;
  token: string;
  repos: readonly string[];
  readyLabel: string;
  inProgressLabel: string;
  /** How many issues to claim with the lock label; 0 for a quiet tick. */
  dispatches: number;
  maxPerRepo: number;
}

export interface BaselineTick {
  /** Milliseconds spent reading (lists and timelines): by itself, a quiet tick of the original. */
  readMs: number;
  /** Milliseconds for the whole tick, label writes included. */
  totalMs: number;
  readyIssues: number;
  dispatched: number;
}

interface ListedIssue {
  number: number;
  labels: (string | { name?: string })[];
}

export async function baselineTick(options: BaselineOptions): Promise<BaselineTick> {
  const octokit = getOctokit(options.token, { baseUrl: options.apiUrl });
  const started = performance.now();
  const ready: { repo: string; number: number; labels: string[]; priority: number; labeledBy: string | null }[] = [];
  for (const slug of options.repos) {
    const [owner = "", repo = ""] = slug.split("/");
    // `gh issue list --label <ready> --state open --limit 100`: one request per repo.
    const { data: issues } = await octokit.rest.issues.listForRepo({
      owner,
      repo,
      labels: options.readyLabel,
      state: "open",
      per_page: 100,
    });
    for (const issue of issues as ListedIssue[]) {
      // `gh api repos/{o}/{r}/issues/{n}/timeline --paginate`: one request per ready issue.
      const events = await octokit.paginate(octokit.rest.issues.listEventsForTimeline, {
        owner,
        repo,
        issue_number: issue.number,
        per_page: 100,
      });
      const labeledBy = events
        .filter((e) => e.event === "labeled" && (e as { label?: { name?: string } }).label?.name === options.readyLabel)
        .map((e) => (e as { actor?: { login?: string } | null }).actor?.login ?? null)
        .at(-1);
      const labels = issue.labels.map((l) => (typeof l === "string" ? l : (l.name ?? "")));
      ready.push({
        repo: slug,
        number: issue.number,
        labels,
        priority: priorityOf(labels),
        labeledBy: labeledBy ?? null,
      });
    }
  }
  const readMs = performance.now() - started;

  // The original's lock came from the ready set alone (docs/design.md §13.4); priority, then number.
  const busy = new Map<string, number>();
  for (const issue of ready) {
    if (issue.labels.includes(options.inProgressLabel)) busy.set(issue.repo, (busy.get(issue.repo) ?? 0) + 1);
  }
  const chosen: typeof ready = [];
  for (const issue of [...ready].sort((a, b) => a.priority - b.priority || a.number - b.number)) {
    if (chosen.length >= options.dispatches) break;
    if (issue.labels.includes(options.inProgressLabel) || (busy.get(issue.repo) ?? 0) >= options.maxPerRepo) continue;
    chosen.push(issue);
    busy.set(issue.repo, (busy.get(issue.repo) ?? 0) + 1);
  }
  // Dispatch (not a GitHub request), then `gh issue edit --add-label <in-progress>`.
  for (const issue of chosen) {
    const [owner = "", repo = ""] = issue.repo.split("/");
    await octokit.rest.issues.addLabels({ owner, repo, issue_number: issue.number, labels: [options.inProgressLabel] });
  }
  return { readMs, totalMs: performance.now() - started, readyIssues: ready.length, dispatched: chosen.length };
}

function priorityOf(labels: readonly string[]): number {
  const levels = labels.flatMap((label) => {
    const match = /^(?:priority:|P)(\d+)$/i.exec(label);
    return match ? [Number(match[1])] : [];
  });
  return levels.length > 0 ? Math.min(...levels) : Number.MAX_SAFE_INTEGER;
}
