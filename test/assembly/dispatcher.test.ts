/**
 * The dispatcher (assembly/dispatcher.ts) and the context classes, through probe-lifecycle: root selection by
 * plugin_root_id, the start sequence, callback order and arguments, configuration rejection, and a root that
 * defers its done. Envoy semantics: host-behaviour.md B (callbacks), F.8 (vm_start → configure per root), F.9
 * (canary + worker VMs), F.10 (configuration buffers), F.12 (lazy stream contexts), F.25 (false or a trap in
 * configure rejects the configuration), F.26 (HTTP on_log → on_done → on_delete), F.27 (root on_done false →
 * proxy_done); cpp-host src/wasm.cc, src/context.cc; Envoy conn_manager_impl.cc doDeferredStreamDestroy.
 */

import { describe, expect, test } from "vitest";
import { PluginConfigRejected } from "../../harness/index.js";
import { expectHostcalls, probeHost } from "./probes.js";

const messages = (host: { logs(): Array<{ message: string }> }): string[] => host.logs().map((record) => record.message);

describe("root contexts", () => {
  test("the factory registered for plugin_root_id is chosen; onVmStart then onConfigure, once per VM (canary + main thread + worker)", () => {
    const host = probeHost("lifecycle", { rootId: "lifecycle", vmConfiguration: "vm-conf", configuration: "plain" });
    // Envoy 1.40 (observed, docs/E2E.md): the canary, the main thread's VM and each worker's VM.
    expect(messages(host)).toEqual([
      'lifecycle: onVmStart = root lifecycle size 7 vm_config "vm-conf"',
      'lifecycle: onConfigure = size 5 config "plain"',
      'lifecycle: onVmStart = root lifecycle size 7 vm_config "vm-conf"',
      'lifecycle: onConfigure = size 5 config "plain"',
      'lifecycle: onVmStart = root lifecycle size 7 vm_config "vm-conf"',
      'lifecycle: onConfigure = size 5 config "plain"',
    ]);
    expectHostcalls(host, ["proxy_get_property", "proxy_get_buffer_bytes"]);
  });

  test("another root id in the same module selects its own factory", () => {
    const host = probeHost("lifecycle", { rootId: "second" });
    expect(messages(host)).toEqual([
      "lifecycle: second onVmStart = root second",
      "lifecycle: second onVmStart = root second",
      "lifecycle: second onVmStart = root second",
    ]);
  });

  test("a root id nobody registered fails onVmStart with a critical line naming it and the registered ids", () => {
    const host = probeHost("lifecycle", { rootId: "unknown", allowRejection: true });
    expect(host.rejection?.failState).toBe("StartFailed");
    expect(host.logs({ level: "critical" }).map((r) => r.message)).toEqual([
      'no root context is registered for root_id "unknown"; registered root ids: "lifecycle", "second"',
    ]);
  });

  test("onConfigure returning false rejects the configuration (F.25)", () => {
    expect(() => probeHost("lifecycle", { rootId: "lifecycle", configuration: "reject" })).toThrow(PluginConfigRejected);
  });

  test("a trap in onConfigure rejects the configuration, after the abort handler logged the message (F.25)", () => {
    const host = probeHost("lifecycle", { rootId: "lifecycle", configuration: "trap", allowRejection: true });
    expect(host.rejection?.failState).toBe("ConfigureFailed");
    expect(host.logs({ level: "critical" }).map((r) => r.message)).toEqual([
      expect.stringMatching(/^abort: configured to trap at test\/probes\/lifecycle\.ts:\d+:\d+$/),
    ]);
  });

  test("the plugin configuration is readable only in onConfigure; ticks arrive on the root (F.10, F.34)", () => {
    const host = probeHost("lifecycle", { rootId: "lifecycle", configuration: "tick" });
    host.advance(3_000);
    // The main thread's root context ticks too (its own timer on the main dispatcher), then the worker's.
    expect(messages(host).filter((line) => line.startsWith("lifecycle: onTick"))).toEqual([
      "lifecycle: onTick = 1 plugin config now null",
      "lifecycle: onTick = 1 plugin config now null",
      "lifecycle: onTick = 2 plugin config now null",
      "lifecycle: onTick = 2 plugin config now null",
    ]);
    expect(host.tickPeriod()).toBe(0);
  });

  test("at shutdown a root may return false from onDone and finish later with done(); onDelete follows (F.27)", () => {
    const host = probeHost("lifecycle", { rootId: "lifecycle", configuration: "defer-done", recordCallbacks: true });
    host.shutdown();
    expect(messages(host).slice(-1)).toEqual(["lifecycle: root onDone = 1"]);
    expect(host.callbacks.some((c) => c.vm === "worker-0" && c.name === "proxy_on_delete")).toBe(false);
    host.enqueue("lifecycle-done", "finish");
    host.runUntilIdle();
    expect(messages(host).slice(-3)).toEqual(["lifecycle: root onQueueReady = pending done", "lifecycle: done = OK", "lifecycle: root onDelete = 1"]);
    expectHostcalls(host, ["proxy_done"]);
  });
});

describe("HTTP stream contexts", () => {
  test("created lazily by createHttpContext, then every callback in Envoy's order with its arguments (F.12, F.26)", () => {
    const host = probeHost("lifecycle", { rootId: "lifecycle" });
    // HTTP/2: Envoy's HTTP/1.1 codec drops request trailers.
    const result = host.http({ method: "POST", path: "/a", body: "x", trailers: [["t", "1"]], protocol: "http2" }, { status: 200, body: "y" });
    const id = String(result.contextIds[0]);
    expect(result.logs.map((record) => record.message)).toEqual([
      `lifecycle: createHttpContext = ${id} root 1`,
      expect.stringMatching(/^lifecycle: onRequestHeaders = \d+$/),
      "lifecycle: onRequestBody = 1",
      "lifecycle: onRequestTrailers = 1",
      expect.stringMatching(/^lifecycle: onResponseHeaders = \d+$/),
      // Envoy's codec delivers a one-piece upstream body as the data, then an empty end-of-stream chunk.
      "lifecycle: onResponseBody = 1",
      "lifecycle: onResponseBody = 0 eos",
      `lifecycle: onLog = ${id}`,
      `lifecycle: onDone = ${id}`,
      `lifecycle: onDelete = ${id}`,
    ]);
  });

  test("a stream whose root creates no context passes untouched: every callback answers Continue", () => {
    const host = probeHost("lifecycle", { rootId: "second", recordCallbacks: true }); // SecondRoot creates none
    const result = host.http({ method: "POST", path: "/x", body: "b" }, { status: 202, body: "r" });
    expect(result.status).toBe(202);
    expect(result.body).toBe("r");
    expect(result.upstream!.body).toBe("b");
    expect(result.logs).toEqual([]);
    expect(host.callbacks.filter((c) => c.name === "proxy_on_request_headers")).toHaveLength(1);
  });

  test("a trap in a stream callback fails the VM: Envoy answers 503 wasm_fail_stream (F.24)", () => {
    const host = probeHost("lifecycle", { rootId: "lifecycle" });
    const result = host.http({ path: "/", headers: [["x-probe", "trap"]] });
    expect(result.status).toBe(503);
    expect(result.responseCodeDetails).toBe("wasm_fail_stream");
    expect(host.logs({ level: "critical" }).map((r) => r.message)).toEqual([
      expect.stringMatching(/^abort: stream asked to trap at test\/probes\/lifecycle\.ts:\d+:\d+$/),
    ]);
    expect(host.traps().map((t) => t.functionName)).toEqual(["proxy_on_request_headers"]);
  });
});
