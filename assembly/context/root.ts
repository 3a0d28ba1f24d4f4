/** The per-plugin root context. */

import { Status } from "../abi/enums";
import { pluginConfiguration, vmConfiguration } from "../hostcalls/buffers";
import { done } from "../hostcalls/lifecycle";
import { setTickPeriod } from "../hostcalls/timers";
import { BaseContext } from "./base";
import { HttpContext } from "./http";
import { TcpContext } from "./tcp";

/**
 * One per plugin (Envoy `PluginConfig`, Istio `WasmPlugin`) in each VM. Subclass it, register a factory with
 * `registerRootContext(rootId, factory)`, parse the configuration once in {@link onConfigure} into an
 * immutable object, and hand that to each stream context from {@link createHttpContext}.
 *
 * Envoy start order: `onVmStart` → `onConfigure`, once in a throw-away canary VM (a false result or a trap
 * rejects the configuration) and again in each worker's VM. Module globals are per VM, never shared across
 * workers; use shared data or queues for that.
 */
export class RootContext extends BaseContext {
  /** The `root_id` this context was created for (Envoy `plugin_root_id`; Istio: the WasmPlugin's pluginName). */
  rootId: string = "";

  constructor(contextId: u32) {
    super(contextId);
  }

  /**
   * First callback of a root context. `vmConfigurationSize` is the size of `vm_config.configuration`
   * ({@link getVmConfiguration}). Return false to fail the start. Default true.
   */
  onVmStart(vmConfigurationSize: usize): bool {
    return true;
  }

  /**
   * The plugin configuration arrived (`pluginConfigurationSize` bytes; Istio sends 0 bytes for a missing
   * `pluginConfig`). Read it with {@link getPluginConfiguration}, validate it completely, and return false
   * with one critical log line naming the bad field if it is unusable — Envoy then rejects the configuration
   * (fail closed). Default true.
   */
  onConfigure(pluginConfigurationSize: usize): bool {
    return true;
  }

  /** The timer set with {@link setTickPeriod} fired. */
  onTick(): void {}

  /** An item was enqueued on shared queue `queueId`, which this root registered. Delivered asynchronously. */
  onQueueReady(queueId: u32): void {}

  /** The host invoked foreign callback `functionId`; arguments via `getForeignFunctionArguments()`. */
  onForeignFunction(functionId: u32, argumentsSize: usize): void {}

  /**
   * Creates the context for a new HTTP stream, called right before its first callback (or in the log phase
   * when an earlier filter answered first). Return null to let the stream pass untouched. Default null.
   */
  createHttpContext(contextId: u32): HttpContext | null {
    return null;
  }

  /**
   * Creates the context for a new TCP connection; consulted only when {@link createHttpContext} returns null.
   * Default null.
   */
  createTcpContext(contextId: u32): TcpContext | null {
    return null;
  }

  /**
   * The plugin configuration bytes; only valid in {@link onConfigure} (null elsewhere).
   * Wraps `proxy_get_buffer_bytes(PLUGIN_CONFIGURATION)`.
   */
  getPluginConfiguration(): ArrayBuffer | null {
    return pluginConfiguration.read();
  }

  /** The `vm_config.configuration` bytes; readable at any time. Wraps `proxy_get_buffer_bytes(VM_CONFIGURATION)`. */
  getVmConfiguration(): ArrayBuffer | null {
    return vmConfiguration.read();
  }

  /** Calls {@link onTick} every `milliseconds` (0 stops it). Wraps `proxy_set_tick_period_milliseconds`. */
  setTickPeriod(milliseconds: u32): Status {
    return setTickPeriod(milliseconds);
  }

  /**
   * Finishes this root after {@link onDone} returned false. Only valid while this root is the current
   * context (e.g. in its `onTick` or a callout answer). Wraps `proxy_done`.
   */
  done(): Status {
    return done();
  }
}
