import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/globalSetup.ts"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests pick their database from TEST_DATABASE_URL (set by `npm run test:pg` / .ci/run); SQLite otherwise.
    env: { LOG_LEVEL: "silent" },
  },
});
