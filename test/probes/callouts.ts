/**
 * probe-callouts: HTTP callouts (proxy_http_call, proxy_on_http_call_response routing, proxy_get_status,
 * proxy_set_effective_context). From `onRequestHeaders` the stream calls the cluster named by the request
 * header `x-cluster` (path from `x-call-path`, default `/check`), pauses, and in `onHttpCallResponse` logs the
 * answer and resumes with `x-callout-status` added. The request header `x-probe` picks variants:
 * `no-path` (missing :path → BAD_ARGUMENT), `unsafe` (CRLF in a header → refused), `fire-and-forget`
 * (call, then continue at once: the answer may arrive after the stream is gone and must be dropped),
 * `root` (the root context makes the call on its next tick).
 */

export * from "../../assembly/exports";
import {
  Action,
  BaseContext,
  HeaderPair,
  HttpContext,
  RootContext,
  getCalloutStatus,
  getHttpCallResponseBody,
  getHttpCallResponseHeaders,
  getHttpCallResponseTrailers,
  httpCall,
  httpCallResponseHeaders,
  registerRootContext,
} from "../../assembly";
import { quote, report, statusName, utf8 } from "./lib/report";

const P = "callouts";

function describeResponse(who: string, token: u32, numHeaders: u32, bodySize: usize, numTrailers: u32): void {
  report(P, who + " response", "token=" + token.toString() + " headers=" + numHeaders.toString() + " body=" + bodySize.toString() + " trailers=" + numTrailers.toString());
  if (numHeaders == 0) {
    const status = getCalloutStatus();
    report(P, who + " failure status", status === null ? "null" : status.code.toString() + " " + quote(status.message));
    return;
  }
  report(P, who + " :status", quote(httpCallResponseHeaders.get(":status")));
  const headers = getHttpCallResponseHeaders();
  let names = "";
  for (let i = 0; i < headers.length; i++) names += (i > 0 ? "," : "") + headers[i].name;
  report(P, who + " header names", names);
  report(P, who + " body", quote(String.UTF8.decode(getHttpCallResponseBody()!)));
  report(P, who + " trailers", getHttpCallResponseTrailers().length.toString());
}

function call(cluster: string, path: string, from: BaseContext): u32 {
  const result = httpCall(
    cluster,
    [new HeaderPair(":method", "POST"), new HeaderPair(":path", path), new HeaderPair(":authority", "callout.local"), new HeaderPair("x-from", "probe")],
    utf8("payload"),
    [],
    5000,
    from,
  );
  report(P, "httpCall", statusName(result.status) + " token " + (result.token != 0 ? "set" : "0"));
  return result.token;
}

class CalloutsProbe extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const action = this.requestHeaders.get("x-probe");
    const clusterValue = this.requestHeaders.get("x-cluster");
    const cluster = clusterValue !== null ? clusterValue : "callout";
    const pathValue = this.requestHeaders.get("x-call-path");
    const path = pathValue !== null ? pathValue : "/check";
    if (action == "no-path") {
      const result = httpCall(cluster, [new HeaderPair(":method", "GET"), new HeaderPair(":authority", "a")], null, [], 1000, this);
      report(P, "httpCall without :path", statusName(result.status));
      return Action.Continue;
    }
    if (action == "unsafe") {
      const result = httpCall(cluster, [new HeaderPair(":method", "GET"), new HeaderPair(":path", "/\r\nx: y"), new HeaderPair(":authority", "a")], null, [], 1000, this);
      report(P, "httpCall with CRLF", statusName(result.status));
      return Action.Continue;
    }
    if (action == "root") {
      (<CalloutsRoot>this.root).callOnNextTick = true;
      return Action.Continue;
    }
    const token = call(cluster, path, this);
    if (token == 0) return Action.Continue;
    return action == "fire-and-forget" ? Action.Continue : Action.Pause;
  }

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: usize, numTrailers: u32): void {
    describeResponse("stream", token, numHeaders, bodySize, numTrailers);
    // This context is the effective one: header changes and the resume act on this stream.
    report(P, "add x-callout-status", statusName(this.requestHeaders.add("x-callout-status", numHeaders == 0 ? "failed" : httpCallResponseHeaders.get(":status")!)));
    report(P, "resumeRequest", statusName(this.resumeRequest()));
  }
}

class CalloutsRoot extends RootContext {
  callOnNextTick: bool = false;

  onConfigure(pluginConfigurationSize: usize): bool {
    this.setTickPeriod(1000);
    return true;
  }

  onTick(): void {
    if (!this.callOnNextTick) return;
    this.callOnNextTick = false;
    call("callout", "/from-root", this);
  }

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: usize, numTrailers: u32): void {
    describeResponse("root", token, numHeaders, bodySize, numTrailers);
  }

  createHttpContext(contextId: u32): HttpContext | null {
    return new CalloutsProbe(contextId, this);
  }
}

registerRootContext("", (contextId: u32): RootContext => new CalloutsRoot(contextId));
