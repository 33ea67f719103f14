import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["__tests__/**/*.test.ts"],
    // Integration tests start real HTTP servers; keep runs bounded on a 2-core machine.
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
