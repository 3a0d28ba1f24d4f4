/**
 * One Wasm filter configuration (Envoy `Plugin` + the filter config's plugin handles), and how Envoy brings it up
 * (cpp-host `src/wasm.cc createWasm/canary/getOrCreateThreadLocalPlugin`, host-behaviour.md F.7–F.9):
 *
 * 1. a **base VM** per `vm_key` (vm_id + code): instantiated and `_initialize`d, never configured;
 * 2. a **canary** VM per plugin configuration: instantiated, started (`on_context_create(root, 0)` →
 *    `on_vm_start`) and configured (`on_configure`), then thrown away without `on_done`/`on_delete`; if start or
 *    configure fails (false or a trap) the configuration is **rejected**;
 * 3. one VM on the **main thread** and one per **worker** (Envoy's thread-local slot runs on every thread: observed
 *    on Envoy 1.40, `on_configure` runs in the canary, the main thread and each worker), shared by every plugin with
 *    the same `vm_key` on that thread, each plugin getting its own root context there (started and configured
 *    again). The main thread's instance serves no traffic but keeps its timers (ticks) and queues.
 *
 * Per request, `createHttpFilter` follows Envoy's `FilterConfig::createFilter`: a healthy VM gives a stream context;
 * a failed VM gives nothing (fail open), an always-failing context (fail closed), or — with FAIL_RELOAD — a new VM
 * once the backoff allows it.
 */
import { Buffer } from "node:buffer";
import { Context } from "./context";
import type { FailurePolicy } from "./scenario/types";
import type { HttpFilter } from "./http/types";
import { FailClosedFilter } from "./http/fail-closed";
import type { XdsFacts } from "./properties/stream-info";
import type { Proxy } from "./proxy";
import { WasmVm, type CompiledPlugin, type VmSettings } from "./vm";

/** The plugin configuration as Envoy receives it (`envoy.extensions.wasm.v3.PluginConfig`). */
export interface PluginConfig {
  /** `PluginConfig.name`. */
  name: string;
  /** `PluginConfig.root_id`. */
  rootId: string;
  /** `VmConfig.vm_id`. */
  vmId: string;
  /** `PluginConfig.configuration` bytes (`MessageUtil::anyToBytes`). */
  configuration: Uint8Array;
  /** `VmConfig.configuration` bytes. */
  vmConfiguration: Uint8Array;
  failurePolicy: FailurePolicy;
  allowOnHeadersStopIteration: boolean;
  environment: Array<[string, string]>;
  allowedCapabilities: ReadonlySet<string> | null;
  /** FAIL_RELOAD backoff base (`reload_config.backoff`, default 1 s). */
  reloadBackoffMs: number;
}

export interface PluginLoadResult {
  ok: boolean;
  /** cpp-host FailState of the step that failed. */
  failState?: string;
  /** Envoy's rejection (`Unable to create Wasm HTTP filter <name>`) and the lines explaining it. */
  message?: string;
  details: string[];
}

interface WorkerHandle {
  vm: WasmVm;
  root: Context;
  /** FAIL_RELOAD: monotonic ms of the last (re)load, for the backoff. */
  loadedAtMs: number;
  generation: number;
}

export class PluginRuntime {
  readonly logPrefix: string;
  readonly rootLogPrefix: string;
  readonly failOpen: boolean;
  /** cpp-host `PluginBase::fail_open_` (the deprecated `fail_open` bool): false with `failure_policy`. */
  readonly failOpenInFlight = false;
  readonly workers = new Map<number, WorkerHandle | null>();
  /**
   * The main thread's plugin: Envoy creates thread-local state on the main thread too, so a plugin is started and
   * configured there as well (observed: `on_configure` runs canary + main + each worker). It serves no traffic
   * but its timers and queue registrations are live.
   */
  mainThread: WorkerHandle | null = null;
  /** The canary's root context, kept (as Envoy does not) so tests can inspect what configure did. */
  canary: { vm: WasmVm; root: Context | null } | null = null;
  loadResult: PluginLoadResult | null = null;
  private reloadAttempts = 0;
  private lastReloadAttemptMs = Number.NEGATIVE_INFINITY;

