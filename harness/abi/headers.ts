/**
 * Header-map hostcalls (spec v0.2.1 "HTTP fields"): get/add/replace/remove one value, get/set all pairs, size.
 * Reads use Envoy's const maps (the access-log copies in `on_log`), writes the mutable ones; an unavailable map is
 * BAD_ARGUMENT for writes and single reads, an empty list for `get_header_map_pairs` (Envoy `context.cc`,
 * host-behaviour.md F.16–F.18).
 * https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#http-fields
 */
import { decodePairs } from "../codec";
import { Status } from "../enums";
import { sig } from "../module";
import { lowerCaseKey } from "../state/header-map";
import type { WasmVm } from "../vm";
import type { HostcallDef } from "./registry";

const MAX_MAP_TYPE = 7;
const EMPTY: never[] = [];

/** `proxy_add_header_map_value` (`add`) and `proxy_replace_header_map_value` (`set`): the same checks, in order. */
function writeValue(
  vm: WasmVm,
  type: number,
  keyPtr: number,
  keySize: number,
  valuePtr: number,
  valueSize: number,
  operation: "add" | "set",
): number {
  const t = type >>> 0;
  if (t > MAX_MAP_TYPE) return Status.BadArgument;
  const ctx = vm.ctx();
  const key = vm.memory.readByteString(keyPtr >>> 0, keySize >>> 0);
  const value = vm.memory.readByteString(valuePtr >>> 0, valueSize >>> 0);
  if (key === null || value === null) return Status.InvalidMemoryAccess;
  const map = ctx.getMap(t);
  if (!map) return Status.BadArgument;
  map[operation](key, value);
  return Status.Ok;
}

export function headerHostcalls(vm: WasmVm): HostcallDef[] {
  const v01 = vm.abiVersion === "0.1.0";
  return [
    {
      // #proxy_get_header_map_value: first value only; missing → NOT_FOUND ("" + OK under ABI 0.1.0);
      // map unavailable → BAD_ARGUMENT, except NOT_FOUND during on_log.
      name: "proxy_get_header_map_value",
      type: sig("iiiii", "i"),
      fn(type: number, keyPtr: number, keySize: number, retPtr: number, retSize: number): number {
        const t = type >>> 0;
        if (t > MAX_MAP_TYPE) return Status.BadArgument;
        const ctx = vm.ctx();
        const key = vm.memory.readByteString(keyPtr >>> 0, keySize >>> 0);
        if (key === null) return Status.InvalidMemoryAccess;
        const map = ctx.getConstMap(t);
        let value: string | undefined;
        if (!map) {
          if (!ctx.accessLogPhase) return Status.BadArgument;
          if (!v01) return Status.NotFound;
          value = "";
        } else {
          value = map.get(lowerCaseKey(key));
          if (value === undefined) {
            if (!v01) return Status.NotFound;
            value = "";
          }
        }
        return vm.memory.copyOut(value, retPtr >>> 0, retSize >>> 0) ? Status.Ok : Status.InvalidMemoryAccess;
      },
    },
    {
      // #proxy_add_header_map_value: `addCopy` (duplicates allowed; inline headers comma-append).
      name: "proxy_add_header_map_value",
      type: sig("iiiii", "i"),
      fn(type: number, keyPtr: number, keySize: number, valuePtr: number, valueSize: number): number {
        return writeValue(vm, type, keyPtr, keySize, valuePtr, valueSize, "add");
      },
    },
    {
      // #proxy_replace_header_map_value: `setCopy`, an upsert.
      name: "proxy_replace_header_map_value",
      type: sig("iiiii", "i"),
      fn(type: number, keyPtr: number, keySize: number, valuePtr: number, valueSize: number): number {
        return writeValue(vm, type, keyPtr, keySize, valuePtr, valueSize, "set");
      },
    },
    {
      // #proxy_remove_header_map_value: all values; an absent key is OK.
      name: "proxy_remove_header_map_value",
      type: sig("iii", "i"),
      fn(type: number, keyPtr: number, keySize: number): number {
        const t = type >>> 0;
        if (t > MAX_MAP_TYPE) return Status.BadArgument;
        const ctx = vm.ctx();
        const key = vm.memory.readByteString(keyPtr >>> 0, keySize >>> 0);
        if (key === null) return Status.InvalidMemoryAccess;
        const map = ctx.getMap(t);
        if (!map) return Status.BadArgument;
        map.remove(key);
        return Status.Ok;
      },
    },
    {
      // #proxy_get_header_map_pairs: repeated headers as separate pairs; unavailable map → empty + OK; an empty
      // list is (0, 0) without an allocation.
      name: "proxy_get_header_map_pairs",
      type: sig("iii", "i"),
      fn(type: number, retPtr: number, retSize: number): number {
        const t = type >>> 0;
        if (t > MAX_MAP_TYPE) return Status.BadArgument;
        const map = vm.ctx().getConstMap(t);
        return vm.memory.copyPairsOut(map ? map.entries : EMPTY, retPtr >>> 0, retSize >>> 0)
          ? Status.Ok
          : Status.InvalidMemoryAccess;
      },
    },
    {
      // #proxy_set_header_map_pairs: removes everything, then adds each pair; malformed bytes = empty map, so
      // every header is removed (cpp-host PairsUtil::toPairs).
      name: "proxy_set_header_map_pairs",
      type: sig("iii", "i"),
      fn(type: number, ptr: number, size: number): number {
        const t = type >>> 0;
        if (t > MAX_MAP_TYPE) return Status.BadArgument;
        const ctx = vm.ctx();
        const bytes = vm.memory.viewBytes(ptr >>> 0, size >>> 0);
        if (bytes === null) return Status.InvalidMemoryAccess;
        const pairs = decodePairs(bytes);
        const map = ctx.getMap(t);
        if (!map) return Status.BadArgument;
        map.clear();
        for (const [k, v] of pairs) map.add(k, v);
        if (t === 0) ctx.http?.loseRoute();
        return Status.Ok;
      },
    },
    {
      // #proxy_get_header_map_size: Envoy returns the map's *byte size* (Σ key + value), from the mutable map.
      name: "proxy_get_header_map_size",
      type: sig("ii", "i"),
      fn(type: number, retSize: number): number {
        const t = type >>> 0;
        if (t > MAX_MAP_TYPE) return Status.BadArgument;
        const map = vm.ctx().getMap(t);
        if (!map) return Status.BadArgument;
        return vm.memory.writeU32(retSize >>> 0, map.byteSize()) ? Status.Ok : Status.InvalidMemoryAccess;
      },
    },
  ];
}
