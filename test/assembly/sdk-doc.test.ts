/**
 * docs/SDK.md stays true to the code: every free function, class and enumeration it lists in its API blocks is
 * exported from assembly/index.ts (the public surface filters import).
 */

import { readFileSync } from "node:fs";
import { expect, test } from "vitest";

const root = new URL("../../", import.meta.url);
const sdkDoc = readFileSync(new URL("docs/SDK.md", root), "utf8");
const index = readFileSync(new URL("assembly/index.ts", root), "utf8");

/** Every name exported by assembly/index.ts (`export { a, b } from "…"`). */
const exported = new Set(
  [...index.matchAll(/export\s*\{([^}]*)\}\s*from/g)].flatMap((m) =>
    m[1]!
      .split(",")
      .map((name) => name.trim())
      .filter((name) => name.length > 0),
  ),
);

/** The ```ts blocks of the sections whose column-0 calls are free functions. */
function sectionBlocks(heading: string): string[] {
  const start = sdkDoc.indexOf(`\n## ${heading}`);
  if (start < 0) throw new Error(`docs/SDK.md has no section "## ${heading}"`);
  const end = sdkDoc.indexOf("\n## ", start + 4);
  const section = sdkDoc.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

const freeFunctionSections = ["Properties", "Logging", "Metrics", "Shared data and queues", "Callouts", "Other hostcalls"];
const documented = new Set<string>();
for (const heading of freeFunctionSections) {
  for (const block of sectionBlocks(heading)) {
    for (const m of block.matchAll(/^([A-Za-z]\w*)(?:\.\w+)?\(/gm)) documented.add(m[1]!);
    for (const m of block.matchAll(/^([A-Z]\w*)\.\w+/gm)) documented.add(m[1]!);
    for (const m of block.matchAll(/class (\w+)/g)) documented.add(m[1]!);
  }
}
for (const block of sectionBlocks("Contexts")) for (const m of block.matchAll(/^(?:abstract )?class (\w+)/gm)) documented.add(m[1]!);
for (const m of sdkDoc.matchAll(/class (HeaderPair|HeaderPairBytes|SharedDataValue|Int64Value|Uint64Value|BoolValue|DoubleValue|TagPair)\b/g)) documented.add(m[1]!);
const enumSection = sdkDoc.slice(sdkDoc.indexOf("## Enumerations"), sdkDoc.indexOf("## Helpers"));
for (const m of enumSection.matchAll(/`([A-Z]\w+)`/g)) documented.add(m[1]!);

test("docs/SDK.md lists a substantial API (the parser found it)", () => {
  expect(documented.size).toBeGreaterThan(60);
  expect([...documented]).toEqual(expect.arrayContaining(["getProperty", "httpCall", "Counter", "HttpContext", "Status"]));
});

test("every function, class and enumeration in docs/SDK.md is exported from assembly/index.ts", () => {
  expect([...documented].filter((name) => !exported.has(name)).sort()).toEqual([]);
});
