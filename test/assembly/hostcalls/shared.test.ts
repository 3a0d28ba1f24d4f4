/**
 * Shared data and shared queues (assembly/hostcalls/shared-data.ts, shared-queue.ts) through probe-shared.
 * Envoy semantics: host-behaviour.md A.3 #30–35, F.31 (CAS: 0 forces the write, a stale CAS is CAS_MISMATCH),
 * F.32 (a queue token is stable per (vm_id, name); on_queue_ready is delivered asynchronously to the registering
 * root); cpp-host src/shared_data.cc, src/shared_queue.cc.
 */

import { describe, expect, test } from "vitest";
import { Status } from "../../../harness/index.js";
import { expectHostcalls, hostcallResults, probeHost, reported } from "../probes.js";

describe("shared data", () => {
  test("get of a missing key is null; set/get round-trip with CAS; a stale CAS is refused (F.31)", () => {
    const host = probeHost("shared");
    const result = host.http({ path: "/s", headers: [["x-probe", "data"]] });
    const say = (what: string): string => reported(result.logs, "shared", what);
    expect(say("get missing")).toBe("null");
    expect(say("set unconditional")).toBe("OK");
    expect(say("get")).toBe('"v1" cas>0 true');
    expect(say("set with current cas")).toBe("OK");
    expect(say("set with stale cas")).toBe("CAS_MISMATCH");
    expect(say("after")).toBe('"v2" cas changed true');
    expect(say("set empty value")).toBe("OK");
    expect(say("get empty value")).toBe("0");
    expect(host.sharedData("probe-key")?.value).toBe("v2");
    expect(hostcallResults(host, "proxy_get_shared_data")).toContain(Status.NotFound);
    expectHostcalls(host, ["proxy_get_shared_data", "proxy_set_shared_data"]);
  });
});

describe("shared queues", () => {
  test("register returns a stable token; resolve finds it; unknown queues are 0 / NOT_FOUND; an empty queue dequeues null", () => {
    const host = probeHost("shared");
    const startup = host.logs().map((record) => record.message);
    expect(startup).toContain("shared: register = token");
    expect(startup).toContain("shared: register again same token = true");
    const result = host.http({ path: "/s", headers: [["x-probe", "resolve"]] });
    const say = (what: string): string => reported(result.logs, "shared", what);
    expect(say("resolve same as registered")).toBe("true");
    expect(say("resolve missing")).toBe("0");
    expect(say("dequeue empty")).toBe("null");
    expect(say("dequeue unknown")).toBe("null");
    expect(hostcallResults(host, "proxy_dequeue_shared_queue")).toEqual([Status.Empty, Status.NotFound]);
    expectHostcalls(host, ["proxy_register_shared_queue", "proxy_resolve_shared_queue", "proxy_dequeue_shared_queue"]);
  });

  test("enqueue notifies the registering root through onQueueReady, which drains the items in order (F.32)", () => {
    const host = probeHost("shared", { recordCallbacks: true });
    host.http({ path: "/s", headers: [["x-probe", "enqueue"], ["x-item", "first"]] });
    host.http({ path: "/s", headers: [["x-probe", "enqueue"], ["x-item", "second"]] });
    host.runUntilIdle();
    const messages = host.logs().map((record) => record.message);
    expect(messages.filter((line) => line.startsWith("shared: dequeued"))).toEqual(['shared: dequeued = "first"', 'shared: dequeued = "second"']);
    expect(messages.filter((line) => line === "shared: queue ready = probe-queue")).toHaveLength(2);
    expect(messages.filter((line) => line === "shared: enqueue unknown queue = NOT_FOUND")).toHaveLength(2);
    expect(host.callbacks.filter((c) => c.name === "proxy_on_queue_ready").every((c) => c.contextId === 1)).toBe(true);
    expect(host.queue("probe-queue")?.items).toEqual([]);
    expectHostcalls(host, ["proxy_enqueue_shared_queue"]);
  });
});
