/**
 * The import object a VM links against: exactly the functions Envoy registers (cpp-host
 * `WasmBase::registerCallbacks` + Envoy `Wasm::registerCallbacks`), with the signatures cpp-host derives from its
 * C++ prototypes (`Word` → i32, `uint64_t`/`int64_t` → i64):
 *
 * - `env.proxy_*` common to all ABI versions (`FOR_ALL_HOST_FUNCTIONS`), plus per version:
 *   0.1.0 `get_configuration`, `continue_request`, `continue_response`, `clear_route_cache`;
 *   0.2.0 `continue_stream`, `close_stream`; 0.2.1 those and `get_log_level`. A module importing a function of
 *   another version fails to link, as in Envoy (host-behaviour.md F.3);
 * - `env.pthread_equal`, `env.emscripten_notify_memory_growth`, `env.envoy_resolve_dns`;
 * - Envoy's WASI subset under both `wasi_snapshot_preview1` and `wasi_unstable`.
 *
 * Each function is wrapped once per VM: the wrapper enforces the restricted phases (start-up, allocator), records
 * the call when the host's call log is on, and — under `capability_restriction_config` — is replaced by Envoy's
 * stub (logs an error, returns INTERNAL_FAILURE or WASI NOTCAPABLE).
 */
import type { FuncType } from "../module";
import type { WasmVm } from "../vm";
import { RestrictedCallback } from "../vm";
import { Status } from "../enums";
import { loggingHostcalls } from "./logging";
import { lifecycleHostcalls } from "./lifecycle";
import { bufferHostcalls } from "./buffers";
import { headerHostcalls } from "./headers";
import { propertyHostcalls } from "./properties";
import { calloutHostcalls } from "./callouts";
import { sharedHostcalls } from "./shared";
import { metricHostcalls } from "./metrics";
import { foreignHostcalls } from "./foreign";
import { wasiHostcalls } from "./wasi";
import { envoyHostcalls } from "./envoy";

// biome-ignore lint: hostcalls take numbers and bigints positionally.
export type HostFn = (...args: any[]) => number | bigint | void;

/** One hostcall: its spec name (without module), signature and implementation. */
export interface HostcallDef {
  readonly name: string;
  readonly type: FuncType;
  readonly fn: HostFn;
  /** Which ABI versions register it; absent = all. */
  readonly abi?: ReadonlyArray<"0.1.0" | "0.2.0" | "0.2.1">;
}

export type HostcallTable = Map<string, { type: FuncType; fn: HostFn }>;

const WASI_MODULES = ["wasi_snapshot_preview1", "wasi_unstable"] as const;

function wrap(vm: WasmVm, fullName: string, fn: HostFn): HostFn {
  // Fixed arity (the longest hostcall, proxy_grpc_call, has 12 parameters) keeps V8 from allocating per call.
  return function hostcall(a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown, f?: unknown, g?: unknown, h?: unknown, i?: unknown, j?: unknown, k?: unknown, l?: unknown) {
    const restricted = vm.restricted;
    if (restricted !== null && !restricted.has(fullName)) throw new RestrictedCallback(fullName);
    const log = vm.callLog;
    const result = fn(a, b, c, d, e, f, g, h, i, j, k, l);
    if (log !== null) {
      const args = [a, b, c, d, e, f, g, h, i, j, k, l].slice(0, fn.length) as Array<number | bigint>;
      log.push({ name: fullName, args, contextId: vm.ctx().id, ...(result === undefined ? {} : { result }) });
    }
    return result;
  };
}

function restrictedStub(vm: WasmVm, fullName: string, def: HostcallDef, wasi: boolean): HostFn {
  return () => {
    vm.proxy.envoyLog(
      "error",
      wasi
        ? `Attempted call to restricted WASI capability: ${def.name}`
        : `Attempted call to restricted proxy-wasm capability: ${def.name}`,
      vm.label,
    );
    if (def.type.results.length === 0) return undefined;
    return wasi ? 76 : Status.InternalFailure;
  };
}

/** Builds the table for `vm`'s ABI version. */
export function buildHostcalls(vm: WasmVm): HostcallTable {
  const table: HostcallTable = new Map();
  const caps = vm.settings.allowedCapabilities;
  const abi = vm.abiVersion;
  const add = (module: string, def: HostcallDef, restrictable: boolean, wasi: boolean): void => {
    if (def.abi && !def.abi.includes(abi)) return;
    const full = `${module}.${def.name}`;
    const allowed = !restrictable || caps === null || caps.has(def.name);
    const fn = allowed ? def.fn : restrictedStub(vm, full, def, wasi);
    table.set(full, { type: def.type, fn: wrap(vm, full, fn) });
  };
  for (const def of [
    ...loggingHostcalls(vm),
    ...lifecycleHostcalls(vm),
    ...bufferHostcalls(vm),
    ...headerHostcalls(vm),
    ...propertyHostcalls(vm),
    ...calloutHostcalls(vm),
    ...sharedHostcalls(vm),
    ...metricHostcalls(vm),
    ...foreignHostcalls(vm),
  ]) {
    add("env", def, true, false);
  }
  for (const def of envoyHostcalls(vm)) add("env", def, false, false);
  for (const def of wasiHostcalls(vm)) for (const m of WASI_MODULES) add(m, def, true, true);
  return table;
}
