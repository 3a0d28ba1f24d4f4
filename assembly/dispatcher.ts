/**
 * The dispatcher: every `proxy_on_*` export (abi/exports.ts) forwards here. It owns
 *
 * - the root-context factories, by `root_id`;
 * - the live contexts (roots, HTTP streams, TCP connections), by context id;
 * - the callout maps (HTTP-call and gRPC tokens → the id of the context that started the callout).
 *
 * Callout answers arrive with the root's id (Envoy issues every callout from the root context); the
 * dispatcher looks up the context that made the call, makes it the effective context
 * (`proxy_set_effective_context`) so that its hostcalls act on its stream, and calls its callback. Answers for
 * contexts deleted meanwhile are dropped (host-behaviour.md F.28). Callbacks for a context the SDK does not
 * know (a stream whose root returned no context) are answered with Continue/true.
 *
 * Every entry point starts by forgetting the cached host log level (see hostcalls/logging.ts).
 */

import { Action, LogLevel, PeerType, Status } from "./abi/enums";
import { BaseContext } from "./context/base";
import { HttpContext } from "./context/http";
import { RootContext } from "./context/root";
import { ContextTable } from "./context/table";
import { TcpContext } from "./context/tcp";
import { setEffectiveContext } from "./hostcalls/lifecycle";
import { Log, forgetLogLevel, logMessage } from "./hostcalls/logging";
import { getTopLevelPropertyString } from "./hostcalls/properties";
import { E_CALLOUT_FOR_DELETED_CONTEXT, E_NO_ROOT_FACTORY, E_REGISTERED_ROOT_IDS } from "./util/errors";
import { decimalText } from "./util/text-buffer";

/** Creates the root context for a plugin; must not capture variables (AssemblyScript has no closures). */
export type RootContextFactory = (contextId: u32) => RootContext;

// Registered factories, in registration order. A module registers a handful at most, so a linear search
// beats a Map<string, …> (which would add ~1.5 KB of hashing and rehash code to every module).
const factoryRootIds = new Array<string>();
const factories = new Array<RootContextFactory>();

/** Every live context (root, HTTP, TCP) by context id. One table keeps the module small; `instanceof` tells kinds apart. */
const contexts = new ContextTable();

// Callouts in flight: token → the context that started it. The tables hold the context object, not its id, so
// that an answer can be checked against the live context with that id (a deleted context is dropped; ids are
// never reused while live).
/** HTTP-call token → the context that made the call. */
const httpCallouts = new ContextTable();
/** gRPC call/stream token → the context that started it. */
const grpcCallouts = new ContextTable();
/** The tokens in {@link grpcCallouts} that are streams: a closed stream, unlike a closed call, still gets answers until `onGrpcClose`. */
const grpcStreams = new ContextTable();

/**
 * Registers the root-context factory for `rootId` (Envoy `root_id`; Istio sets it to the WasmPlugin's
 * `pluginName`). Call it from the filter's top-level code. May be called for several root ids; a later call
 * for the same id replaces the earlier one.
 *
 * Selection when the host creates a root context: the factory registered for the context's `plugin_root_id`;
 * else the one registered for ""; else, when exactly one factory is registered, that one. Otherwise the root
 * refuses to start (`onVmStart` → false with a critical log line naming the root id).
 */
export function registerRootContext(rootId: string, factory: RootContextFactory): void {
  const index = factoryRootIds.indexOf(rootId);
  if (index >= 0) {
    unchecked((factories[index] = factory));
  } else {
    factoryRootIds.push(rootId);
    factories.push(factory);
  }
}

/** A root whose `root_id` matches no factory: it fails the start with a log line that says so. */
class UnregisteredRootContext extends RootContext {
  onVmStart(vmConfigurationSize: usize): bool {
    let registered = "";
    for (let i = 0, n = factoryRootIds.length; i < n; i++) {
      if (i > 0) registered += ", ";
      registered += '"' + unchecked(factoryRootIds[i]) + '"';
    }
    logMessage(LogLevel.Critical, E_NO_ROOT_FACTORY + '"' + this.rootId + '"' + E_REGISTERED_ROOT_IDS + registered);
    return false;
  }

  onConfigure(pluginConfigurationSize: usize): bool {
    return false;
  }
}

function createRootContext(contextId: u32): void {
  const rootIdValue = getTopLevelPropertyString("plugin_root_id");
  const rootId = rootIdValue !== null ? rootIdValue : "";
  let index = factoryRootIds.indexOf(rootId);
  if (index < 0) index = factoryRootIds.indexOf("");
  if (index < 0 && factories.length == 1) index = 0;
  const root = index >= 0 ? unchecked(factories[index])(contextId) : new UnregisteredRootContext(contextId);
  root.rootId = rootId;
  contexts.set(contextId, root);
}

function findContext(contextId: u32): BaseContext | null {
  return contexts.get(contextId);
}

