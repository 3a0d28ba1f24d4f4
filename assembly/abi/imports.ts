/**
 * The raw proxy-wasm ABI v0.2.1: every host function Envoy provides to a 0.2.1 module, as
 * `@external` declarations with the spec's names and parameter names, and nothing else.
 *
 * Sources: proxy-wasm/spec `abi-versions/v0.2.1/README.md`; proxy-wasm-cpp-host
 * `include/proxy-wasm/exports.h` (`FOR_ALL_HOST_FUNCTIONS`, `..._ABI_SPECIFIC`) and `src/wasm.cc
 * registerCallbacks` (which imports exist for which ABI version). Every `proxy_*` function returns a
 * `proxy_status_t` (see `enums.ts` `Status`); `return_*` parameters are out-pointers the host writes into.
 *
 * Only the SDK's `hostcalls/*` wrappers call these. AssemblyScript emits an import only for a declaration
 * that is used, so declaring the whole ABI here costs nothing in a module that uses part of it. ABI 0.1.0-only
 * functions (`proxy_get_configuration`, `proxy_continue_request`, `proxy_continue_response`,
 * `proxy_clear_route_cache`) are deliberately absent: a 0.2.1 module importing them fails to link in Envoy.
 */

// ---------------------------------------------------------------------------------------------------------
// Logging

@external("env", "proxy_log")
export declare function proxy_log(log_level: u32, message_data: usize, message_size: usize): u32;

/** ABI 0.2.1 only. Envoy returns its `wasm` logger level, which can also be 6 (off). */
@external("env", "proxy_get_log_level")
export declare function proxy_get_log_level(return_log_level: usize): u32;

// ---------------------------------------------------------------------------------------------------------
// Clocks and timers

/** Deprecated in the spec in favour of WASI `clock_time_get`; Envoy returns the wall clock. */
@external("env", "proxy_get_current_time_nanoseconds")
export declare function proxy_get_current_time_nanoseconds(return_time: usize): u32;

@external("env", "proxy_set_tick_period_milliseconds")
export declare function proxy_set_tick_period_milliseconds(tick_period: u32): u32;

// ---------------------------------------------------------------------------------------------------------
// Context lifecycle

@external("env", "proxy_set_effective_context")
export declare function proxy_set_effective_context(context_id: u32): u32;

@external("env", "proxy_done")
export declare function proxy_done(): u32;

// ---------------------------------------------------------------------------------------------------------
// Buffers

@external("env", "proxy_get_buffer_bytes")
export declare function proxy_get_buffer_bytes(
  buffer_id: u32,
  start: usize,
  max_size: usize,
  return_value_data: usize,
  return_value_size: usize,
): u32;

@external("env", "proxy_get_buffer_status")
export declare function proxy_get_buffer_status(buffer_id: u32, return_buffer_size: usize, return_ignored: usize): u32;

@external("env", "proxy_set_buffer_bytes")
export declare function proxy_set_buffer_bytes(
  buffer_id: u32,
  start: usize,
  size: usize,
  value_data: usize,
  value_size: usize,
): u32;

// ---------------------------------------------------------------------------------------------------------
// HTTP fields (header maps, trailers, gRPC metadata)

/** Envoy returns the map's serialized byte size, not its number of entries. */
@external("env", "proxy_get_header_map_size")
export declare function proxy_get_header_map_size(map_id: u32, return_serialized_pairs_size: usize): u32;

@external("env", "proxy_get_header_map_pairs")
export declare function proxy_get_header_map_pairs(
  map_id: u32,
  return_serialized_pairs_data: usize,
  return_serialized_pairs_size: usize,
): u32;

@external("env", "proxy_set_header_map_pairs")
export declare function proxy_set_header_map_pairs(
  map_id: u32,
  serialized_pairs_data: usize,
  serialized_pairs_size: usize,
): u32;

@external("env", "proxy_get_header_map_value")
export declare function proxy_get_header_map_value(
  map_id: u32,
  key_data: usize,
  key_size: usize,
  return_value_data: usize,
  return_value_size: usize,
): u32;

@external("env", "proxy_add_header_map_value")
export declare function proxy_add_header_map_value(
  map_id: u32,
  key_data: usize,
  key_size: usize,
  value_data: usize,
  value_size: usize,
): u32;

@external("env", "proxy_replace_header_map_value")
export declare function proxy_replace_header_map_value(
  map_id: u32,
  key_data: usize,
  key_size: usize,
  value_data: usize,
  value_size: usize,
): u32;

@external("env", "proxy_remove_header_map_value")
export declare function proxy_remove_header_map_value(map_id: u32, key_data: usize, key_size: usize): u32;

// ---------------------------------------------------------------------------------------------------------
// Common stream operations and HTTP local responses

@external("env", "proxy_continue_stream")
export declare function proxy_continue_stream(stream_type: u32): u32;

@external("env", "proxy_close_stream")
export declare function proxy_close_stream(stream_type: u32): u32;

@external("env", "proxy_send_local_response")
export declare function proxy_send_local_response(
  status_code: u32,
  status_code_details_data: usize,
  status_code_details_size: usize,
  body_data: usize,
  body_size: usize,
  serialized_headers_data: usize,
  serialized_headers_size: usize,
  grpc_status: i32,
): u32;

@external("env", "proxy_get_status")
export declare function proxy_get_status(
  return_status_code: usize,
  return_status_message_data: usize,
  return_status_message_size: usize,
): u32;

