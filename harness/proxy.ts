/**
 * The simulated Envoy process: what every plugin and VM in it shares — the fake clock and dispatcher, stats,
 * shared data and queues (by `vm_id`), clusters for callouts, log capture, the VM caches keyed by `vm_key`
 * (base VMs, and one VM per worker shared by plugins with the same `vm_key`) — plus the services hostcalls reach
 * for (tick timers, queue notifications, `proxy_done`).
 */
import { Buffer } from "node:buffer";
import { createHash, randomFillSync, randomUUID } from "node:crypto";
import { fromByteString } from "./codec";
import { Status } from "./enums";
import { WasmLoadError } from "./errors";
import type { Context } from "./context";
import type { CalloutEnvironment } from "./http/callouts";
import { JwtRegistry } from "./http/native-filters";
import { parseModule } from "./module";
import type { ResolvedProxyOptions } from "./options";
import type { PluginRuntime } from "./plugin";
import type { ConnectionFacts, TlsFacts, XdsFacts } from "./properties/stream-info";
import type { LogLevelName } from "./scenario/types";
import { Dispatcher, FakeClock } from "./state/dispatcher";
import { LOG_LEVEL_NAMES, LogSink, formatEnvoyLine } from "./state/logs";
import { SharedDataStore, SharedQueueStore } from "./state/shared";
import { StatsStore } from "./state/stats";
import type { CompiledPlugin, VmSettings, WasmVm } from "./vm";

// Envoy prints up to 20 frames of a trap's backtrace; V8 only captures Error.stackTraceLimit of them.
if (Error.stackTraceLimit < 20) Error.stackTraceLimit = 20;

const compiledCache = new WeakMap<Uint8Array | WebAssembly.Module, CompiledPlugin>();

export class Proxy {
  readonly clock: FakeClock;
  readonly dispatcher: Dispatcher;
  readonly logs = new LogSink();
  readonly stats = new StatsStore();
  readonly sharedData = new SharedDataStore();
  readonly sharedQueues = new SharedQueueStore();
  readonly jwt: JwtRegistry;
  readonly plugins: PluginRuntime[] = [];
  readonly callouts: CalloutEnvironment;
  readonly logLevelNumber: number;
  private readonly baseVms = new Map<string, WasmVm | null>();
  private readonly workerVms = new Map<string, WasmVm | null>();
  /** Root contexts waiting for `proxy_done` after `on_done` returned false, by VM. */
  private readonly pendingDone = new Map<WasmVm, Set<Context>>();
  private nextConnectionId = 1n;
  private nextPeerPort = 50000;
  private rng: number;
  /** Every hostcall, when `recordCalls` is on. */
  readonly hostcallLog: import("./vm").HostcallRecord[] = [];
  /** Every callback into any module, when `recordCallbacks` is on. */
  readonly callbackLog: Array<{ vm: string; name: string; contextId: number }> | null;

  constructor(readonly options: ResolvedProxyOptions) {
    this.clock = new FakeClock(options.wallStartMs);
    this.jwt = new JwtRegistry(options.jwtSigner);
    this.dispatcher = new Dispatcher(this.clock);
    this.logLevelNumber = LOG_LEVEL_NAMES.indexOf(options.logLevel);
    this.rng = options.randomSeed === "crypto" ? 0 : options.randomSeed >>> 0 || 1;
    this.callbackLog = options.recordCallbacks ? [] : null;
    const dispatcher = this.dispatcher;
    this.callouts = {
      clusters: options.clusters,
      schedule: (d, l, f) => dispatcher.schedule(d, l, f),
      post: (f) => dispatcher.post(f),
      calloutLog: [],
      grpcLog: [],
      pendingHttp: new Map(),
      pendingGrpc: new Map(),
    };
    if (options.echoLogs) this.logs.onRecord = (r) => process.stderr.write(`[${r.level}] ${formatEnvoyLine(r)}\n`);
  }