// One-entry cache: a stream's callbacks come in runs, so most lookups hit the same context.
let lastHttpId: u32 = 0;
let lastHttp: HttpContext | null = null;

function findHttp(contextId: u32): HttpContext | null {
  if (contextId == lastHttpId) return lastHttp;
  const context = findContext(contextId);
  if (!(context instanceof HttpContext)) return null;
  const http = changetype<HttpContext>(context);
  lastHttpId = contextId;
  lastHttp = http;
  return http;
}

function findTcp(contextId: u32): TcpContext | null {
  const context = findContext(contextId);
  return context instanceof TcpContext ? changetype<TcpContext>(context) : null;
}

function findRoot(contextId: u32): RootContext | null {
  const context = findContext(contextId);
  return context instanceof RootContext ? changetype<RootContext>(context) : null;
}

// ---------------------------------------------------------------------------------------------------------
// Entry points: one per proxy_on_* callback, called only by abi/exports.ts, in the spec's sections.
// Context lifecycle

export function onContextCreate(contextId: u32, parentContextId: u32): void {
  forgetLogLevel();
  if (parentContextId == 0) {
    createRootContext(contextId);
    return;
  }
  const root = findRoot(parentContextId);
  if (root === null) return;
  const http = root.createHttpContext(contextId);
  if (http !== null) {
    contexts.set(contextId, http);
    return;
  }
  const tcp = root.createTcpContext(contextId);
  if (tcp !== null) contexts.set(contextId, tcp);
}

export function onDone(contextId: u32): bool {
  forgetLogLevel();
  const context = findContext(contextId);
  return context !== null ? context.onDone() : true;
}

export function onLog(contextId: u32): void {
  forgetLogLevel();
  const context = findContext(contextId);
  if (context !== null) context.onLog();
}

export function onDelete(contextId: u32): void {
  forgetLogLevel();
  const context = findContext(contextId);
  if (context === null) return;
  if (contextId == lastHttpId) {
    lastHttpId = 0;
    lastHttp = null;
  }
  contexts.delete(contextId);
  context.onDelete();
}

// ---------------------------------------------------------------------------------------------------------
// Root contexts

export function onVmStart(rootContextId: u32, vmConfigurationSize: usize): bool {
  forgetLogLevel();
  const root = findRoot(rootContextId);
  return root !== null ? root.onVmStart(vmConfigurationSize) : false;
}

export function onConfigure(rootContextId: u32, pluginConfigurationSize: usize): bool {
  forgetLogLevel();
  const root = findRoot(rootContextId);
  return root !== null ? root.onConfigure(pluginConfigurationSize) : false;
}

export function onTick(rootContextId: u32): void {
  forgetLogLevel();
  const root = findRoot(rootContextId);
  if (root !== null) root.onTick();
}

export function onQueueReady(rootContextId: u32, queueId: u32): void {
  forgetLogLevel();
  const root = findRoot(rootContextId);
  if (root !== null) root.onQueueReady(queueId);
}

export function onForeignFunction(rootContextId: u32, functionId: u32, argumentsSize: usize): void {
  forgetLogLevel();
  const root = findRoot(rootContextId);
  if (root !== null) root.onForeignFunction(functionId, argumentsSize);
}

// ---------------------------------------------------------------------------------------------------------
// HTTP streams

export function onRequestHeaders(contextId: u32, numHeaders: u32, endOfStream: bool): Action {
  forgetLogLevel();
  const http = findHttp(contextId);
  return http !== null ? http.onRequestHeaders(numHeaders, endOfStream) : Action.Continue;
}

export function onRequestBody(contextId: u32, bodySize: usize, endOfStream: bool): Action {
  forgetLogLevel();
  const http = findHttp(contextId);
  return http !== null ? http.onRequestBody(bodySize, endOfStream) : Action.Continue;
}

export function onRequestTrailers(contextId: u32, numTrailers: u32): Action {
  forgetLogLevel();
  const http = findHttp(contextId);
  return http !== null ? http.onRequestTrailers(numTrailers) : Action.Continue;
}

export function onResponseHeaders(contextId: u32, numHeaders: u32, endOfStream: bool): Action {
  forgetLogLevel();
  const http = findHttp(contextId);
  return http !== null ? http.onResponseHeaders(numHeaders, endOfStream) : Action.Continue;
}

export function onResponseBody(contextId: u32, bodySize: usize, endOfStream: bool): Action {
  forgetLogLevel();
  const http = findHttp(contextId);
  return http !== null ? http.onResponseBody(bodySize, endOfStream) : Action.Continue;
}

export function onResponseTrailers(contextId: u32, numTrailers: u32): Action {
  forgetLogLevel();
  const http = findHttp(contextId);
  return http !== null ? http.onResponseTrailers(numTrailers) : Action.Continue;
}

// ---------------------------------------------------------------------------------------------------------
// TCP streams

