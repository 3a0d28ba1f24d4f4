/**
 * Foreign functions: host extensions called by name. Envoy registers `compress`, `uncompress`,
 * `set_envoy_filter_state`, `declare_property`, `clear_route_cache`, `verify_signature`, `sign` and, in
 * CEL builds, `expr_create`/`expr_evaluate`/`expr_delete` (Envoy `source/extensions/common/wasm/foreign.cc`).
 * An unknown name → NOT_FOUND.
 */

import { proxy_call_foreign_function } from "../abi/imports";
import { LifeSpan, PropertyType, Status } from "../abi/enums";
import { RETURN_0, RETURN_1, bufferLen, bufferPtr, stageStrings, stagedLen0, stagedPtr0, takeBuffer } from "../abi/memory";
import { ProtobufWriter } from "../codec/protobuf";
import { foreignFunctionArguments } from "./buffers";

/** What {@link callForeignFunction} returns. */
export class ForeignFunctionResult {
  constructor(
    public status: Status,
    /** The function's result bytes (empty when it returns nothing); null unless `status` is OK. */
    public result: ArrayBuffer | null,
  ) {}
}

/** Calls the host's foreign function `name` with `args`. Wraps `proxy_call_foreign_function`. */
export function callForeignFunction(name: string, args: ArrayBuffer | null): ForeignFunctionResult {
  stageStrings(name);
  store<usize>(RETURN_0, 0);
  store<usize>(RETURN_1, 0);
  const status = <Status>proxy_call_foreign_function(stagedPtr0, stagedLen0, bufferPtr(args), bufferLen(args), RETURN_0, RETURN_1);
  if (status != Status.Ok) {
    // A host may allocate before failing; never leak that block.
    const ptr = load<usize>(RETURN_0);
    if (ptr != 0) heap.free(ptr);
    return new ForeignFunctionResult(status, null);
  }
  return new ForeignFunctionResult(status, takeBuffer(RETURN_0, RETURN_1));
}

/**
 * Declares filter-state property `wasm.<name>` before it is first written with `setProperty`: its type (how
 * CEL and `getProperty` read it), whether it is read-only after the first write, and its life span. Declaring
 * the same name twice → BAD_ARGUMENT. Needs a stream context. Calls `declare_property` with an Envoy
 * `DeclarePropertyArguments` message. Wraps `proxy_call_foreign_function`.
 */
export function declareProperty(
  name: string,
  type: PropertyType,
  readOnly: bool,
  span: LifeSpan,
  schema: ArrayBuffer | null = null,
): Status {
  const writer = new ProtobufWriter().string(1, name).bool(2, readOnly).uint(3, <u64>type);
  if (schema !== null) writer.bytesField(4, schema);
  writer.uint(5, <u64>span);
  return callForeignFunction("declare_property", writer.finish()).status;
}

/**
 * Sets the Envoy filter-state object `key` (no `wasm.` prefix) from its string form, using the
 * `ObjectFactory` Envoy has registered for that key (NOT_FOUND when none is, e.g. for arbitrary keys).
 * Needs a stream context. Calls `set_envoy_filter_state` with an Envoy `SetEnvoyFilterStateArguments` message
 * (path, value, span). Wraps `proxy_call_foreign_function`.
 */
export function setEnvoyFilterState(key: string, value: string, span: LifeSpan = LifeSpan.FilterChain): Status {
  const args = new ProtobufWriter().string(1, key).string(2, value).uint(3, <u64>span).finish();
  return callForeignFunction("set_envoy_filter_state", args).status;
}

/**
 * Makes Envoy recompute the route after header changes (ABI 0.2.x has no `proxy_clear_route_cache`; Envoy
 * offers this foreign function instead). Wraps `proxy_call_foreign_function`.
 */
export function clearRouteCache(): Status {
  return callForeignFunction("clear_route_cache", null).status;
}

/** Arguments of the foreign-function callback being delivered; only in `onForeignFunction`. */
export function getForeignFunctionArguments(): ArrayBuffer | null {
  return foreignFunctionArguments.read();
}
