/**
 * Callout hostcalls (spec v0.2.1 "HTTP calls", "gRPC calls"): `proxy_http_call`, `proxy_grpc_call`,
 * `proxy_grpc_stream`, `proxy_grpc_send`, `proxy_grpc_cancel`, `proxy_grpc_close`. Every callout is made by the
 * caller's **root** context (cpp-host `exports.cc http_call` uses `root_context()`).
 * https://github.com/proxy-wasm/spec/tree/main/abi-versions/v0.2.1#http-calls
 */
import { Buffer } from "node:buffer";
import { decodePairs } from "../codec";
import { Status } from "../enums";
import { sig } from "../module";
import { startGrpcCall, startGrpcStream, startHttpCall } from "../http/callouts";
import type { WasmVm } from "../vm";
import type { HostcallDef } from "./registry";

const isGrpcCallId = (t: number): boolean => (t & 3) === 1;
const isGrpcStreamId = (t: number): boolean => (t & 3) === 2;

type RootContextOf = ReturnType<WasmVm["ctx"]>["rootContext"];

/** Cancelling and closing a unary gRPC call are the same in Envoy: the call is cancelled and forgotten. */
function cancelGrpcCall(root: RootContextOf, token: number): number {
  const call = root.grpcCalls.get(token);
  if (!call) return Status.NotFound;
  call.cancel();
  root.grpcCalls.delete(token);
  return Status.Ok;
}

