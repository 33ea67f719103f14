// Writes the job summary (the runner's GITHUB_STEP_SUMMARY file). Outside a
// runner (tests, local runs) there is no summary file, and nothing is written.

import { appendSummary } from "../workflow-commands.js";

export async function writeSummary(markdown: string): Promise<void> {
  await appendSummary(markdown);
}
