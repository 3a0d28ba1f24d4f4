/**
 * Entry file of the `abac` filter: re-exports the SDK's ABI exports and registers the root context.
 * Build: `npm run build abac` → build/abac.wasm (and build/abac.debug.wasm).
 */

export * from "../../assembly/exports";
import { RootContext, registerRootContext } from "../../assembly";
import { AbacRoot } from "./filter";

registerRootContext("abac", (contextId: u32): RootContext => new AbacRoot(contextId));
