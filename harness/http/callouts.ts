/**
 * HTTP and gRPC callouts (`proxy_http_call`, `proxy_grpc_*`), as Envoy's async clients deliver them.
 *
 * - Callouts always belong to the **root** context; responses arrive with the root id, after the current VM call
 *   and never re-entrantly (host-behaviour.md F.28).
 * - HTTP validation happens synchronously: a timeout ≥ 2^31 (negative as a C++ int), an unknown cluster, or a
 *   missing `:path`/`:method`/`:authority` → BAD_ARGUMENT (Envoy `Context::httpCall`, F.30).
 * - A cluster answers with a scripted response, a handler's answer, or whatever the test supplies later
 *   (`respondToHttpCall`). A down cluster answers like Envoy's router does: a 503 local reply; a timeout is a
 *   synthesized 504; a reset is the failure callback `(token, 0, 0, 0)` with status 11 "reset" (F.29).
 */
import { Buffer } from "node:buffer";
import { type BytePair, fromByteString, toByteString } from "../codec";
import { Status } from "../enums";
import { HeaderMap } from "../state/header-map";
import type { TimerHandle } from "../state/dispatcher";
import type { Context } from "../context";
import { decodeFields } from "../properties/protobuf";

/** What a callout received: a response message as Envoy hands it to the plugin. */
export interface CalloutResponse {
  headers: HeaderMap;
  body: Uint8Array;
  trailers: HeaderMap | null;
}

/** A request that reached a cluster, as a test sees it (text, not byte strings). */
export interface CalloutRequest {
  token: number;
  cluster: string;
  method: string;
  path: string;
  authority: string;
  headers: Array<[string, string]>;
  body: string;
  trailers: Array<[string, string]>;
  timeoutMs: number;
  /** Which VM made it (`worker-0` …) and from which root context. */
  vm: string;
  rootContextId: number;
}

/** How a test scripts an HTTP answer. */
export interface HttpReply {
  status?: number;
  headers?: Record<string, string> | Array<[string, string]>;
  body?: string | Uint8Array;
  trailers?: Record<string, string> | Array<[string, string]>;
  /** Answer after this many fake-clock ms (a callout timeout shorter than this gives a 504). */
  delayMs?: number;
  /** Reset the stream instead of answering: the plugin gets `(token, 0, 0, 0)` and status 11 "reset". */
  reset?: boolean;
}

/** A gRPC answer for a unary call or the events of a stream. */
export interface GrpcReply {
  initialMetadata?: Record<string, string> | Array<[string, string]>;
  /** Unary: the first message is the response. Stream: each is delivered as `on_grpc_receive`. */
  messages?: Array<string | Uint8Array>;
  trailingMetadata?: Record<string, string> | Array<[string, string]>;
  /** gRPC status; 0 = OK. A unary call with a non-zero status gets only `on_grpc_close`. */
  status?: number;
  statusMessage?: string;
  delayMs?: number;
}

export interface GrpcCallRequest {
  token: number;
  cluster: string;
  service: string;
  method: string;
  initialMetadata: Array<[string, string]>;
  /** Unary request message, or the stream messages sent so far. */
  messages: Uint8Array[];
  timeoutMs: number;
  kind: "call" | "stream";
}

/**
 * A cluster the plugin may call. `respond` answers every HTTP call the same way, `handler` computes the answer,
 * `grpc` answers gRPC calls and streams; with none of them the callout waits for the test to answer it.
 */
export interface ClusterBehaviour {
  respond?: HttpReply;
  handler?: (request: CalloutRequest) => HttpReply | undefined;
  grpc?: (request: GrpcCallRequest) => GrpcReply | undefined;
  /** Declared, but nothing listens: HTTP calls get the router's 503, gRPC calls close with UNAVAILABLE (14). */
  down?: boolean;
}

export interface HttpCallHandle {
  readonly token: number;
  readonly request: CalloutRequest;
  timer: TimerHandle | null;
  responseTimer: TimerHandle | null;
  cancel(): void;
}

export interface GrpcCallHandle {
  readonly token: number;
  readonly request: GrpcCallRequest;
  timers: TimerHandle[];
  cancel(): void;
}

export interface GrpcStreamHandle {
  readonly token: number;
  readonly request: GrpcCallRequest;
  localClosed: boolean;
  remoteClosed: boolean;
  timers: TimerHandle[];
  cancel(): void;
}