  constructor(
    readonly proxy: Proxy,
    readonly compiled: CompiledPlugin,
    readonly config: PluginConfig,
    readonly xds: XdsFacts,
  ) {
    const parts = (xs: string[]): string => xs.filter((x) => x !== "").map((x) => ` ${x}`).join("");
    this.logPrefix = parts([config.name, config.rootId, config.vmId]);
    this.rootLogPrefix = parts([config.rootId, config.vmId]);
    this.failOpen = config.failurePolicy === "FAIL_OPEN";
  }

  get name(): string {
    return this.config.name;
  }
  get rootId(): string {
    return this.config.rootId;
  }
  get configuration(): Uint8Array {
    return this.config.configuration;
  }
  get allowOnHeadersStopIteration(): boolean {
    return this.config.allowOnHeadersStopIteration;
  }

  private vmSettings(): VmSettings {
    return {
      vmId: this.config.vmId,
      vmConfiguration: this.config.vmConfiguration,
      environment: this.config.environment,
      allowedCapabilities: this.config.allowedCapabilities,
    };
  }

  /** Makes and initializes a VM (`_initialize`/`main`); null when that fails. */
  private newVm(label: string, worker: number | "main"): WasmVm | null {
    const vm = new WasmVm(this.proxy, this.compiled, this.vmSettings(), label, worker);
    const ok = vm.initialize((v) => new Context(v, null, 0, "vm"));
    return ok ? vm : vm.isFailed ? null : vm;
  }

  /** Start + configure a root context for this plugin on `vm` (cpp-host `WasmBase::start` + `configure`). */
  private startOn(vm: WasmVm): { root: Context | null; failState?: "StartFailed" | "ConfigureFailed" } {
    const root = new Context(vm, this, 0, "root");
    if (!root.onStart()) return { root: null, failState: "StartFailed" };
    if (!root.onConfigure()) return { root, failState: "ConfigureFailed" };
    return { root };
  }

  /** Base VM, canary, then every worker. Returns the rejection when the canary fails. */
  load(workerCount: number): PluginLoadResult {
    const mark = this.proxy.logs.length;
    const reject = (failState: string, lines: string[]): PluginLoadResult => {
      // Envoy's own error lines, and what the plugin said at warn or above (its reason for refusing).
      const details = this.proxy.logs
        .since(mark)
        .filter((r) => (r.source === "envoy" ? r.level === "error" : r.level === "warn" || r.level === "error" || r.level === "critical"))
        .map((r) => (r.source === "envoy" ? r.message : `wasm log${r.prefix}: ${r.message}`));
      const message = `Unable to create Wasm HTTP filter ${this.name}`;
      this.proxy.envoyLog("error", message, "main");
      this.loadResult = { ok: false, failState, message, details: [...details, ...lines] };
      return this.loadResult;
    };

    const base = this.proxy.baseVm(this.compiled, this.vmSettings(), () => this.newVm("base", "main"));
    if (base === null) {
      this.proxy.envoyFail("Failed to initialize Wasm code", "main");
      return reject("UnableToInitializeCode", []);
    }

    const canaryVm = this.newVm("canary", "main");
    if (canaryVm === null) {
      this.proxy.envoyFail("Failed to initialize Wasm code", "canary");
      return reject("UnableToInitializeCode", []);
    }
    const canary = this.startOn(canaryVm);
    this.canary = { vm: canaryVm, root: canary.root };
    if (canary.failState === "StartFailed") {
      this.proxy.envoyFail("Failed to start base Wasm", "canary");
      return reject("StartFailed", []);
    }
    if (canary.failState === "ConfigureFailed") {
      this.proxy.envoyFail("Failed to configure base Wasm plugin", "canary");
      return reject("ConfigureFailed", []);
    }
    // The canary is killed: no on_done/on_delete, its timers stop.
    this.proxy.killVm(canaryVm);

    this.mainThread = this.loadWorker("main", 0);
    for (let w = 0; w < workerCount; w++) this.workers.set(w, this.loadWorker(w, 0));
    this.loadResult = { ok: true, details: [] };
    return this.loadResult;
  }

