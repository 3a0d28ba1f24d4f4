/**
 * as-proxy-runtime harness: a Node proxy-wasm host that loads any ABI 0.2.1 `.wasm` and behaves like Envoy's.
 *
 * ```ts
 * import { createHost } from "../harness";
 * const host = createHost("build/hello.wasm", { configuration: { greeting: "hi" } });
 * const res = host.http({ method: "GET", path: "/" });
 * expect(res).toHaveHeader("x-hello", "hi");
 * ```
 *
 * See docs/HARNESS.md for the API, the Envoy behaviours modelled and the known differences.
 */
export { createHost, createMultiPluginHost, Host } from "./host";
export type { MultiPluginOptions, PluginSpecOptions, VmInfo } from "./host";
export type {
  ClientCertificateFacts,
  HostOptions,
  ListenerOptions,
  PluginOptions,
  ProxyOptions,
  WasmSource,
  XdsOptions,
} from "./options";
export { ENVOY_FILTER_STATE_FACTORIES } from "./options";
export type { HttpRequest, HttpResult, HttpStream } from "./http/stream";
export type { UpstreamBehaviour, UpstreamReply, UpstreamRequestView } from "./http/router";
export type { CalloutRequest, ClusterBehaviour, GrpcCallRequest, GrpcReply, HttpReply } from "./http/callouts";
export type { ForeignFunction } from "./abi/foreign";
export type { LogRecord } from "./state/logs";
export { formatEnvoyLine } from "./state/logs";
export type { TcpConnection } from "./tcp";
export type { FailState, HostcallRecord } from "./vm";
export * from "./enums";
export { HarnessUsageError, PluginConfigRejected, UnimplementedHostcall, WasmLoadError, WasmTrap } from "./errors";
export { decodePairs, decodePropertyPath, encodePairs, encodePropertyPath } from "./codec";
export { encodeFields } from "./properties/protobuf";
