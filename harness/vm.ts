/**
 * One instantiated copy of a plugin module: a "Wasm VM" in cpp-host terms (`WasmBase` + `WasmVm`). Envoy makes
 * several from the same compiled module — a base VM, a canary per plugin configuration and one per worker — and
 * they share nothing but shared data and queues (host-behaviour.md F.9).
 *
 * This file holds the machinery every callback and hostcall goes through:
 * - linking: each import is checked by name and signature against what Envoy registers for the module's ABI
 *   version, with Envoy's error wording (cpp-host `V8::link`);
 * - exports: each known callback is looked up and its signature checked (`getModuleFunctionImpl`);
 * - the start sequence: `_initialize`, then `main(0,0)` / `__main_void`, or `_start`, with only the allowlisted
 *   hostcalls usable (`WasmBase::startVm`; anything else traps with `restricted_callback`);
 * - calls into the VM: the current context, the effective-context override that lasts one top-level call, trap
 *   handling (the VM enters `RuntimeError` and stays failed), and the "after VM call" actions (deferred
 *   continue/close/local replies) that run once the callback has returned (cpp-host `DeferAfterCallActions`).
 */
import { UnimplementedHostcall, WasmLoadError, WasmTrap } from "./errors";
import { GuestMemory } from "./memory";
import type { AbiVersion, FuncType, ParsedModule } from "./module";
import { printValTypes, sameSignature, sig } from "./module";
import type { Context } from "./context";
import type { Proxy } from "./proxy";
import type { LogLevelName } from "./scenario/types";
import { buildHostcalls, type HostcallTable } from "./abi/registry";

/** cpp-host `FailState`. */
export type FailState =
  | "Ok"
  | "UnableToCreateVm"
  | "UnableToCloneVm"
  | "MissingFunction"
  | "UnableToInitializeCode"
  | "StartFailed"
  | "ConfigureFailed"
  | "RuntimeError";

/** The compiled module and what was read from it, shared by every VM made from it. */
export interface CompiledPlugin {
  readonly module: WebAssembly.Module;
  readonly parsed: ParsedModule;
  readonly abiVersion: AbiVersion;
  /** `sha256(bytes)`-like identity used in the VM key (vm_id + vm configuration + code). */
  readonly codeKey: string;
}

/** Settings a VM gets from `VmConfig`. */
export interface VmSettings {
  readonly vmId: string;
  readonly vmConfiguration: Uint8Array;
  /** `vm_config.environment_variables` (key_values), exposed through WASI `environ_get`. */
  readonly environment: ReadonlyArray<[string, string]>;
  /** `capability_restriction_config.allowed_capabilities`; null = no restriction. */
  readonly allowedCapabilities: ReadonlySet<string> | null;
}

type Fn0 = () => unknown;
type Fn1 = (a: number) => unknown;
type Fn2 = (a: number, b: number) => unknown;
type Fn3 = (a: number, b: number, c: number) => unknown;
type Fn5 = (a: number, b: number, c: number, d: number, e: number) => unknown;
/** Any module callback, as {@link Vm.call} invokes it. */
type GuestFn = (a: number, b: number, c: number, d: number, e: number) => unknown;

/** The module callbacks cpp-host looks up (`FOR_ALL_MODULE_FUNCTIONS` + ABI-specific + Envoy's). */
export interface ModuleFunctions {
  _initialize?: Fn0;
  _start?: Fn0;
  main?: Fn2;
  __main_void?: Fn0;
  malloc?: Fn1;
  proxy_validate_configuration?: Fn2;
  proxy_on_vm_start?: Fn2;
  proxy_on_configure?: Fn2;
  proxy_on_tick?: Fn1;
  proxy_on_context_create?: Fn2;
  proxy_on_new_connection?: Fn1;
  proxy_on_downstream_data?: Fn3;
  proxy_on_upstream_data?: Fn3;
  proxy_on_downstream_connection_close?: Fn2;
  proxy_on_upstream_connection_close?: Fn2;
  proxy_on_request_headers_abi_01?: Fn2;
  proxy_on_request_headers_abi_02?: Fn3;
  proxy_on_request_body?: Fn3;
  proxy_on_request_trailers?: Fn2;
  proxy_on_request_metadata?: Fn2;
  proxy_on_response_headers_abi_01?: Fn2;
  proxy_on_response_headers_abi_02?: Fn3;
  proxy_on_response_body?: Fn3;
  proxy_on_response_trailers?: Fn2;
  proxy_on_response_metadata?: Fn2;
  proxy_on_http_call_response?: Fn5;
  proxy_on_grpc_receive?: Fn3;
  proxy_on_grpc_close?: Fn3;
  proxy_on_grpc_receive_initial_metadata?: Fn3;
  proxy_on_grpc_receive_trailing_metadata?: Fn3;
  proxy_on_queue_ready?: Fn2;
  proxy_on_foreign_function?: Fn3;
  proxy_on_done?: Fn1;
  proxy_on_log?: Fn1;
  proxy_on_delete?: Fn1;
  envoy_on_resolve_dns?: Fn3;
}

