/**
 * `proxy_call_foreign_function` (spec v0.2.1 "Foreign function interface") with Envoy's registry (Envoy
 * `foreign.cc`): `declare_property`, `set_envoy_filter_state`, `clear_route_cache`, `compress`, `uncompress`
 * are modelled; `verify_signature`, `sign` and the CEL `expr_*` functions exist in Envoy but are not modelled
 * (UNIMPLEMENTED, or `UnimplementedHostcall` in strict mode); unknown names → NOT_FOUND. Tests may register
 * their own functions (`foreignFunctions` option).
 * https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#foreign-function-interface
 */
import { Buffer } from "node:buffer";
import { deflateSync, inflateSync } from "node:zlib";
import { Status } from "../enums";
import { UnimplementedHostcall } from "../errors";
import { sig } from "../module";
import { decodeFields } from "../properties/protobuf";
import type { Context } from "../context";
import type { WasmVm } from "../vm";
import type { HostcallDef } from "./registry";

/**
 * A foreign function: returns a status and, optionally, result bytes. `context` is the effective context
 * (`contextOrEffectiveContext()`), `current` the context whose callback is running (`current_context_`).
 */
export type ForeignFunction = (args: Uint8Array, context: Context, current: Context) => { status: Status; result?: Uint8Array };

const UNMODELLED = new Set(["verify_signature", "sign", "expr_create", "expr_evaluate", "expr_delete"]);

function str(b: Uint8Array): string {
  return Buffer.from(b).toString("latin1");
}

/** Envoy's built-in foreign functions. */
export const ENVOY_FOREIGN_FUNCTIONS: Record<string, ForeignFunction> = {
  // DeclarePropertyArguments { name 1, readonly 2, type 3, schema 4, span 5 }.
  // Stored on the *current* context (Envoy uses `current_context_`), while `set_property` looks prototypes up on
  // the root: declaring from a stream context therefore does not make later writes read-only.
  declare_property(args, _ctx, current) {
    const fields = decodeFields(args);
    if (!fields) return { status: Status.BadArgument };
    let name = "";
    let readOnly = false;
    let type = 0;
    let schema = "";
    let span = 0;
    for (const f of fields) {
      if (f.field === 1 && "bytes" in f) name = str(f.bytes);
      else if (f.field === 2 && "varint" in f) readOnly = f.varint !== 0n;
      else if (f.field === 3 && "varint" in f) type = Number(f.varint);
      else if (f.field === 4 && "bytes" in f) schema = str(f.bytes);
      else if (f.field === 5 && "varint" in f) span = Number(f.varint);
    }
    if (type > 3) type = 0;
    return { status: current.declareProperty(name, { readOnly, type, schema, span }) };
  },
  // SetEnvoyFilterStateArguments { path 1, value 2, span 3 }.
  set_envoy_filter_state(args, ctx) {
    const fields = decodeFields(args);
    if (!fields) return { status: Status.BadArgument };
    let path = "";
    let value = "";
    for (const f of fields) {
      if (f.field === 1 && "bytes" in f) path = str(f.bytes);
      else if (f.field === 2 && "bytes" in f) value = str(f.bytes);
    }
    return { status: ctx.setEnvoyFilterState(path, value) };
  },
  clear_route_cache(_args, ctx) {
    ctx.clearRouteCache();
    return { status: Status.Ok };
  },
  compress(args) {
    return { status: Status.Ok, result: deflateSync(args) };
  },
  uncompress(args) {
    try {
      return { status: Status.Ok, result: inflateSync(args) };
    } catch {
      return { status: Status.SerializationFailure };
    }
  },
};

export function foreignHostcalls(vm: WasmVm): HostcallDef[] {
  return [
    {
      // #proxy_call_foreign_function: results are allocated in the guest only when the function produces some.
      name: "proxy_call_foreign_function",
      type: sig("iiiiii", "i"),
      fn(namePtr: number, nameSize: number, argsPtr: number, argsSize: number, retPtr: number, retSize: number): number {
        const ctx = vm.ctx();
        const name = vm.memory.readByteString(namePtr >>> 0, nameSize >>> 0);
        if (name === null) return Status.InvalidMemoryAccess;
        const args = vm.memory.readBytes(argsPtr >>> 0, argsSize >>> 0);
        if (args === null) return Status.InvalidMemoryAccess;
        const f = vm.proxy.foreignFunctions.get(name) ?? ENVOY_FOREIGN_FUNCTIONS[name];
        if (!f) {
          if (UNMODELLED.has(name)) {
            if (vm.proxy.strict) throw new UnimplementedHostcall(`proxy_call_foreign_function(${name})`);
            vm.proxy.envoyLog("warn", `harness: foreign function ${name} is not modelled; returning UNIMPLEMENTED`, vm.label);
            return Status.Unimplemented;
          }
          return Status.NotFound;
        }
        const out = f(args, ctx, vm.currentContext ?? vm.vmContext);
        let address = 0;
        let size = 0;
        if (out.result !== undefined) {
          size = out.result.length;
          if (retPtr >>> 0 !== 0) {
            address = vm.memory.allocate(size);
            if (address !== 0) vm.memory.writeBytes(address, out.result);
          }
        }
        if (retPtr >>> 0 !== 0 && !vm.memory.writeU32(retPtr >>> 0, address)) return Status.InvalidMemoryAccess;
        if (retSize >>> 0 !== 0 && !vm.memory.writeU32(retSize >>> 0, size)) return Status.InvalidMemoryAccess;
        return out.status;
      },
    },
  ];
}
