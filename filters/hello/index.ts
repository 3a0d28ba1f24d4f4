/**
 * Entry file of the `hello` filter: re-exports the SDK's ABI exports and registers the root context.
 * Build: `npm run build hello` → build/hello.wasm (and build/hello.debug.wasm).
 */

export * from "../../assembly/exports";
import { RootContext, registerRootContext } from "../../assembly";
import { HelloRoot } from "./filter";

registerRootContext("hello", (contextId: u32): RootContext => new HelloRoot(contextId));
