// The L7 metadata recorder in a real Envoy 1.40 (V8): the access-log line holds the recorded fields (also for a
// request an earlier filter denied), injection attempts stay inside their fields, metrics appear in /stats with
// their tags extracted by the bootstrap's stats_tags, and the collector receives the batches — after being
// down, thanks to the retries. Own bootstrap (not the scenario runner) because stats_tags is bootstrap-level.
// Sources: host-behaviour.md F.12, F.16, F.26 (on_log, access-log copies); authz-and-metadata.md §C.2, §C.5;
// envoy#30859 (access log vs on_log order — in Envoy 1.40 the Wasm log handler runs first, pinned here).
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EnvoyProcess } from "../../../harness/envoy/envoy-process";
import { freePort } from "../../../harness/envoy/ports";
import { RecordingServer } from "../../../harness/envoy/servers";
import { e2eTools, projectRoot } from "../../../harness/envoy/tools";
import { l7StatsTags } from "../../../filters/l7-metadata/node/stats-tags";

const tools = e2eTools();
const MODULE = path.join(projectRoot, "build", "l7-metadata.wasm");

const CONFIG = {
  prefix: "l7",
  fields: [
    "method", "path", "query", "route", "authority", "protocol", "userAgent", "clientAddress", "status",
    "responseCodeDetails", "requestBodySize", "responseBodySize", "duration", "upstreamLatency", "abacDecision",
    { fact: "requestHeader", header: "x-tenant" },
    { fact: "requestHeader", header: "authorization" },
    { fact: "responseHeader", header: "x-upstream-note" },
    { fact: "queryParameter", parameter: "token" },
  ],
  routes: [{ template: "/users/{id}" }, { template: "/orders" }],
  headers: {
    request: [{ field: "http.route", header: "x-l7-route" }],
    response: [{ field: "http.response.status_code", header: "x-l7-status" }],
  },
  metrics: {},
  export: { cluster: "collector", flushIntervalMs: 100, batchRecords: 50, timeoutMs: 1000, backoff: { initialMs: 10, maxMs: 100 }, maxRetries: 100 },
};

/** The access-log format: the JSON document, a few single fields in quotes (text format), Envoy's own code. */
const ACCESS_LOG_FORMAT =
  'L7 code=%RESPONSE_CODE% doc=%FILTER_STATE(wasm.l7:PLAIN)% ua="%FILTER_STATE(wasm.l7.user_agent.original:PLAIN)%" ' +
  'route="%FILTER_STATE(wasm.l7.http.route:PLAIN)%" dur=%FILTER_STATE(wasm.l7.http.server.request.duration:PLAIN)%\n';