  get strict(): boolean {
    return this.options.strict;
  }
  get foreignFunctions(): ReadonlyMap<string, import("./abi/foreign").ForeignFunction> {
    return this.options.foreignFunctions;
  }
  get filterStateFactories(): ReadonlySet<string> {
    return this.options.filterStateFactories;
  }
  get dns(): ReadonlyMap<string, string[]> {
    return this.options.dns;
  }
  get defaultXds(): XdsFacts {
    return this.options.xds;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Modules and VMs
  // ---------------------------------------------------------------------------------------------------------------

  /**
   * cpp-host `WasmBase::load`: parse (ABI version, imports, names) and compile. Throws {@link WasmLoadError} with
   * Envoy's wording; the caller turns that into a rejected configuration.
   */
  compile(source: Uint8Array | WebAssembly.Module, bytesForModule?: Uint8Array): CompiledPlugin {
    const cached = compiledCache.get(source);
    if (cached) return cached;
    const bytes = source instanceof WebAssembly.Module ? bytesForModule : source;
    if (!bytes) throw new WasmLoadError("a precompiled WebAssembly.Module needs its bytes to be checked", "UnableToInitializeCode");
    const parsed = parseModule(bytes);
    if (parsed.abiVersion === null) {
      throw new WasmLoadError("Missing or unknown Proxy-Wasm ABI version", "UnableToInitializeCode");
    }
    let module: WebAssembly.Module;
    if (source instanceof WebAssembly.Module) module = source;
    else {
      try {
        module = new WebAssembly.Module(bytes);
      } catch (e) {
        this.envoyLog("debug", `compile error: ${(e as Error).message}`, "main");
        throw new WasmLoadError("Failed to load Wasm bytecode", "UnableToInitializeCode");
      }
    }
    const compiled: CompiledPlugin = {
      module,
      parsed,
      abiVersion: parsed.abiVersion,
      codeKey: createHash("sha256").update(bytes).digest("hex").slice(0, 16),
    };
    compiledCache.set(source, compiled);
    return compiled;
  }

  private vmKey(compiled: CompiledPlugin, settings: VmSettings): string {
    return `${settings.vmId}||${Buffer.from(settings.vmConfiguration).toString("latin1")}||${compiled.codeKey}`;
  }

  /** The base VM of a `vm_key`, created once (`createWasm`: load + initialize). */
  baseVm(compiled: CompiledPlugin, settings: VmSettings, create: () => WasmVm | null): WasmVm | null {
    const key = this.vmKey(compiled, settings);
    if (!this.baseVms.has(key)) this.baseVms.set(key, create());
    return this.baseVms.get(key)!;
  }

  /** The worker's VM for a `vm_key` (`getOrCreateThreadLocalWasm`), shared by plugins; failed VMs are not reused. */
  workerVm(compiled: CompiledPlugin, settings: VmSettings, worker: number | "main", generation: number, create: () => WasmVm | null): WasmVm | null {
    const key = `${this.vmKey(compiled, settings)}#${worker}#${generation}`;
    const existing = this.workerVms.get(key);
    if (existing && !existing.isFailed) return existing;
    const vm = create();
    this.workerVms.set(key, vm);
    return vm;
  }

  /** Every live VM (base, workers). */
  allVms(): WasmVm[] {
    const out = new Set<WasmVm>();
    for (const v of this.baseVms.values()) if (v) out.add(v);
    for (const v of this.workerVms.values()) if (v) out.add(v);
    return [...out];
  }

  /** A thrown-away VM (the canary): its timers stop. */
  killVm(vm: WasmVm): void {
    for (const t of vm.tickTimers.values()) t.timer?.cancel();
    vm.tickTimers.clear();
  }

  /** cpp-host fail callback: a worker VM in RuntimeError is dropped from the thread-local cache. */
  onVmRuntimeError(vm: WasmVm): void {
    for (const t of vm.tickTimers.values()) t.timer?.cancel();
  }

  /** A stream context is gone (after `on_delete`): ids are not reused and `set_effective_context` rejects it. */
  releaseContext(ctx: Context): void {
    ctx.vm.contexts.delete(ctx.id);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Logging
  // ---------------------------------------------------------------------------------------------------------------

  /** Envoy's own log line (`Wasm VM failed …`, trap backtraces), on the `wasm` logger. */
  envoyLog(level: LogLevelName, message: string, vm: string): void {
    if (LOG_LEVEL_NAMES.indexOf(level) < this.logLevelNumber) return;
    this.logs.push({ level, message, source: "envoy", prefix: "", vm, atMs: this.clock.monotonicMs });
  }

  /** `WasmBase::fail` lines: `Wasm VM failed <message>`. */
  envoyFail(message: string, vm: string): void {
    this.envoyLog("error", `Wasm VM failed ${message}`, vm);
  }

  /** A plugin's line (`proxy_log`, stdout/stderr), kept when the level is enabled. */
  pluginLog(vm: WasmVm, ctx: Context, level: LogLevelName, message: string, source: "proxy_log" | "stdout" | "stderr"): void {
    if (LOG_LEVEL_NAMES.indexOf(level) < this.logLevelNumber) return;
    this.logs.push({
      level,
      message: fromByteString(message),
      source,
      prefix: fromByteString(ctx.logPrefix),
      ...(ctx.plugin ? { plugin: ctx.plugin.name } : {}),
      contextId: ctx.id,
      vm: vm.label,
      atMs: this.clock.monotonicMs,
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Services for hostcalls
  // ---------------------------------------------------------------------------------------------------------------

  /** Envoy `Wasm::setTimerPeriod`: one period per root; a new call restarts the countdown; 0 stops it. */
  setTickPeriod(vm: WasmVm, rootId: number, periodMs: number): void {
    const entry = vm.tickTimers.get(rootId) ?? { periodMs: 0, timer: null };
    entry.timer?.cancel();
    entry.timer = null;
    entry.periodMs = periodMs;
    vm.tickTimers.set(rootId, entry);
    if (periodMs > 0) this.armTick(vm, rootId, entry);
  }

  private armTick(vm: WasmVm, rootId: number, entry: { periodMs: number; timer: import("./state/dispatcher").TimerHandle | null }): void {
    entry.timer = this.dispatcher.schedule(entry.periodMs, `tick ${vm.label} root ${rootId}`, () => {
      entry.timer = null;
      if (vm.isFailed || !vm.fn.proxy_on_tick) return;
      const ctx = vm.getContext(rootId);
      if (ctx) ctx.onTick();
      // Envoy re-arms after the callback, with the period in force then.
      if (entry.periodMs > 0 && entry.timer === null && vm.tickTimers.get(rootId) === entry) this.armTick(vm, rootId, entry);
    });
  }

  /** `proxy_enqueue_shared_queue`: stores the item and posts `on_queue_ready` to the registrant's VM. */
  enqueue(token: number, value: Uint8Array): Status {
    const q = this.sharedQueues.get(token);
    if (!q) return Status.NotFound;
    q.items.push(value);
    const target = q.target;
    this.dispatcher.post(() => {
      const vm = this.currentWorkerVm(target.vmKey, target.worker);
      vm?.getContext(target.contextId)?.onQueueReady(token);
    });
    return Status.Ok;
  }

  private currentWorkerVm(vmKey: string, worker: number | "main"): WasmVm | null {
    let found: WasmVm | null = null;
    for (const vm of this.workerVms.values()) {
      if (vm && vm.worker === worker && vm.vmKey === vmKey && !vm.isFailed) found = vm;
    }
    return found;
  }

  /**
   * `proxy_done` (cpp-host `WasmBase::done`): only a root whose `on_done` returned false at shutdown can finish;
   * `on_delete` follows after the current VM call.
   */
  done(vm: WasmVm, ctx: Context): Status {
    const pending = this.pendingDone.get(vm);
    const root = [...(pending ?? [])].find((r) => r.plugin === ctx.plugin);
    if (!pending || !root) return Status.NotFound;
    pending.delete(root);
    vm.addAfterVmCallAction(() => {
      root.onDelete();
      this.dropRoot(vm, root);
    });
    return Status.Ok;
  }

  /** Server shutdown: every root gets `on_done`; `on_delete` now, or after `proxy_done` (no `on_log`). */
  shutdown(): void {
    for (const plugin of this.plugins) {
      for (const handle of [plugin.mainThread, ...plugin.workers.values()]) {
        if (!handle) continue;
        const root = handle.root;
        if (root.onDone()) {
          root.onDelete();
          this.dropRoot(handle.vm, root);
        } else {
          let set = this.pendingDone.get(handle.vm);
          if (!set) this.pendingDone.set(handle.vm, (set = new Set()));
          set.add(root);
        }
      }
    }
  }

  /** A deleted root: its context id goes away and its timer stops. */
  private dropRoot(vm: WasmVm, root: Context): void {
    vm.contexts.delete(root.id);
    vm.tickTimers.get(root.id)?.timer?.cancel();
    vm.tickTimers.delete(root.id);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Connections and randomness
  // ---------------------------------------------------------------------------------------------------------------

  newConnection(tls: TlsFacts | null, peerAddress?: string): ConnectionFacts {
    const id = this.nextConnectionId++;
    const peer = peerAddress ?? `127.0.0.1:${this.nextPeerPort++}`;
    if (this.nextPeerPort > 60999) this.nextPeerPort = 50000;
    return { id, directRemoteAddress: peer, localAddress: this.options.listener.localAddress, tls, filterChainName: "" };
  }

  /** `random_get` bytes: xorshift32 from the seed (deterministic), or crypto. */
  randomBytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    if (this.options.randomSeed === "crypto") return randomFillSync(out);
    let x = this.rng;
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      out[i] = x & 0xff;
    }
    this.rng = x;
    return out;
  }

  private uuidPrefix: string | null = null;
  private uuidCounter = 0;

  /**
   * A v4-shaped UUID for `x-request-id`: a random prefix per process and a counter, so it is unique, deterministic
   * under a seed, and cheap (it is on every request's path). `randomSeed: "crypto"` gives real random UUIDs.
   */
  uuid(): string {
    if (this.options.randomSeed === "crypto") return randomUUID();
    if (this.uuidPrefix === null) {
      const h = Buffer.from(this.randomBytes(10)).toString("hex");
      this.uuidPrefix = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-`;
    }
    this.uuidCounter = (this.uuidCounter + 1) % 0x1000000000000;
    return this.uuidPrefix + this.uuidCounter.toString(16).padStart(12, "0");
  }

  /** `sha256_peer_certificate_digest` stand-in: the harness has no certificate, so it hashes the facts. */
  certificateDigest(cert: { uriSans?: string[]; dnsSans?: string[]; commonName?: string }): string {
    return createHash("sha256").update(JSON.stringify(cert)).digest("hex");
  }

  private dateCache = { second: -1, value: "" };

  /** The `date` header value at the current fake time (Envoy's date provider updates it once a second). */
  httpDate(): string {
    const second = Math.floor(this.clock.wallMs() / 1000);
    if (second !== this.dateCache.second) this.dateCache = { second, value: new Date(second * 1000).toUTCString() };
    return this.dateCache.value;
  }
}
