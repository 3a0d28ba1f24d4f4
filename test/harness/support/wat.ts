/**
 * Hand-written WAT plugins for the harness self-tests: each test states exactly which hostcalls a module makes,
 * independent of any SDK. `proxyModule()` wraps a body with the boilerplate every proxy-wasm module needs (an
 * exported memory, a bump `malloc` that grows memory, the ABI-version export) and declares the named imports with
 * their ABI v0.2.1 signatures (spec `abi-versions/v0.2.1/README.md`), written out here independently of the
 * harness's own table.
 */
import wabtInit from "wabt";

const wabt = await wabtInit();

/** Assembles WAT text (with a name section, for backtraces). */
export function wat(source: string): Uint8Array {
  const module = wabt.parseWat("test.wat", source, { bulk_memory: true, mutable_globals: true, sign_extension: true });
  try {
    module.resolveNames();
    module.validate();
    return new Uint8Array(module.toBinary({ write_debug_names: true }).buffer);
  } finally {
    module.destroy();
  }
}

/** Spec signatures: `[module, params, results]`; `I` = i64. */
export const IMPORTS: Record<string, [string, string, string]> = {
  proxy_log: ["env", "iii", "i"],
  proxy_get_log_level: ["env", "i", "i"],
  proxy_get_current_time_nanoseconds: ["env", "i", "i"],
  proxy_set_tick_period_milliseconds: ["env", "i", "i"],
  proxy_set_effective_context: ["env", "i", "i"],
  proxy_done: ["env", "", "i"],
  proxy_get_buffer_bytes: ["env", "iiiii", "i"],
  proxy_get_buffer_status: ["env", "iii", "i"],
  proxy_set_buffer_bytes: ["env", "iiiii", "i"],
  proxy_get_header_map_size: ["env", "ii", "i"],
  proxy_get_header_map_pairs: ["env", "iii", "i"],
  proxy_set_header_map_pairs: ["env", "iii", "i"],
  proxy_get_header_map_value: ["env", "iiiii", "i"],
  proxy_add_header_map_value: ["env", "iiiii", "i"],
  proxy_replace_header_map_value: ["env", "iiiii", "i"],
  proxy_remove_header_map_value: ["env", "iii", "i"],
  proxy_continue_stream: ["env", "i", "i"],
  proxy_close_stream: ["env", "i", "i"],
  proxy_send_local_response: ["env", "iiiiiiii", "i"],
  proxy_get_status: ["env", "iii", "i"],
  proxy_http_call: ["env", "iiiiiiiiii", "i"],
  proxy_grpc_call: ["env", "iiiiiiiiiiii", "i"],
  proxy_grpc_stream: ["env", "iiiiiiiii", "i"],
  proxy_grpc_send: ["env", "iiii", "i"],
  proxy_grpc_cancel: ["env", "i", "i"],
  proxy_grpc_close: ["env", "i", "i"],
  proxy_get_shared_data: ["env", "iiiii", "i"],
  proxy_set_shared_data: ["env", "iiiii", "i"],
  proxy_register_shared_queue: ["env", "iii", "i"],
  proxy_resolve_shared_queue: ["env", "iiiii", "i"],
  proxy_enqueue_shared_queue: ["env", "iii", "i"],
  proxy_dequeue_shared_queue: ["env", "iii", "i"],
  proxy_define_metric: ["env", "iiii", "i"],
  proxy_increment_metric: ["env", "iI", "i"],
  proxy_record_metric: ["env", "iI", "i"],
  proxy_get_metric: ["env", "ii", "i"],
  proxy_get_property: ["env", "iiii", "i"],
  proxy_set_property: ["env", "iiii", "i"],
  proxy_call_foreign_function: ["env", "iiiiii", "i"],
  fd_write: ["wasi_snapshot_preview1", "iiii", "i"],
  clock_time_get: ["wasi_snapshot_preview1", "iIi", "i"],
  random_get: ["wasi_snapshot_preview1", "ii", "i"],
  environ_sizes_get: ["wasi_snapshot_preview1", "ii", "i"],
  environ_get: ["wasi_snapshot_preview1", "ii", "i"],
  proc_exit: ["wasi_snapshot_preview1", "i", ""],
  poll_oneoff: ["wasi_snapshot_preview1", "iiii", "i"],
};

const t = (c: string): string => (c === "I" ? "i64" : "i32");