/** Services the engine needs from the simulated Envoy process. */
export interface CalloutEnvironment {
  clusters: ReadonlyMap<string, ClusterBehaviour>;
  schedule(delayMs: number, label: string, fn: () => void): TimerHandle;
  post(fn: () => void): void;
  /** Every request that reached a cluster, in order (the outcome's `callouts`). */
  readonly calloutLog: CalloutRequest[];
  readonly grpcLog: GrpcCallRequest[];
  /** Pending HTTP calls nobody scripted, for `respondToHttpCall`. */
  readonly pendingHttp: Map<string, { ctx: Context; handle: HttpCallHandle }>;
  readonly pendingGrpc: Map<string, { ctx: Context; handle: GrpcCallHandle | GrpcStreamHandle }>;
  /** Called when the plugin half-closes a stream with `proxy_grpc_send(..., end_stream=1)`. */
  onGrpcStreamHalfClosed?: (stream: GrpcStreamHandle) => void;
}

const toPairs = (h: Record<string, string> | Array<[string, string]> | undefined): Array<[string, string]> =>
  h === undefined ? [] : Array.isArray(h) ? h : Object.entries(h);

const bodyBytes = (b: string | Uint8Array | undefined): Uint8Array =>
  b === undefined ? new Uint8Array(0) : typeof b === "string" ? Buffer.from(b, "utf8") : b;

/**
 * Builds the response message a plugin sees: `:status` first, the scripted headers, `content-length` when the
 * script frames nothing itself (as the scenario collector and any HTTP/2 server with a known body do), then the
 * router's `x-envoy-upstream-service-time` (Envoy adds it to every upstream answer, callouts included).
 */
export function buildCalloutResponse(reply: HttpReply): CalloutResponse {
  const headers = new HeaderMap();
  headers.add(":status", String(reply.status ?? 200));
  for (const [k, v] of toPairs(reply.headers)) headers.add(toByteString(k).toLowerCase(), toByteString(v));
  const body = bodyBytes(reply.body);
  if (headers.get("content-length") === undefined && headers.get("transfer-encoding") === undefined) {
    headers.add("content-length", String(body.length));
  }
  headers.add("x-envoy-upstream-service-time", String(Math.max(0, Math.floor(reply.delayMs ?? 0))));
  const trailerPairs = toPairs(reply.trailers);
  const trailers = trailerPairs.length ? HeaderMap.from(trailerPairs.map(([k, v]) => [toByteString(k), toByteString(v)])) : null;
  return { headers, body, trailers };
}

/** Envoy router local replies as an async client sees them. */
function routerLocalReply(status: number, body: string): CalloutResponse {
  const headers = new HeaderMap();
  headers.add(":status", String(status));
  headers.add("content-length", String(body.length));
  headers.add("content-type", "text/plain");
  return { headers, body: Buffer.from(body, "latin1"), trailers: null };
}

export const UPSTREAM_CONNECT_FAILURE_BODY =
  "upstream connect error or disconnect/reset before headers. reset reason: remote connection failure";

/**
 * Envoy's gRPC async client appends the HTTP stream's response code details to every remote-close message
 * (`enhancedGrpcMessage` in source/common/grpc/async_client_impl.cc): `message{details}`, or just `details` when
 * the message is empty. Observed on Envoy 1.40: grpc-status 7 "denied" → `denied{via_upstream}`.
 */
export function enhancedGrpcMessage(message: string, details: string): string {
  if (message === "") return details;
  return details === "" ? message : `${message}{${details}}`;
}

/**
 * A gRPC callout to a cluster nothing listens on: the router's local reply (503) converted to a trailers-only
 * gRPC answer, grpc-status UNAVAILABLE (14, `httpToGrpcStatus(503)`), grpc-message the reply body.
 */
const GRPC_CONNECT_FAILURE: [number, string] = [
  14,
  enhancedGrpcMessage(UPSTREAM_CONNECT_FAILURE_BODY, "upstream_reset_before_response_started{remote_connection_failure}"),
];
/** A unary gRPC callout past its timeout: the router's 504 local reply → UNAVAILABLE (14, `httpToGrpcStatus(504)`). */
const GRPC_TIMEOUT: [number, string] = [14, enhancedGrpcMessage("upstream request timeout", "response_timeout")];

