/**
 * The build pipeline's pieces (scripts/lib/build-entries.ts, compile.ts, build-cache.ts) on a scratch
 * repository: which entries are found and where they go, that a compiler error comes back with its
 * diagnostics, and that the cache notices any change to a file the compiler read (or a file it looked for and
 * did not find).
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { isFresh } from "../../scripts/lib/build-cache.js";
import { discoverJobs } from "../../scripts/lib/build-entries.js";
import { compile, sha256 } from "../../scripts/lib/compile.js";

let root = "";

function write(path: string, text: string): void {
  mkdirSync(join(root, path, ".."), { recursive: true });
  writeFileSync(join(root, path), text);
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "as-proxy-build-"));
  write("asconfig.json", JSON.stringify({ targets: { release: { optimizeLevel: 1 }, debug: { debug: true }, loader: { exportRuntime: true } }, options: { runtime: "stub" } }));
  write("filters/alpha/index.ts", 'import { two } from "./lib";\nimport { three } from "./util";\nexport function one(): i32 { return two() + three() - 4; }\n');
  write("filters/alpha/lib.ts", "export function two(): i32 { return 2; }\n");
  // Resolved as util/index.ts after util.ts was looked for and not found.
  write("filters/alpha/util/index.ts", "export function three(): i32 { return 3; }\n");
  write("filters/not-a-filter/README.md", "no index.ts here\n");
  write("test/probes/beta.ts", "export function beta(): i32 { return 3; }\n");
  write("test/probes/lib/helper.ts", "export const x = 1;\n");
  write("test/deep/dir/gamma.loader.ts", "export function gamma(): i32 { return 4; }\n");
  write("test/probes/broken.ts", "export function broken(): i32 { return undefinedName; }\n");
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("discoverJobs", () => {
  test("filters, probes (top level only) and loader modules, each with its targets and output", () => {
    expect(discoverJobs(root)).toEqual([
      { entry: "filters/alpha/index.ts", target: "release", outFile: "build/alpha.wasm" },
      { entry: "filters/alpha/index.ts", target: "debug", outFile: "build/alpha.debug.wasm" },
      { entry: "test/probes/beta.ts", target: "release", outFile: "build/probe-beta.wasm" },
      { entry: "test/probes/beta.ts", target: "debug", outFile: "build/probe-beta.debug.wasm" },
      { entry: "test/probes/broken.ts", target: "release", outFile: "build/probe-broken.wasm" },
      { entry: "test/probes/broken.ts", target: "debug", outFile: "build/probe-broken.debug.wasm" },
      { entry: "test/deep/dir/gamma.loader.ts", target: "loader", outFile: "build/loader/gamma.wasm" },
    ]);
  });
});

describe("compile", () => {
  test("returns the module and every file the compiler read, including probes for missing files", async () => {
    const result = await compile(root, { entry: "filters/alpha/index.ts", target: "release", outFile: "build/alpha.wasm" });
    expect(result.binary).not.toBeNull();
    expect(WebAssembly.validate(result.binary!)).toBe(true);
    expect(result.inputs["filters/alpha/index.ts"]).toMatch(/^[0-9a-f]{64}$/);
    expect(result.inputs["filters/alpha/lib.ts"]).toMatch(/^[0-9a-f]{64}$/);
    expect(result.inputs["asconfig.json"]).toMatch(/^[0-9a-f]{64}$/);
    expect(result.inputs["filters/alpha/util/index.ts"]).toMatch(/^[0-9a-f]{64}$/);
    expect(result.inputs["filters/alpha/util.ts"]).toBeNull(); // looked for first, absent
  }, 60_000);

  test("a compile error gives no module and the compiler's diagnostic naming the file", async () => {
    const result = await compile(root, { entry: "test/probes/broken.ts", target: "release", outFile: "build/probe-broken.wasm" });
    expect(result.binary).toBeNull();
    expect(result.diagnostics).toContain("undefinedName");
    expect(result.diagnostics).toContain("test/probes/broken.ts");
  }, 60_000);
});

describe("isFresh", () => {
  test("fresh only while the output, the key and every input (present or absent) are unchanged", async () => {
    const job = { entry: "filters/alpha/index.ts", target: "release" as const, outFile: "build/alpha.wasm" };
    const result = await compile(root, job);
    write(job.outFile, "");
    writeFileSync(join(root, job.outFile), result.binary!);
    const entry = { key: "k", inputs: result.inputs, sha256: sha256(result.binary!), size: result.binary!.byteLength };
    expect(isFresh(root, job.outFile, "k", entry)).toBe(true);
    expect(isFresh(root, job.outFile, "other-key", entry)).toBe(false);
    expect(isFresh(root, job.outFile, "k", undefined)).toBe(false);

    write("filters/alpha/lib.ts", "export function two(): i32 { return 20; }\n");
    expect(isFresh(root, job.outFile, "k", entry)).toBe(false);
    write("filters/alpha/lib.ts", "export function two(): i32 { return 2; }\n");
    expect(isFresh(root, job.outFile, "k", entry)).toBe(true);

    const absent = Object.entries(result.inputs).find(([, hash]) => hash === null)![0];
    write(absent, "export const appeared = 1;\n");
    expect(isFresh(root, job.outFile, "k", entry)).toBe(false);
    rmSync(join(root, absent));
    expect(isFresh(root, job.outFile, "k", entry)).toBe(true);

    writeFileSync(join(root, job.outFile), "tampered");
    expect(isFresh(root, job.outFile, "k", entry)).toBe(false);
  }, 60_000);
});
