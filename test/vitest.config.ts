import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

export default defineConfig({
  root,
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "build/**"],
    passWithNoTests: false,
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 180_000,
    setupFiles: ["test/setup.ts"],
    reporters: process.env.CI ? ["default", "github-actions"] : ["default"],
  },
});
