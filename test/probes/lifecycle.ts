/**
 * probe-lifecycle: the context lifecycle and root-level hostcalls. Logs every callback with its arguments
 * (`lifecycle: <callback> = <args>`), so tests can check order and routing; reads the VM and plugin
 * configuration; and reacts to the plugin configuration text:
 *   `reject` → onConfigure returns false; `trap` → onConfigure aborts; `tick` → a 1000 ms tick that stops itself
 *   after two ticks; `defer-done` → the root's onDone returns false, and it calls done() when an item arrives on
 *   its queue `lifecycle-done`.
 * Per request (`x-probe` header): `levels` (log level checks), `clock`, `random`, `effective`
 * (proxy_set_effective_context), `trap` (abort inside a stream callback).
 * A second root id, `second`, is registered to check root selection by `plugin_root_id`.
 */

export * from "../../assembly/exports";
import {
  Action,
  HttpContext,
  Log,
  LogLevel,
  RootContext,
  currentTimeNanos,
  fillRandom,
  getLogLevel,
  monotonicTimeNanos,
  registerRootContext,
  registerSharedQueue,
  setEffectiveContext,
} from "../../assembly";
import { hex, quote, report, statusName } from "./lib/report";

const P = "lifecycle";

function text(data: ArrayBuffer | null): string {
  return data === null ? "null" : quote(String.UTF8.decode(data));
}

class LifecycleRoot extends RootContext {
  private mode: string = "";
  private ticks: i32 = 0;
  private deferredDone: bool = false;
  private doneQueue: u32 = 0;

  onVmStart(vmConfigurationSize: usize): bool {
    report(P, "onVmStart", "root " + this.rootId + " size " + vmConfigurationSize.toString() + " vm_config " + text(this.getVmConfiguration()));
    return true;
  }

  onConfigure(pluginConfigurationSize: usize): bool {
    const configuration = this.getPluginConfiguration();
    this.mode = configuration === null ? "" : String.UTF8.decode(configuration);
    report(P, "onConfigure", "size " + pluginConfigurationSize.toString() + " config " + text(configuration));
    // Outside onConfigure the plugin configuration is gone; the VM configuration stays readable.
    if (this.mode == "reject") {
      Log.critical("lifecycle: rejecting the configuration");
      return false;
    }
    if (this.mode == "trap") throw new Error("configured to trap");
    if (this.mode == "tick") report(P, "setTickPeriod", statusName(this.setTickPeriod(1000)));
    // A root that defers its done needs an event to finish on: the host stops ticks at shutdown, so use a queue.
    if (this.mode == "defer-done") this.doneQueue = registerSharedQueue("lifecycle-done");
    return true;
  }

  onTick(): void {
    this.ticks++;
    report(P, "onTick", this.ticks.toString() + " plugin config now " + text(this.getPluginConfiguration()));
    if (this.ticks == 1) report(P, "done while not pending", statusName(this.done()));
    if (this.ticks == 2) report(P, "stop ticks", statusName(this.setTickPeriod(0)));
  }

  onQueueReady(queueId: u32): void {
    report(P, "root onQueueReady", this.deferredDone ? "pending done" : "running");
    if (this.deferredDone) report(P, "done", statusName(this.done()));
  }

  onDone(): bool {
    report(P, "root onDone", this.contextId.toString());
    if (this.mode == "defer-done") {
      this.deferredDone = true;
      return false;
    }
    return true;
  }

  onLog(): void {
    report(P, "root onLog", this.contextId.toString());
  }

  onDelete(): void {
    report(P, "root onDelete", this.contextId.toString());
  }

  createHttpContext(contextId: u32): HttpContext | null {
    report(P, "createHttpContext", contextId.toString() + " root " + this.contextId.toString());
    return new LifecycleStream(contextId, this);
  }
}

class LifecycleStream extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    report(P, "onRequestHeaders", numHeaders.toString() + (endOfStream ? " eos" : ""));
    const action = this.requestHeaders.get("x-probe");
    if (action == "levels") {
      report(P, "getLogLevel", (<i32>getLogLevel()).toString());
      report(P, "isEnabled debug", Log.isEnabled(LogLevel.Debug) ? "true" : "false");
      report(P, "isEnabled warn", Log.isEnabled(LogLevel.Warn) ? "true" : "false");
      Log.trace("lifecycle: trace line");
      Log.debug("lifecycle: debug line");
      Log.info("lifecycle: info line");
      Log.warn("lifecycle: warn line");
      Log.error("lifecycle: error line");
      Log.critical("lifecycle: critical line");
    } else if (action == "clock") {
      const wall = currentTimeNanos();
      report(P, "currentTimeNanos after 2020", wall > 1577836800000000000 ? "true" : wall.toString());
      const first = monotonicTimeNanos();
      const second = monotonicTimeNanos();
      report(P, "monotonic non-decreasing", second >= first ? "true" : first.toString() + " " + second.toString());
    } else if (action == "random") {
      const buffer = new ArrayBuffer(32);
      const ok = fillRandom(buffer);
      const bytes = Uint8Array.wrap(buffer);
      let nonZero = 0;
      for (let i = 0; i < bytes.length; i++) if (bytes[i] != 0) nonZero++;
      report(P, "fillRandom", (ok ? "true" : "false") + " nonzero>8 " + (nonZero > 8 ? "true" : "false"));
      const large = new ArrayBuffer(70000);
      report(P, "fillRandom 70000 bytes", fillRandom(large) ? "true" : "false");
      report(P, "empty random", hex(new ArrayBuffer(0)) + (fillRandom(new ArrayBuffer(0)) ? "true" : "false"));
    } else if (action == "effective") {
      report(P, "setEffectiveContext root", statusName(setEffectiveContext(this.root.contextId)));
      report(P, "setEffectiveContext self", statusName(setEffectiveContext(this.contextId)));
      report(P, "setEffectiveContext unknown", statusName(setEffectiveContext(999999)));
    } else if (action == "trap") {
      throw new Error("stream asked to trap");
    }
    return Action.Continue;
  }

  onRequestBody(bodySize: usize, endOfStream: bool): Action {
    report(P, "onRequestBody", bodySize.toString() + (endOfStream ? " eos" : ""));
    return Action.Continue;
  }

  onRequestTrailers(numTrailers: u32): Action {
    report(P, "onRequestTrailers", numTrailers.toString());
    return Action.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    report(P, "onResponseHeaders", numHeaders.toString() + (endOfStream ? " eos" : ""));
    return Action.Continue;
  }

  onResponseBody(bodySize: usize, endOfStream: bool): Action {
    report(P, "onResponseBody", bodySize.toString() + (endOfStream ? " eos" : ""));
    return Action.Continue;
  }

  onResponseTrailers(numTrailers: u32): Action {
    report(P, "onResponseTrailers", numTrailers.toString());
    return Action.Continue;
  }

  onLog(): void {
    report(P, "onLog", this.contextId.toString());
  }

  onDone(): bool {
    report(P, "onDone", this.contextId.toString());
    return true;
  }

  onDelete(): void {
    report(P, "onDelete", this.contextId.toString());
  }
}

/** Registered under `second`: proves that `plugin_root_id` selects the factory. */
class SecondRoot extends RootContext {
  onVmStart(vmConfigurationSize: usize): bool {
    report(P, "second onVmStart", "root " + this.rootId);
    return true;
  }
}

registerRootContext("lifecycle", (contextId: u32): RootContext => new LifecycleRoot(contextId));
registerRootContext("second", (contextId: u32): RootContext => new SecondRoot(contextId));
