/**
 * Every proxy-wasm module in build/ (not build/loader/) loads in Envoy: it imports only what Envoy provides,
 * with Envoy's signatures; exports the ABI 0.2.1 marker, an allocator, `memory` and `_initialize`; exports
 * every callback with the signature cpp-host requires; and has no start section.
 * Sources: host-behaviour.md F.1–F.5, deployment.md D.6; cpp-host src/wasm.cc, src/v8/v8.cc.
 */

import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { checkEnvoyModule } from "../../scripts/lib/check-module.js";
import { readModule } from "../../scripts/lib/wasm-module.js";

const buildDir = fileURLToPath(new URL("../../build", import.meta.url));
const modules = existsSync(buildDir) ? readdirSync(buildDir).filter((file) => file.endsWith(".wasm")).sort() : [];

test("build/ holds the release and debug modules of hello and noop", () => {
  expect(modules).toEqual(expect.arrayContaining(["hello.wasm", "hello.debug.wasm", "noop.wasm", "noop.debug.wasm"]));
});

describe.each(modules)("%s", (file) => {
  const info = readModule(readFileSync(join(buildDir, file)), file);

  test("loads in Envoy: imports, ABI marker, allocator, memory, _initialize, callback signatures, no start section", () => {
    expect(checkEnvoyModule(info, { requireAllCallbacks: true })).toEqual([]);
  });

  test("imports nothing from AssemblyScript's default bindings (env.abort, env.seed, env.trace, Date, console)", () => {
    const names = info.imports.map((entry) => `${entry.module}.${entry.name}`);
    expect(names.filter((name) => !/^env\.proxy_|^wasi_snapshot_preview1\./.test(name))).toEqual([]);
  });

  test(file.endsWith(".debug.wasm") ? "has a name section (harness backtraces)" : "exports nothing but the ABI", () => {
    if (file.endsWith(".debug.wasm")) {
      expect(info.customSections).toContain("name");
    } else {
      const exported = info.exports.map((entry) => entry.name);
      expect(exported.filter((name) => !/^(proxy_|malloc$|memory$|_initialize$)/.test(name))).toEqual([]);
    }
  });
});