/** Callbacks and their expected signatures (cpp-host `WasmCallVoid<N>` = N i32 → void, `WasmCallWord<N>` → i32). */
const CALLBACKS: ReadonlyArray<[keyof ModuleFunctions, string, FuncType]> = [
  ["proxy_validate_configuration", "proxy_validate_configuration", sig("ii", "i")],
  ["proxy_on_vm_start", "proxy_on_vm_start", sig("ii", "i")],
  ["proxy_on_configure", "proxy_on_configure", sig("ii", "i")],
  ["proxy_on_tick", "proxy_on_tick", sig("i")],
  ["proxy_on_context_create", "proxy_on_context_create", sig("ii")],
  ["proxy_on_new_connection", "proxy_on_new_connection", sig("i", "i")],
  ["proxy_on_downstream_data", "proxy_on_downstream_data", sig("iii", "i")],
  ["proxy_on_upstream_data", "proxy_on_upstream_data", sig("iii", "i")],
  ["proxy_on_downstream_connection_close", "proxy_on_downstream_connection_close", sig("ii")],
  ["proxy_on_upstream_connection_close", "proxy_on_upstream_connection_close", sig("ii")],
  ["proxy_on_request_body", "proxy_on_request_body", sig("iii", "i")],
  ["proxy_on_request_trailers", "proxy_on_request_trailers", sig("ii", "i")],
  ["proxy_on_request_metadata", "proxy_on_request_metadata", sig("ii", "i")],
  ["proxy_on_response_body", "proxy_on_response_body", sig("iii", "i")],
  ["proxy_on_response_trailers", "proxy_on_response_trailers", sig("ii", "i")],
  ["proxy_on_response_metadata", "proxy_on_response_metadata", sig("ii", "i")],
  ["proxy_on_http_call_response", "proxy_on_http_call_response", sig("iiiii")],
  ["proxy_on_grpc_receive", "proxy_on_grpc_receive", sig("iii")],
  ["proxy_on_grpc_close", "proxy_on_grpc_close", sig("iii")],
  ["proxy_on_grpc_receive_initial_metadata", "proxy_on_grpc_receive_initial_metadata", sig("iii")],
  ["proxy_on_grpc_receive_trailing_metadata", "proxy_on_grpc_receive_trailing_metadata", sig("iii")],
  ["proxy_on_queue_ready", "proxy_on_queue_ready", sig("ii")],
  ["proxy_on_done", "proxy_on_done", sig("i", "i")],
  ["proxy_on_log", "proxy_on_log", sig("i")],
  ["proxy_on_delete", "proxy_on_delete", sig("i")],
];

