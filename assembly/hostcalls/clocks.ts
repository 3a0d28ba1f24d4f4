/** Clocks and randomness. */

import { clock_time_get, proxy_get_current_time_nanoseconds, random_get } from "../abi/imports";
import { Status, WasiClockId, WasiErrno } from "../abi/enums";
import { RETURN_U64 } from "../abi/memory";

/**
 * Wall-clock time in nanoseconds since the Unix epoch (Envoy: `systemTime()`, not frozen per request);
 * 0 if the host fails. Valid in every callback. Wraps `proxy_get_current_time_nanoseconds`.
 */
export function currentTimeNanos(): u64 {
  return proxy_get_current_time_nanoseconds(RETURN_U64) == Status.Ok ? load<u64>(RETURN_U64) : 0;
}

/**
 * Monotonic time in nanoseconds (arbitrary origin), for measuring durations; 0 if the host fails.
 * Also allowed during `_initialize`. Wraps WASI `clock_time_get(MONOTONIC)`.
 */
export function monotonicTimeNanos(): u64 {
  return clock_time_get(<u32>WasiClockId.Monotonic, 1, RETURN_U64) == WasiErrno.Success ? load<u64>(RETURN_U64) : 0;
}

/**
 * Fills `buffer` with random bytes from the host; false on failure (Envoy refuses more than 64 KiB per
 * call, so larger buffers are filled in chunks). Wraps WASI `random_get`.
 */
export function fillRandom(buffer: ArrayBuffer): bool {
  const base = changetype<usize>(buffer);
  const size = <usize>buffer.byteLength;
  for (let offset: usize = 0; offset < size; offset += 65536) {
    const chunk = size - offset < 65536 ? size - offset : <usize>65536;
    if (random_get(base + offset, chunk) != WasiErrno.Success) return false;
  }
  return true;
}
