// Loading and linking like Envoy: ABI detection, import checks with Envoy's wording, callback signatures, the
// allocator lookup and the restricted start-up phase (host-behaviour.md F.1–F.7; cpp-host bytecode_util.cc,
// v8.cc V8::link/getModuleFunctionImpl, wasm.cc getFunctions/startVm).
import { describe, expect, test } from "vitest";
import { createHost, PluginConfigRejected } from "../../harness";
import { parseModule } from "../../harness/module";
import { proxyModule, wat } from "./support/wat";

function rejection(fn: () => unknown): PluginConfigRejected {
  try {
    fn();
  } catch (e) {
    if (e instanceof PluginConfigRejected) return e;
    throw e;
  }
  throw new Error("expected the configuration to be rejected");
}

describe("ABI version (cpp-host bytecode_util.cc getAbiVersion)", () => {
  test("the first proxy_abi_version_* export in export order wins", () => {
    const bytes = wat(`(module
      (func (export "proxy_abi_version_0_1_0")) (func (export "proxy_abi_version_0_2_1")))`);
    expect(parseModule(bytes).abiVersion).toBe("0.1.0");
  });

  test("no ABI export → 'Missing or unknown Proxy-Wasm ABI version', configuration rejected", () => {
    const e = rejection(() => createHost(proxyModule({ abi: null, body: "" })));
    expect(e.details).toContain("Missing or unknown Proxy-Wasm ABI version");
    expect(e.message).toMatch(/^Unable to create Wasm HTTP filter plugin/);
    expect(e.failState).toBe("UnableToInitializeCode");
  });

  test("bytes that are not Wasm → 'Failed to parse corrupted Wasm module'", () => {
    const e = rejection(() => createHost(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9])));
    expect(e.details).toContain("Failed to parse corrupted Wasm module");
  });

  test("a valid header with an invalid body → 'Failed to load Wasm bytecode'", () => {
    const good = proxyModule({ body: "" });
    const broken = new Uint8Array([...good, 0x0b, 0x7f, 0x00]);
    const e = rejection(() => createHost(broken));
    expect(e.details.join("\n")).toMatch(/Failed to (load Wasm bytecode|parse corrupted Wasm module)/);
  });
});