/**
 * `proxy_http_call` host side (Envoy `Context::httpCall`), on the root context `root`. Returns the status and, on
 * success, the token.
 */
export function startHttpCall(
  env: CalloutEnvironment,
  root: Context,
  cluster: string,
  headerPairs: BytePair[],
  body: Uint8Array,
  trailerPairs: BytePair[],
  timeoutMs: number,
): { status: Status; token?: number } {
  // The ABI passes a u32; Envoy takes it as a C++ int, so ≥ 2^31 is negative.
  if (timeoutMs >= 0x80000000) return { status: Status.BadArgument };
  const behaviour = env.clusters.get(cluster);
  if (!behaviour) return { status: Status.BadArgument };
  const headers = HeaderMap.from(headerPairs);
  if (headers.get(":path") === undefined || headers.get(":method") === undefined || headers.get(":authority") === undefined) {
    return { status: Status.BadArgument };
  }
  if (body.length > 0) headers.set("content-length", String(body.length));
  const vm = root.vm;
  vm.nextHttpCallId += 4;
  const token = vm.nextHttpCallId >>> 0;
  const request: CalloutRequest = {
    token,
    cluster: fromByteString(cluster),
    method: fromByteString(headers.get(":method")!),
    path: fromByteString(headers.get(":path")!),
    authority: fromByteString(headers.get(":authority")!),
    headers: headers.entries.map(([k, v]) => [fromByteString(k), fromByteString(v)]),
    body: Buffer.from(body).toString("utf8"),
    trailers: trailerPairs.map(([k, v]) => [fromByteString(k), fromByteString(v)]),
    timeoutMs,
    vm: vm.label,
    rootContextId: root.id,
  };
  const key = `${vm.label}#${token}`;
  const handle: HttpCallHandle = {
    token,
    request,
    timer: null,
    responseTimer: null,
    cancel() {
      handle.timer?.cancel();
      handle.responseTimer?.cancel();
      env.pendingHttp.delete(key);
    },
  };
  root.httpRequests.set(token, handle);

  const finish = (deliver: () => void): void => {
    handle.timer?.cancel();
    handle.responseTimer?.cancel();
    env.pendingHttp.delete(key);
    deliver();
  };
  const success = (response: CalloutResponse): void => finish(() => root.onHttpCallSuccess(token, response));
  const failure = (): void => finish(() => root.onHttpCallFailure(token));

  if (timeoutMs > 0) {
    handle.timer = env.schedule(timeoutMs, `http call ${token} timeout`, () =>
      success(routerLocalReply(504, "upstream request timeout")),
    );
  }
  if (behaviour.down) {
    env.post(() => success(routerLocalReply(503, UPSTREAM_CONNECT_FAILURE_BODY)));
    return { status: Status.Ok, token };
  }
  env.calloutLog.push(request);
  let reply: HttpReply | undefined;
  if (behaviour.handler) reply = behaviour.handler(request);
  else if (behaviour.respond) reply = behaviour.respond;
  if (!reply) {
    env.pendingHttp.set(key, { ctx: root, handle });
    return { status: Status.Ok, token };
  }
  scheduleHttpReply(env, handle, reply, success, failure);
  return { status: Status.Ok, token };
}

function scheduleHttpReply(
  env: CalloutEnvironment,
  handle: HttpCallHandle,
  reply: HttpReply,
  success: (r: CalloutResponse) => void,
  failure: () => void,
): void {
  const deliver = (): void => (reply.reset ? failure() : success(buildCalloutResponse(reply)));
  if (reply.delayMs && reply.delayMs > 0) {
    handle.responseTimer = env.schedule(reply.delayMs, `http call ${handle.token} response`, deliver);
  } else {
    env.post(deliver);
  }
}

/** Answers a pending HTTP call the test left unscripted. */
export function answerHttpCall(env: CalloutEnvironment, key: string, reply: HttpReply): boolean {
  const pending = env.pendingHttp.get(key);
  if (!pending) return false;
  const { ctx, handle } = pending;
  env.pendingHttp.delete(key);
  const finish = (deliver: () => void): void => {
    handle.timer?.cancel();
    deliver();
  };
  scheduleHttpReply(
    env,
    handle,
    reply,
    (r) => finish(() => ctx.onHttpCallSuccess(handle.token, r)),
    () => finish(() => ctx.onHttpCallFailure(handle.token)),
  );
  return true;
}

