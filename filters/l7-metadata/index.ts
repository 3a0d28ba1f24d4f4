// Entry of the L7 metadata recorder (README.md): registers the root context; the SDK's exports are the
// module's proxy-wasm exports.
export * from "../../assembly/exports";
import { RootContext, registerRootContext } from "../../assembly";
import { L7MetadataRoot } from "./filter";

registerRootContext("", (contextId: u32): RootContext => new L7MetadataRoot(contextId));
