/**
 * probe-body: exercises `Body` (proxy_get_buffer_status, proxy_get_buffer_bytes, proxy_set_buffer_bytes) on the
 * request and response bodies. The request header `x-probe` picks what happens to the body once it is complete:
 * `read` (log it), `replace`, `prepend`, `append`, `range` (partial reads), `response` (rewrite the response
 * body instead). Bodies are buffered by returning Pause (StopIterationAndBuffer) until end of stream.
 */

export * from "../../assembly/exports";
import { Action, HttpContext, RootContext, registerRootContext } from "../../assembly";
import { hex, quote, report, statusName, utf8 } from "./lib/report";

const P = "body";

class BodyProbe extends HttpContext {
  private action: string = "";

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const action = this.requestHeaders.get("x-probe");
    this.action = action !== null ? action : "";
    // Out of its window: the body is not available in the headers callback (Envoy: NOT_FOUND).
    report(P, "headers-phase size", this.requestBody.size().toString());
    report(P, "headers-phase read", hex(this.requestBody.read()));
    if (this.action == "replace" || this.action == "prepend" || this.action == "append") {
      // The body changes length: Envoy leaves content-length to the filter.
      this.requestHeaders.remove("content-length");
    }
    return Action.Continue;
  }

  onRequestBody(bodySize: usize, endOfStream: bool): Action {
    report(P, "request chunk", bodySize.toString() + (endOfStream ? " eos" : ""));
    if (!endOfStream) return Action.Pause; // buffer until the whole body is there
    const body = this.requestBody;
    report(P, "request size", body.size().toString());
    report(P, "request read", quote(body.readString()));
    if (this.action == "range") {
      report(P, "read(2, 3)", quote(body.readString(2, 3)));
      report(P, "read(2)", quote(body.readString(2)));
      report(P, "read past end", hex(body.read(1000, 5)));
      report(P, "read max start", hex(body.read(<usize>-1, 1)));
    } else if (this.action == "replace") {
      report(P, "replace", statusName(body.replace(utf8("replaced body"))));
    } else if (this.action == "prepend") {
      report(P, "prepend", statusName(body.prepend(utf8(">>"))));
    } else if (this.action == "append") {
      report(P, "append", statusName(body.append(utf8("<<"))));
    } else if (this.action == "binary") {
      report(P, "request bytes", hex(body.read()));
    }
    if (this.action != "read" && this.action != "range" && this.action != "binary" && this.action != "response") {
      report(P, "after", quote(body.readString()));
    }
    return Action.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    if (this.action == "response") this.responseHeaders.remove("content-length");
    return Action.Continue;
  }

  onResponseBody(bodySize: usize, endOfStream: bool): Action {
    report(P, "response chunk", bodySize.toString() + (endOfStream ? " eos" : ""));
    // The request body is out of its window now.
    report(P, "late request read", hex(this.requestBody.read()));
    if (this.action != "response") return Action.Continue;
    if (!endOfStream) return Action.Pause;
    report(P, "response read", quote(this.responseBody.readString()));
    report(P, "response replace", statusName(this.responseBody.replace(utf8("new response"))));
    return Action.Continue;
  }
}

class BodyRoot extends RootContext {
  createHttpContext(contextId: u32): HttpContext | null {
    return new BodyProbe(contextId, this);
  }
}

registerRootContext("", (contextId: u32): RootContext => new BodyRoot(contextId));
