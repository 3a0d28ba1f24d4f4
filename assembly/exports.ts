/**
 * What a filter's entry file re-exports: `export * from "../../assembly/exports";`. It brings the ABI
 * version marker, the allocator (`malloc`, `proxy_on_memory_allocate`) and every `proxy_on_*` callback, and
 * links in the abort handler the build maps `abort` to. Nothing else is exported, so a module's export list is
 * exactly what the host looks for (plus `_initialize` and `memory` from the build).
 */

import "./runtime/abort";
import "./runtime/literals";

export * from "./abi/exports";
