/** The root context's timer. */

import { proxy_set_tick_period_milliseconds } from "../abi/imports";
import { Status } from "../abi/enums";

/**
 * Makes the host call `onTick` on the caller's **root** context every `milliseconds` (Envoy re-arms after each
 * tick); 0 stops the timer. Valid from any context of the root, typically in `onConfigure`.
 * Wraps `proxy_set_tick_period_milliseconds`.
 */
export function setTickPeriod(milliseconds: u32): Status {
  return <Status>proxy_set_tick_period_milliseconds(milliseconds);
}