/** `(import "env" "proxy_log" (func $proxy_log (param i32 i32 i32) (result i32)))`. */
export function importDecl(name: string): string {
  const sig = IMPORTS[name];
  if (!sig) throw new Error(`unknown import ${name}: add it to IMPORTS`);
  const [module, params, results] = sig;
  const p = params ? ` (param ${[...params].map(t).join(" ")})` : "";
  const r = results ? ` (result ${[...results].map(t).join(" ")})` : "";
  return `(import "${module}" "${name}" (func $${name}${p}${r}))`;
}

export interface ModuleParts {
  /** Hostcalls to import (names from {@link IMPORTS}). */
  imports?: string[];
  /** Extra raw `(import …)` lines (placed with the other imports, before any definition). */
  rawImports?: string;
  /** Functions, globals, exports, data (data must stay below offset 4096, where the heap starts). */
  body: string;
  /** ABI version export; default 0_2_1. Null = none. */
  abi?: "0_1_0" | "0_2_0" | "0_2_1" | null;
  /** Export the allocator as `malloc` (default) or `proxy_on_memory_allocate`, or not at all. */
  allocator?: "malloc" | "proxy_on_memory_allocate" | null;
}

/**
 * A proxy-wasm module: memory (exported, 1 page, growable), a bump allocator that grows memory on demand (so
 * tests can watch the host cope with a moved `memory.buffer`), the ABI export, the imports, then `body`.
 * Helpers available in `body`: `$heap` (global), `$alloc` (malloc itself).
 */
export function proxyModule(parts: ModuleParts): Uint8Array {
  const abi = parts.abi === undefined ? "0_2_1" : parts.abi;
  const allocator = parts.allocator === undefined ? "malloc" : parts.allocator;
  return wat(`(module
  ${(parts.imports ?? []).map(importDecl).join("\n  ")}
  ${parts.rawImports ?? ""}
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 4096))
  (global $allocs (mut i32) (i32.const 0))
  (func $alloc (param $n i32) (result i32)
    (local $p i32) (local $end i32)
    (global.set $allocs (i32.add (global.get $allocs) (i32.const 1)))
    (local.set $p (global.get $heap))
    (local.set $end (i32.add (local.get $p) (i32.and (i32.add (local.get $n) (i32.const 7)) (i32.const -8))))
    (if (i32.gt_u (local.get $end) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.add (i32.div_u (i32.sub (local.get $end) (i32.mul (memory.size) (i32.const 65536))) (i32.const 65536)) (i32.const 1))))))
    (global.set $heap (local.get $end))
    (local.get $p))
  ${allocator ? `(export "${allocator}" (func $alloc))` : ""}
  (func (export "allocation_count") (result i32) (global.get $allocs))
  ${abi ? `(func (export "proxy_abi_version_${abi}"))` : ""}
  ${parts.body}
)`);
}

/** A WAT string literal for `s` (escapes quotes, backslashes and non-printables). */
export function watString(s: string | Uint8Array): string {
  const bytes = typeof s === "string" ? Buffer.from(s, "utf8") : s;
  let out = "";
  for (const b of bytes) {
    if (b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c) out += String.fromCharCode(b);
    else out += `\\${b.toString(16).padStart(2, "0")}`;
  }
  return `"${out}"`;
}

/**
 * A result recorder for WAT bodies: `(call $r <i32>)` stores the value in the next 4-byte slot from 1024
 * (read them with {@link slots}). `$out` (2048) and `$outLen` (2052) are scratch out-pointers for hostcalls.
 */
export const RECORDER = `
  (global $slot (mut i32) (i32.const 1024))
  (func $r (param i32) (i32.store (global.get $slot) (local.get 0)) (global.set $slot (i32.add (global.get $slot) (i32.const 4))))
`;

/** The first `n` recorded slots. */
export function slots(host: { readU32(ptr: number, o?: { worker?: number; plugin?: number }): number }, n: number, options: { worker?: number; plugin?: number } = {}): number[] {
  return Array.from({ length: n }, (_, i) => host.readU32(1024 + 4 * i, options));
}

/** Data segments: `{16: "x-foo", 32: "bar"}` → `(data (i32.const 16) "x-foo") …`. */
export function data(strings: Record<number, string | Uint8Array>): string {
  return Object.entries(strings)
    .map(([offset, s]) => `(data (i32.const ${offset}) ${watString(s)})`)
    .join("\n");
}
