/**
 * The terminal filter: Envoy's router, sending the request to the route's cluster and bringing the upstream
 * response back into the encoder chain. What it adds is what a plugin (or the upstream) can observe:
 * `x-envoy-expected-rq-timeout-ms` on the upstream request (route timeout, default 15 s), and on the response
 * `x-envoy-upstream-service-time`, response code details `via_upstream`, and the upstream attributes
 * (`upstream.address`, …). A response slower than the route timeout becomes the router's 504
 * (`upstream_response_timeout`); a reset before headers its 503.
 */
import { Buffer } from "node:buffer";
import { fromByteString, toByteString } from "../codec";
import { DataBuffer } from "../state/buffer";
import { HeaderMap, RESPONSE_INLINE_HEADERS, TRAILER_INLINE_HEADERS } from "../state/header-map";
import type { TimerHandle } from "../state/dispatcher";
import type { FilterManager } from "./filter-manager";
import {
  FilterDataStatus,
  FilterHeadersStatus,
  FilterTrailersStatus,
  type HttpFilter,
  type HttpFilterCallbacks,
} from "./types";

/** What reached the upstream (byte strings). */
export interface UpstreamRequest {
  method: string;
  path: string;
  authority: string;
  /** Request headers after every filter, without pseudo-headers, plus the router's own. */
  headers: HeaderMap;
  body: Buffer;
  trailers: HeaderMap | null;
}

/** How the upstream answers. */
export interface UpstreamReply {
  status?: number;
  headers?: Record<string, string> | Array<[string, string]>;
  /** The body, or its chunks (each delivered as one data frame). */
  body?: string | Uint8Array | Array<string | Uint8Array>;
  trailers?: Record<string, string> | Array<[string, string]>;
  /** Answer after this many fake-clock ms. */
  delayMs?: number;
  /** Reset before sending headers (the router answers 503). */
  reset?: boolean;
}

export type UpstreamBehaviour = UpstreamReply | ((request: UpstreamRequestView) => UpstreamReply);

/** The upstream request as a handler sees it (UTF-8 text). */
export interface UpstreamRequestView {
  method: string;
  path: string;
  authority: string;
  headers: Array<[string, string]>;
  body: string;
  trailers: Array<[string, string]>;
}

/** What the router needs from the simulated process and its stream. */
export interface RouterEnvironment {
  /** The stream's filter manager (where upstream frames go). */
  readonly fm: FilterManager;
  /** Route timeout (`route.timeout`, default 15 s). */
  readonly routeTimeoutMs: number;
  /** `upstream.address` once a host is picked, and the local side of that connection. */
  readonly upstreamAddress: string;
  readonly upstreamLocalAddress: string;
  schedule(delayMs: number, label: string, fn: () => void): TimerHandle;
  post(fn: () => void): void;
  nowMs(): number;
}

const UPSTREAM_PROTOCOL_ERROR_BODY = "upstream connect error or disconnect/reset before headers. reset reason: protocol error";
const UPSTREAM_RESET_BODY =
  "upstream connect error or disconnect/reset before headers. reset reason: connection termination";

const pairsOf = (h: Record<string, string> | Array<[string, string]> | undefined): Array<[string, string]> =>
  h === undefined ? [] : Array.isArray(h) ? h : Object.entries(h);

/** The default upstream: 200 echoing the request body (and its content-type). */
export function echoUpstream(request: UpstreamRequestView): UpstreamReply {
  const ct = request.headers.find(([k]) => k === "content-type");
  return { status: 200, headers: ct ? [["content-type", ct[1]]] : [], body: request.body };
}

export class RouterFilter implements HttpFilter {
  readonly name = "envoy.filters.http.router";
  private cb: HttpFilterCallbacks | null = null;
  private headers: HeaderMap | null = null;
  private readonly body: Buffer[] = [];
  private trailers: HeaderMap | null = null;
  /** Set once the upstream request is complete. */
  request: UpstreamRequest | null = null;
  private timers: TimerHandle[] = [];
  private pendingReply: UpstreamReply | null = null;
  private readonly deliverPending = (): void => {
    if (this.pendingReply) this.respond(this.pendingReply);
  };