describe("imports (cpp-host v8.cc V8::link)", () => {
  test("an import Envoy does not provide: 'Failed to load Wasm module due to a missing import: env.abort'", () => {
    const bytes = proxyModule({ rawImports: `(import "env" "abort" (func (param i32 i32 i32 i32)))`, body: "" });
    const e = rejection(() => createHost(bytes));
    expect(e.details).toContain("Failed to load Wasm module due to a missing import: env.abort");
    expect(e.details).toContain("Wasm VM failed Failed to initialize Wasm code");
  });

  test("a wrong signature: 'import type mismatch … want … but host exports …'", () => {
    const bytes = proxyModule({ rawImports: `(import "env" "proxy_log" (func (param i32 i32) (result i32)))`, body: "" });
    const e = rejection(() => createHost(bytes));
    expect(e.details).toContain(
      "Failed to load Wasm module due to an import type mismatch: env.proxy_log, want: i32 i32 -> i32, but host exports: i32 i32 i32 -> i32",
    );
  });

  test("imported globals are reported as a missing import", () => {
    const bytes = proxyModule({ rawImports: `(import "env" "g" (global i32))`, body: "" });
    expect(rejection(() => createHost(bytes)).details).toContain("Failed to load Wasm module due to a missing import: env.g");
  });

  test("proxy_get_log_level exists only for ABI 0.2.1 (F.3)", () => {
    const body = `(import "env" "proxy_get_log_level" (func (param i32) (result i32)))`;
    expect(() => createHost(proxyModule({ abi: "0_2_1", rawImports: body, body: "" }))).not.toThrow();
    expect(rejection(() => createHost(proxyModule({ abi: "0_2_0", rawImports: body, body: "" }))).details).toContain(
      "Failed to load Wasm module due to a missing import: env.proxy_get_log_level",
    );
  });

  test("proxy_continue_request exists only for ABI 0.1.0, proxy_continue_stream only for 0.2.x (F.3)", () => {
    const v01 = `(import "env" "proxy_continue_request" (func (result i32)))`;
    const v02 = `(import "env" "proxy_continue_stream" (func (param i32) (result i32)))`;
    expect(() => createHost(proxyModule({ abi: "0_1_0", rawImports: v01, body: "" }))).not.toThrow();
    expect(rejection(() => createHost(proxyModule({ abi: "0_2_1", rawImports: v01, body: "" }))).details[0]).toMatch(/missing import: env.proxy_continue_request/);
    expect(rejection(() => createHost(proxyModule({ abi: "0_1_0", rawImports: v02, body: "" }))).details[0]).toMatch(/missing import: env.proxy_continue_stream/);
  });

  test("WASI is provided under both module names; cpp-host's path_link has 6 parameters, not WASI's 7", () => {
    const ok = `(import "wasi_unstable" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "path_link" (func (param i32 i32 i32 i32 i32 i32) (result i32)))`;
    expect(() => createHost(proxyModule({ rawImports: ok, body: "" }))).not.toThrow();
    const wasi7 = `(import "wasi_snapshot_preview1" "path_link" (func (param i32 i32 i32 i32 i32 i32 i32) (result i32)))`;
    expect(rejection(() => createHost(proxyModule({ rawImports: wasi7, body: "" }))).details[0]).toMatch(/import type mismatch: wasi_snapshot_preview1.path_link/);
  });

  test("an imported memory is created with the module's limits and used for hostcalls", () => {
    const bytes = wat(`(module
      (import "env" "memory" (memory 2))
      (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
      (func (export "malloc") (param i32) (result i32) (i32.const 70000))
      (func (export "proxy_abi_version_0_2_1"))
      (data (i32.const 70000) "from imported memory")
      (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
        (drop (call $log (i32.const 2) (i32.const 70000) (i32.const 20))) (i32.const 1)))`);
    const host = createHost(bytes);
    expect(host.logs().map((l) => l.message)).toContain("from imported memory");
  });
});

describe("exports (cpp-host getFunctions, getModuleFunctionImpl)", () => {
  test("a callback exported with the wrong signature fails the load ('Bad function signature for: …')", () => {
    const bytes = proxyModule({ body: `(func (export "proxy_on_request_headers") (param i32 i32) (result i32) (i32.const 0))` });
    const e = rejection(() => createHost(bytes));
    expect(e.details).toContain(
      "Bad function signature for: proxy_on_request_headers, want: i32 i32 i32 -> i32, but the module exports: i32 i32 -> i32",
    );
  });

  test("ABI 0.1.0 modules use the 2-parameter proxy_on_request_headers", () => {
    const body = `(func (export "proxy_on_request_headers") (param i32 i32) (result i32) (i32.const 0))`;
    expect(() => createHost(proxyModule({ abi: "0_1_0", body }))).not.toThrow();
  });

  test("the allocator is `malloc`, else `proxy_on_memory_allocate` (cpp-host looks for malloc first, F.5)", () => {
    const both = proxyModule({
      imports: ["proxy_get_property"],
      allocator: "proxy_on_memory_allocate",
      body: `
        (global $mallocCalls (mut i32) (i32.const 0))
        (func (export "malloc") (param $n i32) (result i32)
          (global.set $mallocCalls (i32.add (global.get $mallocCalls) (i32.const 1)))
          (call $alloc (local.get $n)))
        (func (export "malloc_calls") (result i32) (global.get $mallocCalls))
        (data (i32.const 16) "plugin_root_id")
        (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
          (drop (call $proxy_get_property (i32.const 16) (i32.const 14) (i32.const 1024) (i32.const 1028))) (i32.const 1))`,
    });
    const host = createHost(both, { rootId: "r" });
    // get_property returned "r" (1 byte) through `malloc`, not through proxy_on_memory_allocate.
    expect(host.readU32(1028)).toBe(1);
    const onlyProxyAlloc = proxyModule({ allocator: "proxy_on_memory_allocate", body: "" });
    expect(() => createHost(onlyProxyAlloc)).not.toThrow();
  });

  test("no allocator at all: 'Wasm module is missing malloc function.' (MissingFunction)", () => {
    const e = rejection(() => createHost(proxyModule({ allocator: null, body: "" })));
    expect(e.details).toContain("Wasm VM failed Wasm module is missing malloc function.");
  });
});