// ---------------------------------------------------------------------------------------------------------
// HTTP calls

@external("env", "proxy_http_call")
export declare function proxy_http_call(
  upstream_name_data: usize,
  upstream_name_size: usize,
  serialized_headers_data: usize,
  serialized_headers_size: usize,
  body_data: usize,
  body_size: usize,
  serialized_trailers_data: usize,
  serialized_trailers_size: usize,
  timeout: u32,
  return_call_id: usize,
): u32;

// ---------------------------------------------------------------------------------------------------------
// gRPC calls

@external("env", "proxy_grpc_call")
export declare function proxy_grpc_call(
  upstream_name_data: usize,
  upstream_name_size: usize,
  service_name_data: usize,
  service_name_size: usize,
  method_name_data: usize,
  method_name_size: usize,
  serialized_initial_metadata_data: usize,
  serialized_initial_metadata_size: usize,
  message_data: usize,
  message_size: usize,
  timeout: u32,
  return_call_id: usize,
): u32;

@external("env", "proxy_grpc_stream")
export declare function proxy_grpc_stream(
  upstream_name_data: usize,
  upstream_name_size: usize,
  service_name_data: usize,
  service_name_size: usize,
  method_name_data: usize,
  method_name_size: usize,
  serialized_initial_metadata_data: usize,
  serialized_initial_metadata_size: usize,
  return_stream_id: usize,
): u32;

@external("env", "proxy_grpc_send")
export declare function proxy_grpc_send(stream_id: u32, message_data: usize, message_size: usize, end_stream: u32): u32;

@external("env", "proxy_grpc_cancel")
export declare function proxy_grpc_cancel(call_or_stream_id: u32): u32;

@external("env", "proxy_grpc_close")
export declare function proxy_grpc_close(call_or_stream_id: u32): u32;

// ---------------------------------------------------------------------------------------------------------
// Shared key-value store

@external("env", "proxy_get_shared_data")
export declare function proxy_get_shared_data(
  key_data: usize,
  key_size: usize,
  return_value_data: usize,
  return_value_size: usize,
  return_cas: usize,
): u32;

@external("env", "proxy_set_shared_data")
export declare function proxy_set_shared_data(
  key_data: usize,
  key_size: usize,
  value_data: usize,
  value_size: usize,
  cas: u32,
): u32;

// ---------------------------------------------------------------------------------------------------------
// Shared queues

@external("env", "proxy_register_shared_queue")
export declare function proxy_register_shared_queue(name_data: usize, name_size: usize, return_queue_id: usize): u32;

@external("env", "proxy_resolve_shared_queue")
export declare function proxy_resolve_shared_queue(
  vm_id_data: usize,
  vm_id_size: usize,
  name_data: usize,
  name_size: usize,
  return_queue_id: usize,
): u32;

@external("env", "proxy_enqueue_shared_queue")
export declare function proxy_enqueue_shared_queue(queue_id: u32, value_data: usize, value_size: usize): u32;

@external("env", "proxy_dequeue_shared_queue")
export declare function proxy_dequeue_shared_queue(
  queue_id: u32,
  return_value_data: usize,
  return_value_size: usize,
): u32;

// ---------------------------------------------------------------------------------------------------------
// Metrics

@external("env", "proxy_define_metric")
export declare function proxy_define_metric(
  metric_type: u32,
  name_data: usize,
  name_size: usize,
  return_metric_id: usize,
): u32;

@external("env", "proxy_increment_metric")
export declare function proxy_increment_metric(metric_id: u32, delta: i64): u32;

@external("env", "proxy_record_metric")
export declare function proxy_record_metric(metric_id: u32, value: u64): u32;

@external("env", "proxy_get_metric")
export declare function proxy_get_metric(metric_id: u32, return_value: usize): u32;

// ---------------------------------------------------------------------------------------------------------
// Properties

@external("env", "proxy_get_property")
export declare function proxy_get_property(
  path_data: usize,
  path_size: usize,
  return_value_data: usize,
  return_value_size: usize,
): u32;

@external("env", "proxy_set_property")
export declare function proxy_set_property(path_data: usize, path_size: usize, value_data: usize, value_size: usize): u32;

// ---------------------------------------------------------------------------------------------------------
// Foreign function interface

@external("env", "proxy_call_foreign_function")
export declare function proxy_call_foreign_function(
  name_data: usize,
  name_size: usize,
  arguments_data: usize,
  arguments_size: usize,
  return_results_data: usize,
  return_results_size: usize,
): u32;

// ---------------------------------------------------------------------------------------------------------
// WASI (wasi_snapshot_preview1), only the functions an AssemblyScript module can need. cpp-host registers the
// same implementations under `wasi_unstable` too. They return `wasi_errno_t` (enums.ts `WasiErrno`).

/** fd 1 is logged at INFO, fd 2 at ERROR (one trailing newline removed); other fds → BADF. */
@external("wasi_snapshot_preview1", "fd_write")
export declare function fd_write(fd_id: u32, iovec: usize, iovec_size: usize, return_written_bytes: usize): u32;

/** Clock 0 = realtime, 1 = monotonic; others → NOTSUP. */
@external("wasi_snapshot_preview1", "clock_time_get")
export declare function clock_time_get(clock_id: u32, ignored_precision: u64, return_time: usize): u32;

/** At most 64 KiB per call (INVAL above). */
@external("wasi_snapshot_preview1", "random_get")
export declare function random_get(buffer: usize, buffer_size: usize): u32;
