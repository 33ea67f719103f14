// Writes the job summary through @actions/core. Outside a runner (tests,
// local runs) there is no summary file, and nothing is written.

import * as core from "@actions/core";

export async function writeSummary(markdown: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  await core.summary.addRaw(markdown).write();
}
