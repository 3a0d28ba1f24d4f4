/**
 * The test-facing host: one simulated Envoy process with one or more Wasm plugins in its HTTP filter chain.
 *
 * Drivers are named after host events (`http`, `stream`, `tcp`, `advance`, `respondToHttpCall`, `shutdown`…),
 * inspectors read host state (`logs`, `counter`, `sharedData`, `queue`, `vm`…). Everything runs on a fake clock
 * and a deterministic dispatcher; nothing happens behind the test's back.
 */
import { Buffer } from "node:buffer";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { fromByteString, toByteString } from "./codec";
import type { Context } from "./context";
import { HarnessUsageError, PluginConfigRejected, WasmLoadError } from "./errors";
import {
  answerHttpCall,
  deliverGrpcCallReply,
  deliverGrpcStreamEvents,
  type CalloutRequest,
  type GrpcCallHandle,
  type GrpcCallRequest,
  type GrpcReply,
  type GrpcStreamHandle,
  type HttpReply,
} from "./http/callouts";
import { echoUpstream, type UpstreamBehaviour } from "./http/router";
import { HttpStream, type HttpRequest, type HttpResult } from "./http/stream";
import {
  type HostOptions,
  type PluginOptions,
  type ProxyOptions,
  type WasmSource,
  resolveProxyOptions,
  validatePluginOptions,
} from "./options";
import { PluginRuntime, type PluginLoadResult } from "./plugin";
import { Proxy } from "./proxy";
import type { LogLevelName } from "./scenario/types";
import { LOG_LEVEL_NAMES, type LogRecord, formatEnvoyLine } from "./state/logs";
import type { Stat } from "./state/stats";
import { TcpConnection } from "./tcp";
import type { FailState, HostcallRecord, WasmVm } from "./vm";

/** A plugin in a multi-plugin host. */
export interface PluginSpecOptions extends PluginOptions {
  wasm: WasmSource;
}

/** Options for a host with several plugins (HTTP filter-chain order). */
export interface MultiPluginOptions extends ProxyOptions {
  plugins: PluginSpecOptions[];
}

function readWasm(source: WasmSource, where: string): { key: Uint8Array | WebAssembly.Module; bytes: Uint8Array | undefined; file?: string } {
  if (typeof source === "string") {
    let bytes: Buffer;
    try {
      bytes = readFileSync(source);
    } catch (e) {
      throw new TypeError(`${where}: cannot read ${source}: ${(e as Error).message}`);
    }
    return { key: bytes, bytes, file: source };
  }
  if (source instanceof WebAssembly.Module) return { key: source, bytes: undefined };
  if (source instanceof ArrayBuffer) {
    const bytes = new Uint8Array(source);
    return { key: bytes, bytes };
  }
  if (source instanceof Uint8Array) return { key: source, bytes: source };
  throw new TypeError(`${where}: expected .wasm bytes, a file path or a WebAssembly.Module`);
}

/** Creates a host running `wasm` as the only Wasm filter. Throws `PluginConfigRejected` when Envoy would NACK it. */
export function createHost(wasm: WasmSource, options: HostOptions = {}): Host {
  const {
    name,
    rootId,
    vmId,
    configuration,
    vmConfiguration,
    failurePolicy,
    allowOnHeadersStopIteration,
    environment,
    allowedCapabilities,
    reloadBackoffMs,
    ...proxyOptions
  } = options;
  const plugin: PluginSpecOptions = { wasm };
  if (name !== undefined) plugin.name = name;
  if (rootId !== undefined) plugin.rootId = rootId;
  if (vmId !== undefined) plugin.vmId = vmId;
  if (configuration !== undefined) plugin.configuration = configuration;
  if (vmConfiguration !== undefined) plugin.vmConfiguration = vmConfiguration;
  if (failurePolicy !== undefined) plugin.failurePolicy = failurePolicy;
  if (allowOnHeadersStopIteration !== undefined) plugin.allowOnHeadersStopIteration = allowOnHeadersStopIteration;
  if (environment !== undefined) plugin.environment = environment;
  if (allowedCapabilities !== undefined) plugin.allowedCapabilities = allowedCapabilities;
  if (reloadBackoffMs !== undefined) plugin.reloadBackoffMs = reloadBackoffMs;
  return createMultiPluginHost({ ...proxyOptions, plugins: [plugin] });
}

