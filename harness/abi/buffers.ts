/**
 * Buffer hostcalls (spec v0.2.1 "Buffers"): `proxy_get_buffer_bytes`, `proxy_get_buffer_status`,
 * `proxy_set_buffer_bytes`. Which buffer exists when is decided by `Context.getBuffer` (Envoy `getBuffer`).
 * https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#buffers
 */
import { Status } from "../enums";
import { sig } from "../module";
import type { WasmVm } from "../vm";
import type { HostcallDef } from "./registry";

const MAX_BUFFER_TYPE = 8;

export function bufferHostcalls(vm: WasmVm): HostcallDef[] {
  return [
    {
      // #proxy_get_buffer_bytes: type > 8 → BAD_ARGUMENT; unavailable → NOT_FOUND; the read is clamped and an empty
      // result is (0, 0) without an allocation (cpp-host `exports.cc get_buffer_bytes`).
      name: "proxy_get_buffer_bytes",
      type: sig("iiiii", "i"),
      fn(type: number, start: number, maxSize: number, retPtr: number, retSize: number): number {
        const t = type >>> 0;
        if (t > MAX_BUFFER_TYPE) return Status.BadArgument;
        const buffer = vm.ctx().getBuffer(t);
        if (buffer === null) return Status.NotFound;
        const s = start >>> 0;
        let length = maxSize >>> 0;
        const size = buffer.size();
        if (s > size) length = 0;
        else if (s + length > size) length = size - s;
        const mem = vm.memory;
        if (length === 0) {
          return mem.writeU32(retPtr >>> 0, 0) && mem.writeU32(retSize >>> 0, 0) ? Status.Ok : Status.InvalidMemoryAccess;
        }
        return mem.copyOut(buffer.slice(s, length), retPtr >>> 0, retSize >>> 0) ? Status.Ok : Status.InvalidMemoryAccess;
      },
    },
    {
      // #proxy_get_buffer_status: the length; flags are always 0.
      name: "proxy_get_buffer_status",
      type: sig("iii", "i"),
      fn(type: number, retLength: number, retFlags: number): number {
        const t = type >>> 0;
        if (t > MAX_BUFFER_TYPE) return Status.BadArgument;
        const buffer = vm.ctx().getBuffer(t);
        if (buffer === null) return Status.NotFound;
        const mem = vm.memory;
        if (!mem.writeU32(retLength >>> 0, buffer.size())) return Status.InvalidMemoryAccess;
        return mem.writeU32(retFlags >>> 0, 0) ? Status.Ok : Status.InvalidMemoryAccess;
      },
    },
    {
      // #proxy_set_buffer_bytes: Envoy's narrow rules (prepend / replace from the start / append), read-only
      // buffers → BAD_ARGUMENT (Envoy `Buffer::copyFrom`, host-behaviour.md F.21).
      name: "proxy_set_buffer_bytes",
      type: sig("iiiii", "i"),
      fn(type: number, start: number, size: number, dataPtr: number, dataSize: number): number {
        const t = type >>> 0;
        if (t > MAX_BUFFER_TYPE) return Status.BadArgument;
        const buffer = vm.ctx().getBuffer(t);
        if (buffer === null) return Status.NotFound;
        const data = vm.memory.readBytes(dataPtr >>> 0, dataSize >>> 0);
        if (data === null) return Status.InvalidMemoryAccess;
        return buffer.copyFrom(start >>> 0, size >>> 0, data);
      },
    },
  ];
}
