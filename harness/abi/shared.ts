/**
 * Shared data and shared queue hostcalls (spec v0.2.1 "Shared Key-Value Store", "Shared Queues"). Both are scoped
 * by `vm_id` and shared across every VM with that id (cpp-host `src/shared_data.cc`, `src/shared_queue.cc`).
 * https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#shared-key-value-store
 */
import { Status } from "../enums";
import { sig } from "../module";
import type { WasmVm } from "../vm";
import type { HostcallDef } from "./registry";

export function sharedHostcalls(vm: WasmVm): HostcallDef[] {
  const mem = (): WasmVm["memory"] => vm.memory;
  const data = (): typeof vm.proxy.sharedData => vm.proxy.sharedData;
  const queues = (): typeof vm.proxy.sharedQueues => vm.proxy.sharedQueues;
  return [
    {
      // #proxy_get_shared_data: missing → NOT_FOUND.
      name: "proxy_get_shared_data",
      type: sig("iiiii", "i"),
      fn(keyPtr: number, keySize: number, retPtr: number, retSize: number, casPtr: number): number {
        const key = mem().readByteString(keyPtr >>> 0, keySize >>> 0);
        if (key === null) return Status.InvalidMemoryAccess;
        const entry = data().get(vm.vmId, key);
        if (!entry) return Status.NotFound;
        if (!mem().copyOut(entry.value, retPtr >>> 0, retSize >>> 0)) return Status.InvalidMemoryAccess;
        return mem().writeU32(casPtr >>> 0, entry.cas) ? Status.Ok : Status.InvalidMemoryAccess;
      },
    },
    {
      // #proxy_set_shared_data: cas 0 = unconditional; a mismatching non-zero cas → CAS_MISMATCH, except that a
      // missing key is created whatever the cas.
      name: "proxy_set_shared_data",
      type: sig("iiiii", "i"),
      fn(keyPtr: number, keySize: number, valuePtr: number, valueSize: number, cas: number): number {
        const key = mem().readByteString(keyPtr >>> 0, keySize >>> 0);
        const value = mem().readBytes(valuePtr >>> 0, valueSize >>> 0);
        if (key === null || value === null) return Status.InvalidMemoryAccess;
        return data().set(vm.vmId, key, value, cas >>> 0);
      },
    },
    {
      // #proxy_register_shared_queue: stable token per (vm_id, name); notifications go to the caller's root.
      name: "proxy_register_shared_queue",
      type: sig("iii", "i"),
      fn(namePtr: number, nameSize: number, tokenPtr: number): number {
        const ctx = vm.ctx();
        const name = mem().readByteString(namePtr >>> 0, nameSize >>> 0);
        if (name === null) return Status.InvalidMemoryAccess;
        const token = queues().register(vm.vmId, name, {
          vmKey: vm.vmKey,
          worker: vm.worker,
          contextId: ctx.isRoot ? ctx.id : ctx.parentId,
        });
        return mem().writeU32(tokenPtr >>> 0, token) ? Status.Ok : Status.InvalidMemoryAccess;
      },
    },
    {
      // #proxy_resolve_shared_queue: an empty vm_id means this VM's; unknown → NOT_FOUND.
      name: "proxy_resolve_shared_queue",
      type: sig("iiiii", "i"),
      fn(vmIdPtr: number, vmIdSize: number, namePtr: number, nameSize: number, tokenPtr: number): number {
        const vmId = mem().readByteString(vmIdPtr >>> 0, vmIdSize >>> 0);
        const name = mem().readByteString(namePtr >>> 0, nameSize >>> 0);
        if (vmId === null || name === null) return Status.InvalidMemoryAccess;
        const token = queues().resolve(vmId === "" ? vm.vmId : vmId, name);
        if (vm.isFailed || token === 0) return Status.NotFound;
        return mem().writeU32(tokenPtr >>> 0, token) ? Status.Ok : Status.InvalidMemoryAccess;
      },
    },
    {
      // #proxy_enqueue_shared_queue: unknown → NOT_FOUND; `on_queue_ready` is posted, never called inline.
      name: "proxy_enqueue_shared_queue",
      type: sig("iii", "i"),
      fn(token: number, ptr: number, size: number): number {
        const value = mem().readBytes(ptr >>> 0, size >>> 0);
        if (value === null) return Status.InvalidMemoryAccess;
        return vm.proxy.enqueue(token >>> 0, value);
      },
    },
    {
      // #proxy_dequeue_shared_queue: empty → EMPTY; unknown → NOT_FOUND.
      name: "proxy_dequeue_shared_queue",
      type: sig("iii", "i"),
      fn(token: number, retPtr: number, retSize: number): number {
        const q = queues().get(token >>> 0);
        if (!q) return Status.NotFound;
        if (q.items.length === 0) return Status.Empty;
        const item = q.items.shift()!;
        return mem().copyOut(item, retPtr >>> 0, retSize >>> 0) ? Status.Ok : Status.InvalidMemoryAccess;
      },
    },
  ];
}