  constructor(
    /** "manual": the test answers through `HttpStream.respond`. */
    private readonly behaviour: UpstreamBehaviour | "manual",
    private readonly settings: RouterEnvironment,
  ) {}

  setCallbacks(cb: HttpFilterCallbacks): void {
    this.cb = cb;
  }

  /** True once request headers reached the router (the upstream request has started). */
  get reached(): boolean {
    return this.headers !== null;
  }

  decodeHeaders(headers: HeaderMap, endStream: boolean): FilterHeadersStatus {
    if (this.settings.fm.routeLost) {
      this.cb!.sendLocalReply(404, "", null, null, "route_not_found");
      return FilterHeadersStatus.StopIteration;
    }
    this.headers = headers;
    const info = this.cb!.streamInfo;
    const [ip, port] = splitHostPort(this.settings.upstreamAddress);
    info.upstream = { address: this.settings.upstreamAddress, port, localAddress: this.settings.upstreamLocalAddress };
    void ip;
    info.attemptCount = 1;
    info.firstUpstreamTxMs = this.settings.nowMs();
    if (endStream) this.forward();
    return FilterHeadersStatus.Continue;
  }

  decodeData(data: DataBuffer, endStream: boolean): FilterDataStatus {
    if (data.length > 0) this.body.push(Buffer.from(data.bytes()));
    data.drain(data.length);
    if (endStream) this.forward();
    return FilterDataStatus.Continue;
  }

  decodeTrailers(trailers: HeaderMap): FilterTrailersStatus {
    this.trailers = trailers;
    this.forward();
    return FilterTrailersStatus.Continue;
  }

  onDestroy(): void {
    for (const t of this.timers) t.cancel();
  }

  /**
   * What has reached the upstream so far: the headers as soon as the router got them (it starts the upstream
   * request right away) and the body received until now — also when a later local reply resets the upstream
   * request mid-body (Envoy forwards the headers before the body callbacks run).
   */
  partialRequest(): UpstreamRequest | null {
    if (this.request) return this.request;
    if (!this.headers) return null;
    return this.snapshot();
  }

  private snapshot(): UpstreamRequest {
    const src = this.headers!;
    // The upstream connection is HTTP/2 (as the Envoy scenario runner's `upstream` cluster): it receives
    // `:authority` and `:scheme` as headers; `:method`/`:path` are reported separately. The scheme is the
    // downstream one (observed on Envoy 1.40: `https` upstream for a TLS client over a plaintext cluster).
    const upstreamHeaders = new HeaderMap();
    upstreamHeaders.add(":authority", src.get(":authority") ?? "");
    upstreamHeaders.add(":scheme", src.get(":scheme") ?? "http");
    for (const [k, v] of src.entries) if (!k.startsWith(":")) upstreamHeaders.add(k, v);
    upstreamHeaders.set("x-envoy-expected-rq-timeout-ms", String(this.settings.routeTimeoutMs));
    return {
      method: src.get(":method") ?? "",
      path: src.get(":path") ?? "",
      authority: src.get(":authority") ?? "",
      headers: upstreamHeaders,
      body: Buffer.concat(this.body),
      trailers: this.trailers ? this.trailers.clone() : null,
    };
  }

