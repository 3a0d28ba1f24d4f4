/**
 * What every context has: its id and the callbacks for callouts it started.
 *
 * ```
 *   VM (one per worker thread, plus a throw-away canary per configuration)
 *    └─ RootContext   one per plugin (root_id) in this VM; configuration, timers, queues, callouts
 *        ├─ HttpContext   one per HTTP request/response pair
 *        └─ TcpContext    one per TCP connection
 * ```
 * (docs/OVERVIEW.md has the callback order.)
 */

/**
 * Base of {@link RootContext}, {@link HttpContext} and {@link TcpContext}. The callout callbacks run on the
 * context that started the callout (the dispatcher routes them and makes this context effective first), and
 * only while this context is alive. Default implementations do nothing.
 */
export abstract class BaseContext {
  /** The host's id for this context (unique among the VM's live contexts, never 0). */
  readonly contextId: u32;

  constructor(contextId: u32) {
    this.contextId = contextId;
  }

  /**
   * The answer to `httpCall(…, this)` with `token`: `numHeaders` 0 means the call failed (reset, or the
   * response was too big; `getCalloutStatus()` says why). Read it with `getHttpCallResponseHeaders()`,
   * `getHttpCallResponseBody()`, `getHttpCallResponseTrailers()` — only during this callback.
   */
  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: usize, numTrailers: u32): void {}

  /** Initial metadata of gRPC call/stream `token`; read it with `getGrpcInitialMetadata()`. */
  onGrpcReceiveInitialMetadata(token: u32, numElements: u32): void {}

  /**
   * A message on gRPC call/stream `token`; read it with `getGrpcReceiveMessage()`. For a unary call this is
   * the response and the last callback for `token` (Envoy sends `onGrpcClose` only when a call fails).
   */
  onGrpcReceive(token: u32, messageSize: usize): void {}

  /** Trailing metadata of gRPC call/stream `token`; read it with `getGrpcTrailingMetadata()`. */
  onGrpcReceiveTrailingMetadata(token: u32, numElements: u32): void {}

  /**
   * gRPC stream `token` ended, or call `token` failed, with `statusCode`; `getCalloutStatus()` has the message.
   * Last callback for `token`.
   */
  onGrpcClose(token: u32, statusCode: u32): void {}

  /**
   * The host is done with this context. HTTP (Envoy): after `onLog`, before `onDelete`, and the result is
   * ignored. Root: return false to keep the context alive until you call `done()`. Default true.
   */
  onDone(): bool {
    return true;
  }

  /**
   * Access-log phase. HTTP (Envoy): after the stream completed, **before** `onDone`; request headers, response
   * headers and response trailers are readable. TCP: after `onDone`. Roots get no `onLog` at shutdown.
   */
  onLog(): void {}

  /** Last callback: the host forgets the context; release what it holds. */
  onDelete(): void {}
}
