/**
 * The SDK's public surface: what filters import (`import { … } from "../../assembly"`). Re-exports only.
 * Filters never import `assembly/abi/*` directly. See docs/SDK.md (API) and docs/OVERVIEW.md (model).
 */

// Enumerations
export {
  Action,
  BufferType,
  DataStatus,
  GrpcStatus,
  HeadersStatus,
  LifeSpan,
  LogLevel,
  MapType,
  MetricType,
  PeerType,
  PropertyType,
  Status,
  StreamType,
} from "./abi/enums";

// Contexts and registration
export { BaseContext } from "./context/base";
export { RootContext } from "./context/root";
export { HttpContext } from "./context/http";
export { TcpContext } from "./context/tcp";
export { RootContextFactory, registerRootContext } from "./dispatcher";

// Codecs and printers
export { HeaderPair, HeaderPairBytes, pairValues } from "./codec/header-map";
export { decimalText, splitAt, unsignedDecimalText } from "./util/text-buffer";
export { encodeUtf8 } from "./util/utf8";
export { decodeUtf8Lossy, decodeUtf8LossyBuffer } from "./codec/text";

// Hostcall wrappers
export {
  Body,
  READ_ALL,
  downstreamData,
  foreignFunctionArguments,
  getBufferBytes,
  grpcReceiveBuffer,
  httpCallResponseBody,
  pluginConfiguration,
  requestBody,
  responseBody,
  upstreamData,
  vmConfiguration,
} from "./hostcalls/buffers";
export {
  HeaderMap,
  asciiLower,
  grpcInitialMetadata,
  grpcTrailingMetadata,
  headerPairsBlock,
  httpCallResponseHeaders,
  httpCallResponseTrailers,
  requestHeaders,
  requestTrailers,
  responseHeaders,
  responseTrailers,
} from "./hostcalls/headers";
export { Log, getLogLevel, logMessage } from "./hostcalls/logging";
export { currentTimeNanos, fillRandom, monotonicTimeNanos } from "./hostcalls/clocks";
export { setTickPeriod } from "./hostcalls/timers";
export { done, setEffectiveContext } from "./hostcalls/lifecycle";
export { CalloutStatus, closeStream, continueStream, getCalloutStatus, sendLocalResponse } from "./hostcalls/stream";
export {
  HttpCallResult,
  getHttpCallResponseBody,
  getHttpCallResponseHeaders,
  getHttpCallResponseTrailers,
  httpCall,
} from "./hostcalls/http-call";
export {
  GrpcCallResult,
  getGrpcInitialMetadata,
  getGrpcReceiveMessage,
  getGrpcTrailingMetadata,
  grpcCall,
  grpcCancel,
  grpcClose,
  grpcSend,
  grpcStream,
} from "./hostcalls/grpc";
export { SharedDataValue, getSharedData, setSharedData } from "./hostcalls/shared-data";
export { dequeueSharedQueue, enqueueSharedQueue, registerSharedQueue, resolveSharedQueue } from "./hostcalls/shared-queue";
export { Counter, Gauge, Histogram, TagPair, metricName } from "./hostcalls/metrics";
export {
  BoolValue,
  DoubleValue,
  Int64Value,
  Uint64Value,
  getProperty,
  getPropertyBool,
  getPropertyDouble,
  getPropertyDurationNanos,
  getPropertyInt64,
  getPropertyList,
  getPropertyMap,
  getPropertyString,
  getPropertyTimestampNanos,
  getPropertyUint64,
  setProperty,
  setPropertyString,
} from "./hostcalls/properties";
export {
  ForeignFunctionResult,
  callForeignFunction,
  clearRouteCache,
  declareProperty,
  getForeignFunctionArguments,
  setEnvoyFilterState,
} from "./hostcalls/foreign";
