// The CLI's entry (scripts/cli.mjs bundles this file into build/cli/): runs
// main with the process's arguments. Everything testable is in cli/main.ts.
import { main } from "./cli/main.js";

process.exitCode = await main(process.argv.slice(2));
