/**
 * Imports Envoy registers outside the spec: the Emscripten/pthread compatibility stubs (cpp-host
 * `registerCallbacks`, always present, never capability-restricted) and `envoy_resolve_dns` (Envoy `wasm.cc`),
 * answered through `envoy_on_resolve_dns(root, token, size)` with buffer 8 holding `u32 N`, N × u32 TTL, then N
 * NUL-terminated addresses.
 */
import { Buffer } from "node:buffer";
import { Status } from "../enums";
import { sig } from "../module";
import type { WasmVm } from "../vm";
import type { HostcallDef } from "./registry";

/** Serializes a DNS answer the way Envoy's `Context::onResolveDns` does. */
export function encodeDnsAnswer(answers: ReadonlyArray<{ address: string; ttlSeconds: number }>): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(4 + 4 * answers.length);
  head.writeUInt32LE(answers.length, 0);
  answers.forEach((a, i) => head.writeUInt32LE(a.ttlSeconds >>> 0, 4 + 4 * i));
  parts.push(head);
  for (const a of answers) parts.push(Buffer.from(`${a.address}\0`, "latin1"));
  return Buffer.concat(parts);
}

export function envoyHostcalls(vm: WasmVm): HostcallDef[] {
  return [
    { name: "pthread_equal", type: sig("ii", "i"), fn: (a: number, b: number): number => (a === b ? 1 : 0) },
    { name: "emscripten_notify_memory_growth", type: sig("i"), fn: (): void => undefined },
    {
      name: "envoy_resolve_dns",
      type: sig("iii", "i"),
      fn(addrPtr: number, addrSize: number, tokenPtr: number): number {
        const ctx = vm.ctx();
        const root = ctx.isRoot ? ctx : ctx.rootContext;
        const address = vm.memory.readByteString(addrPtr >>> 0, addrSize >>> 0);
        if (address === null) return Status.InvalidMemoryAccess;
        vm.nextDnsToken = (vm.nextDnsToken + 1) >>> 0;
        const token = vm.nextDnsToken;
        if (!vm.memory.writeU32(tokenPtr >>> 0, token)) return Status.InvalidMemoryAccess;
        const answers = vm.proxy.dns.get(address);
        vm.proxy.dispatcher.post(() => {
          root.onResolveDns(token, answers ? encodeDnsAnswer(answers.map((a) => ({ address: a, ttlSeconds: 60 }))) : Buffer.alloc(0));
        });
        return Status.Ok;
      },
    },
  ];
}
