/**
 * A mutable byte buffer standing in for Envoy's `Buffer::Instance` (a request/response body chunk, the buffered
 * body of a stopped filter, TCP data). Only the operations Envoy's Wasm `Buffer::copyFrom`/`copyTo` and the filter
 * manager use are provided: drain from the front, prepend, append, move.
 */
import { Buffer } from "node:buffer";

const EMPTY = Buffer.alloc(0);

export class DataBuffer {
  private data: Buffer;

  constructor(initial?: Uint8Array | string) {
    this.data =
      initial === undefined ? EMPTY : typeof initial === "string" ? Buffer.from(initial, "latin1") : Buffer.from(initial);
  }

  get length(): number {
    return this.data.length;
  }

  /** The current bytes (a view: do not keep it across mutations). */
  bytes(): Buffer {
    return this.data;
  }

  /** A copy of `[start, start+length)` clamped to the buffer. */
  slice(start: number, length: number): Buffer {
    return Buffer.from(this.data.subarray(start, start + length));
  }

  drain(n: number): void {
    this.data = n >= this.data.length ? EMPTY : this.data.subarray(n);
  }

  prepend(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.data = Buffer.concat([bytes, this.data]);
  }

  add(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.data = this.data.length === 0 ? Buffer.from(bytes) : Buffer.concat([this.data, bytes]);
  }

  /** Moves every byte of `other` to the end of this buffer, leaving `other` empty (`Buffer::Instance::move`). */
  move(other: DataBuffer): void {
    if (other === this) return;
    this.add(other.data);
    other.data = EMPTY;
  }

  clear(): void {
    this.data = EMPTY;
  }

  toString(): string {
    return this.data.toString("latin1");
  }
}
