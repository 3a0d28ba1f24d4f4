// Lifecycle like Envoy: root start order, configuration rejection at the canary, canary + workers sharing nothing
// but shared data, lazy stream contexts, HTTP and TCP completion orders, shutdown (host-behaviour.md F.8–F.12,
// F.25–F.27; cpp-host context.cc onStart/onConfigure, wasm.cc canary/startShutdown/done; Envoy
// conn_manager_impl.cc doDeferredStreamDestroy, context.cc log/onDestroy/onCloseTCP).
import { describe, expect, test } from "vitest";
import { createHost, createMultiPluginHost, PluginConfigRejected } from "../../harness";
import { proxyModule } from "./support/wat";

/** Every callback exported, all no-ops returning Continue/true. */
const ALL_CALLBACKS = `
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_request_trailers") (param i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_response_body") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_response_trailers") (param i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_log") (param i32))
  (func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))
  (func (export "proxy_on_delete") (param i32))
  (func (export "proxy_on_new_connection") (param i32) (result i32) (i32.const 0))
  (func (export "proxy_on_downstream_data") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_upstream_data") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_downstream_connection_close") (param i32 i32))
  (func (export "proxy_on_upstream_connection_close") (param i32 i32))
`;

const names = (cbs: Array<{ name: string }>): string[] => cbs.map((c) => c.name.replace(/^proxy_on_/, ""));