/** Hostcalls usable while `_initialize`/`main`/`_start` run (cpp-host `WasmBase::startVm`). */
const START_ALLOWED = (() => {
  const wasi = [
    "fd_write",
    "args_sizes_get",
    "args_get",
    "environ_sizes_get",
    "environ_get",
    "clock_time_get",
    "clock_res_get",
    "random_get",
    "poll_oneoff",
    "fd_fdstat_get",
    "fd_fdstat_set_flags",
    "fd_advise",
    "fd_allocate",
    "fd_datasync",
    "fd_fdstat_set_rights",
    "fd_filestat_get",
    "fd_filestat_set_size",
    "fd_filestat_set_times",
    "fd_pread",
    "fd_prestat_dir_name",
    "fd_prestat_get",
    "fd_pwrite",
    "fd_readdir",
    "fd_renumber",
    "fd_sync",
    "fd_tell",
    "path_create_directory",
    "path_filestat_get",
    "path_filestat_set_times",
    "path_link",
    "path_readlink",
    "path_remove_directory",
    "path_rename",
    "path_symlink",
    "path_unlink_file",
    "sock_accept",
    "sock_recv",
    "sock_send",
    "sock_shutdown",
  ];
  const set = new Set<string>(["env.emscripten_notify_memory_growth", "env.proxy_log"]);
  for (const w of wasi) {
    set.add(`wasi_unstable.${w}`);
    set.add(`wasi_snapshot_preview1.${w}`);
  }
  return set;
})();

/** Hostcalls usable inside the guest allocator (cpp-host `WasmBase::allocMemory`). */
const ALLOC_ALLOWED = new Set<string>([
  "env.proxy_log",
  "wasi_unstable.fd_write",
  "wasi_snapshot_preview1.fd_write",
  "wasi_unstable.clock_time_get",
  "wasi_snapshot_preview1.clock_time_get",
  "wasi_unstable.poll_oneoff",
  "wasi_snapshot_preview1.poll_oneoff",
]);

/** The trap a restricted hostcall raises (V8 reports it as `Uncaught Error: restricted_callback`). */
export class RestrictedCallback extends Error {
  override readonly name = "Error";
  constructor(readonly hostcall: string) {
    super("restricted_callback");
  }
}

/** One call the guest made, recorded when `recordCalls` is on (`host.calls`). */
export interface HostcallRecord {
  name: string;
  args: Array<number | bigint>;
  result?: number | bigint;
  contextId: number;
}

export class WasmVm {
  readonly contexts = new Map<number, Context>();
  /** The VM context (id 0): runs `_initialize` and the allocator. */
  vmContext!: Context;
  private nextContextId = 1;

  failState: FailState = "Ok";
  failMessage = "";
  /** Fake-clock ms of the runtime failure (for FAIL_RELOAD's backoff). */
  failedAtMs: number | null = null;
  /** Every trap so far (normally at most one: a failed VM is never called again). */
  readonly traps: WasmTrap[] = [];

  instance: WebAssembly.Instance | null = null;
  memory!: GuestMemory;
  readonly fn: ModuleFunctions = {};

  /** cpp-host `current_context_` and `effective_context_id_`. */
  currentContext: Context | null = null;
  effectiveContextId = 0;
  /** cpp-host `stop_iteration_`: set by `proxy_send_local_response`, turns the callback's result into a Stop. */
  stopIteration = false;
  private readonly afterCallActions: Array<() => void> = [];
  /** Allowed hostcalls while restricted (start-up, allocator), or null. */
  restricted: ReadonlySet<string> | null = null;
  /** Set by the host when `recordCalls` is on. */
  callLog: HostcallRecord[] | null = null;

  /** Metric ids (cpp-host `next_*_metric_id_`, type in the low 2 bits). */
  nextCounterId = 0;
  nextGaugeId = 1;
  nextHistogramId = 2;
  readonly metrics = new Map<number, import("./state/stats").Stat>();
  /** Callout tokens (cpp-host `next_http_call_id_` & co.: HTTP 4, 8, …; gRPC call 5, 9, …; stream 6, 10, …). */
  nextHttpCallId = 0;
  nextGrpcCallId = 1;
  nextGrpcStreamId = 2;
  nextDnsToken = 0;
  /** Tick timers by root context id (Envoy `Wasm::setTimerPeriod`). */
  readonly tickTimers = new Map<number, { periodMs: number; timer: import("./state/dispatcher").TimerHandle | null }>();

  constructor(
    readonly proxy: Proxy,
    readonly compiled: CompiledPlugin,
    readonly settings: VmSettings,
    /** `base`, `canary`, `worker-0`… */
    readonly label: string,
    /** The worker this VM runs on; "main" for base and canary VMs. */
    readonly worker: number | "main",
  ) {
    this.callLog = proxy.options.recordCalls ? proxy.hostcallLog : null;
  }

