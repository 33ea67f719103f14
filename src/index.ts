// Action entry: one composite step runs `node dist/index.js <watch|poll>`.
// Everything testable lives behind run() in main.ts.
import { run } from "./main.js";

process.exitCode = await run(process.argv[2]);