describe("root start (F.8; cpp-host ContextBase::onStart/onConfigure)", () => {
  test("context_create(root, 0) → vm_start(root, vm_config_size) → configure(root, plugin_config_size)", () => {
    const host = createHost(
      proxyModule({
        body: `
        (global $log (mut i32) (i32.const 2048))
        (func $rec (param i32) (i32.store (global.get $log) (local.get 0)) (global.set $log (i32.add (global.get $log) (i32.const 4))))
        (func (export "proxy_on_context_create") (param i32 i32) (call $rec (local.get 0)) (call $rec (local.get 1)))
        (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (call $rec (local.get 0)) (call $rec (local.get 1)) (i32.const 1))
        (func (export "proxy_on_configure") (param i32 i32) (result i32) (call $rec (local.get 0)) (call $rec (local.get 1)) (i32.const 1))`,
      }),
      { vmConfiguration: "vmcfg", configuration: "plugin-config", recordCallbacks: true },
    );
    expect(names(host.callbacks.filter((c) => c.vm === "worker-0"))).toEqual(["context_create", "vm_start", "configure"]);
    // Root id 1 everywhere; on_vm_start gets the root id (not 0) and the VM config size; configure the plugin config size.
    expect([0, 1, 2, 3, 4, 5].map((i) => host.readU32(2048 + 4 * i))).toEqual([1, 0, 1, 5, 1, 13]);
  });

  test("on_vm_start returning false rejects the configuration (StartFailed at the canary)", () => {
    const bytes = proxyModule({ body: `(func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 0))` });
    let error: unknown;
    try {
      createHost(bytes, { name: "my.plugin" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PluginConfigRejected);
    expect((error as PluginConfigRejected).failState).toBe("StartFailed");
    expect((error as PluginConfigRejected).message).toMatch(/^Unable to create Wasm HTTP filter my.plugin/);
    expect((error as PluginConfigRejected).details).toContain("Wasm VM failed Failed to start base Wasm");
  });

  test("on_configure returning false rejects it (ConfigureFailed), with the plugin's own reason logged", () => {
    const host = createHost(
      proxyModule({
        imports: ["proxy_log"],
        body: `(data (i32.const 16) "bad config")
          (func (export "proxy_on_configure") (param i32 i32) (result i32)
            (drop (call $proxy_log (i32.const 5) (i32.const 16) (i32.const 10))) (i32.const 0))`,
      }),
      { allowRejection: true },
    );
    expect(host.rejection?.failState).toBe("ConfigureFailed");
    expect(host.rejection?.details).toContain("Wasm VM failed Failed to configure base Wasm plugin");
    expect(host.logs({ level: "critical" }).map((l) => `${l.vm}: ${l.message}`)).toEqual(["canary: bad config"]);
    expect(() => host.http()).toThrow(/was rejected/);
  });

  test("a trap in on_configure rejects it too, and the trap is reported Envoy-style", () => {
    const host = createHost(
      proxyModule({ body: `(func $boom (export "proxy_on_configure") (param i32 i32) (result i32) unreachable)` }),
      { allowRejection: true },
    );
    expect(host.rejection?.failState).toBe("ConfigureFailed");
    expect(host.rejection?.details[0]).toMatch(/^Function: proxy_on_configure failed: Uncaught RuntimeError: unreachable\nProxy-Wasm plugin in-VM backtrace:\n  0:  0x[0-9a-f]+ - boom$/);
  });
});

describe("canary and workers (F.9; cpp-host wasm.cc canary/getOrCreateThreadLocalPlugin)", () => {
  const counterModule = proxyModule({
    imports: ["proxy_set_shared_data", "proxy_add_header_map_value"],
    body: `
    (global $count (mut i32) (i32.const 0))
    (data (i32.const 16) "k") (data (i32.const 32) "x-count")
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
      (global.set $count (i32.add (global.get $count) (i32.const 1)))
      (i32.store8 (i32.const 48) (i32.add (i32.const 48) (global.get $count)))
      (drop (call $proxy_set_shared_data (i32.const 16) (i32.const 1) (i32.const 48) (i32.const 1) (i32.const 0)))
      (drop (call $proxy_add_header_map_value (i32.const 0) (i32.const 32) (i32.const 7) (i32.const 48) (i32.const 1)))
      (i32.const 0))`,
  });

  test("each worker has its own globals; shared data is shared by vm_id", () => {
    const host = createHost(counterModule, { workers: 2 });
    const seen = (w: number): string | undefined => host.http({ worker: w }).upstream?.headers.find(([k]) => k === "x-count")?.[1];
    expect([seen(0), seen(0), seen(1), seen(0), seen(1)]).toEqual(["1", "2", "1", "3", "2"]);
    expect(host.sharedData("k")?.value).toBe("2");
  });

  test("the canary is configured then discarded (no on_done/on_delete); the main thread's plugin is started and configured too", () => {
    const host = createHost(proxyModule({ body: ALL_CALLBACKS }), { recordCallbacks: true });
    host.shutdown();
    expect(names(host.callbacks.filter((c) => c.vm === "canary"))).toEqual(["context_create", "vm_start", "configure"]);
    expect(names(host.callbacks.filter((c) => c.vm === "worker-0"))).toEqual(["context_create", "vm_start", "configure", "done", "delete"]);
    expect(names(host.callbacks.filter((c) => c.vm === "main"))).toEqual(["context_create", "vm_start", "configure", "done", "delete"]);
  });

  test("two plugins with the same module and vm_id share each worker's VM (one root context each)", () => {
    const host = createMultiPluginHost({
      plugins: [
        { wasm: counterModule, name: "a" },
        { wasm: counterModule, name: "b" },
      ],
    });
    // One VM, so the global counter sees both plugins: 1 and 2 on the first request.
    expect(host.http().upstream?.headers.filter(([k]) => k === "x-count").map(([, v]) => v)).toEqual(["1", "2"]);
    expect(host.vm({ plugin: 0 }).label).toBe(host.vm({ plugin: 1 }).label);
    expect(host.vm({ plugin: 0 }).rootContextId).not.toBe(host.vm({ plugin: 1 }).rootContextId);
  });
});

describe("HTTP stream contexts (F.11, F.12, F.26, F.27)", () => {
  test("created lazily before request headers; completion is log → done → delete", () => {
    const host = createHost(proxyModule({ body: ALL_CALLBACKS }), { recordCallbacks: true });
    const mark = host.callbacks.length;
    const res = host.http({ method: "POST", body: "b", trailers: { t: "1" }, protocol: "http2" });
    expect(names(host.callbacks.slice(mark))).toEqual([
      "context_create", "request_headers", "request_body", "request_trailers",
      "response_headers", "response_body", "response_body", "log", "done", "delete",
    ]);
    expect(res.contextIds).toEqual([2]);
  });

  test("stream ids come from one counter per VM and are not reused", () => {
    const host = createHost(proxyModule({ body: ALL_CALLBACKS }));
    expect([host.http().contextIds[0], host.http().contextIds[0], host.http().contextIds[0]]).toEqual([2, 3, 4]);
  });

  test("a stream's on_done result is ignored: on_delete follows anyway", () => {
    const host = createHost(
      proxyModule({
        body: ALL_CALLBACKS.replace(
          '(func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))',
          '(func (export "proxy_on_done") (param i32) (result i32) (i32.const 0))',
        ),
      }),
      { recordCallbacks: true },
    );
    const mark = host.callbacks.length;
    host.http();
    expect(names(host.callbacks.slice(mark)).slice(-3)).toEqual(["log", "done", "delete"]);
  });

  test("when an earlier filter answers, the plugin's context is created in the log phase: create → log → done → delete", () => {
    const host = createHost(proxyModule({ body: ALL_CALLBACKS }), {
      recordCallbacks: true,
      listener: { jwt: { issuer: "https://issuer" } },
    });
    const mark = host.callbacks.length;
    const res = host.http({ jwt: { claims: { iss: "https://issuer" }, badSignature: true } });
    expect(res.status).toBe(401);
    expect(names(host.callbacks.slice(mark))).toEqual(["context_create", "log", "done", "delete"]);
  });

  test("plugins log in chain order, then each is destroyed in chain order", () => {
    const a = proxyModule({ body: ALL_CALLBACKS });
    const host = createMultiPluginHost({
      plugins: [
        { wasm: a, name: "first", vmId: "1" },
        { wasm: a, name: "second", vmId: "2" },
      ],
      recordCallbacks: true,
    });
    const mark = host.callbacks.length;
    host.http();
    const tail = host.callbacks.slice(mark).filter((c) => ["proxy_on_log", "proxy_on_done", "proxy_on_delete"].includes(c.name));
    expect(tail.map((c) => `${c.name.slice(9)}@${c.vm}:${c.contextId}`)).toEqual([
      "log@worker-0:2", "log@worker-0:2", "done@worker-0:2", "delete@worker-0:2", "done@worker-0:2", "delete@worker-0:2",
    ]);
  });
});

describe("TCP (F.26; Envoy context.cc onCloseTCP)", () => {
  test("new_connection → data → close: done → log → delete, once", () => {
    const host = createHost(proxyModule({ body: ALL_CALLBACKS }), { recordCallbacks: true });
    const mark = host.callbacks.length;
    const conn = host.tcp();
    conn.open();
    conn.sendDownstream("ping");
    conn.sendUpstream("pong", true);
    conn.close();
    expect(names(host.callbacks.slice(mark))).toEqual([
      "context_create", "new_connection", "downstream_data", "upstream_data", "upstream_connection_close",
      "downstream_connection_close", "done", "log", "delete",
    ]);
    expect([conn.upstreamBytes, conn.downstreamBytes]).toEqual(["ping", "pong"]);
  });

  test("StopIteration keeps the bytes until the plugin continues", () => {
    const host = createHost(
      proxyModule({
        imports: ["proxy_continue_stream"],
        body: `
        (global $n (mut i32) (i32.const 0))
        (func (export "proxy_on_downstream_data") (param i32 i32 i32) (result i32)
          (global.set $n (i32.add (global.get $n) (i32.const 1)))
          (if (result i32) (i32.lt_u (global.get $n) (i32.const 2)) (then (i32.const 1))
            (else (drop (call $proxy_continue_stream (i32.const 2))) (i32.const 1))))`,
      }),
    );
    const conn = host.tcp();
    conn.open();
    conn.sendDownstream("a");
    expect(conn.upstreamBytes).toBe("");
    conn.sendDownstream("b");
    expect(conn.upstreamBytes).toBe("ab");
  });
});

describe("TCP after a trap (Envoy network wasm_filter.h createFilter, cpp-host CHECK_FAIL_NETWORK)", () => {
  const trapsOnData = proxyModule({
    body: `(func (export "proxy_on_downstream_data") (param i32 i32 i32) (result i32) unreachable)`,
  });

  test("FAIL_CLOSED: the trapping connection is closed, and so is every later one, at once", () => {
    const host = createHost(trapsOnData, { failurePolicy: "FAIL_CLOSED" });
    const first = host.tcp();
    first.open();
    first.sendDownstream("x");
    expect(first.closed).not.toBeNull();
    expect(first.upstreamBytes).toBe("");
    const second = host.tcp();
    second.open();
    expect(second.closed).not.toBeNull();
  });

  test("FAIL_OPEN: later connections pass through without the plugin", () => {
    const host = createHost(trapsOnData, { failurePolicy: "FAIL_OPEN" });
    const first = host.tcp();
    first.open();
    first.sendDownstream("x");
    const second = host.tcp();
    second.open();
    second.sendDownstream("y");
    expect(second.closed).toBeNull();
    expect(second.upstreamBytes).toBe("y");
  });
});

describe("shutdown (F.27; cpp-host startShutdown/done)", () => {
  test("a root whose on_done returns false is deleted only after proxy_done", () => {
    const host = createHost(
      proxyModule({
        imports: ["proxy_done", "proxy_set_tick_period_milliseconds"],
        body: `
        (global $done (mut i32) (i32.const 0))
        (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (drop (call $proxy_set_tick_period_milliseconds (i32.const 10))) (i32.const 1))
        (func (export "proxy_on_done") (param i32) (result i32) (global.set $done (i32.const 1)) (i32.const 0))
        (func (export "proxy_on_tick") (param i32) (if (global.get $done) (then (i32.store (i32.const 1024) (call $proxy_done)))))
        (func (export "proxy_on_delete") (param i32) (i32.store (i32.const 1028) (i32.const 77)))`,
      }),
      { recordCallbacks: true },
    );
    host.shutdown();
    expect(host.readU32(1028)).toBe(0);
    // proxy_done from elsewhere than a pending root → NOT_FOUND; here the tick of the same root finishes it.
    host.advance(10);
    expect(host.readU32(1024)).toBe(0);
    expect(host.readU32(1028)).toBe(77);
  });

  test("proxy_done without a pending shutdown → NOT_FOUND", () => {
    const host = createHost(
      proxyModule({
        imports: ["proxy_done"],
        body: `(func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.store (i32.const 1024) (call $proxy_done)) (i32.const 1))`,
      }),
    );
    expect(host.readU32(1024)).toBe(1);
  });
});
