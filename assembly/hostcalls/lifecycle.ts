/** Context lifecycle hostcalls. */

import { proxy_done, proxy_set_effective_context } from "../abi/imports";
import { Status } from "../abi/enums";

/**
 * Tells the host that the current **root** context, which returned false from `onDone`, has finished; the
 * host then deletes it (`onDelete` follows after the current callback). NOT_FOUND when the context was not
 * pending. Wraps `proxy_done`.
 */
export function done(): Status {
  return <Status>proxy_done();
}

/**
 * Makes `contextId` the context later hostcalls act on, until the current top-level callback returns.
 * BAD_ARGUMENT for an unknown or deleted context. The dispatcher already does this before delivering a
 * callout answer; call it yourself only to act on another stream (e.g. resume one from `onQueueReady`).
 * Wraps `proxy_set_effective_context`.
 */
export function setEffectiveContext(contextId: u32): Status {
  return <Status>proxy_set_effective_context(contextId);
}
