/**
 * The shared key-value store. Envoy scopes it by `vm_id` and shares it across worker threads and plugins
 * with that vm_id; values live until the vm_id goes away (no TTL, no size limit). The CAS counter is global:
 * `cas` 0 writes unconditionally, a non-zero `cas` must match the value's current one (CAS_MISMATCH otherwise),
 * and a non-zero `cas` on a missing key succeeds (host-behaviour.md A.3 #30–31, F.31).
 */

import { proxy_get_shared_data, proxy_set_shared_data } from "../abi/imports";
import { Status } from "../abi/enums";
import { RETURN_0, RETURN_1, RETURN_2, stageStrings, stagedLen0, stagedPtr0, takeBuffer } from "../abi/memory";

/** A shared value and the CAS token to pass to {@link setSharedData} for a conditional update. */
export class SharedDataValue {
  constructor(
    public value: ArrayBuffer,
    public cas: u32,
  ) {}
}

/** The value stored under `key`, or null when absent. Valid in every callback. Wraps `proxy_get_shared_data`. */
export function getSharedData(key: string): SharedDataValue | null {
  stageStrings(key);
  if (proxy_get_shared_data(stagedPtr0, stagedLen0, RETURN_0, RETURN_1, RETURN_2) != Status.Ok) return null;
  const cas = load<u32>(RETURN_2);
  return new SharedDataValue(takeBuffer(RETURN_0, RETURN_1), cas);
}

/**
 * Stores `value` under `key`. With `cas` 0 the write is unconditional; otherwise it succeeds only if `cas` is
 * the token last read (CAS_MISMATCH when another writer came first: re-read and retry).
 * Wraps `proxy_set_shared_data`.
 */
export function setSharedData(key: string, value: ArrayBuffer, cas: u32 = 0): Status {
  stageStrings(key);
  return <Status>proxy_set_shared_data(stagedPtr0, stagedLen0, changetype<usize>(value), <usize>value.byteLength, cas);
}
