/**
 * Logging hostcalls (spec v0.2.1 "Logging"): `proxy_log`, `proxy_get_log_level`.
 * https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#logging
 */
import { Status } from "../enums";
import { sig } from "../module";
import { LOG_LEVEL_NAMES } from "../state/logs";
import type { WasmVm } from "../vm";
import type { HostcallDef } from "./registry";

export function loggingHostcalls(vm: WasmVm): HostcallDef[] {
  return [
    {
      // #proxy_log. Level > 5 → BAD_ARGUMENT; Envoy logs `wasm log<prefix>: <msg>` when the level is enabled and
      // returns OK either way (cpp-host `exports.cc log`, Envoy `Context::log`).
      name: "proxy_log",
      type: sig("iii", "i"),
      fn(level: number, ptr: number, size: number): number {
        const l = level >>> 0;
        if (l > 5) return Status.BadArgument;
        const message = vm.memory.readByteString(ptr >>> 0, size >>> 0);
        if (message === null) return Status.InvalidMemoryAccess;
        vm.ctx().logMessage(LOG_LEVEL_NAMES[l]!, message, "proxy_log");
        return Status.Ok;
      },
    },
    {
      // #proxy_get_log_level (0.2.1 only): the level of Envoy's `wasm` logger (spdlog numbering, 6 = off).
      name: "proxy_get_log_level",
      type: sig("i", "i"),
      abi: ["0.2.1"],
      fn(retLevel: number): number {
        return vm.memory.writeU32(retLevel >>> 0, vm.proxy.logLevelNumber) ? Status.Ok : Status.InvalidMemoryAccess;
      },
    },
  ];
}
