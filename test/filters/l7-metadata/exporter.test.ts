// The exporter in the harness: JSON lines POSTed by the root context to the collector cluster, batched by count
// and by time, retried with backoff when the collector is down, bounded buffer with counted drops, and never in
// the way of traffic. Sources: host-behaviour.md F.28 (callouts belong to the root), F.29 (reset → 0 headers;
// timeout → 504), F.30 (unknown cluster → BAD_ARGUMENT), F.34 (one tick period per root).
import { describe, expect, test } from "vitest";
import type { CalloutRequest, HttpReply } from "../../../harness";
import { recorder } from "./support";

const FIELDS = ["method", "path"];
const lines = (callouts: CalloutRequest[]) => callouts.flatMap((c) => c.body.split("\n").filter((l) => l.length > 0));
const paths = (callouts: CalloutRequest[]) => lines(callouts).map((l) => (JSON.parse(l) as Record<string, unknown>)["url.path"]);

/** A collector whose answer the test switches (down → up). */
function switchable(initial: HttpReply) {
  const state = { reply: initial, seen: [] as CalloutRequest[] };
  return { state, behaviour: { handler: (request: CalloutRequest) => (state.seen.push(request), state.reply) } };
}

describe("batching", () => {
  test("a batch is POSTed as JSON lines when batchRecords records are buffered", () => {
    const host = recorder({ fields: FIELDS, export: { cluster: "collector", batchRecords: 3, flushIntervalMs: 60000 } }, { clusters: { collector: { respond: { status: 200 } } } });
    host.http({ path: "/1" });
    host.http({ path: "/2" });
    expect(host.callouts).toEqual([]);
    host.http({ path: "/3" });
    expect(host.callouts.length).toBe(1);
    const call = host.callouts[0]!;
    expect(call.cluster).toBe("collector");
    expect(call.method).toBe("POST");
    expect(call.path).toBe("/v1/records");
    expect(call.authority).toBe("collector");
    expect(call.headers).toContainEqual(["content-type", "application/x-ndjson"]);
    expect(call.body).toBe('{"http.request.method":"GET","url.path":"/1"}\n{"http.request.method":"GET","url.path":"/2"}\n{"http.request.method":"GET","url.path":"/3"}\n');
    expect(host.counter("l7.export.batches_sent")).toBe(1);
    expect(host.counter("l7.export.records_sent")).toBe(3);
  });
  test("a partial batch is flushed by the root's timer every flushIntervalMs", () => {
    const host = recorder({ fields: FIELDS, export: { cluster: "collector", batchRecords: 100, flushIntervalMs: 1000 } }, { clusters: { collector: { respond: { status: 204 } } } });
    expect(host.tickPeriod()).toBe(1000);
    host.http({ path: "/only" });
    expect(host.callouts).toEqual([]);
    host.advance(1000);
    expect(paths(host.callouts)).toEqual(["/only"]);
    expect(host.callouts[0]!.rootContextId).toBeGreaterThan(0);
    expect(host.counter("l7.export.records_sent")).toBe(1);
  });
  test("the configured authority, path and timeout are used", () => {
    const host = recorder(
      { fields: FIELDS, export: { cluster: "collector", authority: "logs.internal", path: "/ingest?v=1", batchRecords: 1, timeoutMs: 750 } },
      { clusters: { collector: { respond: { status: 200 } } } },
    );
    host.http({ path: "/" });
    expect(host.callouts[0]).toMatchObject({ authority: "logs.internal", path: "/ingest?v=1", timeoutMs: 750 });
  });
});

describe("failures, retries and backoff", () => {
  test("a collector that is down: failures and retries are counted, and the records arrive once it is back", () => {
    const collector = switchable({ reset: true });
    const host = recorder(
      { fields: FIELDS, export: { cluster: "collector", batchRecords: 2, flushIntervalMs: 100, maxRetries: 50, backoff: { initialMs: 100, maxMs: 400 } } },
      { clusters: { collector: collector.behaviour } },
    );
    host.http({ path: "/a" });
    host.http({ path: "/b" });
    expect(host.counter("l7.export.failures")).toBe(1);
    host.advance(2000);
    const failuresWhileDown = host.counter("l7.export.failures")!;
    expect(failuresWhileDown).toBeGreaterThan(2);
    expect(host.counter("l7.export.retries")).toBe(failuresWhileDown - 1);
    // Backoff: attempts spread out (jittered doubling capped at 400 ms), not one per 100 ms tick.
    expect(failuresWhileDown).toBeLessThan(2000 / 100);
    collector.state.reply = { status: 200 };
    host.advance(1000);
    expect(host.counter("l7.export.records_sent")).toBe(2);
    expect(paths(collector.state.seen.slice(-1))).toEqual(["/a", "/b"]);
    expect(host.counter("l7.export.records_dropped_failed")).toBe(0);
  });
  test("a failed batch is resent alone; records that arrive meanwhile wait behind it", () => {
    const collector = switchable({ status: 503 });
    const host = recorder(
      { fields: FIELDS, export: { cluster: "collector", batchRecords: 1, flushIntervalMs: 100, backoff: { initialMs: 100, maxMs: 100 } } },
      { clusters: { collector: collector.behaviour } },
    );
    host.http({ path: "/first" });
    host.http({ path: "/second" });
    expect(paths(collector.state.seen)).toEqual(["/first"]);
    collector.state.reply = { status: 200 };
    host.advance(500);
    expect(collector.state.seen.map((c) => paths([c])[0])).toEqual(["/first", "/first", "/second"]);
  });
  test("after maxRetries failed resends the batch is dropped and counted", () => {
    const host = recorder(
      { fields: FIELDS, export: { cluster: "collector", batchRecords: 2, flushIntervalMs: 100, maxRetries: 2, backoff: { initialMs: 100, maxMs: 100 } } },
      { clusters: { collector: { respond: { status: 500 } } } },
    );
    host.http({ path: "/a" });
    host.http({ path: "/b" });
    host.advance(2000);
    expect(host.counter("l7.export.failures")).toBe(3);
    expect(host.counter("l7.export.retries")).toBe(2);
    expect(host.counter("l7.export.records_dropped_failed")).toBe(2);
    expect(host.callouts.length).toBe(3);
  });
  test("a 400 from the collector drops the batch at once (resending would not help)", () => {
    const host = recorder({ fields: FIELDS, export: { cluster: "collector", batchRecords: 1 } }, { clusters: { collector: { respond: { status: 400 } } } });
    host.http({ path: "/bad" });
    host.advance(5000);
    expect(host.callouts.length).toBe(1);
    expect(host.counter("l7.export.records_dropped_failed")).toBe(1);
  });
  test("a timeout (Envoy answers 504) counts as a failure and is retried", () => {
    const collector = switchable({ status: 200, delayMs: 5000 });
    const host = recorder(
      { fields: FIELDS, export: { cluster: "collector", batchRecords: 1, timeoutMs: 200, flushIntervalMs: 100, backoff: { initialMs: 100, maxMs: 100 } } },
      { clusters: { collector: collector.behaviour } },
    );
    host.http({ path: "/slow" });
    host.advance(250);
    expect(host.counter("l7.export.failures")).toBe(1);
    collector.state.reply = { status: 200 };
    host.advance(500);
    expect(host.counter("l7.export.records_sent")).toBe(1);
  });
  test("an unknown cluster (BAD_ARGUMENT at once) is counted and never fails the request", () => {
    const host = recorder({ fields: FIELDS, export: { cluster: "nowhere", batchRecords: 1, maxRetries: 0 } });
    const result = host.http({ path: "/" });
    expect(result.status).toBe(200);
    expect(host.counter("l7.export.failures")).toBe(1);
    expect(host.counter("l7.export.records_dropped_failed")).toBe(1);
    expect(host.logs({ level: "warn" }).map((r) => r.message)).toContain("l7-metadata: export to cluster nowhere failed to start: status 2");
  });
});

