/**
 * Every callback of proxy-wasm ABI v0.2.1, exported under the spec's name with the signature cpp-host
 * requires (a wrong signature fails the load, host-behaviour.md F.4), each forwarding in one line to the
 * dispatcher and then ending at a garbage-collection safe point (runtime/gc.ts: once the dispatcher has
 * returned, no managed reference lives in a Wasm local). Grouped like the spec's sections. A filter's entry
 * file re-exports this module through `assembly/exports.ts`; the build adds `_initialize` (`--exportStart`)
 * and `memory`.
 *
 * Not exported, on purpose: `proxy_validate_configuration` and `proxy_on_request_metadata`/
 * `proxy_on_response_metadata` (Envoy-only, not in the spec), `envoy_on_resolve_dns`.
 */

import * as dispatcher from "../dispatcher";
import { atSafePoint, resultAtSafePoint } from "../runtime/gc";
import { PeerType } from "./enums";

// Integration ----------------------------------------------------------------------------------------------

/** ABI version marker: cpp-host scans the export names for it and never calls it. */
export function proxy_abi_version_0_2_1(): void {}

// Memory management ------------------------------------------------------------------------------------------

export { malloc, proxy_on_memory_allocate } from "./memory";

// Context lifecycle ------------------------------------------------------------------------------------------

export function proxy_on_context_create(context_id: u32, parent_context_id: u32): void {
  dispatcher.onContextCreate(context_id, parent_context_id);
  atSafePoint();
}

export function proxy_on_done(context_id: u32): bool {
  return resultAtSafePoint(dispatcher.onDone(context_id));
}

export function proxy_on_log(context_id: u32): void {
  dispatcher.onLog(context_id);
  atSafePoint();
}

export function proxy_on_delete(context_id: u32): void {
  dispatcher.onDelete(context_id);
  atSafePoint();
}

// Configuration ----------------------------------------------------------------------------------------------

export function proxy_on_vm_start(plugin_context_id: u32, vm_configuration_size: usize): bool {
  return resultAtSafePoint(dispatcher.onVmStart(plugin_context_id, vm_configuration_size));
}

export function proxy_on_configure(plugin_context_id: u32, plugin_configuration_size: usize): bool {
  return resultAtSafePoint(dispatcher.onConfigure(plugin_context_id, plugin_configuration_size));
}

// Timers, queues, foreign functions --------------------------------------------------------------------------

export function proxy_on_tick(plugin_context_id: u32): void {
  dispatcher.onTick(plugin_context_id);
  atSafePoint();
}

export function proxy_on_queue_ready(plugin_context_id: u32, queue_id: u32): void {
  dispatcher.onQueueReady(plugin_context_id, queue_id);
  atSafePoint();
}

export function proxy_on_foreign_function(plugin_context_id: u32, function_id: u32, arguments_size: usize): void {
  dispatcher.onForeignFunction(plugin_context_id, function_id, arguments_size);
  atSafePoint();
}

// TCP streams ------------------------------------------------------------------------------------------------

export function proxy_on_new_connection(stream_context_id: u32): u32 {
  return resultAtSafePoint(dispatcher.onNewConnection(stream_context_id));
}

export function proxy_on_downstream_data(stream_context_id: u32, data_size: usize, end_of_stream: u32): u32 {
  return resultAtSafePoint(dispatcher.onDownstreamData(stream_context_id, data_size, end_of_stream != 0));
}

export function proxy_on_downstream_connection_close(stream_context_id: u32, peer_type: u32): void {
  dispatcher.onDownstreamConnectionClose(stream_context_id, <PeerType>peer_type);
  atSafePoint();
}

export function proxy_on_upstream_data(stream_context_id: u32, data_size: usize, end_of_stream: u32): u32 {
  return resultAtSafePoint(dispatcher.onUpstreamData(stream_context_id, data_size, end_of_stream != 0));
}

export function proxy_on_upstream_connection_close(stream_context_id: u32, peer_type: u32): void {
  dispatcher.onUpstreamConnectionClose(stream_context_id, <PeerType>peer_type);
  atSafePoint();
}

// HTTP -------------------------------------------------------------------------------------------------------

export function proxy_on_request_headers(stream_context_id: u32, num_headers: u32, end_of_stream: u32): u32 {
  return resultAtSafePoint(dispatcher.onRequestHeaders(stream_context_id, num_headers, end_of_stream != 0));
}

export function proxy_on_request_body(stream_context_id: u32, body_size: usize, end_of_stream: u32): u32 {
  return resultAtSafePoint(dispatcher.onRequestBody(stream_context_id, body_size, end_of_stream != 0));
}

export function proxy_on_request_trailers(stream_context_id: u32, num_trailers: u32): u32 {
  return resultAtSafePoint(dispatcher.onRequestTrailers(stream_context_id, num_trailers));
}

export function proxy_on_response_headers(stream_context_id: u32, num_headers: u32, end_of_stream: u32): u32 {
  return resultAtSafePoint(dispatcher.onResponseHeaders(stream_context_id, num_headers, end_of_stream != 0));
}

export function proxy_on_response_body(stream_context_id: u32, body_size: usize, end_of_stream: u32): u32 {
  return resultAtSafePoint(dispatcher.onResponseBody(stream_context_id, body_size, end_of_stream != 0));
}

export function proxy_on_response_trailers(stream_context_id: u32, num_trailers: u32): u32 {
  return resultAtSafePoint(dispatcher.onResponseTrailers(stream_context_id, num_trailers));
}

// HTTP calls -------------------------------------------------------------------------------------------------

export function proxy_on_http_call_response(
  plugin_context_id: u32,
  call_id: u32,
  num_headers: u32,
  body_size: usize,
  num_trailers: u32,
): void {
  dispatcher.onHttpCallResponse(plugin_context_id, call_id, num_headers, body_size, num_trailers);
  atSafePoint();
}

// gRPC calls -------------------------------------------------------------------------------------------------

export function proxy_on_grpc_receive_initial_metadata(plugin_context_id: u32, call_id: u32, num_elements: u32): void {
  dispatcher.onGrpcReceiveInitialMetadata(plugin_context_id, call_id, num_elements);
  atSafePoint();
}

export function proxy_on_grpc_receive(plugin_context_id: u32, call_id: u32, message_size: usize): void {
  dispatcher.onGrpcReceive(plugin_context_id, call_id, message_size);
  atSafePoint();
}

export function proxy_on_grpc_receive_trailing_metadata(plugin_context_id: u32, call_id: u32, num_elements: u32): void {
  dispatcher.onGrpcReceiveTrailingMetadata(plugin_context_id, call_id, num_elements);
  atSafePoint();
}

export function proxy_on_grpc_close(plugin_context_id: u32, call_id: u32, status_code: u32): void {
  dispatcher.onGrpcClose(plugin_context_id, call_id, status_code);
  atSafePoint();
}