/** Creates a host with several Wasm filters, in filter-chain order. */
export function createMultiPluginHost(options: MultiPluginOptions): Host {
  if (!Array.isArray(options.plugins) || options.plugins.length === 0) {
    throw new TypeError("harness option plugins: expected at least one plugin");
  }
  const proxy = new Proxy(resolveProxyOptions(options));
  const host = new Host(proxy);
  options.plugins.forEach((p, i) => {
    const where = `plugins[${i}]`;
    validatePluginOptions(p, where);
    const { key, bytes, file } = readWasm(p.wasm, `${where}.wasm`);
    const name = p.name ?? (file ? `default.${basename(file).replace(/\.wasm$/, "")}` : "plugin");
    let result: PluginLoadResult;
    let runtime: PluginRuntime | null = null;
    try {
      const compiled = proxy.compile(key, bytes);
      runtime = new PluginRuntime(proxy, compiled, {
        name,
        rootId: p.rootId ?? "",
        vmId: p.vmId ?? "",
        configuration: PluginRuntime.configurationBytes(p.configuration),
        vmConfiguration:
          p.vmConfiguration === undefined
            ? new Uint8Array(0)
            : typeof p.vmConfiguration === "string"
              ? Buffer.from(p.vmConfiguration, "utf8")
              : p.vmConfiguration,
        failurePolicy: p.failurePolicy ?? "FAIL_CLOSED",
        allowOnHeadersStopIteration: p.allowOnHeadersStopIteration ?? false,
        environment: Object.entries(p.environment ?? {}),
        allowedCapabilities: p.allowedCapabilities ? new Set(p.allowedCapabilities) : null,
        reloadBackoffMs: p.reloadBackoffMs ?? 1000,
      }, proxy.options.xds);
      result = runtime.load(proxy.options.workers);
    } catch (e) {
      if (!(e instanceof WasmLoadError)) throw e;
      proxy.envoyFail(e.message, "main");
      proxy.envoyFail("Failed to load Wasm code", "main");
      const message = `Unable to create Wasm HTTP filter ${name}`;
      proxy.envoyLog("error", message, "main");
      result = { ok: false, failState: e.failState, message, details: [e.message] };
    }
    if (!result.ok) {
      host.rejection = { plugin: name, failState: result.failState ?? "", message: result.message ?? "", details: result.details };
      if (!options.allowRejection) {
        throw new PluginConfigRejected(`${result.message}: ${result.details.join("; ")}`, result.failState ?? "", result.details);
      }
      return;
    }
    proxy.plugins.push(runtime!);
  });
  return host;
}

/** Host-side view of one VM instance. */
export interface VmInfo {
  label: string;
  failState: FailState;
  failMessage: string;
  /** Memory size in bytes (a leak shows as growth). */
  memoryBytes: number;
  /** Live context ids (root and streams). */
  contextIds: number[];
  /** The plugin's root context id on this VM, if any. */
  rootContextId: number | null;
  tickPeriodMs: number;
}

export class Host {
  /** Set when a plugin configuration was rejected (only with `allowRejection`). */
  rejection: { plugin: string; failState: string; message: string; details: string[] } | null = null;

  constructor(readonly proxy: Proxy) {}