function bootstrap(ports: { admin: number; listener: number; upstream: number; collector: number }, accessLog: string): object {
  const h2c = (name: string, port: number) => ({
    name,
    type: "STATIC",
    connect_timeout: "1s",
    typed_extension_protocol_options: {
      "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
        "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
        explicit_http_config: { http2_protocol_options: {} },
      },
    },
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: port } } } }] }] },
  });
  return {
    stats_config: { stats_tags: l7StatsTags() },
    admin: { address: { socket_address: { address: "127.0.0.1", port_value: ports.admin } } },
    static_resources: {
      listeners: [
        {
          name: "l7",
          address: { socket_address: { address: "127.0.0.1", port_value: ports.listener } },
          filter_chains: [
            {
              filters: [
                {
                  name: "envoy.filters.network.http_connection_manager",
                  typed_config: {
                    "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                    stat_prefix: "l7e2e",
                    access_log: [
                      {
                        name: "envoy.access_loggers.file",
                        typed_config: {
                          "@type": "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog",
                          path: accessLog,
                          log_format: { text_format_source: { inline_string: ACCESS_LOG_FORMAT } },
                        },
                      },
                    ],
                    route_config: {
                      virtual_hosts: [{ name: "all", domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: "upstream" } }] }],
                    },
                    http_filters: [
                      {
                        // An earlier filter that answers by itself: the recorder then sees only create → on_log.
                        name: "envoy.filters.http.rbac",
                        typed_config: {
                          "@type": "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC",
                          rules: {
                            action: "DENY",
                            policies: { "deny-admin": { permissions: [{ url_path: { path: { prefix: "/admin" } } }], principals: [{ any: true }] } },
                          },
                        },
                      },
                      {
                        name: "envoy.filters.http.wasm",
                        typed_config: {
                          "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
                          config: {
                            name: "l7-metadata",
                            configuration: { "@type": "type.googleapis.com/google.protobuf.StringValue", value: JSON.stringify(CONFIG) },
                            vm_config: { runtime: "envoy.wasm.runtime.v8", code: { local: { filename: MODULE } } },
                          },
                        },
                      },
                      { name: "envoy.filters.http.router", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" } },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [h2c("upstream", ports.upstream), h2c("collector", ports.collector)],
    },
  };
}

/** Sends raw HTTP/1.1 bytes (so header values can carry exactly what a hostile client sends) and reads the status. */
function rawRequest(port: number, head: Buffer | string): Promise<{ status: number; headers: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let data = "";
    // Every request says `Connection: close`: read until Envoy closes, so the stream completes normally.
    socket.on("data", (chunk) => {
      data += chunk.toString("latin1");
    });
    socket.on("end", () => {
      const end = data.indexOf("\r\n\r\n");
      resolve({ status: Number(data.slice(9, 12)), headers: data.slice(0, end < 0 ? data.length : end).toLowerCase() });
    });
    socket.on("error", reject);
    socket.setTimeout(10_000, () => reject(new Error("timeout")));
    socket.write(head);
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface LogLine {
  code: number;
  doc: Record<string, unknown>;
  ua: string;
  route: string;
  raw: string;
}

function parseLine(raw: string): LogLine {
  const match = /^L7 code=(\d+) doc=(.*) ua="(.*)" route="(.*)" dur=(.*)$/.exec(raw);
  if (!match) throw new Error(`unexpected access-log line: ${raw}`);
  return { code: Number(match[1]), doc: JSON.parse(match[2]!) as Record<string, unknown>, ua: match[3]!, route: match[4]!, raw };
}

describe.skipIf(!tools.ok)("l7-metadata in Envoy 1.40", () => {
  let envoy: EnvoyProcess;
  let upstream: RecordingServer;
  let collector: RecordingServer | undefined;
  let work: string;
  let accessLogPath: string;
  let listenerPort: number;
  let collectorPort: number;
  const lines: LogLine[] = [];

  async function accessLogLines(): Promise<string[]> {
    const text = await readFile(accessLogPath, "utf8").catch(() => "");
    return text.split("\n").filter((line) => line.length > 0);
  }

  async function send(head: string | Buffer): Promise<{ status: number; headers: string; line: LogLine }> {
    const before = (await accessLogLines()).length;
    const response = await rawRequest(listenerPort, head);
    const all = await waitFor("the access-log line", async () => {
      const current = await accessLogLines();
      return current.length > before ? current : undefined;
    });
    expect(all.length, "exactly one access-log line per request").toBe(before + 1);
    const line = parseLine(all[before]!);
    lines.push(line);
    return { ...response, line };
  }

  beforeAll(async () => {
    if (!tools.ok) return;
    work = await mkdtemp(path.join(tmpdir(), "l7-e2e-"));
    accessLogPath = path.join(work, "access.log");
    upstream = await RecordingServer.start((request) => ({
      status: request.path.startsWith("/missing") ? 404 : 200,
      headers: [["x-upstream-note", 'upstream "note"\tend']],
      body: `ok ${request.body}`,
      trailers: [],
    }));
    const [admin, listener, collectorReserved] = await Promise.all([freePort(), freePort(), freePort()]);
    listenerPort = listener;
    collectorPort = collectorReserved; // nothing listens yet: the collector is down
    const bootstrapPath = path.join(work, "bootstrap.json");
    await writeFile(bootstrapPath, JSON.stringify(bootstrap({ admin, listener, upstream: upstream.port, collector: collectorPort }, accessLogPath)));
    envoy = await EnvoyProcess.start({ envoyBinary: tools.tools.envoy, bootstrapPath, adminPort: admin, componentLogLevel: "wasm:info" });
  }, 60_000);

  afterAll(async () => {
    await envoy?.stop();
    await upstream?.close();
    await collector?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test("the access-log line holds the request, response and completion facts (values written in on_log included)", async () => {
    const { status, headers, line } = await send(
      "GET /users/42?token=s3cret&page=2 HTTP/1.1\r\nHost: Example.COM:8080\r\nUser-Agent: e2e/1.0\r\n" +
        "X-Tenant: acme\r\nAuthorization: Bearer abc.def\r\nX-L7-Route: /forged\r\nConnection: close\r\n\r\n",
    );
    expect(status).toBe(200);
    expect(headers).toContain("x-l7-status: 200");
    expect(line.code).toBe(200);
    expect(line.doc).toMatchObject({
      "http.request.method": "GET",
      "url.path": "/users/42",
      "url.query": "token=[REDACTED]&page=2",
      "http.route": "/users/{id}",
      "server.address": "example.com",
      "network.protocol.version": "1.1",
      "user_agent.original": "e2e/1.0",
      "client.address": "127.0.0.1",
      "http.response.status_code": 200,
      "envoy.response_code_details": "via_upstream",
      "http.request.header.x-tenant": "acme",
      "http.request.header.authorization": "[REDACTED]",
      "http.response.header.x-upstream-note": 'upstream "note"\tend',
      "url.query.token": "[REDACTED]",
    });
    // Completion facts are written in on_log; Envoy 1.40 prints them, so on_log runs before the access log.
    expect(typeof line.doc["http.server.request.duration"]).toBe("number");
    expect(typeof line.doc["envoy.upstream.duration"]).toBe("number");
    expect(line.doc["http.response.body.size"]).toBe(Buffer.byteLength("ok "));
    expect(line.route).toBe("/users/{id}");
    // The client's forged copy of the output header was replaced before the request went upstream.
    const reached = upstream.records.at(-1)!;
    expect(reached.headers.filter(([name]) => name === "x-l7-route")).toEqual([["x-l7-route", "/users/{id}"]]);
  });

  test("a request an earlier filter denied is still recorded (create → on_log, access-log copies of the headers)", async () => {
    const { status, line } = await send("GET /admin/panel HTTP/1.1\r\nHost: example.com\r\nUser-Agent: e2e/deny\r\nConnection: close\r\n\r\n");
    expect(status).toBe(403);
    expect(line.doc).toMatchObject({
      "http.request.method": "GET",
      "url.path": "/admin/panel",
      "user_agent.original": "e2e/deny",
      "http.response.status_code": 403,
    });
    expect(String(line.doc["envoy.response_code_details"])).toMatch(/^rbac_access_denied/);
    expect(line.doc["http.route"]).toBeUndefined();
  });

  test("injection attempts stay inside their fields (the JSON document and a quoted text-format field)", async () => {
    const quoteAttack = 'x", "admin": true, "y": "\\';
    const first = await send(`GET /orders HTTP/1.1\r\nHost: example.com\r\nUser-Agent: ${quoteAttack}\r\nConnection: close\r\n\r\n`);
    expect(Object.keys(first.line.doc)).not.toContain("admin");
    expect(first.line.doc["user_agent.original"]).toBe(quoteAttack);
    expect(first.line.ua).toBe('x\\", \\"admin\\": true, \\"y\\": \\"\\\\');
    // Raw UTF-8 line and paragraph separators, NEL and a bidi override in a header value (obs-text bytes).
    const sneaky = Buffer.concat([
      Buffer.from("GET /orders HTTP/1.1\r\nHost: example.com\r\nUser-Agent: a"),
      Buffer.from("\u2028b\u2029c\u0085d\u202ee", "utf8"),
      Buffer.from("\r\nConnection: close\r\n\r\n"),
    ]);
    const second = await send(sneaky);
    expect(second.line.raw).not.toMatch(/[\u2028\u2029\u0085\u202e]/);
    expect(second.line.doc["user_agent.original"]).toBe("a\u2028b\u2029c\u0085d\u202ee");
    expect(second.line.ua).toBe("a\\u2028b\\u2029c\\u0085d\\u202ee");
  });

  test("metrics appear in /stats with the tags extracted by stats_tags", async () => {
    const prometheus = await envoy.admin("/stats/prometheus");
    const sample = prometheus.split("\n").find((l) => l.includes("requests_total") && l.includes('route="/users/{id}"'));
    expect(sample, prometheus.split("\n").filter((l) => l.includes("l7")).join("\n")).toBeDefined();
    expect(sample).toMatch(/method="GET"/);
    expect(sample).toMatch(/status_class="2xx"/);
    expect(sample).toMatch(/policy="none"/);
    expect(sample).toMatch(/ 1$/);
    // The denied request: no template matched, 4xx.
    expect(prometheus).toMatch(/requests_total\{[^}]*route="_other"[^}]*status_class="4xx"[^}]*\} 1/);
    // The tag-extracted name carries no tag text.
    const json = JSON.parse(await envoy.admin("/stats?format=json&filter=requests_total")) as { stats: Array<{ name?: string; tags?: unknown }> };
    expect(json.stats.length).toBeGreaterThan(0);
  });

  test("the collector receives the records after being down; failures and retries are counted", async () => {
    const failures = await waitFor("export failures while the collector is down", async () => {
      const stats = await envoy.stats("l7\\.export\\.failures");
      const value = [...stats.entries()].find(([name]) => name.endsWith("l7.export.failures"))?.[1] ?? 0;
      return value > 0 ? value : undefined;
    });
    expect(failures).toBeGreaterThan(0);
    collector = await RecordingServer.start(() => ({ status: 200, headers: [], body: "", trailers: [] }), collectorPort);
    const records = await waitFor("every record at the collector", () => {
      const all = collector!.records.flatMap((r) => r.body.split("\n").filter((l) => l.length > 0));
      return all.length >= lines.length ? all : undefined;
    });
    const batch = collector.records[0]!;
    expect(batch.method).toBe("POST");
    expect(batch.path).toBe("/v1/records");
    expect(batch.headers).toContainEqual(["content-type", "application/x-ndjson"]);
    const parsed = records.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.map((r) => r["url.path"])).toEqual(lines.map((l) => l.doc["url.path"]));
    const stats = await envoy.stats("l7\\.export\\.");
    const get = (suffix: string) => [...stats.entries()].find(([name]) => name.endsWith(suffix))?.[1] ?? 0;
    expect(get("l7.export.records_sent")).toBe(lines.length);
    expect(get("l7.export.retries")).toBeGreaterThan(0);
    expect(get("l7.export.records_dropped_overflow")).toBe(0);
    expect(get("l7.export.records_dropped_failed")).toBe(0);
  });
});
