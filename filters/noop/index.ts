/**
 * `noop`: the smallest useful proxy-wasm filter. It creates an HTTP context for every stream and returns
 * Continue from every callback, so it measures the cost of "any Wasm filter" in the chain (the benchmark
 * floor) and checks that the SDK's per-stream machinery leaks nothing.
 */

export * from "../../assembly/exports";
import { HttpContext, RootContext, registerRootContext } from "../../assembly";

class NoopRoot extends RootContext {
  createHttpContext(contextId: u32): HttpContext | null {
    return new HttpContext(contextId, this);
  }
}

registerRootContext("", (contextId: u32): RootContext => new NoopRoot(contextId));
