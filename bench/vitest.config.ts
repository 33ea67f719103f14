// `npm run bench`: the benchmark runs as one long vitest file so it can import
// the TypeScript sources directly (no TS runner is installed). Kept apart from
// `npm test`: it takes minutes and asserts nothing but that it ran.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: fileURLToPath(new URL("..", import.meta.url)),
    include: ["bench/**/*.perf.ts"],
    testTimeout: 15 * 60_000,
    hookTimeout: 60_000,
    // The table goes straight to the terminal, not through vitest's per-test log capture.
    disableConsoleIntercept: true,
  },
});
