/**
 * probe-tcp: a network-filter plugin (proxy_on_new_connection, proxy_on_downstream/upstream_data,
 * proxy_on_*_connection_close; DOWNSTREAM_DATA / UPSTREAM_DATA buffers; proxy_continue_stream /
 * proxy_close_stream for TCP). Downstream data `ping` is rewritten to `PING`; data `close` closes the
 * downstream connection; data `hold` pauses until the next chunk, which resumes; upstream data is prefixed
 * with `up:`.
 */

export * from "../../assembly/exports";
import { Action, PeerType, RootContext, TcpContext, registerRootContext } from "../../assembly";
import { quote, report, statusName, utf8 } from "./lib/report";

const P = "tcp";

function peerName(peer: PeerType): string {
  return peer == PeerType.Local ? "local" : peer == PeerType.Remote ? "remote" : "unknown";
}

class TcpProbe extends TcpContext {
  private holding: bool = false;

  onNewConnection(): Action {
    report(P, "onNewConnection", this.contextId.toString());
    return Action.Continue;
  }

  onDownstreamData(size: usize, endOfStream: bool): Action {
    const data = this.downstreamData.readString();
    report(P, "onDownstreamData", size.toString() + (endOfStream ? " eos " : " ") + quote(data));
    if (data == "ping") report(P, "replace", statusName(this.downstreamData.replace(utf8("PING"))));
    if (data == "close") report(P, "closeDownstream", statusName(this.closeDownstream()));
    if (data == "hold") {
      this.holding = true;
      return Action.Pause;
    }
    if (this.holding) {
      this.holding = false;
      report(P, "resumeDownstream", statusName(this.resumeDownstream()));
    }
    return Action.Continue;
  }

  onUpstreamData(size: usize, endOfStream: bool): Action {
    report(P, "onUpstreamData", size.toString() + (endOfStream ? " eos " : " ") + quote(this.upstreamData.readString()));
    report(P, "prepend", statusName(this.upstreamData.prepend(utf8("up:"))));
    report(P, "resumeUpstream", statusName(this.resumeUpstream()));
    return Action.Continue;
  }

  onDownstreamConnectionClose(peer: PeerType): void {
    report(P, "onDownstreamConnectionClose", peerName(peer));
  }

  onUpstreamConnectionClose(peer: PeerType): void {
    report(P, "onUpstreamConnectionClose", peerName(peer));
  }

  onDone(): bool {
    report(P, "onDone", this.contextId.toString());
    return true;
  }

  onLog(): void {
    report(P, "onLog", this.contextId.toString());
  }

  onDelete(): void {
    report(P, "onDelete", this.contextId.toString());
  }
}

class TcpRoot extends RootContext {
  createTcpContext(contextId: u32): TcpContext | null {
    return new TcpProbe(contextId, this);
  }
}

registerRootContext("", (contextId: u32): RootContext => new TcpRoot(contextId));
