/**
 * probe-stream: flow control and local responses (proxy_continue_stream, proxy_close_stream,
 * proxy_send_local_response). The request header `x-probe` picks: `local` (403 with headers and body from the
 * request headers phase), `local-grpc` (gRPC status 7), `local-unsafe` (a header with CRLF → refused),
 * `pause` (pause request headers; resumed from the request body callback), `close-request`, `close-response`,
 * `bad-stream-type` (an unknown stream type → BAD_ARGUMENT), `local-on-response`
 * (replace the upstream response from its headers callback).
 */

export * from "../../assembly/exports";
import {
  Action,
  GrpcStatus,
  HeaderPair,
  HttpContext,
  RootContext,
  StreamType,
  closeStream,
  continueStream,
  registerRootContext,
} from "../../assembly";
import { report, statusName, utf8 } from "./lib/report";

const P = "stream";

class StreamProbe extends HttpContext {
  private action: string = "";

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const action = this.requestHeaders.get("x-probe");
    this.action = action !== null ? action : "";
    if (this.action == "local") {
      const status = this.sendLocalResponse(403, "probe denied", utf8("denied by probe"), [
        new HeaderPair("x-probe-local", "1"),
        new HeaderPair("content-type", "text/plain"),
      ]);
      report(P, "sendLocalResponse", statusName(status));
      return Action.Continue; // Envoy turns this into a Stop because a local reply is pending
    }
    if (this.action == "local-grpc") {
      report(P, "sendLocalResponse grpc", statusName(this.sendLocalResponse(200, "grpc_denied", null, [], GrpcStatus.PermissionDenied)));
      return Action.Pause;
    }
    if (this.action == "local-unsafe") {
      report(
        P,
        "sendLocalResponse unsafe header",
        statusName(this.sendLocalResponse(403, "x", null, [new HeaderPair("x-bad", "a\r\nset-cookie: evil=1")])),
      );
      return Action.Continue;
    }
    if (this.action == "pause") {
      report(P, "pause headers", "Pause");
      return Action.Pause;
    }
    if (this.action == "close-request") {
      report(P, "closeStream request", statusName(this.closeStream(StreamType.HttpRequest)));
      return Action.Pause;
    }
    if (this.action == "bad-stream-type") {
      // cpp-host checks the type before anything else: > UPSTREAM (3) → BAD_ARGUMENT.
      report(P, "continueStream 7", statusName(continueStream(<StreamType>7)));
      report(P, "closeStream 7", statusName(closeStream(<StreamType>7)));
    }
    return Action.Continue;
  }

  onRequestBody(bodySize: usize, endOfStream: bool): Action {
    if (this.action == "pause" && endOfStream) {
      report(P, "resumeRequest", statusName(this.resumeRequest()));
    }
    return Action.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    report(P, "response :status", this.responseHeaders.get(":status")!);
    if (this.action == "local-on-response") {
      report(P, "sendLocalResponse on response", statusName(this.sendLocalResponse(502, "replaced upstream", utf8("replaced"), [])));
    }
    if (this.action == "close-response") {
      report(P, "closeStream response", statusName(this.closeStream(StreamType.HttpResponse)));
    }
    if (this.action == "pause-response") {
      report(P, "resumeResponse", statusName(this.resumeResponse()));
    }
    return Action.Continue;
  }
}

class StreamRoot extends RootContext {
  createHttpContext(contextId: u32): HttpContext | null {
    return new StreamProbe(contextId, this);
  }
}

registerRootContext("", (contextId: u32): RootContext => new StreamRoot(contextId));