  get abiVersion(): AbiVersion {
    return this.compiled.abiVersion;
  }

  get vmId(): string {
    return this.settings.vmId;
  }

  get vmKey(): string {
    return `${this.settings.vmId}||${this.compiled.codeKey}`;
  }

  get isFailed(): boolean {
    return this.failState !== "Ok";
  }

  allocContextId(): number {
    while (this.contexts.has(this.nextContextId)) this.nextContextId++;
    return this.nextContextId++;
  }

  getContext(id: number): Context | undefined {
    return this.contexts.get(id);
  }

  /** cpp-host `contextOrEffectiveContext()`: the effective context if set and still alive, else the current one. */
  ctx(): Context {
    const current = this.currentContext ?? this.vmContext;
    if (this.effectiveContextId === 0) return current;
    return this.contexts.get(this.effectiveContextId) ?? current;
  }

  /**
   * cpp-host `WasmVm::fail` + `WasmBase::fail`: records the state and writes Envoy's error line. `raw` lines are the
   * VM's own (link errors, traps: logged as-is); the others get Envoy's `Wasm VM failed ` prefix.
   */
  fail(state: FailState, message: string, raw: boolean): void {
    this.proxy.envoyLog("error", raw ? message : `Wasm VM failed ${message}`, this.label);
    this.failState = state;
    if (this.failMessage === "") this.failMessage = message;
    if (state === "RuntimeError") {
      this.failedAtMs ??= this.proxy.clock.monotonicMs;
      this.proxy.onVmRuntimeError(this);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Loading
  // ---------------------------------------------------------------------------------------------------------------

  /**
   * cpp-host `WasmBase::initialize`: link and instantiate, look up exports, then run the start functions. Returns
   * false (with `failState`/`failMessage` set and the lines logged) when anything fails.
   */
  initialize(contextFactory: (vm: WasmVm) => Context): boolean {
    this.vmContext = contextFactory(this);
    let hostcalls: HostcallTable;
    try {
      hostcalls = buildHostcalls(this);
      this.link(hostcalls);
    } catch (e) {
      if (e instanceof WasmLoadError) {
        this.fail(e.failState as FailState, e.message, true);
        return false;
      }
      throw e;
    }
    this.getFunctions();
    this.startVm();
    return !this.isFailed;
  }

  private link(hostcalls: HostcallTable): void {
    const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
    let importedMemory: WebAssembly.Memory | null = null;
    for (const imp of this.compiled.parsed.imports) {
      const full = `${imp.module}.${imp.name}`;
      const ns = (imports[imp.module] ??= {});
      switch (imp.kind) {
        case "function": {
          const host = hostcalls.get(full);
          if (!host) {
            throw new WasmLoadError(`Failed to load Wasm module due to a missing import: ${full}`, "UnableToInitializeCode");
          }
          if (!sameSignature(imp.type!, host.type)) {
            throw new WasmLoadError(
              `Failed to load Wasm module due to an import type mismatch: ${full}, want: ` +
                `${printValTypes(imp.type!.params)} -> ${printValTypes(imp.type!.results)}, but host exports: ` +
                `${printValTypes(host.type.params)} -> ${printValTypes(host.type.results)}`,
              "UnableToInitializeCode",
            );
          }
          ns[imp.name] = host.fn as WebAssembly.ImportValue;
          break;
        }
        case "memory": {
          const m = imp.memory!;
          importedMemory = new WebAssembly.Memory(
            m.maximum === undefined ? { initial: m.initial } : { initial: m.initial, maximum: m.maximum },
          );
          ns[imp.name] = importedMemory;
          break;
        }
        case "table": {
          const t = imp.table!;
          ns[imp.name] = new WebAssembly.Table(
            t.maximum === undefined
              ? { element: t.element, initial: t.initial }
              : { element: t.element, initial: t.initial, maximum: t.maximum },
          );
          break;
        }
        default:
          // cpp-host: imported globals (and anything else) are reported as a missing import.
          throw new WasmLoadError(`Failed to load Wasm module due to a missing import: ${full}`, "UnableToInitializeCode");
      }
    }
    // The memory must exist before instantiation: a start section may call hostcalls that touch memory.
    if (importedMemory) this.memory = new GuestMemory(importedMemory);
    else this.memory = new GuestMemory(new WebAssembly.Memory({ initial: 0 }));
    try {
      this.instance = new WebAssembly.Instance(this.compiled.module, imports);
    } catch (e) {
      this.proxy.envoyLog("debug", `instantiation error: ${(e as Error).message}`, this.label);
      throw new WasmLoadError("Failed to create new Wasm instance", "UnableToInitializeCode");
    }
    if (!importedMemory) {
      for (const [name, exp] of this.compiled.parsed.exports) {
        if (exp.kind === "memory") {
          this.memory = new GuestMemory(this.instance.exports[name] as WebAssembly.Memory);
          break;
        }
      }
    }
  }

  /** cpp-host `WasmBase::getFunctions` (+ Envoy's `envoy_on_*`): finds and signature-checks the exports. */
  private getFunctions(): void {
    const get = (name: string, want: FuncType): unknown => {
      const exp = this.compiled.parsed.exports.get(name);
      if (!exp || exp.kind !== "function") return undefined;
      if (!sameSignature(exp.type!, want)) {
        this.fail(
          "UnableToInitializeCode",
          `Bad function signature for: ${name}, want: ${printValTypes(want.params)} -> ${printValTypes(want.results)}, ` +
            `but the module exports: ${printValTypes(exp.type!.params)} -> ${printValTypes(exp.type!.results)}`,
          true,
        );
        return undefined;
      }
      return this.instance!.exports[name];
    };
    const caps = this.settings.allowedCapabilities;
    const allowed = (name: string): boolean => caps === null || caps.has(name);
    const fn = this.fn as Record<string, unknown>;
    fn._initialize = get("_initialize", sig(""));
    if (fn._initialize) {
      fn.main = get("main", sig("ii", "i"));
      fn.__main_void = get("__main_void", sig("", "i"));
    } else {
      fn._start = get("_start", sig(""));
    }
    fn.malloc = get("malloc", sig("i", "i")) ?? get("proxy_on_memory_allocate", sig("i", "i"));
    if (!fn.malloc) this.fail("MissingFunction", "Wasm module is missing malloc function.", false);
    for (const [key, name, type] of CALLBACKS) fn[key] = allowed(name) ? get(name, type) : undefined;
    const v01 = this.abiVersion === "0.1.0";
    if (allowed("proxy_on_request_headers")) {
      fn[v01 ? "proxy_on_request_headers_abi_01" : "proxy_on_request_headers_abi_02"] = get(
        "proxy_on_request_headers",
        v01 ? sig("ii", "i") : sig("iii", "i"),
      );
    }
    if (allowed("proxy_on_response_headers")) {
      fn[v01 ? "proxy_on_response_headers_abi_01" : "proxy_on_response_headers_abi_02"] = get(
        "proxy_on_response_headers",
        v01 ? sig("ii", "i") : sig("iii", "i"),
      );
    }
    if (!v01 && allowed("proxy_on_foreign_function")) {
      fn.proxy_on_foreign_function = get("proxy_on_foreign_function", sig("iii"));
    }
    fn.envoy_on_resolve_dns = get("envoy_on_resolve_dns", sig("iii"));
    const malloc = this.fn.malloc;
    this.memory.allocator = malloc ? (size: number) => this.callAllocator(malloc, size) : () => 0;
  }

  /** cpp-host `WasmBase::startVm`: `_initialize` then `main(0,0)`/`__main_void`, or `_start`, restricted. */
  private startVm(): void {
    this.restricted = START_ALLOWED;
    try {
      const ctx = this.vmContext;
      if (this.fn._initialize) {
        this.call(ctx, "_initialize", this.fn._initialize);
        if (this.fn.main) this.call(ctx, "main", this.fn.main, 0, 0);
        else if (this.fn.__main_void) this.call(ctx, "__main_void", this.fn.__main_void);
      } else if (this.fn._start) {
        this.call(ctx, "_start", this.fn._start);
      }
    } finally {
      this.restricted = null;
    }
  }

  private callAllocator(malloc: Fn1, size: number): number {
    const saved = this.restricted;
    this.restricted = ALLOC_ALLOWED;
    try {
      const r = this.call(this.vmContext, "malloc", malloc, size);
      return r === undefined ? 0 : (r as number) >>> 0;
    } finally {
      // cpp-host calls setRestrictedCallback(false) here, which also lifts a start-up restriction.
      this.restricted = saved === START_ALLOWED ? null : saved;
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Calls into the VM
  // ---------------------------------------------------------------------------------------------------------------

  /** Queues an action to run after the current callback returns (cpp-host `addAfterVmCallAction`). */
  addAfterVmCallAction(action: () => void): void {
    this.afterCallActions.push(action);
  }

  /** cpp-host `~DeferAfterCallActions`: clears the stop flag and runs the queued actions. */
  afterCall(): void {
    this.stopIteration = false;
    const actions = this.afterCallActions;
    while (actions.length > 0) actions.shift()!();
  }

  /** True when a trap (or a hostcall exception) should put the VM in RuntimeError rather than propagate. */
  private static isGuestFault(e: unknown): boolean {
    return (
      e instanceof WebAssembly.RuntimeError ||
      e instanceof RestrictedCallback ||
      e instanceof UnimplementedHostcall ||
      (e instanceof RangeError && /call stack/i.test(e.message))
    );
  }

  private onTrap(name: string, e: unknown): void {
    if (!WasmVm.isGuestFault(e)) throw e;
    const err = e as Error;
    const message = this.trapMessage(name, err);
    this.traps.push(new WasmTrap(name, message, e));
    this.fail("RuntimeError", message, true);
  }

  /**
   * cpp-host `V8::getFailMessage`: `Function: <name> failed: Uncaught <Error>: <message>`, then, when the module has
   * a name section, `Proxy-Wasm plugin in-VM backtrace:` and one `  <i>:  0x<offset> - <function>` line per Wasm
   * frame (innermost first).
   */
  trapMessage(name: string, err: Error): string {
    let message = `Function: ${name} failed: Uncaught ${err.name}: ${err.message}`;
    const names = this.compiled.parsed.functionNames;
    if (names.size === 0) return message;
    message += "\nProxy-Wasm plugin in-VM backtrace:";
    const frame = /wasm-function\[(\d+)\]:0x([0-9a-f]+)/;
    let i = 0;
    for (const line of (err.stack ?? "").split("\n")) {
      const m = frame.exec(line);
      if (!m) continue;
      const index = Number(m[1]);
      const fname = names.get(index) ?? `unknown(function index:${index})`;
      message += `\n${String(i).padStart(3, " ")}:  0x${m[2]} - ${fname}`;
      if (++i >= 20) break; // PROXY_WASM_HOST_MAX_BACKTRACE_FRAMES_COUNT
    }
    return message;
  }

  // SaveRestoreContext: the callee context becomes current and the effective-context override is cleared for the
  // duration of the call. Arguments are passed positionally (unused ones as 0, which a Wasm export with fewer
  // parameters ignores) so that the per-request path builds no rest-argument arrays.
  call(ctx: Context, name: string, f: GuestFn, a = 0, b = 0, c = 0, d = 0, e = 0): unknown {
    const savedCtx = this.currentContext;
    const savedEff = this.effectiveContextId;
    this.currentContext = ctx;
    this.effectiveContextId = 0;
    const trace = this.proxy.callbackLog;
    if (trace !== null && name !== "malloc") trace.push({ vm: this.label, name, contextId: ctx.id });
    try {
      return f(a, b, c, d, e);
    } catch (err) {
      this.onTrap(name, err);
      return undefined;
    } finally {
      this.currentContext = savedCtx;
      this.effectiveContextId = savedEff;
    }
  }

  /** Writes a log line for the context that is logging (prefix rules in `state/logs.ts`). */
  log(level: LogLevelName, message: string, source: "proxy_log" | "stdout" | "stderr"): void {
    const ctx = this.ctx();
    this.proxy.pluginLog(this, ctx, level, message, source);
  }
}