describe("bounded buffer", () => {
  const stalled = { handler: () => ({ status: 200, delayMs: 3_600_000 }) };
  test("drop-oldest: the newest records are kept, the dropped ones counted", () => {
    const host = recorder(
      { fields: FIELDS, export: { cluster: "collector", batchRecords: 1, bufferRecords: 2, timeoutMs: 60000, overflow: "dropOldest" } },
      { clusters: { collector: stalled } },
    );
    for (const path of ["/1", "/2", "/3", "/4", "/5"]) host.http({ path });
    // "/1" is in flight; of "/2".."/5" only two fit.
    expect(host.counter("l7.export.records_dropped_overflow")).toBe(2);
    expect(host.gauge("l7.export.buffered_records")).toBe(2);
  });
  test("drop-newest: new records are refused while the buffer is full", () => {
    const host = recorder(
      { fields: FIELDS, export: { cluster: "collector", batchRecords: 1, bufferRecords: 1, timeoutMs: 60000, overflow: "dropNewest" } },
      { clusters: { collector: stalled } },
    );
    for (const path of ["/1", "/2", "/3", "/4"]) host.http({ path });
    expect(host.counter("l7.export.records_dropped_overflow")).toBe(2);
    expect(host.gauge("l7.export.buffered_records")).toBe(1);
  });
  test("only one callout is in flight at a time", () => {
    const host = recorder({ fields: FIELDS, export: { cluster: "collector", batchRecords: 1, timeoutMs: 60000 } }, { clusters: { collector: stalled } });
    for (let i = 0; i < 5; i++) host.http({ path: `/${i}` });
    expect(host.callouts.length).toBe(1);
    expect(host.gauge("l7.export.buffered_records")).toBe(4);
  });
});

describe("traffic is never blocked, delayed or failed", () => {
  test("with the collector down or slow, every request completes at once with the upstream's answer", () => {
    for (const behaviour of [{ down: true }, { respond: { status: 503 } }, { handler: () => ({ status: 200, delayMs: 10_000 }) }]) {
      const host = recorder({ fields: FIELDS, export: { cluster: "collector", batchRecords: 1 } }, { clusters: { collector: behaviour } });
      for (let i = 0; i < 5; i++) {
        const before = host.now;
        const result = host.http({ path: `/${i}` }, { status: 201, body: "ok" });
        expect(result.status).toBe(201);
        expect(result.body).toBe("ok");
        expect(host.now - before).toBe(0);
      }
    }
  });
});

describe("sampling", () => {
  test("sampleRate 0 exports nothing and counts the records sampled out; filter state is still written", () => {
    const host = recorder({ fields: FIELDS, export: { cluster: "collector", batchRecords: 1, sampleRate: 0 } }, { clusters: { collector: { respond: { status: 200 } } } });
    const result = host.http({ path: "/x" });
    host.advance(5000);
    expect(host.callouts).toEqual([]);
    expect(host.counter("l7.export.records_sampled_out")).toBe(1);
    expect(result.filterState["wasm.l7.url.path"]).toBe("/x");
  });
  test("sampleRate 0.5 exports about half", () => {
    const host = recorder({ fields: FIELDS, export: { cluster: "collector", batchRecords: 1000, bufferRecords: 1000, sampleRate: 0.5 } }, { clusters: { collector: { respond: { status: 200 } } } });
    for (let i = 0; i < 400; i++) host.http({ path: "/" });
    const out = host.counter("l7.export.records_sampled_out")!;
    expect(out).toBeGreaterThan(140);
    expect(out).toBeLessThan(260);
  });
});
