/**
 * What Envoy's Wasm host (proxy-wasm-cpp-host + Envoy's extensions) offers a proxy-wasm ABI 0.2.1 module, and
 * the callback signatures it requires, as wasm value types. Used by the build checks
 * (test/build/modules.test.ts) to reject a module Envoy would refuse to load.
 *
 * Sources: cpp-host `include/proxy-wasm/exports.h` (host function signatures: `Word` → i32, `int64_t`/`uint64_t`
 * → i64, `void` → no result; the `FOR_ALL_*` lists), `src/wasm.cc registerCallbacks` (which `env.proxy_*` exist
 * per ABI version; every WASI function under both `wasi_unstable` and `wasi_snapshot_preview1`) and
 * `getFunctions` (exports looked up); Envoy `source/extensions/common/wasm/wasm.cc` (`env.envoy_resolve_dns`).
 */

export type ValueType = "i32" | "i64" | "f32" | "f64";

export interface FunctionSignature {
  params: ValueType[];
  results: ValueType[];
}

function sig(params: string, results = "i32"): FunctionSignature {
  const parse = (text: string): ValueType[] => (text === "" ? [] : (text.split(",") as ValueType[]));
  return { params: parse(params), results: parse(results) };
}

const i32x = (count: number): string => Array.from({ length: count }, () => "i32").join(",");

/** `env.*` functions a 0.2.1 module may import. */
export const ENVOY_ENV_FUNCTIONS: Record<string, FunctionSignature> = {
  proxy_log: sig(i32x(3)),
  proxy_get_log_level: sig(i32x(1)),
  proxy_get_current_time_nanoseconds: sig(i32x(1)),
  proxy_set_tick_period_milliseconds: sig(i32x(1)),
  proxy_set_effective_context: sig(i32x(1)),
  proxy_done: sig(""),
  proxy_get_buffer_bytes: sig(i32x(5)),
  proxy_get_buffer_status: sig(i32x(3)),
  proxy_set_buffer_bytes: sig(i32x(5)),
  proxy_get_header_map_size: sig(i32x(2)),
  proxy_get_header_map_pairs: sig(i32x(3)),
  proxy_set_header_map_pairs: sig(i32x(3)),
  proxy_get_header_map_value: sig(i32x(5)),
  proxy_add_header_map_value: sig(i32x(5)),
  proxy_replace_header_map_value: sig(i32x(5)),
  proxy_remove_header_map_value: sig(i32x(3)),
  proxy_continue_stream: sig(i32x(1)),
  proxy_close_stream: sig(i32x(1)),
  proxy_send_local_response: sig(i32x(8)),
  proxy_get_status: sig(i32x(3)),
  proxy_http_call: sig(i32x(10)),
  proxy_grpc_call: sig(i32x(12)),
  proxy_grpc_stream: sig(i32x(9)),
  proxy_grpc_send: sig(i32x(4)),
  proxy_grpc_cancel: sig(i32x(1)),
  proxy_grpc_close: sig(i32x(1)),
  proxy_get_shared_data: sig(i32x(5)),
  proxy_set_shared_data: sig(i32x(5)),
  proxy_register_shared_queue: sig(i32x(3)),
  proxy_resolve_shared_queue: sig(i32x(5)),
  proxy_enqueue_shared_queue: sig(i32x(3)),
  proxy_dequeue_shared_queue: sig(i32x(3)),
  proxy_define_metric: sig(i32x(4)),
  proxy_increment_metric: sig("i32,i64"),
  proxy_record_metric: sig("i32,i64"),
  proxy_get_metric: sig(i32x(2)),
  proxy_get_property: sig(i32x(4)),
  proxy_set_property: sig(i32x(4)),
  proxy_call_foreign_function: sig(i32x(6)),
  // Compatibility stubs cpp-host always registers.
  emscripten_notify_memory_growth: sig("i32", ""),
  pthread_equal: sig(i32x(2)),
  // Envoy-only extension.
  envoy_resolve_dns: sig(i32x(3)),
};

/**
 * `env.*` functions that exist only for ABI 0.1.0: a 0.2.1 module importing them fails to link
 * ("missing import"), so the checks name them specifically.
 */
export const ABI_0_1_0_ONLY = ["proxy_get_configuration", "proxy_continue_request", "proxy_continue_response", "proxy_clear_route_cache"];

