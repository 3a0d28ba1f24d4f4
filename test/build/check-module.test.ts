/**
 * The module checker rejects what Envoy rejects. Each case is a hand-written WAT module with one defect.
 * Sources: host-behaviour.md F.1 (ABI marker), F.2 (imports: name and signature; AssemblyScript's env.abort),
 * F.3 (0.1.0-only imports), F.4 (callback signatures), F.5 (allocator), F.7 / deployment.md D.6 (start section).
 */

import wabtFactory from "wabt";
import { describe, expect, test } from "vitest";
import { checkEnvoyModule } from "../../scripts/lib/check-module.js";
import { readModule } from "../../scripts/lib/wasm-module.js";

const wabt = await wabtFactory();

function assemble(body: string): Uint8Array {
  const module = wabt.parseWat("test.wat", `(module ${body})`);
  try {
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}

const MINIMAL = `
  (memory (export "memory") 1)
  (func (export "_initialize"))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param i32) (result i32) (i32.const 0))
`;

function problems(body: string): string[] {
  return checkEnvoyModule(readModule(assemble(body), "test.wasm"));
}

describe("checkEnvoyModule", () => {
  test("accepts a minimal valid module", () => {
    expect(problems(MINIMAL)).toEqual([]);
  });

  test("accepts Envoy's imports with their signatures", () => {
    expect(
      problems(`
        (import "env" "proxy_log" (func (param i32 i32 i32) (result i32)))
        (import "env" "proxy_increment_metric" (func (param i32 i64) (result i32)))
        (import "wasi_snapshot_preview1" "clock_time_get" (func (param i32 i64 i32) (result i32)))
        (import "wasi_unstable" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
        ${MINIMAL}`),
    ).toEqual([]);
  });

  test("rejects AssemblyScript's default env.abort import (F.2)", () => {
    expect(problems(`(import "env" "abort" (func (param i32 i32 i32 i32))) ${MINIMAL}`)).toEqual([
      'imports env.abort, which Envoy does not provide ("Failed to load Wasm module due to a missing import")',
    ]);
  });

  test("rejects env.seed, env.trace and Date/console bindings (F.2)", () => {
    const found = problems(`
      (import "env" "seed" (func (result f64)))
      (import "env" "Date.now" (func (result f64)))
      (import "env" "console.log" (func (param i32)))
      ${MINIMAL}`);
    expect(found).toHaveLength(3);
    expect(found.join("\n")).toMatch(/env\.seed.*\n.*env\.Date\.now.*\n.*env\.console\.log/);
  });

  test("rejects a proxy_* import with the wrong signature (F.2)", () => {
    expect(problems(`(import "env" "proxy_increment_metric" (func (param i32 i32) (result i32))) ${MINIMAL}`)).toEqual([
      "imports env.proxy_increment_metric as (i32, i32) -> i32, but Envoy provides (i32, i64) -> i32 (import type mismatch)",
    ]);
  });

  test("rejects ABI 0.1.0-only imports in a 0.2.1 module (F.3)", () => {
    expect(problems(`(import "env" "proxy_continue_request" (func (result i32))) ${MINIMAL}`)).toEqual([
      "imports env.proxy_continue_request, which Envoy provides only to ABI 0.1.0 modules",
    ]);
  });

  test("rejects an imported memory", () => {
    expect(problems(`(import "env" "memory" (memory 1)) (func (export "_initialize")) (func (export "proxy_abi_version_0_2_1")) (func (export "malloc") (param i32) (result i32) (i32.const 0))`)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^imports memory env\.memory/)]),
    );
  });

  test("rejects a module without the ABI marker (F.1)", () => {
    expect(problems(`(memory (export "memory") 1) (func (export "_initialize")) (func (export "malloc") (param i32) (result i32) (i32.const 0))`)).toEqual([
      'does not export proxy_abi_version_0_2_1 ("Missing or unknown Proxy-Wasm ABI version")',
    ]);
  });

  test("rejects a module without an allocator (F.5)", () => {
    expect(problems(`(memory (export "memory") 1) (func (export "_initialize")) (func (export "proxy_abi_version_0_2_1"))`)).toEqual([
      'exports neither malloc nor proxy_on_memory_allocate ("Wasm module is missing malloc function")',
    ]);
  });

  test("accepts proxy_on_memory_allocate instead of malloc (F.5)", () => {
    expect(
      problems(`(memory (export "memory") 1) (func (export "_initialize")) (func (export "proxy_abi_version_0_2_1"))
                (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 0))`),
    ).toEqual([]);
  });

  test("rejects a start section (F.7)", () => {
    expect(problems(`${MINIMAL} (func $init) (start $init)`)).toEqual([
      "has a start section: it would run while the host has no context (build with --exportStart _initialize)",
    ]);
  });

  test("rejects a callback exported with the wrong signature (F.4)", () => {
    expect(problems(`${MINIMAL} (func (export "proxy_on_request_headers") (param i32 i32) (result i32) (i32.const 0))`)).toEqual([
      'exports proxy_on_request_headers as (i32, i32) -> i32, but Envoy requires (i32, i32, i32) -> i32 ("Bad function signature")',
    ]);
  });

  test("with requireAllCallbacks, names each missing 0.2.1 callback", () => {
    const found = checkEnvoyModule(readModule(assemble(MINIMAL), "test.wasm"), { requireAllCallbacks: true });
    expect(found).toContain("does not export the ABI 0.2.1 callback proxy_on_grpc_receive_trailing_metadata");
    expect(found).toContain("does not export the ABI 0.2.1 callback proxy_on_context_create");
  });

  test("reports a truncated binary with the file name", () => {
    expect(() => readModule(assemble(MINIMAL).subarray(0, 20), "broken.wasm")).toThrow(/^broken\.wasm: /);
  });
});