export function calloutHostcalls(vm: WasmVm): HostcallDef[] {
  const mem = (): WasmVm["memory"] => vm.memory;
  return [
    {
      // #proxy_http_call: validation is synchronous (BAD_ARGUMENT); tokens 4, 8, …; the token pointer is written
      // (as 0) before the call to validate it.
      name: "proxy_http_call",
      type: sig("iiiiiiiiii", "i"),
      fn(uPtr: number, uLen: number, hPtr: number, hLen: number, bPtr: number, bLen: number, tPtr: number, tLen: number, timeout: number, tokenPtr: number): number {
        const root = vm.ctx().rootContext;
        const m = mem();
        const upstream = m.readByteString(uPtr >>> 0, uLen >>> 0);
        const body = m.readBytes(bPtr >>> 0, bLen >>> 0);
        const headerBytes = m.viewBytes(hPtr >>> 0, hLen >>> 0);
        const headers = headerBytes === null ? null : decodePairs(headerBytes);
        const trailerBytes = m.viewBytes(tPtr >>> 0, tLen >>> 0);
        const trailers = trailerBytes === null ? null : decodePairs(trailerBytes);
        if (upstream === null || body === null || headers === null || trailers === null) return Status.InvalidMemoryAccess;
        if (!m.writeU32(tokenPtr >>> 0, 0)) return Status.InvalidMemoryAccess;
        const r = startHttpCall(vm.proxy.callouts, root, upstream, headers, body, trailers, timeout >>> 0);
        m.writeU32(tokenPtr >>> 0, r.token ?? 0);
        return r.status;
      },
    },
    {
      // #proxy_grpc_call: `upstream` is a serialized GrpcService or a cluster name (unknown → PARSE_FAILURE).
      name: "proxy_grpc_call",
      type: sig("iiiiiiiiiiii", "i"),
      fn(sPtr: number, sLen: number, nPtr: number, nLen: number, mPtr: number, mLen: number, mdPtr: number, mdLen: number, rPtr: number, rLen: number, timeout: number, tokenPtr: number): number {
        const root = vm.ctx().rootContext;
        const m = mem();
        const service = m.readBytes(sPtr >>> 0, sLen >>> 0);
        const serviceName = m.readByteString(nPtr >>> 0, nLen >>> 0);
        const method = m.readByteString(mPtr >>> 0, mLen >>> 0);
        const md = m.viewBytes(mdPtr >>> 0, mdLen >>> 0);
        const metadata = md === null ? null : decodePairs(md);
        const request = m.readBytes(rPtr >>> 0, rLen >>> 0);
        if (service === null || serviceName === null || method === null || metadata === null || request === null) {
          return Status.InvalidMemoryAccess;
        }
        const r = startGrpcCall(vm.proxy.callouts, root, service, serviceName, method, metadata, request, timeout >>> 0);
        if (r.status !== Status.Ok) return r.status;
        return m.writeU32(tokenPtr >>> 0, r.token!) ? Status.Ok : Status.InvalidMemoryAccess;
      },
    },
    {
      name: "proxy_grpc_stream",
      type: sig("iiiiiiiii", "i"),
      fn(sPtr: number, sLen: number, nPtr: number, nLen: number, mPtr: number, mLen: number, mdPtr: number, mdLen: number, tokenPtr: number): number {
        const root = vm.ctx().rootContext;
        const m = mem();
        const service = m.readBytes(sPtr >>> 0, sLen >>> 0);
        const serviceName = m.readByteString(nPtr >>> 0, nLen >>> 0);
        const method = m.readByteString(mPtr >>> 0, mLen >>> 0);
        const md = m.viewBytes(mdPtr >>> 0, mdLen >>> 0);
        const metadata = md === null ? null : decodePairs(md);
        if (service === null || serviceName === null || method === null || metadata === null) return Status.InvalidMemoryAccess;
        const r = startGrpcStream(vm.proxy.callouts, root, service, serviceName, method, metadata);
        if (r.status !== Status.Ok) return r.status;
        return m.writeU32(tokenPtr >>> 0, r.token!) ? Status.Ok : Status.InvalidMemoryAccess;
      },
    },
    {
      // #proxy_grpc_send: a non-stream token → BAD_ARGUMENT; unknown stream → NOT_FOUND.
      name: "proxy_grpc_send",
      type: sig("iiii", "i"),
      fn(token: number, ptr: number, size: number, endStream: number): number {
        const root = vm.ctx().rootContext;
        const message = mem().readBytes(ptr >>> 0, size >>> 0);
        if (message === null) return Status.InvalidMemoryAccess;
        const t = token >>> 0;
        if (!isGrpcStreamId(t)) return Status.BadArgument;
        const stream = root.grpcStreams.get(t);
        if (!stream) return Status.NotFound;
        stream.request.messages.push(Buffer.from(message));
        if (endStream !== 0) vm.proxy.callouts.onGrpcStreamHalfClosed?.(stream);
        return Status.Ok;
      },
    },
    {
      // #proxy_grpc_cancel: call → cancel; stream → reset; both forgotten.
      name: "proxy_grpc_cancel",
      type: sig("i", "i"),
      fn(token: number): number {
        const root = vm.ctx().rootContext;
        const t = token >>> 0;
        if (isGrpcCallId(t)) return cancelGrpcCall(root, t);
        if (isGrpcStreamId(t)) {
          const stream = root.grpcStreams.get(t);
          if (!stream) return Status.NotFound;
          stream.cancel();
          root.grpcStreams.delete(t);
          return Status.Ok;
        }
        return Status.BadArgument;
      },
    },
    {
      // #proxy_grpc_close: call → cancel; stream → half-close, forgotten once the remote side closed too.
      name: "proxy_grpc_close",
      type: sig("i", "i"),
      fn(token: number): number {
        const root = vm.ctx().rootContext;
        const t = token >>> 0;
        if (isGrpcCallId(t)) return cancelGrpcCall(root, t);
        if (isGrpcStreamId(t)) {
          const stream = root.grpcStreams.get(t);
          if (!stream) return Status.NotFound;
          if (stream.remoteClosed) {
            stream.cancel();
            root.grpcStreams.delete(t);
          } else {
            stream.localClosed = true;
          }
          return Status.Ok;
        }
        return Status.BadArgument;
      },
    },
  ];
}