/** WASI functions, registered under both `wasi_snapshot_preview1` and `wasi_unstable`. */
export const ENVOY_WASI_FUNCTIONS: Record<string, FunctionSignature> = {
  fd_write: sig(i32x(4)),
  fd_read: sig(i32x(4)),
  fd_seek: sig("i32,i64,i32,i32"),
  fd_close: sig(i32x(1)),
  fd_fdstat_get: sig(i32x(2)),
  fd_fdstat_set_flags: sig(i32x(2)),
  fd_fdstat_set_rights: sig("i32,i64,i64"),
  environ_get: sig(i32x(2)),
  environ_sizes_get: sig(i32x(2)),
  args_get: sig(i32x(2)),
  args_sizes_get: sig(i32x(2)),
  clock_time_get: sig("i32,i64,i32"),
  clock_res_get: sig(i32x(2)),
  fd_advise: sig("i32,i64,i64,i32"),
  fd_allocate: sig("i32,i64,i64"),
  fd_datasync: sig(i32x(1)),
  fd_filestat_set_size: sig("i32,i64"),
  fd_filestat_set_times: sig("i32,i64,i64,i32"),
  fd_pread: sig("i32,i32,i32,i64,i32"),
  fd_pwrite: sig("i32,i32,i32,i64,i32"),
  fd_readdir: sig("i32,i32,i32,i64,i32"),
  fd_renumber: sig(i32x(2)),
  fd_sync: sig(i32x(1)),
  fd_tell: sig(i32x(2)),
  path_create_directory: sig(i32x(3)),
  path_filestat_set_times: sig("i32,i32,i32,i32,i64,i64,i32"),
  path_link: sig(i32x(6)),
  path_readlink: sig(i32x(6)),
  path_remove_directory: sig(i32x(3)),
  path_rename: sig(i32x(6)),
  path_symlink: sig(i32x(4)),
  path_unlink_file: sig(i32x(3)),
  sock_accept: sig(i32x(3)),
  sock_recv: sig(i32x(6)),
  sock_send: sig(i32x(5)),
  sock_shutdown: sig(i32x(2)),
  random_get: sig(i32x(2)),
  sched_yield: sig(""),
  poll_oneoff: sig(i32x(4)),
  proc_exit: sig("i32", ""),
  path_open: sig("i32,i32,i32,i32,i32,i64,i64,i32,i32"),
  fd_prestat_get: sig(i32x(2)),
  fd_prestat_dir_name: sig(i32x(3)),
  path_filestat_get: sig(i32x(5)),
  fd_filestat_get: sig(i32x(2)),
};

export const WASI_MODULES = ["wasi_snapshot_preview1", "wasi_unstable"];

/** The signature Envoy would link `module.name` against, or undefined when Envoy does not provide it. */
export function envoyImportSignature(module: string, name: string): FunctionSignature | undefined {
  if (module === "env") return Object.hasOwn(ENVOY_ENV_FUNCTIONS, name) ? ENVOY_ENV_FUNCTIONS[name] : undefined;
  if (WASI_MODULES.includes(module)) return Object.hasOwn(ENVOY_WASI_FUNCTIONS, name) ? ENVOY_WASI_FUNCTIONS[name] : undefined;
  return undefined;
}

/**
 * Exports cpp-host looks up, with the signature it requires (a mismatch fails the load). A module need not
 * export all of them.
 */
export const ENVOY_CALLBACKS: Record<string, FunctionSignature> = {
  proxy_abi_version_0_2_1: sig("", ""),
  _initialize: sig("", ""),
  _start: sig("", ""),
  main: sig(i32x(2)),
  __main_void: sig(""),
  malloc: sig(i32x(1)),
  proxy_on_memory_allocate: sig(i32x(1)),
  proxy_on_context_create: sig(i32x(2), ""),
  proxy_on_vm_start: sig(i32x(2)),
  proxy_validate_configuration: sig(i32x(2)),
  proxy_on_configure: sig(i32x(2)),
  proxy_on_tick: sig(i32x(1), ""),
  proxy_on_queue_ready: sig(i32x(2), ""),
  proxy_on_foreign_function: sig(i32x(3), ""),
  proxy_on_new_connection: sig(i32x(1)),
  proxy_on_downstream_data: sig(i32x(3)),
  proxy_on_upstream_data: sig(i32x(3)),
  proxy_on_downstream_connection_close: sig(i32x(2), ""),
  proxy_on_upstream_connection_close: sig(i32x(2), ""),
  proxy_on_request_headers: sig(i32x(3)),
  proxy_on_request_body: sig(i32x(3)),
  proxy_on_request_trailers: sig(i32x(2)),
  proxy_on_request_metadata: sig(i32x(2)),
  proxy_on_response_headers: sig(i32x(3)),
  proxy_on_response_body: sig(i32x(3)),
  proxy_on_response_trailers: sig(i32x(2)),
  proxy_on_response_metadata: sig(i32x(2)),
  proxy_on_http_call_response: sig(i32x(5), ""),
  proxy_on_grpc_receive_initial_metadata: sig(i32x(3), ""),
  proxy_on_grpc_receive: sig(i32x(3), ""),
  proxy_on_grpc_receive_trailing_metadata: sig(i32x(3), ""),
  proxy_on_grpc_close: sig(i32x(3), ""),
  proxy_on_done: sig(i32x(1)),
  proxy_on_log: sig(i32x(1), ""),
  proxy_on_delete: sig(i32x(1), ""),
  envoy_on_resolve_dns: sig(i32x(3), ""),
  envoy_on_stats_update: sig(i32x(2), ""),
};

/** The spec's 0.2.1 callbacks (everything in ENVOY_CALLBACKS that the SDK must export). */
export const SPEC_CALLBACKS_0_2_1 = Object.keys(ENVOY_CALLBACKS).filter(
  (name) =>
    name.startsWith("proxy_on_") &&
    !["proxy_on_request_metadata", "proxy_on_response_metadata", "proxy_validate_configuration"].includes(name),
);
