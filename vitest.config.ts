import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["__tests__/**/*.test.ts"],
    // Integration tests start real HTTP servers; keep runs bounded on a 2-core machine.
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // GitHub's workflow parser imports its schema JSON without an import attribute, which Node refuses;
    // inlined, vite loads it (__tests__/workflows.test.ts).
    server: { deps: { inline: ["@actions/workflow-parser"] } },
  },
});
