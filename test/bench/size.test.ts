/**
 * bench/size.ts, the module size report: section sizes add up to the file, code is attributed to source areas by
 * function name, and static strings are found in the data section. On a built module with a name section (the
 * debug build of noop) and on the release module, which has none.
 */

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { analyseModule, areaOf } from "../../bench/size.js";

const build = (file: string) => readFileSync(fileURLToPath(new URL(`../../build/${file}`, import.meta.url)));

test("areas from AssemblyScript function names", () => {
  expect(areaOf("~lib/rt/tlsf/insertBlock")).toBe("runtime (GC, allocator)");
  expect(areaOf("~lib/string/String#concat")).toBe("AS standard library");
  expect(areaOf("assembly/util/json/Parser#parseValue")).toBe("SDK helpers (assembly/util)");
  expect(areaOf("assembly/dispatcher/onDelete")).toBe("SDK core");
  expect(areaOf("filters/abac/config/parseKey")).toBe("filter abac");
  expect(areaOf("start:filters/hello/index")).toBe("filter hello");
  expect(areaOf("~start")).toBe("module start (top-level code)");
});

test("a module with a name section: sections add up, every function has an area, strings are found", () => {
  const bytes = build("noop.debug.wasm");
  const report = analyseModule("noop", "build/noop.debug.wasm", bytes, null, 5);
  expect(8 + Object.values(report.sections).reduce((a, b) => a + b, 0)).toBe(bytes.length);
  expect(report.functions).not.toBeNull();
  const code = report.functions!.reduce((sum, f) => sum + f.bytes, 0);
  expect(Object.values(report.areas!).reduce((a, b) => a + b, 0)).toBe(code);
  expect(report.areas!["runtime (GC, allocator)"]).toBeGreaterThan(1000);
  expect(report.areas!["SDK core"]).toBeGreaterThan(1000);
  expect(report.functions!.map((f) => f.name)).toContain("assembly/runtime/gc/atSafePoint");
  expect(report.data.strings.count).toBeGreaterThan(5);
  expect(report.data.largestStrings.length).toBe(5);
  expect(report.budget).toBeNull();
});

test("a release module without names: sections and data, no attribution; the budget is looked up", () => {
  const bytes = build("hello.wasm");
  const report = analyseModule("hello", "build/hello.wasm", bytes, null);
  expect(8 + Object.values(report.sections).reduce((a, b) => a + b, 0)).toBe(bytes.length);
  expect(report.functions).toBeNull();
  expect(report.budget).toBe(20 * 1024);
  expect(report.data.segments.count).toBeGreaterThan(0);
});