  /** The complete request went upstream: snapshot it and schedule the answer. */
  private forward(): void {
    this.request = this.snapshot();
    const { headers: upstreamHeaders, body } = this.request;
    // An HTTP/2 upstream checks content-length against the DATA it receives (nghttp2): more data than declared
    // is refused before it is delivered, less is noticed at end of stream; either way the stream is reset with
    // PROTOCOL_ERROR and the router answers 502 (observed on Envoy 1.40 when a plugin changed the body but not
    // content-length).
    const declared = upstreamHeaders.get("content-length");
    if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) !== body.length) {
      if (body.length > Number(declared)) this.request.body = Buffer.alloc(0);
      this.settings.post(() => {
        if (this.settings.fm.destroyed) return;
        this.cb!.sendLocalReply(502, UPSTREAM_PROTOCOL_ERROR_BODY, null, null, "upstream_reset_before_response_started{protocol_error}");
      });
      return;
    }
    if (this.behaviour === "manual") return;
    let reply: UpstreamReply;
    if (this.behaviour === echoUpstream) {
      // The default upstream, without building the text view (it is on every request's path).
      const ct = upstreamHeaders.get("content-type");
      reply = { status: 200, headers: ct === undefined ? [] : [["content-type", fromByteString(ct)]], body };
    } else if (typeof this.behaviour === "function") {
      reply = this.behaviour({
        method: fromByteString(this.request.method),
        path: fromByteString(this.request.path),
        authority: fromByteString(this.request.authority),
        headers: upstreamHeaders.entries.map(([k, v]) => [fromByteString(k), fromByteString(v)]),
        body: body.toString("utf8"),
        trailers: this.trailers ? this.trailers.entries.map(([k, v]) => [fromByteString(k), fromByteString(v)]) : [],
      });
    } else {
      reply = this.behaviour;
    }
    const delay = reply.delayMs ?? 0;
    if (delay >= this.settings.routeTimeoutMs) {
      this.timers.push(
        this.settings.schedule(this.settings.routeTimeoutMs, "route timeout", () =>
          this.cb!.sendLocalReply(504, "upstream request timeout", null, null, "upstream_response_timeout"),
        ),
      );
      return;
    }
    this.pendingReply = reply;
    if (delay > 0) this.timers.push(this.settings.schedule(delay, "upstream response", this.deliverPending));
    else this.settings.post(this.deliverPending);
  }

  /** Hands the upstream's answer to the encoder chain (reset → the router's 503). */
  respond(reply: UpstreamReply): void {
    const fm = this.settings.fm;
    if (fm.destroyed) return;
    const info = this.cb!.streamInfo;
    if (reply.reset) {
      this.cb!.sendLocalReply(503, UPSTREAM_RESET_BODY, null, null, "upstream_reset_before_response_started{connection_termination}");
      return;
    }
    const chunks = (
      reply.body === undefined ? [] : Array.isArray(reply.body) ? reply.body : [reply.body]
    ).map((c) => (typeof c === "string" ? Buffer.from(c, "utf8") : Buffer.from(c)));
    const total = chunks.reduce((n, c) => n + c.length, 0);
    const headers = new HeaderMap(RESPONSE_INLINE_HEADERS);
    headers.add(":status", String(reply.status ?? 200));
    for (const [k, v] of pairsOf(reply.headers)) headers.add(toByteString(k), toByteString(v));
    // A typical HTTP/1.1 server frames a known body with content-length (the scenario collector does).
    if (headers.get("content-length") === undefined && headers.get("transfer-encoding") === undefined) {
      headers.add("content-length", String(total));
    }
    info.lastUpstreamRxMs = this.settings.nowMs();
    headers.set("x-envoy-upstream-service-time", String(Math.round(this.settings.nowMs() - (info.firstUpstreamTxMs ?? 0))));
    info.responseCode = reply.status ?? 200;
    info.responseCodeDetails = "via_upstream";
    const trailerPairs = pairsOf(reply.trailers);
    // Framing as Envoy's HTTP/1.1 codec delivers a response (and as the scenario runner's upstream reproduces it):
    // an empty body ends the stream with the headers; otherwise each chunk, then an empty end-of-stream chunk.
    const nonEmpty = chunks.filter((c) => c.length > 0);
    fm.receiveResponseHeaders(headers, nonEmpty.length === 0 && trailerPairs.length === 0);
    for (const c of nonEmpty) fm.receiveResponseData(new DataBuffer(c), false);
    if (nonEmpty.length > 0 && trailerPairs.length === 0) fm.receiveResponseData(new DataBuffer(), true);
    if (trailerPairs.length > 0) {
      fm.receiveResponseTrailers(
        HeaderMap.from(trailerPairs.map(([k, v]) => [toByteString(k), toByteString(v)]), TRAILER_INLINE_HEADERS),
      );
    }
  }
}

function splitHostPort(address: string): [string, number] {
  const i = address.lastIndexOf(":");
  return [address.slice(0, i), Number(address.slice(i + 1))];
}