/**
 * The cluster a gRPC `upstream` argument names: a serialized `envoy.config.core.v3.GrpcService` (field 1
 * `envoy_grpc.cluster_name`) or, when the bytes do not parse as one, the cluster name itself.
 */
export function grpcClusterName(service: Uint8Array): { cluster: string; fromProto: boolean } {
  const fields = decodeFields(service);
  if (fields && fields.length > 0) {
    for (const f of fields) {
      if (f.field === 1 && "bytes" in f) {
        const inner = decodeFields(f.bytes);
        for (const g of inner ?? []) {
          if (g.field === 1 && "bytes" in g) return { cluster: Buffer.from(g.bytes).toString("latin1"), fromProto: true };
        }
      }
    }
    return { cluster: "", fromProto: true };
  }
  return { cluster: Buffer.from(service).toString("latin1"), fromProto: false };
}

/**
 * A gRPC call or stream cancelled in the same VM callback that started it never reaches the cluster: Envoy's
 * async client has only queued it on a connection that is not up yet (observed on Envoy 1.40: the collector saw
 * nothing). It is taken off the record of calls that reached a cluster.
 */
function unlog(log: GrpcCallRequest[], request: GrpcCallRequest): void {
  const i = log.lastIndexOf(request);
  if (i >= 0) log.splice(i, 1);
}

/** What the collector sees of a gRPC call or stream (the module's byte strings as UTF-8 text). */
function grpcRequest(
  kind: GrpcCallRequest["kind"],
  token: number,
  cluster: string,
  serviceName: string,
  methodName: string,
  metadata: BytePair[],
  messages: Uint8Array[],
  timeoutMs: number,
): GrpcCallRequest {
  return {
    token,
    cluster: fromByteString(cluster),
    service: fromByteString(serviceName),
    method: fromByteString(methodName),
    initialMetadata: metadata.map(([k, v]) => [fromByteString(k), fromByteString(v)]),
    messages,
    timeoutMs,
    kind,
  };
}

/** `proxy_grpc_call` host side (Envoy `Context::grpcCall`). */
export function startGrpcCall(
  env: CalloutEnvironment,
  root: Context,
  service: Uint8Array,
  serviceName: string,
  methodName: string,
  metadata: BytePair[],
  message: Uint8Array,
  timeoutMs: number,
): { status: Status; token?: number } {
  const { cluster, fromProto } = grpcClusterName(service);
  const behaviour = env.clusters.get(cluster);
  if (!behaviour) return { status: fromProto ? Status.InternalFailure : Status.ParseFailure };
  const vm = root.vm;
  vm.nextGrpcCallId += 4;
  const token = vm.nextGrpcCallId >>> 0;
  const request = grpcRequest("call", token, cluster, serviceName, methodName, metadata, [message], timeoutMs);
  const key = `${vm.label}#${token}`;
  let sent = false;
  const handle: GrpcCallHandle = {
    token,
    request,
    timers: [],
    cancel() {
      for (const t of handle.timers) t.cancel();
      env.pendingGrpc.delete(key);
      if (!sent) unlog(env.grpcLog, request);
    },
  };
  root.grpcCalls.set(token, handle);
  const close = (status: number, msg: string): void => {
    handle.cancel();
    root.onGrpcClose(token, status, msg, true);
  };
  if (timeoutMs > 0) {
    handle.timers.push(env.schedule(timeoutMs, `grpc call ${token} timeout`, () => close(...GRPC_TIMEOUT)));
  }
  if (behaviour.down) {
    env.post(() => close(...GRPC_CONNECT_FAILURE));
    return { status: Status.Ok, token };
  }
  env.grpcLog.push(request);
  env.post(() => (sent = true));
  const reply = behaviour.grpc?.(request);
  if (!reply) {
    env.pendingGrpc.set(key, { ctx: root, handle });
    return { status: Status.Ok, token };
  }
  deliverGrpcCallReply(env, root, handle, reply);
  return { status: Status.Ok, token };
}

