// `npm run demo`: runs the bundled demo world through the CLI.
// Until the ticks land, it says so instead of pretending.
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";

const cli = new URL("../dist/cli.js", import.meta.url);
if (!existsSync(cli)) {
  console.log("afk-loop demo: not built yet (the ticks and CLI land with the end-to-end loop).");
  process.exit(0);
}
const result = spawnSync(process.execPath, [cli.pathname, "demo", ...process.argv.slice(2)], { stdio: "inherit" });
process.exit(result.status ?? 1);
