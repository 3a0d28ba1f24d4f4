/**
 * probe-gc: garbage collection at safe points (assembly/runtime/gc.ts). The request header `x-probe` picks what
 * each request does in `onRequestHeaders`:
 * - `garbage`: allocates `x-kib` KiB of strings and buffers that are garbage when the callback returns;
 * - `keep`: the same garbage, plus a string and a buffer kept on the stream context and checked in
 *   `onResponseHeaders` (a collection at the end of the first callback must not free what a context holds);
 * - `leak`: allocates `x-kib` KiB with `heap.alloc` and never frees it (a missing free, which no collector
 *   can see).
 */

export * from "../../assembly/exports";
import { Action, HttpContext, RootContext, decimalText, registerRootContext } from "../../assembly";
import { report } from "./lib/report";

const P = "gc";

/** `kib` KiB of managed garbage: strings built by concatenation, and buffers. */
function makeGarbage(kib: i32): void {
  for (let i = 0; i < kib; i++) {
    let text = "";
    for (let j = 0; j < 8; j++) text += "garbage-" + decimalText(j); // ~500 bytes of short-lived strings
    const buffer = new ArrayBuffer(512);
    store<u8>(changetype<usize>(buffer), <u8>text.length);
  }
}

class GcProbe extends HttpContext {
  private kept: string | null = null;
  private keptBuffer: ArrayBuffer | null = null;

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const action = this.requestHeaders.get("x-probe");
    const kibText = this.requestHeaders.get("x-kib");
    const kib = kibText !== null ? I32.parseInt(kibText) : 0;
    if (action == "garbage") makeGarbage(kib);
    if (action == "keep") {
      this.kept = "kept-" + decimalText(this.contextId);
      const buffer = new ArrayBuffer(64);
      store<u32>(changetype<usize>(buffer), this.contextId);
      this.keptBuffer = buffer;
      makeGarbage(kib);
    }
    if (action == "leak") heap.alloc(<usize>kib << 10);
    return Action.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    const kept = this.kept;
    const buffer = this.keptBuffer;
    if (kept !== null && buffer !== null) {
      const intact = kept == "kept-" + decimalText(this.contextId) && load<u32>(changetype<usize>(buffer)) == this.contextId;
      report(P, "kept", intact ? "intact" : "damaged");
    }
    return Action.Continue;
  }
}

class GcRoot extends RootContext {
  createHttpContext(contextId: u32): HttpContext | null {
    return new GcProbe(contextId, this);
  }
}

registerRootContext("", (contextId: u32): RootContext => new GcRoot(contextId));
