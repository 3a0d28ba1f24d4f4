/**
 * Shared queues. A queue is identified by `(vm_id, name)`; registering returns a token that is stable for that
 * pair and points `onQueueReady` at the registering root context. Enqueueing schedules `onQueueReady` on that
 * root **asynchronously** (never inside the enqueue call; host-behaviour.md F.32).
 */

import {
  proxy_dequeue_shared_queue,
  proxy_enqueue_shared_queue,
  proxy_register_shared_queue,
  proxy_resolve_shared_queue,
} from "../abi/imports";
import { Status } from "../abi/enums";
import { RETURN_0, RETURN_1, stageStrings, stagedLen0, stagedLen1, stagedPtr0, stagedPtr1, takeBuffer } from "../abi/memory";

/**
 * Creates (or opens) the queue `name` of this VM and makes the calling root context receive its
 * `onQueueReady`. Returns the queue token, or 0 on failure (hosts number tokens from 1). Call it from a root
 * context. Wraps `proxy_register_shared_queue`.
 */
export function registerSharedQueue(name: string): u32 {
  stageStrings(name);
  return proxy_register_shared_queue(stagedPtr0, stagedLen0, RETURN_0) == Status.Ok ? load<u32>(RETURN_0) : 0;
}

/**
 * The token of the existing queue `name` of VM `vmId` ("" = this VM), or 0 when there is none.
 * Wraps `proxy_resolve_shared_queue`.
 */
export function resolveSharedQueue(vmId: string, name: string): u32 {
  stageStrings(vmId, name);
  return proxy_resolve_shared_queue(stagedPtr0, stagedLen0, stagedPtr1, stagedLen1, RETURN_0) == Status.Ok
    ? load<u32>(RETURN_0)
    : 0;
}

/** Appends `data` to queue `queueId`; NOT_FOUND for an unknown queue. Wraps `proxy_enqueue_shared_queue`. */
export function enqueueSharedQueue(queueId: u32, data: ArrayBuffer): Status {
  return <Status>proxy_enqueue_shared_queue(queueId, changetype<usize>(data), <usize>data.byteLength);
}

/**
 * Removes and returns the oldest item of queue `queueId`, or null when the queue is empty (EMPTY) or unknown
 * (NOT_FOUND). Wraps `proxy_dequeue_shared_queue`.
 */
export function dequeueSharedQueue(queueId: u32): ArrayBuffer | null {
  if (proxy_dequeue_shared_queue(queueId, RETURN_0, RETURN_1) != Status.Ok) return null;
  return takeBuffer(RETURN_0, RETURN_1);
}
