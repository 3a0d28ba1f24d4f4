/**
 * Property hostcalls (spec v0.2.1 "Properties"): `proxy_get_property`, `proxy_set_property`. Resolution and
 * encodings are in `properties/catalogue.ts`; writes go to filter state `wasm.<path>`.
 * https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#properties
 */
import { Status } from "../enums";
import { sig } from "../module";
import type { WasmVm } from "../vm";
import type { HostcallDef } from "./registry";

export function propertyHostcalls(vm: WasmVm): HostcallDef[] {
  return [
    {
      // #proxy_get_property: NOT_FOUND for unknown or unavailable attributes, SERIALIZATION_FAILURE for values
      // Envoy cannot serialize (null, whole wrapper maps).
      name: "proxy_get_property",
      type: sig("iiii", "i"),
      fn(pathPtr: number, pathSize: number, retPtr: number, retSize: number): number {
        const ctx = vm.ctx();
        const path = vm.memory.readByteString(pathPtr >>> 0, pathSize >>> 0);
        if (path === null) return Status.InvalidMemoryAccess;
        const r = ctx.getProperty(path);
        if (r.status !== Status.Ok) return r.status;
        return vm.memory.copyOut(r.bytes!, retPtr >>> 0, retSize >>> 0) ? Status.Ok : Status.InvalidMemoryAccess;
      },
    },
    {
      // #proxy_set_property: filter state `wasm.<path>`; NOT_FOUND without stream info (root contexts).
      name: "proxy_set_property",
      type: sig("iiii", "i"),
      fn(pathPtr: number, pathSize: number, valuePtr: number, valueSize: number): number {
        const ctx = vm.ctx();
        const path = vm.memory.readByteString(pathPtr >>> 0, pathSize >>> 0);
        const value = vm.memory.readByteString(valuePtr >>> 0, valueSize >>> 0);
        if (path === null || value === null) return Status.InvalidMemoryAccess;
        return ctx.setProperty(path, value);
      },
    },
  ];
}