export function onNewConnection(contextId: u32): Action {
  forgetLogLevel();
  const tcp = findTcp(contextId);
  return tcp !== null ? tcp.onNewConnection() : Action.Continue;
}

export function onDownstreamData(contextId: u32, dataSize: usize, endOfStream: bool): Action {
  forgetLogLevel();
  const tcp = findTcp(contextId);
  return tcp !== null ? tcp.onDownstreamData(dataSize, endOfStream) : Action.Continue;
}

export function onUpstreamData(contextId: u32, dataSize: usize, endOfStream: bool): Action {
  forgetLogLevel();
  const tcp = findTcp(contextId);
  return tcp !== null ? tcp.onUpstreamData(dataSize, endOfStream) : Action.Continue;
}

export function onDownstreamConnectionClose(contextId: u32, peerType: PeerType): void {
  forgetLogLevel();
  const tcp = findTcp(contextId);
  if (tcp !== null) tcp.onDownstreamConnectionClose(peerType);
}

export function onUpstreamConnectionClose(contextId: u32, peerType: PeerType): void {
  forgetLogLevel();
  const tcp = findTcp(contextId);
  if (tcp !== null) tcp.onUpstreamConnectionClose(peerType);
}

// ---------------------------------------------------------------------------------------------------------
// Callouts

/** Records that `from` made HTTP call `token` (called by `httpCall`). */
export function trackHttpCallout(token: u32, from: BaseContext): void {
  httpCallouts.set(token, from);
}

/** Records that `from` started gRPC call or stream `token` (called by `grpcCall`/`grpcStream`). */
export function trackGrpcCallout(token: u32, from: BaseContext, isStream: bool): void {
  grpcCallouts.set(token, from);
  if (isStream) grpcStreams.set(token, from);
  else grpcStreams.delete(token);
}

/**
 * Forgets gRPC `token` when no further callback can come: after a cancel, or after a close of a unary call
 * (a closed stream still gets answers until `onGrpcClose`).
 */
export function forgetGrpcCallout(token: u32, cancelled: bool): void {
  if (cancelled || !grpcStreams.has(token)) {
    grpcCallouts.delete(token);
    grpcStreams.delete(token);
  }
}

/**
 * The context a callout answer belongs to, made effective; null when the answer must be dropped because that
 * context was deleted meanwhile (host-behaviour.md F.28). Answers to callouts the SDK did not start (raw
 * hostcalls) go to the receiving root.
 */
function calloutTarget(rootContextId: u32, callouts: ContextTable, token: u32): BaseContext | null {
  const from = callouts.get(token);
  if (from === null) return findContext(rootContextId);
  const contextId = from.contextId;
  if (findContext(contextId) !== from) {
    if (Log.isEnabled(LogLevel.Debug)) logMessage(LogLevel.Debug, E_CALLOUT_FOR_DELETED_CONTEXT + decimalText(contextId));
    return null;
  }
  if (contextId != rootContextId && setEffectiveContext(contextId) != Status.Ok) return null;
  return from;
}

export function onHttpCallResponse(rootContextId: u32, token: u32, numHeaders: u32, bodySize: usize, numTrailers: u32): void {
  forgetLogLevel();
  const context = calloutTarget(rootContextId, httpCallouts, token);
  httpCallouts.delete(token);
  if (context !== null) context.onHttpCallResponse(token, numHeaders, bodySize, numTrailers);
}

function grpcTarget(rootContextId: u32, token: u32): BaseContext | null {
  return calloutTarget(rootContextId, grpcCallouts, token);
}

export function onGrpcReceiveInitialMetadata(rootContextId: u32, token: u32, numElements: u32): void {
  forgetLogLevel();
  const context = grpcTarget(rootContextId, token);
  if (context !== null) context.onGrpcReceiveInitialMetadata(token, numElements);
}

export function onGrpcReceive(rootContextId: u32, token: u32, messageSize: usize): void {
  forgetLogLevel();
  const context = grpcTarget(rootContextId, token);
  // A unary call's response is its last callback: Envoy sends onGrpcClose only when a call fails
  // (context.cc onGrpcReceiveWrapper erases the call), so forget the token now.
  if (!grpcStreams.has(token)) grpcCallouts.delete(token);
  if (context !== null) context.onGrpcReceive(token, messageSize);
}

export function onGrpcReceiveTrailingMetadata(rootContextId: u32, token: u32, numElements: u32): void {
  forgetLogLevel();
  const context = grpcTarget(rootContextId, token);
  if (context !== null) context.onGrpcReceiveTrailingMetadata(token, numElements);
}

export function onGrpcClose(rootContextId: u32, token: u32, statusCode: u32): void {
  forgetLogLevel();
  const context = grpcTarget(rootContextId, token);
  grpcCallouts.delete(token);
  grpcStreams.delete(token);
  if (context !== null) context.onGrpcClose(token, statusCode);
}
