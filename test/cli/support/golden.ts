/**
 * Golden files under test/cli/golden/. `UPDATE_GOLDEN=1 npx vitest run test/cli` rewrites them; review the diff
 * before committing (a golden change is a change of what users deploy).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { expect } from "vitest";

const goldenDir = fileURLToPath(new URL("../golden", import.meta.url));

export function expectGolden(name: string, actual: string): void {
  const file = join(goldenDir, name);
  if (process.env.UPDATE_GOLDEN === "1" && process.env.CI !== "true") {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
  }
  if (!existsSync(file)) throw new Error(`golden file ${file} is missing (run with UPDATE_GOLDEN=1 to create it)`);
  expect(actual).toBe(readFileSync(file, "utf8"));
}

export function toYaml(documents: unknown[]): string {
  return documents.map((d) => stringify(d, { lineWidth: 0 })).join("---\n");
}
