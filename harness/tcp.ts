/**
 * A TCP connection through a Wasm network filter (Envoy `Context` as `Network::ReadFilter`/`WriteFilter`):
 * `on_new_connection` when the connection is accepted; downstream bytes through `on_downstream_data`, upstream
 * bytes through `on_upstream_data` (end_stream there synthesizes the upstream close); StopIteration keeps the
 * bytes in the connection's buffer until the plugin continues (`continue_stream(DOWNSTREAM)`) or more arrive; the
 * close order is `on_done` → `on_log` → `on_delete` (Envoy `Context::onCloseTCP`, host-behaviour.md F.26).
 */
import { Buffer } from "node:buffer";
import type { Context } from "./context";
import { PeerType } from "./enums";
import { HarnessUsageError } from "./errors";
import { DataBuffer } from "./state/buffer";
import { NetworkFilterStatus, type NetworkFilterCallbacks } from "./http/types";
import { StreamInfo } from "./properties/stream-info";
import type { Proxy } from "./proxy";

export class TcpConnection {
  readonly streamInfo: StreamInfo;
  /** Bytes that reached the upstream server, and the client. */
  readonly toUpstream: Buffer[] = [];
  readonly toDownstream: Buffer[] = [];
  private readonly readBuffer = new DataBuffer();
  private readonly writeBuffer = new DataBuffer();
  closed: { side: "downstream" | "upstream"; details: string } | null = null;
  private readEnd = false;

  constructor(
    private readonly proxy: Proxy,
    /** The plugin's context, or null when the plugin is not in the chain (fail open). */
    readonly context: Context | null,
  ) {
    const connection = proxy.newConnection(null);
    this.streamInfo = new StreamInfo(connection, proxy.options.xds, {
      startWallMs: proxy.clock.wallMs(),
      startMonotonicMs: proxy.clock.monotonicMs,
      protocol: null,
      remoteAddress: connection.directRemoteAddress,
    });
    const callbacks: NetworkFilterCallbacks = {
      streamInfo: this.streamInfo,
      continueReading: () => this.flushRead(),
      closeConnection: (side, details) => this.close(side, details, PeerType.Local),
    };
    if (context) context.network = callbacks;
  }

  /** The connection is accepted: `on_new_connection`. */
  open(): NetworkFilterStatus {
    if (!this.context) return NetworkFilterStatus.Continue;
    const r = this.context.onNewConnection();
    this.proxy.dispatcher.runPosted();
    return r;
  }

  private flushRead(): void {
    if (this.readBuffer.length > 0) this.toUpstream.push(Buffer.from(this.readBuffer.bytes()));
    this.readBuffer.clear();
  }

  /** Client → upstream bytes. */
  sendDownstream(data: string | Uint8Array, endStream = false): NetworkFilterStatus {
    if (this.closed) throw new HarnessUsageError("the connection is closed");
    this.readBuffer.add(typeof data === "string" ? Buffer.from(data, "utf8") : data);
    this.readEnd = endStream;
    const r = this.context ? this.context.onData(this.readBuffer, endStream) : NetworkFilterStatus.Continue;
    if (r === NetworkFilterStatus.Continue) this.flushRead();
    this.proxy.dispatcher.runPosted();
    return r;
  }

  /** Upstream → client bytes. */
  sendUpstream(data: string | Uint8Array, endStream = false): NetworkFilterStatus {
    if (this.closed) throw new HarnessUsageError("the connection is closed");
    this.writeBuffer.add(typeof data === "string" ? Buffer.from(data, "utf8") : data);
    const r = this.context ? this.context.onWrite(this.writeBuffer, endStream) : NetworkFilterStatus.Continue;
    if (r === NetworkFilterStatus.Continue) {
      if (this.writeBuffer.length > 0) this.toDownstream.push(Buffer.from(this.writeBuffer.bytes()));
      this.writeBuffer.clear();
    }
    this.proxy.dispatcher.runPosted();
    return r;
  }

  /** The client (peer Remote) or Envoy (Local) closes the downstream connection. */
  close(side: "downstream" | "upstream" = "downstream", details = "", peer: PeerType = PeerType.Remote): void {
    if (this.closed) return;
    this.closed = { side, details };
    void this.readEnd;
    this.context?.onDownstreamConnectionClose(peer);
    if (this.context) this.proxy.releaseContext(this.context);
    this.proxy.dispatcher.runPosted();
  }

  get upstreamBytes(): string {
    return Buffer.concat(this.toUpstream).toString("utf8");
  }

  get downstreamBytes(): string {
    return Buffer.concat(this.toDownstream).toString("utf8");
  }
}