  /** cpp-host `getOrCreateThreadLocalPlugin` for one worker; null when it fails. */
  private loadWorker(worker: number | "main", generation: number): WorkerHandle | null {
    const name = worker === "main" ? "main" : `worker-${worker}`;
    const label = generation === 0 ? name : `${name}#${generation}`;
    const vm = this.proxy.workerVm(this.compiled, this.vmSettings(), worker, generation, () => this.newVm(label, worker));
    if (vm === null) return null;
    const started = this.startOn(vm);
    if (started.failState === "StartFailed" || started.root === null) {
      this.proxy.envoyFail("Failed to start thread-local Wasm", label);
      return null;
    }
    if (started.failState === "ConfigureFailed") {
      this.proxy.envoyFail("Failed to configure thread-local Wasm plugin", label);
      return null;
    }
    return { vm, root: started.root, loadedAtMs: this.proxy.clock.monotonicMs, generation };
  }

  /**
   * The worker's handle, reloading it first under FAIL_RELOAD when its VM failed and the backoff since the failure
   * has passed (`reload_config.backoff`, base 1 s; requests inside the backoff fail closed — observed with Envoy
   * 1.40). Envoy's backoff is jittered; the harness uses the deterministic upper bound: base, 2×, 4× … (≤ 10×).
   */
  private handleFor(worker: number): WorkerHandle | null {
    const handle = this.workers.get(worker) ?? null;
    if (this.config.failurePolicy !== "FAIL_RELOAD") return handle;
    if (handle !== null && !handle.vm.isFailed) return handle;
    const now = this.proxy.clock.monotonicMs;
    const failedAt = handle?.vm.failedAtMs ?? handle?.loadedAtMs ?? now;
    const wait = Math.min(this.config.reloadBackoffMs * 2 ** this.reloadAttempts, 10 * this.config.reloadBackoffMs);
    if (now < Math.max(failedAt, this.lastReloadAttemptMs) + wait) return handle;
    this.lastReloadAttemptMs = now;
    const generation = (handle?.generation ?? 0) + 1;
    const reloaded = this.loadWorker(worker, generation);
    if (!reloaded) {
      this.reloadAttempts++;
      return handle;
    }
    this.proxy.envoyLog("info", `Wasm plugin ${this.name} reloaded on worker ${worker} (FAIL_RELOAD)`, reloaded.vm.label);
    this.workers.set(worker, reloaded);
    this.reloadAttempts = 0;
    return reloaded;
  }

  /** Envoy `FilterConfig::createFilter`: the Wasm filter for one stream on `worker`, or null (fail open). */
  createHttpFilter(worker: number): { filter: HttpFilter; context: Context | null } | null {
    const handle = this.handleFor(worker);
    if (handle === null || handle.vm.isFailed) {
      if (this.failOpen) return null;
      const f = new FailClosedFilter(`wasm:${this.name}`);
      return { filter: f, context: null };
    }
    const ctx = new Context(handle.vm, this, handle.root.id, "stream");
    return { filter: ctx, context: ctx };
  }

  /**
   * The stream context for a TCP connection (Envoy network `FilterConfig::createFilter`): null when the plugin is
   * not in the chain (no VM, or a failed VM under fail open); over a failed VM under fail closed, a context whose
   * first callback closes the connection.
   */
  createNetworkContext(worker: number): Context | null {
    const handle = this.handleFor(worker);
    if (handle === null) return null;
    if (handle.vm.isFailed && this.failOpen) return null;
    return new Context(handle.vm, this, handle.root.id, "stream");
  }

  /** The root context on a worker (for tests driving ticks, queues, foreign functions). */
  rootOn(worker: number): Context | null {
    return this.workers.get(worker)?.root ?? null;
  }

  static configurationBytes(configuration: unknown): Uint8Array {
    if (configuration === undefined || configuration === null) return new Uint8Array(0);
    if (typeof configuration === "string") return Buffer.from(configuration, "utf8");
    if (configuration instanceof Uint8Array) return configuration;
    return Buffer.from(JSON.stringify(configuration), "utf8");
  }
}
