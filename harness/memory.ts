/**
 * Guest linear memory, reached only through `memory.buffer` (re-read whenever the guest grows its memory, which
 * detaches the old `ArrayBuffer`) and the guest's own allocator export. Nothing here knows which language built
 * the module: no AssemblyScript `__new`/`__getString`, so Go-, Rust- and C++-built plugins work unchanged.
 *
 * Every accessor checks bounds and reports a fault as `null`/`false` instead of throwing, because Envoy answers
 * a bad pointer with INVALID_MEMORY_ACCESS (or WASI FAULT) rather than trapping (cpp-host `exports.cc`,
 * host-behaviour.md F.39).
 */
import { Buffer } from "node:buffer";
import { type BytePair, pairsByteSize, writePairs } from "./codec";

/** Calls the guest allocator (`malloc` or `proxy_on_memory_allocate`); returns 0 when it fails or traps. */
export type GuestAllocator = (size: number) => number;

export class GuestMemory {
  private buffer: ArrayBuffer;
  /** Byte view (Node Buffer, for latin1 and copies); rebuilt after memory growth. */
  private bytes: Buffer;
  private view: DataView;
  /** Set by the VM once the allocator export is known. */
  allocator: GuestAllocator = () => 0;

  constructor(readonly memory: WebAssembly.Memory) {
    this.buffer = memory.buffer;
    this.bytes = Buffer.from(this.buffer);
    this.view = new DataView(this.buffer);
  }

  private refresh(): void {
    const current = this.memory.buffer;
    if (current !== this.buffer) {
      this.buffer = current;
      this.bytes = Buffer.from(current);
      this.view = new DataView(current);
    }
  }

  /** Current size in bytes. */
  get size(): number {
    this.refresh();
    return this.buffer.byteLength;
  }

  /** True when `[ptr, ptr + len)` lies inside memory (cpp-host `getMemory`: `pointer + size > data_size` fails). */
  inBounds(ptr: number, len: number): boolean {
    this.refresh();
    return ptr + len <= this.buffer.byteLength;
  }

  /** Byte string at `[ptr, ptr+len)`, or null on a fault. Guest pointers are u32: pass them through `>>> 0`. */
  readByteString(ptr: number, len: number): string | null {
    this.refresh();
    if (ptr + len > this.buffer.byteLength) return null;
    if (len === 0) return "";
    return this.bytes.toString("latin1", ptr, ptr + len);
  }

  /** A copy of `[ptr, ptr+len)`, or null on a fault. */
  readBytes(ptr: number, len: number): Uint8Array | null {
    this.refresh();
    if (ptr + len > this.buffer.byteLength) return null;
    return Uint8Array.prototype.slice.call(this.bytes, ptr, ptr + len);
  }

  /** A live view of `[ptr, ptr+len)` (invalid after the next growth), or null on a fault. */
  viewBytes(ptr: number, len: number): Uint8Array | null {
    this.refresh();
    if (ptr + len > this.buffer.byteLength) return null;
    return this.bytes.subarray(ptr, ptr + len);
  }

  readU32(ptr: number): number | null {
    this.refresh();
    if (ptr + 4 > this.buffer.byteLength) return null;
    return this.view.getUint32(ptr, true);
  }

  writeU32(ptr: number, value: number): boolean {
    this.refresh();
    if (ptr + 4 > this.buffer.byteLength) return false;
    this.view.setUint32(ptr, value >>> 0, true);
    return true;
  }

  writeU16(ptr: number, value: number): boolean {
    this.refresh();
    if (ptr + 2 > this.buffer.byteLength) return false;
    this.view.setUint16(ptr, value, true);
    return true;
  }

  writeU64(ptr: number, value: bigint): boolean {
    this.refresh();
    if (ptr + 8 > this.buffer.byteLength) return false;
    this.view.setBigUint64(ptr, BigInt.asUintN(64, value), true);
    return true;
  }

  writeBytes(ptr: number, data: Uint8Array): boolean {
    this.refresh();
    if (ptr + data.length > this.buffer.byteLength) return false;
    this.bytes.set(data, ptr);
    return true;
  }

  writeByteString(ptr: number, data: string): boolean {
    this.refresh();
    if (ptr + data.length > this.buffer.byteLength) return false;
    if (data.length > 0) this.bytes.write(data, ptr, "latin1");
    return true;
  }

  /**
   * Allocates `size` bytes in the guest (cpp-host `WasmBase::allocMemory`). Returns 0 when the allocator fails,
   * returns 0, or returns a block that does not fit in memory.
   */
  allocate(size: number): number {
    const ptr = this.allocator(size) >>> 0;
    if (ptr === 0) return 0;
    if (!this.inBounds(ptr, size)) return 0;
    return ptr;
  }

  /**
   * cpp-host `copyToPointerSize`: allocates and copies the value, then writes `(ptr, size)` to the out-pointers.
   * A zero-length value writes `(0, 0)` **without** calling the allocator (host-behaviour.md F.19).
   * Returns false on any fault (→ INVALID_MEMORY_ACCESS).
   */
  copyOut(value: string | Uint8Array, ptrPtr: number, sizePtr: number): boolean {
    const size = value.length;
    let ptr = 0;
    if (size > 0) {
      ptr = this.allocate(size);
      if (ptr === 0) return false;
      if (typeof value === "string") this.writeByteString(ptr, value);
      else this.writeBytes(ptr, value);
    }
    return this.writeU32(ptrPtr, ptr) && this.writeU32(sizePtr, size);
  }

  /**
   * Serializes header pairs straight into guest memory (cpp-host `get_header_map_pairs`): an empty list is `(0, 0)`
   * with no allocation, otherwise one allocation of exactly {@link pairsByteSize} bytes.
   */
  copyPairsOut(pairs: readonly BytePair[], ptrPtr: number, sizePtr: number): boolean {
    if (pairs.length === 0) return this.writeU32(ptrPtr, 0) && this.writeU32(sizePtr, 0);
    const size = pairsByteSize(pairs);
    const ptr = this.allocate(size);
    if (ptr === 0) return false;
    this.refresh();
    writePairs(this.bytes, ptr, pairs);
    return this.writeU32(ptrPtr, ptr) && this.writeU32(sizePtr, size);
  }
}
