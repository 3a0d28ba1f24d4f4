/**
 * probe-headers: exercises `HeaderMap` (proxy_get/add/replace/remove_header_map_value,
 * proxy_get/set_header_map_pairs, proxy_get_header_map_size) on request/response headers and trailers, in and
 * out of their availability windows. The request header `x-probe` picks the mutation (`mutate`, `unsafe`,
 * `set-pairs`, `too-many`, `binary`); every result is logged by `report` as `headers: <what> = <result>`.
 */

export * from "../../assembly/exports";
import { Action, HeaderPair, HeaderPairBytes, HttpContext, RootContext, registerRootContext } from "../../assembly";
import { fromHex, hex, quote, report, statusName, utf8 } from "./lib/report";

const P = "headers";

function joinPairs(pairs: HeaderPair[]): string {
  let out = "";
  for (let i = 0; i < pairs.length; i++) out += (i > 0 ? "," : "") + pairs[i].name + "=" + pairs[i].value;
  return out;
}

class HeadersProbe extends HttpContext {
  private action: string = "";

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const headers = this.requestHeaders;
    const action = headers.get("x-probe");
    this.action = action !== null ? action : "";
    report(P, "numHeaders", numHeaders.toString());
    report(P, "get x-single", quote(headers.get("x-single")));
    report(P, "get X-Single", quote(headers.get("X-Single")));
    report(P, "get x-absent", quote(headers.get("x-absent")));
    report(P, "get x-empty", quote(headers.get("x-empty")));
    report(P, "get x-multi", quote(headers.get("x-multi")));
    const all = headers.getAll("X-Multi");
    let joined = "";
    for (let i = 0; i < all.length; i++) joined += (i > 0 ? "|" : "") + quote(all[i]);
    report(P, "getAll X-Multi", "[" + joined + "]");
    report(P, "getAll x-absent", "[" + headers.getAll("x-absent").join("|") + "]");
    report(P, "has x-empty", headers.has("x-empty") ? "true" : "false");
    report(P, "has x-absent", headers.has("x-absent") ? "true" : "false");
    report(P, "getBytes x-single", hex(headers.getBytes("x-single")));
    report(P, "getBytes x-empty", hex(headers.getBytes("x-empty")));
    report(P, "getBytes x-absent", hex(headers.getBytes("x-absent")));
    report(P, "pairs count", headers.pairs().length.toString() + " of " + numHeaders.toString());
    const size = headers.byteSize();
    report(P, "byteSize positive", size > 0 ? "true" : size.toString());