describe("start-up (cpp-host WasmBase::startVm, F.7)", () => {
  test("_initialize runs, then main(0, 0) — not __main_void when main exists; each VM runs it (base, canary, main thread, workers)", () => {
    const host = createHost(
      proxyModule({
        imports: ["proxy_log"],
        body: `
        (data (i32.const 16) "init") (data (i32.const 32) "main") (data (i32.const 48) "main_void")
        (func (export "_initialize") (drop (call $proxy_log (i32.const 2) (i32.const 16) (i32.const 4))))
        (func (export "main") (param i32 i32) (result i32) (drop (call $proxy_log (i32.const 2) (i32.const 32) (i32.const 4))) (i32.const 0))
        (func (export "__main_void") (result i32) (drop (call $proxy_log (i32.const 2) (i32.const 48) (i32.const 9))) (i32.const 0))`,
      }),
      { workers: 2 },
    );
    const lines = host.logs().map((l) => `${l.vm}:${l.message}`);
    expect(lines).toEqual([
      "base:init", "base:main",
      "canary:init", "canary:main",
      "main:init", "main:main",
      "worker-0:init", "worker-0:main",
      "worker-1:init", "worker-1:main",
    ]);
  });

  test("without _initialize, _start runs (WASI command)", () => {
    const host = createHost(
      proxyModule({
        imports: ["proxy_log"],
        body: `(data (i32.const 16) "start") (func (export "_start") (drop (call $proxy_log (i32.const 2) (i32.const 16) (i32.const 5))))`,
      }),
    );
    expect(host.logs()[0]!.message).toBe("start");
  });

  test("during start-up any hostcall outside the allowlist traps with restricted_callback", () => {
    const bytes = proxyModule({
      imports: ["proxy_set_tick_period_milliseconds"],
      body: `(func (export "_initialize") (drop (call $proxy_set_tick_period_milliseconds (i32.const 100))))`,
    });
    const e = rejection(() => createHost(bytes));
    expect(e.details[0]).toMatch(/^Function: _initialize failed: Uncaught Error: restricted_callback/);
    expect(e.details).toContain("Wasm VM failed Failed to initialize Wasm code");
  });

  test("proc_exit is not in the start-up allowlist: it traps there (as Go's `_start` → runtime.exit does in Envoy)", () => {
    const bytes = proxyModule({
      imports: ["proc_exit"],
      body: `(func (export "_initialize") (call $proc_exit (i32.const 3)))`,
    });
    expect(rejection(() => createHost(bytes)).details[0]).toMatch(/^Function: _initialize failed: Uncaught Error: restricted_callback/);
  });

  test("proc_exit in a callback does not trap: Envoy logs and the guest carries on (F.36)", () => {
    const host = createHost(
      proxyModule({
        imports: ["proc_exit", "proxy_log"],
        body: `(data (i32.const 16) "after exit")
          (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
            (call $proc_exit (i32.const 3)) (drop (call $proxy_log (i32.const 2) (i32.const 16) (i32.const 10))) (i32.const 1))`,
      }),
      { logLevel: "trace" },
    );
    expect(host.logs({ source: "proxy_log" }).map((l) => l.message)).toContain("after exit");
    expect(host.logs({ source: "envoy" }).map((l) => l.message)).toContain("wasi_unstable proc_exit");
    expect(host.vm().failState).toBe("Ok");
  });
});
