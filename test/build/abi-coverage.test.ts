/**
 * docs/ABI-COVERAGE.md is what scripts/lib/abi-coverage.ts generates from the code, and the coverage it shows
 * is complete: imports.ts declares every ABI 0.2.1 host function Envoy provides, with Envoy's signatures; every
 * declared hostcall but fd_write has an SDK wrapper, is implemented by the harness, and is proven by a probe test.
 * Sources: proxy-wasm spec v0.2.1; cpp-host include/proxy-wasm/exports.h, src/wasm.cc registerCallbacks.
 */

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { collectCoverage, renderTable, replaceTable } from "../../scripts/lib/abi-coverage.js";
import { ENVOY_ENV_FUNCTIONS, envoyImportSignature, type ValueType } from "../../scripts/lib/envoy-abi.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const rows = collectCoverage(root);
const NO_WRAPPER = new Set(["wasi_snapshot_preview1.fd_write"]);

test("docs/ABI-COVERAGE.md holds the generated table (run `npx tsx scripts/lib/abi-coverage.ts --write`)", () => {
  const document = readFileSync(new URL("../../docs/ABI-COVERAGE.md", import.meta.url), "utf8");
  expect(document).toBe(replaceTable(document, renderTable(rows)));
});

test("imports.ts declares every proxy_* function Envoy provides to an ABI 0.2.1 module", () => {
  const declared = new Set(rows.map((row) => row.hostcall));
  const expected = Object.keys(ENVOY_ENV_FUNCTIONS)
    .filter((name) => name.startsWith("proxy_"))
    .map((name) => `env.${name}`);
  expect(expected.filter((name) => !declared.has(name))).toEqual([]);
});

test("every declaration in imports.ts has the wasm signature Envoy links against", () => {
  const source = readFileSync(new URL("../../assembly/abi/imports.ts", import.meta.url), "utf8");
  const declarations = [...source.matchAll(/@external\("([^"]+)",\s*"([^"]+)"\)\s*export declare function \w+\(([^)]*)\):\s*(\w+);/g)];
  expect(declarations.length).toBe(rows.length);
  const wasmType = (type: string): ValueType => (type === "u64" || type === "i64" ? "i64" : "i32");
  const mismatches = declarations.flatMap(([, module, name, params, result]) => {
    const actual = {
      params: params!.split(",").map((p) => p.trim()).filter((p) => p.length > 0).map((p) => wasmType(p.split(":")[1]!.trim())),
      results: result === "void" ? [] : [wasmType(result!)],
    };
    const expected = envoyImportSignature(module!, name!);
    return JSON.stringify(actual) === JSON.stringify(expected) ? [] : [`${module}.${name}: ${JSON.stringify(actual)} vs Envoy ${JSON.stringify(expected)}`];
  });
  expect(mismatches).toEqual([]);
});

test("every hostcall but fd_write has an SDK wrapper", () => {
  expect(rows.filter((row) => row.wrappers.length === 0 && !NO_WRAPPER.has(row.hostcall)).map((row) => row.hostcall)).toEqual([]);
});

test("the harness implements every hostcall (no stubs)", () => {
  expect(rows.filter((row) => row.harness !== "yes").map((row) => `${row.hostcall}: ${row.harness}`)).toEqual([]);
});

test("every wrapped hostcall is proven by a probe test through the harness's hostcall log", () => {
  expect(rows.filter((row) => row.wrappers.length > 0 && row.testedBy.length === 0).map((row) => row.hostcall)).toEqual([]);
});