    if (this.action == "mutate") {
      report(P, "add x-added a", statusName(headers.add("x-added", "a")));
      report(P, "add X-Added b", statusName(headers.add("X-Added", "b")));
      report(P, "replace x-single replaced", statusName(headers.replace("x-single", "replaced")));
      report(P, "replace x-new upserted", statusName(headers.replace("x-new", "upserted")));
      report(P, "remove x-multi", statusName(headers.remove("x-multi")));
      report(P, "remove x-absent", statusName(headers.remove("x-absent")));
      report(P, "add x-unicode", statusName(headers.add("x-unicode", "h\u00e9llo \u2713")));
      report(P, "after getAll x-added", headers.getAll("x-added").join("|"));
      report(P, "after get x-multi", quote(headers.get("x-multi")));
    } else if (this.action == "unsafe") {
      report(P, "add CRLF value", statusName(headers.add("x-bad", "a\r\nx-injected: 1")));
      report(P, "add LF name", statusName(headers.add("x-bad\n", "v")));
      report(P, "add NUL value", statusName(headers.add("x-bad", "a\0b")));
      report(P, "add empty name", statusName(headers.add("", "v")));
      report(P, "replace CR value", statusName(headers.replace("x-single", "a\rb")));
      report(P, "setPairs CRLF", statusName(headers.setPairs([new HeaderPair("x-a", "1\r\n")])));
      report(P, "after get x-single", quote(headers.get("x-single")));
      report(P, "after get x-bad", quote(headers.get("x-bad")));
    } else if (this.action == "set-pairs") {
      const replacement: HeaderPair[] = [
        new HeaderPair(":method", "POST"),
        new HeaderPair(":path", "/replaced"),
        new HeaderPair(":authority", "replaced.example"),
        new HeaderPair(":scheme", "http"),
        new HeaderPair("X-Set", "1"),
        new HeaderPair("x-set", "2"),
      ];
      report(P, "setPairs", statusName(headers.setPairs(replacement)));
      report(P, "after pairs", joinPairs(headers.pairs()));
    } else if (this.action == "binary") {
      // Clients cannot easily send non-UTF-8 header bytes through the harness, so the probe writes some
      // (obs-text 0x80..0xFF is legal in HTTP/1 field values) and reads them back through the host.
      const all = headers.pairsBytes();
      all.push(new HeaderPairBytes(utf8("x-binary"), fromHex("ff61c0af")));
      report(P, "setPairsBytes", statusName(headers.setPairsBytes(all)));
      report(P, "binary getBytes", hex(headers.getBytes("x-binary")));
      report(P, "binary get", quote(headers.get("x-binary")));
      const back = headers.pairsBytes();
      for (let i = 0; i < back.length; i++) {
        if (String.UTF8.decode(back[i].name) == "x-binary") report(P, "binary pairsBytes", hex(back[i].value));
      }
      const text = headers.pairs();
      for (let i = 0; i < text.length; i++) if (text[i].name == "x-binary") report(P, "binary pairs", quote(text[i].value));
      report(P, "setPairsBytes NUL value", statusName(headers.setPairsBytes([new HeaderPairBytes(utf8("x-nul"), fromHex("6100"))])));
    } else if (this.action == "too-many") {
      const many = new Array<HeaderPair>();
      for (let i = 0; i < 1025; i++) many.push(new HeaderPair("x-h" + i.toString(), "v"));
      report(P, "setPairs 1025 pairs", statusName(headers.setPairs(many)));
      report(P, "after get x-single", quote(headers.get("x-single")));
    }
    return Action.Continue;
  }

  onRequestTrailers(numTrailers: u32): Action {
    report(P, "request trailers numTrailers", numTrailers.toString());
    report(P, "request trailer get x-trailer", quote(this.requestTrailers.get("x-trailer")));
    report(P, "request trailer add", statusName(this.requestTrailers.add("x-trailer-added", "t")));
    report(P, "request trailers pairs", joinPairs(this.requestTrailers.pairs()));
    return Action.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    // Request headers are out of their window here (Envoy: get → BAD_ARGUMENT, pairs → empty).
    report(P, "late request get x-single", quote(this.requestHeaders.get("x-single")));
    report(P, "late request pairs", this.requestHeaders.pairs().length.toString());
    report(P, "late request byteSize", this.requestHeaders.byteSize().toString());
    report(P, "late request add", statusName(this.requestHeaders.add("x-late", "1")));
    report(P, "response get :status", quote(this.responseHeaders.get(":status")));
    report(P, "response replace", statusName(this.responseHeaders.replace("x-probe-response", "seen")));
    return Action.Continue;
  }

  onResponseTrailers(numTrailers: u32): Action {
    report(P, "response trailer get x-trailer", quote(this.responseTrailers.get("x-trailer")));
    report(P, "response trailer replace", statusName(this.responseTrailers.replace("x-trailer", "changed")));
    return Action.Continue;
  }

  onLog(): void {
    // Envoy keeps the access-log copies of request/response headers readable in on_log; request trailers are not.
    report(P, "log request get x-single", quote(this.requestHeaders.get("x-single")));
    report(P, "log response get :status", quote(this.responseHeaders.get(":status")));
    report(P, "log request trailer get x-trailer", quote(this.requestTrailers.get("x-trailer")));
  }
}

class HeadersRoot extends RootContext {
  createHttpContext(contextId: u32): HttpContext | null {
    return new HeadersProbe(contextId, this);
  }
}

registerRootContext("", (contextId: u32): RootContext => new HeadersRoot(contextId));
