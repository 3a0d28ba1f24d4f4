/** The per-connection TCP stream context. */

import { Action, PeerType, Status, StreamType } from "../abi/enums";
import { Body, downstreamData, upstreamData } from "../hostcalls/buffers";
import { closeStream, continueStream } from "../hostcalls/stream";
import { BaseContext } from "./base";
import { RootContext } from "./root";

/**
 * One TCP connection (a downstream/upstream pair) through a network filter. Callbacks default to
 * {@link Action.Continue}. Envoy completion order: close callbacks → `onDone` → `onLog` → `onDelete`.
 */
export class TcpContext extends BaseContext {
  /** The root context that created this connection. */
  readonly root: RootContext;

  constructor(contextId: u32, root: RootContext) {
    super(contextId);
    this.root = root;
  }

  /** A downstream connection was accepted. Pause holds the connection. */
  onNewConnection(): Action {
    return Action.Continue;
  }

  /** Data from downstream (`size` = total available; see {@link downstreamData}). */
  onDownstreamData(size: usize, endOfStream: bool): Action {
    return Action.Continue;
  }

  /** Data from upstream (`size` = total available; see {@link upstreamData}). */
  onUpstreamData(size: usize, endOfStream: bool): Action {
    return Action.Continue;
  }

  /** The downstream side closed (`peer`: who closed it). */
  onDownstreamConnectionClose(peer: PeerType): void {}

  /** The upstream side closed (Envoy also reports a write with end_stream this way). */
  onUpstreamConnectionClose(peer: PeerType): void {}

  /** Downstream data (buffer 2): in `onDownstreamData` and while paused from it. */
  get downstreamData(): Body {
    return downstreamData;
  }

  /** Upstream data (buffer 3): in `onUpstreamData` and while paused from it. */
  get upstreamData(): Body {
    return upstreamData;
  }

  /** Resumes downstream processing after Pause. Wraps `proxy_continue_stream(DOWNSTREAM)`. */
  resumeDownstream(): Status {
    return continueStream(StreamType.Downstream);
  }

  /** Resumes upstream processing; Envoy answers UNIMPLEMENTED. Wraps `proxy_continue_stream(UPSTREAM)`. */
  resumeUpstream(): Status {
    return continueStream(StreamType.Upstream);
  }

  /** Closes the downstream connection (after flushing). Wraps `proxy_close_stream(DOWNSTREAM)`. */
  closeDownstream(): Status {
    return closeStream(StreamType.Downstream);
  }

  /** Closes the upstream connection. Wraps `proxy_close_stream(UPSTREAM)`. */
  closeUpstream(): Status {
    return closeStream(StreamType.Upstream);
  }
}
