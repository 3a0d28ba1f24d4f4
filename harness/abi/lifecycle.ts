/**
 * Context, stream-control and timer hostcalls (spec v0.2.1 "Contexts", "HTTP fields", "Timers", "Time"):
 * `proxy_set_effective_context`, `proxy_done`, `proxy_continue_stream`, `proxy_close_stream`,
 * `proxy_send_local_response`, `proxy_get_status`, `proxy_set_tick_period_milliseconds`,
 * `proxy_get_current_time_nanoseconds`, and the ABI 0.1.0 `proxy_continue_request`/`_response`,
 * `proxy_clear_route_cache`, `proxy_get_configuration`.
 * https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1
 */
import { decodePairs } from "../codec";
import { Status } from "../enums";
import { sig } from "../module";
import type { WasmVm } from "../vm";
import type { HostcallDef } from "./registry";

export function lifecycleHostcalls(vm: WasmVm): HostcallDef[] {
  const mem = (): WasmVm["memory"] => vm.memory;
  return [
    {
      // #proxy_set_effective_context: unknown id → BAD_ARGUMENT; lasts until the top-level call returns.
      name: "proxy_set_effective_context",
      type: sig("i", "i"),
      fn(contextId: number): number {
        const id = contextId >>> 0;
        if (!vm.getContext(id)) return Status.BadArgument;
        vm.effectiveContextId = id;
        return Status.Ok;
      },
    },
    {
      // #proxy_done: finishes a root context whose on_done returned false; NOT_FOUND otherwise.
      name: "proxy_done",
      type: sig("", "i"),
      fn(): number {
        return vm.proxy.done(vm, vm.ctx());
      },
    },
    {
      // #proxy_continue_stream (ABI ≥ 0.2.0): deferred until the VM call returns.
      name: "proxy_continue_stream",
      type: sig("i", "i"),
      abi: ["0.2.0", "0.2.1"],
      fn(type: number): number {
        const t = type >>> 0;
        if (t > 3) return Status.BadArgument;
        return vm.ctx().continueStream(t);
      },
    },
    {
      // #proxy_close_stream (ABI ≥ 0.2.0): HTTP reset with details `wasm_close_stream`, deferred.
      name: "proxy_close_stream",
      type: sig("i", "i"),
      abi: ["0.2.0", "0.2.1"],
      fn(type: number): number {
        const t = type >>> 0;
        if (t > 3) return Status.BadArgument;
        return vm.ctx().closeStream(t);
      },
    },
    {
      name: "proxy_continue_request",
      type: sig("", "i"),
      abi: ["0.1.0"],
      fn(): number {
        return vm.ctx().continueStream(0);
      },
    },
    {
      name: "proxy_continue_response",
      type: sig("", "i"),
      abi: ["0.1.0"],
      fn(): number {
        return vm.ctx().continueStream(1);
      },
    },
    {
      // #proxy_send_local_response: always OK; the reply is deferred and the callback's result becomes a Stop.
      name: "proxy_send_local_response",
      type: sig("iiiiiiii", "i"),
      fn(code: number, dPtr: number, dLen: number, bPtr: number, bLen: number, hPtr: number, hLen: number, grpc: number): number {
        const m = mem();
        const details = m.readByteString(dPtr >>> 0, dLen >>> 0);
        const body = m.readByteString(bPtr >>> 0, bLen >>> 0);
        const headerBytes = m.viewBytes(hPtr >>> 0, hLen >>> 0);
        if (details === null || body === null || headerBytes === null) return Status.InvalidMemoryAccess;
        const headers = decodePairs(headerBytes);
        vm.ctx().sendLocalResponse(code >>> 0, body, headers, grpc | 0, details);
        vm.stopIteration = true;
        return Status.Ok;
      },
    },
    {
      name: "proxy_clear_route_cache",
      type: sig("", "i"),
      abi: ["0.1.0"],
      fn(): number {
        vm.ctx().clearRouteCache();
        return Status.Ok;
      },
    },
    {
      // ABI 0.1.0: the plugin configuration during on_configure, the VM configuration otherwise.
      name: "proxy_get_configuration",
      type: sig("ii", "i"),
      abi: ["0.1.0"],
      fn(retPtr: number, retSize: number): number {
        const ctx = vm.ctx();
        const value = ctx.tempPluginConfiguration ?? vm.settings.vmConfiguration;
        return mem().copyOut(value, retPtr >>> 0, retSize >>> 0) ? Status.Ok : Status.InvalidMemoryAccess;
      },
    },
    {
      // #proxy_get_status: the root context's last callout status (gRPC close, or 11 "reset" for HTTP).
      name: "proxy_get_status",
      type: sig("iii", "i"),
      fn(codePtr: number, msgPtr: number, msgSize: number): number {
        const root = vm.ctx().rootContext;
        if (!mem().writeU32(codePtr >>> 0, root.statusCode)) return Status.InvalidMemoryAccess;
        return mem().copyOut(root.statusMessage, msgPtr >>> 0, msgSize >>> 0) ? Status.Ok : Status.InvalidMemoryAccess;
      },
    },
    {
      // #proxy_set_tick_period_milliseconds: the caller's *root* context; 0 cancels.
      name: "proxy_set_tick_period_milliseconds",
      type: sig("i", "i"),
      fn(period: number): number {
        vm.ctx().setTickPeriod(period >>> 0);
        return Status.Ok;
      },
    },
    {
      // #proxy_get_current_time_nanoseconds: Envoy's wall clock (the harness's fake clock).
      name: "proxy_get_current_time_nanoseconds",
      type: sig("i", "i"),
      fn(retPtr: number): number {
        return mem().writeU64(retPtr >>> 0, vm.proxy.clock.wallNanos()) ? Status.Ok : Status.InvalidMemoryAccess;
      },
    },
  ];
}
