/**
 * The release modules stay within their size budgets (issues #2, #5, #6; `SIZE_BUDGETS` in bench/size.ts):
 * `hello` ≤ 20 KiB, `abac` and `l7-metadata` ≤ 64 KiB. Bytes, not time. When one fails, the message shows its
 * sections; `npx tsx bench/size.ts <name>` shows where the bytes go, function by function, and docs/SIZE.md says
 * what costs what.
 */

import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { SIZE_BUDGETS, analyseModule } from "../../bench/size.js";

const buildDir = fileURLToPath(new URL("../../build/", import.meta.url));

describe.each(Object.entries(SIZE_BUDGETS))("%s", (name, budget) => {
  test(`build/${name}.wasm is at most ${budget.toLocaleString("en-US")} bytes`, () => {
    const path = `${buildDir}${name}.wasm`;
    expect(existsSync(path), `${path} is missing: run \`npm run build\``).toBe(true);
    const report = analyseModule(name, `build/${name}.wasm`, readFileSync(path), null, 0);
    const sections = Object.entries(report.sections)
      .map(([section, size]) => `${section} ${size}`)
      .join(", ");
    expect(report.bytes, `${name}: ${report.bytes} B (${sections}); see \`npx tsx bench/size.ts ${name}\``).toBeLessThanOrEqual(budget);
  });
});

test("every budget names a filter", () => {
  for (const name of Object.keys(SIZE_BUDGETS)) {
    expect(existsSync(fileURLToPath(new URL(`../../filters/${name}/index.ts`, import.meta.url))), name).toBe(true);
  }
});