  private requireLoaded(): void {
    if (this.rejection) {
      throw new HarnessUsageError(`the configuration of ${this.rejection.plugin} was rejected (${this.rejection.message}); nothing to drive`);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Drivers
  // ---------------------------------------------------------------------------------------------------------------

  /**
   * One request, end to end: the client sends it all, the upstream answers (`upstream`, else the host's
   * `upstream` option, else a 200 echoing the request body), timers and callouts run on the fake clock until the
   * stream ends (`on_log` → `on_done` → `on_delete`).
   */
  http(request: HttpRequest = {}, upstream?: UpstreamBehaviour): HttpResult {
    this.requireLoaded();
    const stream = new HttpStream(this.proxy, request, upstream ?? this.proxy.options.upstream ?? echoUpstream);
    return stream.run(this.proxy.options.maxRequestMs);
  }

  /**
   * A request driven step by step: `sendRequestHeaders()`, `sendRequestData()`, `sendRequestTrailers()` (or
   * `sendRequest()`), then `respond()` when the upstream is "manual", `drain()`, `result()`.
   */
  stream(request: HttpRequest = {}, upstream: UpstreamBehaviour | "manual" = "manual"): HttpStream {
    this.requireLoaded();
    return new HttpStream(this.proxy, request, upstream);
  }

  /** A TCP connection through the first plugin (as a network filter); `open()` sends `on_new_connection`. */
  tcp(options: { worker?: number } = {}): TcpConnection {
    this.requireLoaded();
    const ctx = this.proxy.plugins[0]!.createNetworkContext(options.worker ?? 0);
    return new TcpConnection(this.proxy, ctx);
  }

  /** Moves the fake clock, firing due timers (ticks, callout answers, timeouts) and posted events in order. */
  advance(ms: number): void {
    this.proxy.dispatcher.advance(ms);
  }

  /** Runs posted events (queue notifications, callout answers) without moving the clock. */
  runUntilIdle(): void {
    this.proxy.dispatcher.runPosted();
  }

  /** Answers an HTTP callout that no cluster script answered. */
  respondToHttpCall(token: number, reply: HttpReply, options: { worker?: number } = {}): void {
    const key = this.callKey(token, options.worker, this.proxy.callouts.pendingHttp);
    if (!answerHttpCall(this.proxy.callouts, key, reply)) throw new HarnessUsageError(`no pending HTTP callout with token ${token}`);
    this.proxy.dispatcher.runPosted();
  }

  /** Answers a pending gRPC call, or pushes events on a gRPC stream. */
  respondToGrpc(token: number, reply: GrpcReply, options: { worker?: number } = {}): void {
    const key = this.callKey(token, options.worker, this.proxy.callouts.pendingGrpc);
    const pending = this.proxy.callouts.pendingGrpc.get(key);
    if (!pending) throw new HarnessUsageError(`no pending gRPC call or stream with token ${token}`);
    if (pending.handle.request.kind === "call") {
      this.proxy.callouts.pendingGrpc.delete(key);
      deliverGrpcCallReply(this.proxy.callouts, pending.ctx, pending.handle as GrpcCallHandle, reply);
    } else {
      deliverGrpcStreamEvents(this.proxy.callouts, pending.ctx, pending.handle as GrpcStreamHandle, reply);
    }
    this.proxy.dispatcher.runPosted();
  }

  private callKey(token: number, worker: number | undefined, map: Map<string, unknown>): string {
    if (worker !== undefined) return `worker-${worker}#${token}`;
    const matches = [...map.keys()].filter((k) => k.endsWith(`#${token}`));
    if (matches.length > 1) throw new HarnessUsageError(`token ${token} is pending on several VMs (${matches.join(", ")}): pass { worker }`);
    return matches[0] ?? `worker-0#${token}`;
  }

  /** `proxy_on_foreign_function(root, id, size)` with `args` readable as buffer 8 (Envoy calls it only in tests). */
  callOnForeignFunction(functionId: number, args: Uint8Array | string = new Uint8Array(0), options: { worker?: number; plugin?: number } = {}): void {
    const root = this.rootContext(options);
    root.onForeignFunction(functionId, typeof args === "string" ? Buffer.from(args, "utf8") : args);
    this.proxy.dispatcher.runPosted();
  }

  /** Envoy shutdown: `on_done` for every root; `on_delete` now, or after `proxy_done`. */
  shutdown(): void {
    this.proxy.shutdown();
    this.proxy.dispatcher.runPosted();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Inspectors
  // ---------------------------------------------------------------------------------------------------------------

  /** Captured log lines, optionally only at `level` (exact) or from one plugin. */
  logs(filter: { level?: LogLevelName; plugin?: string; source?: LogRecord["source"] } = {}): LogRecord[] {
    return this.proxy.logs.records.filter(
      (r) =>
        (filter.level === undefined || r.level === filter.level) &&
        (filter.plugin === undefined || r.plugin === filter.plugin) &&
        (filter.source === undefined || r.source === filter.source),
    );
  }

  /** The lines as Envoy prints them (`wasm log <plugin>: <message>`). */
  logLines(): string[] {
    return this.proxy.logs.records.map(formatEnvoyLine);
  }

  /** Every metric: name (no `wasmcustom.`) → stat. */
  metrics(): Stat[] {
    return this.proxy.stats.all();
  }

  counter(name: string): number | undefined {
    const s = this.proxy.stats.find(name, "counter");
    return s ? Number(s.value) : undefined;
  }

  gauge(name: string): number | undefined {
    const s = this.proxy.stats.find(name, "gauge");
    return s ? Number(s.value) : undefined;
  }

  histogram(name: string): number[] | undefined {
    return this.proxy.stats.find(name, "histogram")?.samples.map(Number);
  }

  /** Shared data under `vmId` (default: the first plugin's). */
  sharedData(key: string, vmId?: string): { value: string; bytes: Buffer; cas: number } | undefined {
    const id = vmId ?? this.proxy.plugins[0]?.config.vmId ?? "";
    const v = this.proxy.sharedData.get(id, toByteString(key));
    return v ? { value: Buffer.from(v.value).toString("utf8"), bytes: Buffer.from(v.value), cas: v.cas } : undefined;
  }

  /** Writes shared data as another plugin would (cas 0). */
  setSharedData(key: string, value: string | Uint8Array, vmId?: string): void {
    const id = vmId ?? this.proxy.plugins[0]?.config.vmId ?? "";
    this.proxy.sharedData.set(id, toByteString(key), typeof value === "string" ? Buffer.from(value, "utf8") : value, 0);
  }

  /** A shared queue by name: its token and pending items. */
  queue(name: string, vmId?: string): { token: number; items: string[] } | undefined {
    const id = vmId ?? this.proxy.plugins[0]?.config.vmId ?? "";
    const token = this.proxy.sharedQueues.resolve(id, toByteString(name));
    if (token === 0) return undefined;
    const q = this.proxy.sharedQueues.get(token)!;
    return { token, items: q.items.map((i) => Buffer.from(i).toString("utf8")) };
  }

  /** Enqueues as another plugin would (notifies the registrant asynchronously; run `runUntilIdle()`). */
  enqueue(name: string, value: string | Uint8Array, vmId?: string): void {
    const q = this.queue(name, vmId);
    if (!q) throw new HarnessUsageError(`no shared queue named ${name}`);
    this.proxy.enqueue(q.token, typeof value === "string" ? Buffer.from(value, "utf8") : value);
  }

  /** HTTP callouts that reached a cluster so far. */
  get callouts(): CalloutRequest[] {
    return this.proxy.callouts.calloutLog;
  }

  /** gRPC calls and streams opened so far (stream `messages` grow as the plugin sends). */
  get grpcCalls(): GrpcCallRequest[] {
    return this.proxy.callouts.grpcLog;
  }

  /** HTTP callouts waiting for `respondToHttpCall`. */
  pendingHttpCalls(): CalloutRequest[] {
    return [...this.proxy.callouts.pendingHttp.values()].map((p) => p.handle.request);
  }

  /** Every hostcall, when created with `recordCalls`. */
  get calls(): HostcallRecord[] {
    return this.proxy.hostcallLog;
  }

  /** Every callback into the module (`proxy_on_*`, `_initialize`…), when created with `recordCallbacks`. */
  get callbacks(): Array<{ vm: string; name: string; contextId: number }> {
    if (!this.proxy.callbackLog) throw new HarnessUsageError("create the host with { recordCallbacks: true } to see callbacks");
    return this.proxy.callbackLog;
  }

  /** The worker VM of a plugin (default: first plugin, worker 0). */
  vm(options: { worker?: number; plugin?: number } = {}): VmInfo {
    const plugin = this.pluginAt(options.plugin);
    const handle = plugin.workers.get(options.worker ?? 0);
    if (!handle) throw new HarnessUsageError(`plugin ${plugin.name} has no VM on worker ${options.worker ?? 0} (its start failed)`);
    return vmInfo(handle.vm, handle.root.id);
  }

  /** The canary VM (configured, then discarded by Envoy; kept here for inspection). */
  canary(options: { plugin?: number } = {}): VmInfo | null {
    const c = this.pluginAt(options.plugin).canary;
    return c ? vmInfo(c.vm, c.root?.id ?? null) : null;
  }

  /** Traps so far across every VM, with Envoy's message (`Function: … failed: …` + backtrace). */
  traps(): Array<{ vm: string; functionName: string; message: string }> {
    const out: Array<{ vm: string; functionName: string; message: string }> = [];
    const seen = new Set<WasmVm>();
    for (const p of this.proxy.plugins) {
      const vms = [p.canary?.vm, ...[...p.workers.values()].map((w) => w?.vm)];
      for (const vm of vms) {
        if (!vm || seen.has(vm)) continue;
        seen.add(vm);
        for (const t of vm.traps) out.push({ vm: vm.label, functionName: t.functionName, message: t.message });
      }
    }
    return out;
  }

  /** The tick period of the plugin's root on a worker (0 = none). */
  tickPeriod(options: { worker?: number; plugin?: number } = {}): number {
    return this.vm(options).tickPeriodMs;
  }

  /** Bytes of a worker VM's linear memory (debugging, and WAT tests that store results in memory). */
  readMemory(ptr: number, length: number, options: { worker?: number; plugin?: number } = {}): Buffer {
    const vm = this.workerVm(options);
    const bytes = vm.memory.readBytes(ptr, length);
    if (bytes === null) throw new HarnessUsageError(`[${ptr}, ${ptr + length}) is outside the memory of ${vm.label}`);
    return Buffer.from(bytes);
  }

  /** A little-endian u32 of a worker VM's memory. */
  readU32(ptr: number, options: { worker?: number; plugin?: number } = {}): number {
    return this.readMemory(ptr, 4, options).readUInt32LE(0);
  }

  private workerVm(options: { worker?: number; plugin?: number }): WasmVm {
    const plugin = this.pluginAt(options.plugin);
    const handle = plugin.workers.get(options.worker ?? 0);
    if (!handle) throw new HarnessUsageError(`plugin ${plugin.name} has no VM on worker ${options.worker ?? 0}`);
    return handle.vm;
  }

  /** The fake clock's monotonic time. */
  get now(): number {
    return this.proxy.clock.monotonicMs;
  }

  /** The root context host object (advanced: direct driving). */
  rootContext(options: { worker?: number; plugin?: number } = {}): Context {
    const root = this.pluginAt(options.plugin).rootOn(options.worker ?? 0);
    if (!root) throw new HarnessUsageError(`no root context on worker ${options.worker ?? 0}`);
    return root;
  }

  private pluginAt(index = 0): PluginRuntime {
    this.requireLoaded();
    const p = this.proxy.plugins[index];
    if (!p) throw new HarnessUsageError(`no plugin at index ${index} (the host has ${this.proxy.plugins.length})`);
    return p;
  }

  /** The enabled log levels, lowest first (for matchers). */
  static readonly levels = LOG_LEVEL_NAMES;

  /** Text form of a byte-string header list (for custom inspectors). */
  static text(pairs: Array<[string, string]>): Array<[string, string]> {
    return pairs.map(([k, v]) => [fromByteString(k), fromByteString(v)]);
  }
}

function vmInfo(vm: WasmVm, rootId: number | null): VmInfo {
  return {
    label: vm.label,
    failState: vm.failState,
    failMessage: vm.failMessage,
    memoryBytes: vm.memory.size,
    contextIds: [...vm.contexts.keys()].filter((id) => id !== 0),
    rootContextId: rootId,
    tickPeriodMs: rootId === null ? 0 : vm.tickTimers.get(rootId)?.periodMs ?? 0,
  };
}