/** A unary reply: OK with a message → `on_grpc_receive` only; otherwise `on_grpc_close(status)`. */
export function deliverGrpcCallReply(env: CalloutEnvironment, root: Context, handle: GrpcCallHandle, reply: GrpcReply): void {
  const run = (): void => {
    handle.cancel();
    if (!root.grpcCalls.has(handle.token)) return;
    const status = reply.status ?? 0;
    // Envoy AsyncRequestImpl::onRemoteClose: OK without a message is a failure (INTERNAL, empty message).
    if (status === 0 && reply.messages?.[0] !== undefined) root.onGrpcReceive(handle.token, bodyBytes(reply.messages[0]), true);
    else if (status === 0) root.onGrpcClose(handle.token, 13, "", true);
    else root.onGrpcClose(handle.token, status, enhancedGrpcMessage(reply.statusMessage ?? "", "via_upstream"), true);
  };
  if (reply.delayMs && reply.delayMs > 0) handle.timers.push(env.schedule(reply.delayMs, `grpc call ${handle.token} reply`, run));
  else env.post(run);
}

/** `proxy_grpc_stream` host side (Envoy `Context::grpcStream`). */
export function startGrpcStream(
  env: CalloutEnvironment,
  root: Context,
  service: Uint8Array,
  serviceName: string,
  methodName: string,
  metadata: BytePair[],
): { status: Status; token?: number } {
  const { cluster, fromProto } = grpcClusterName(service);
  const behaviour = env.clusters.get(cluster);
  if (!behaviour) return { status: fromProto ? Status.InternalFailure : Status.ParseFailure };
  const vm = root.vm;
  vm.nextGrpcStreamId += 4;
  const token = vm.nextGrpcStreamId >>> 0;
  const request = grpcRequest("stream", token, cluster, serviceName, methodName, metadata, [], 0);
  const key = `${vm.label}#${token}`;
  let sent = false;
  const handle: GrpcStreamHandle = {
    token,
    request,
    localClosed: false,
    remoteClosed: false,
    timers: [],
    cancel() {
      for (const t of handle.timers) t.cancel();
      env.pendingGrpc.delete(key);
      if (!sent) unlog(env.grpcLog, request);
    },
  };
  root.grpcStreams.set(token, handle);
  if (behaviour.down) {
    env.post(() => {
      handle.remoteClosed = true;
      root.onGrpcClose(token, ...GRPC_CONNECT_FAILURE, false);
    });
    return { status: Status.Ok, token };
  }
  env.grpcLog.push(request);
  env.post(() => (sent = true));
  env.pendingGrpc.set(key, { ctx: root, handle });
  const reply = behaviour.grpc?.(request);
  if (reply) deliverGrpcStreamEvents(env, root, handle, reply);
  return { status: Status.Ok, token };
}

/** Stream events in order: initial metadata, each message, trailing metadata, then the remote close. */
export function deliverGrpcStreamEvents(env: CalloutEnvironment, root: Context, handle: GrpcStreamHandle, reply: GrpcReply): void {
  const run = (): void => {
    const alive = (): boolean => root.grpcStreams.has(handle.token);
    if (!alive()) return;
    if (reply.initialMetadata !== undefined) {
      // The response headers as Envoy's async client hands them over: `:status` first, the router's timing last.
      const init: Array<[string, string]> = [[":status", "200"], ...toPairs(reply.initialMetadata)];
      init.push(["x-envoy-upstream-service-time", String(Math.max(0, Math.floor(reply.delayMs ?? 0)))]);
      root.onGrpcReceiveInitialMetadata(handle.token, HeaderMap.from(init.map(([k, v]) => [toByteString(k), toByteString(v)])));
    }
    for (const m of reply.messages ?? []) {
      if (!alive()) return;
      root.onGrpcReceive(handle.token, bodyBytes(m), false);
    }
    if (reply.trailingMetadata !== undefined && alive()) {
      const trl = toPairs(reply.trailingMetadata);
      root.onGrpcReceiveTrailingMetadata(handle.token, HeaderMap.from(trl.map(([k, v]) => [toByteString(k), toByteString(v)])));
    }
    if (reply.status !== undefined && alive()) {
      handle.remoteClosed = true;
      root.onGrpcClose(handle.token, reply.status, enhancedGrpcMessage(reply.statusMessage ?? "", "via_upstream"), false);
    }
  };
  if (reply.delayMs && reply.delayMs > 0) handle.timers.push(env.schedule(reply.delayMs, `grpc stream ${handle.token} events`, run));
  else env.post(run);
}
