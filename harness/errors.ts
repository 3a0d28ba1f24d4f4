/**
 * Errors the harness raises. Every one names what went wrong in the words a plugin author needs, and the
 * ones that mirror an Envoy failure carry Envoy's own wording so a test can match the log line it would see.
 */

/**
 * A plugin called a hostcall the harness does not model (strict mode) or one Envoy does not provide.
 * Thrown out of the hostcall, so the guest traps and the test fails loudly instead of the harness quietly
 * returning a status Envoy would not return.
 */
export class UnimplementedHostcall extends Error {
  override readonly name = "UnimplementedHostcall";
  constructor(
    /** `module.name` of the import, e.g. `env.proxy_grpc_call`. */
    readonly hostcall: string,
    detail?: string,
  ) {
    super(`hostcall ${hostcall} is not modelled by the harness${detail ? `: ${detail}` : ""}`);
  }
}

/**
 * The module cannot be loaded the way Envoy loads it: bad bytes, no ABI version export, an import Envoy does
 * not provide, a callback exported with the wrong signature, no allocator. `message` is Envoy's wording
 * (`Failed to load Wasm module due to a missing import: env.abort`, `Missing or unknown Proxy-Wasm ABI version`).
 */
export class WasmLoadError extends Error {
  override readonly name = "WasmLoadError";
  constructor(
    message: string,
    /** cpp-host `FailState` name: UnableToInitializeCode, MissingFunction, … */
    readonly failState: string,
  ) {
    super(message);
  }
}

/**
 * The plugin configuration was rejected: `proxy_on_vm_start` or `proxy_on_configure` returned false or trapped in
 * the canary instance (cpp-host `wasm.cc canary`), which Envoy reports as a NACKed config
 * ("Unable to create Wasm HTTP filter").
 */
export class PluginConfigRejected extends Error {
  override readonly name = "PluginConfigRejected";
  constructor(
    message: string,
    /** `StartFailed`, `ConfigureFailed` or the load failure state. */
    readonly failState: string,
    /** The Envoy error lines that explain it (`Wasm VM failed …`, trap backtraces). */
    readonly details: readonly string[],
  ) {
    super(message);
  }
}

/**
 * A test drove the harness in a way that cannot happen in Envoy (calling a stream callback after the stream
 * ended, responding to an unknown callout token, …). Always a bug in the test, never in the plugin.
 */
export class HarnessUsageError extends Error {
  override readonly name = "HarnessUsageError";
}

/** A trap inside the guest, with Envoy's message (`Function: proxy_on_request_headers failed: …`). */
export class WasmTrap extends Error {
  override readonly name = "WasmTrap";
  constructor(
    /** The exported function that trapped. */
    readonly functionName: string,
    /** Envoy's full message, including the in-VM backtrace when the module has a name section. */
    message: string,
    /** The JS error V8 raised (RuntimeError, or an exception thrown by a hostcall). */
    override readonly cause: unknown,
  ) {
    super(message);
  }
}
