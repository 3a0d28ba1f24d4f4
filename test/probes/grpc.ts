/**
 * probe-grpc: gRPC callouts (proxy_grpc_call, proxy_grpc_stream, proxy_grpc_send, proxy_grpc_cancel,
 * proxy_grpc_close and the four proxy_on_grpc_* callbacks, routed to the calling stream). The request header
 * `x-probe` picks: `call` (unary call to cluster `grpc` or `x-cluster`, pause, resume on the response or close), `stream` (open a stream, send
 * two messages, half-close), `cancel` (start a call and cancel it at once), `bad-send` (send on a call token →
 * BAD_ARGUMENT; on an unknown stream → NOT_FOUND), `unknown-cluster`.
 */

export * from "../../assembly/exports";
import {
  Action,
  HeaderPair,
  HttpContext,
  RootContext,
  getCalloutStatus,
  getGrpcInitialMetadata,
  getGrpcReceiveMessage,
  getGrpcTrailingMetadata,
  grpcCall,
  grpcCancel,
  grpcClose,
  grpcSend,
  grpcStream,
  registerRootContext,
} from "../../assembly";
import { quote, report, statusName, utf8 } from "./lib/report";

const P = "grpc";

function names(pairs: HeaderPair[]): string {
  let out = "";
  for (let i = 0; i < pairs.length; i++) out += (i > 0 ? "," : "") + pairs[i].name + "=" + pairs[i].value;
  return out;
}

class GrpcProbe extends HttpContext {
  private action: string = "";

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const action = this.requestHeaders.get("x-probe");
    this.action = action !== null ? action : "";
    const metadata = [new HeaderPair("x-probe-md", "1")];
    const clusterValue = this.requestHeaders.get("x-cluster");
    const cluster = clusterValue !== null ? clusterValue : "grpc";
    if (this.action == "call") {
      const result = grpcCall(cluster, "probe.Service", "Check", metadata, utf8("request"), 5000, this);
      report(P, "grpcCall", statusName(result.status));
      return result.status == 0 ? Action.Pause : Action.Continue;
    }
    if (this.action == "stream") {
      const result = grpcStream("grpc", "probe.Service", "Watch", metadata, this);
      report(P, "grpcStream", statusName(result.status));
      report(P, "grpcSend 1", statusName(grpcSend(result.token, utf8("one"), false)));
      report(P, "grpcSend 2", statusName(grpcSend(result.token, utf8("two"), false)));
      report(P, "grpcClose stream", statusName(grpcClose(result.token)));
      return Action.Pause;
    }
    if (this.action == "cancel") {
      const result = grpcCall("grpc", "probe.Service", "Check", metadata, utf8("request"), 5000, this);
      report(P, "grpcCancel", statusName(grpcCancel(result.token)));
      report(P, "grpcCancel again", statusName(grpcCancel(result.token)));
      return Action.Continue;
    }
    if (this.action == "bad-send") {
      const result = grpcCall("grpc", "probe.Service", "Check", metadata, null, 5000, this);
      report(P, "grpcSend on a call", statusName(grpcSend(result.token, utf8("x"), false)));
      // Envoy numbers stream tokens 6, 10, … (≡ 2 mod 4): 999998 looks like a stream that does not exist.
      report(P, "grpcSend unknown stream", statusName(grpcSend(999998, utf8("x"), false)));
      report(P, "grpcClose call", statusName(grpcClose(result.token)));
      return Action.Continue;
    }
    if (this.action == "unknown-cluster") {
      report(P, "grpcCall unknown cluster", statusName(grpcCall("no-such-cluster", "s", "m", [], null, 1000, this).status));
    }
    return Action.Continue;
  }

  onGrpcReceiveInitialMetadata(token: u32, numElements: u32): void {
    report(P, "initial metadata", numElements.toString() + " " + names(getGrpcInitialMetadata()));
  }

  onGrpcReceive(token: u32, messageSize: usize): void {
    report(P, "message", messageSize.toString() + " " + quote(String.UTF8.decode(getGrpcReceiveMessage()!)));
    // A unary call's response is its last callback (no onGrpcClose on success).
    if (this.action == "call") report(P, "resumeRequest", statusName(this.resumeRequest()));
  }

  onGrpcReceiveTrailingMetadata(token: u32, numElements: u32): void {
    report(P, "trailing metadata", numElements.toString() + " " + names(getGrpcTrailingMetadata()));
  }

  onGrpcClose(token: u32, statusCode: u32): void {
    const status = getCalloutStatus();
    report(P, "close", statusCode.toString() + " " + (status === null ? "null" : status.code.toString() + " " + quote(status.message)));
    report(P, "resumeRequest", statusName(this.resumeRequest()));
  }
}

class GrpcRoot extends RootContext {
  createHttpContext(contextId: u32): HttpContext | null {
    return new GrpcProbe(contextId, this);
  }
}

registerRootContext("", (contextId: u32): RootContext => new GrpcRoot(contextId));
