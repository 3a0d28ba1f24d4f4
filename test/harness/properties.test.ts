// Envoy's attribute catalogue through proxy_get_property / proxy_set_property: resolution order, availability,
// encodings, traversal, filter state (host-behaviour.md C.1–C.4, F.37; Envoy context.cc getProperty/findValue/
// serializeValue/setProperty, filters/common/expr/context.cc, evaluator.cc).
import { Buffer } from "node:buffer";
import { describe, expect, test } from "vitest";
import { createHost, decodePairs, encodeFields, encodePropertyPath, type HostOptions } from "../../harness";
import { proxyModule } from "./support/wat";

const REGIONS = { vm_start: 1024, request_headers: 1280, request_body: 1536, response_headers: 1792, log: 2304 } as const;
type Region = keyof typeof REGIONS;

/** A module that reads every path of `paths` in each callback and stores (status, ptr, len) per path. */
function propertyModule(paths: string[][], extraBody = ""): Uint8Array {
  let offset = 16;
  const segments: string[] = [];
  const table: number[] = [paths.length, 0, 0, 0];
  for (const p of paths) {
    const bytes = encodePropertyPath(p);
    segments.push(`(data (i32.const ${offset}) "${[...bytes].map((b) => `\\${b.toString(16).padStart(2, "0")}`).join("")}")`);
    table.push(...le(offset), ...le(bytes.length));
    offset += bytes.length + 1;
  }
  if (offset > 500) throw new Error("too many property bytes for the test layout");
  const tableData = `(data (i32.const 512) "${table.map((b) => `\\${b.toString(16).padStart(2, "0")}`).join("")}")`;
  return proxyModule({
    imports: ["proxy_get_property", "proxy_set_property", "proxy_call_foreign_function"],
    body: `${segments.join("\n")} ${tableData}
    (func $readAll (param $base i32) (local $i i32) (local $n i32) (local $entry i32) (local $out i32)
      (local.set $n (i32.load (i32.const 512)))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $entry (i32.add (i32.const 516) (i32.mul (local.get $i) (i32.const 8))))
        (local.set $out (i32.add (local.get $base) (i32.mul (local.get $i) (i32.const 12))))
        (i32.store (local.get $out)
          (call $proxy_get_property (i32.load (local.get $entry)) (i32.load offset=4 (local.get $entry))
            (i32.add (local.get $out) (i32.const 4)) (i32.add (local.get $out) (i32.const 8))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))
    (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (call $readAll (i32.const ${REGIONS.vm_start})) (i32.const 1))
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (call $readAll (i32.const ${REGIONS.request_headers})) (i32.const 0))
    (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32) (call $readAll (i32.const ${REGIONS.request_body})) (i32.const 0))
    (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32) (call $readAll (i32.const ${REGIONS.response_headers})) (i32.const 0))
    (func (export "proxy_on_log") (param i32) (call $readAll (i32.const ${REGIONS.log})))
    ${extraBody}`,
  });
}

function le(n: number): number[] {
  return [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
}

interface Read {
  status: number;
  bytes: Buffer;
}

function reader(host: ReturnType<typeof createHost>) {
  return (region: Region, i: number): Read => {
    const base = REGIONS[region] + i * 12;
    const status = host.readU32(base);
    const len = host.readU32(base + 8);
    return { status, bytes: status === 0 && len > 0 ? host.readMemory(host.readU32(base + 4), len) : Buffer.alloc(0) };
  };
}

const str = (r: Read): string => r.bytes.toString("utf8");
const i64 = (r: Read): bigint => r.bytes.readBigInt64LE(0);
const u64 = (r: Read): bigint => r.bytes.readBigUInt64LE(0);

function run(paths: string[][], options: HostOptions = {}, request: Parameters<ReturnType<typeof createHost>["http"]>[0] = {}) {
  const host = createHost(propertyModule(paths), { name: "default.props", rootId: "root-a", vmId: "vm-a", ...options });
  const res = host.http({ method: "POST", path: "/a/b?x=1&y=2#frag", headers: [["user-agent", "ua"], ["x-m", "1"], ["x-m", "2"]], body: "hi", ...request });
  return { host, res, get: reader(host) };
}

describe("resolution and availability (C.1, C.4)", () => {
  test("root contexts have no stream info: request.* → NOT_FOUND, xds.node and plugin_* work", () => {
    const { get } = run([["request", "path"], ["xds", "node", "id"], ["plugin_name"], ["plugin_root_id"], ["plugin_vm_id"], ["xds", "cluster_name"]]);
    expect([0, 1, 2, 3, 4, 5].map((i) => get("vm_start", i).status)).toEqual([1, 0, 0, 0, 0, 1]);
    expect(str(get("vm_start", 1))).toBe("as-proxy-runtime-e2e");
    expect([2, 3, 4].map((i) => str(get("vm_start", i)))).toEqual(["default.props", "root-a", "vm-a"]);
  });

  test("request attributes exist while Envoy holds the request headers: in on_request_headers and on_log, NOT_FOUND in between", () => {
    const { get } = run([["request", "path"]]);
    expect([get("request_headers", 0).status, str(get("request_headers", 0))]).toEqual([0, "/a/b?x=1&y=2#frag"]);
    expect(get("request_body", 0).status).toBe(1);
    expect(get("response_headers", 0).status).toBe(1);
    expect(str(get("log", 0))).toBe("/a/b?x=1&y=2#frag");
  });

  test("unknown top-level names and traversal misses are NOT_FOUND; whole wrapper maps cannot be serialized", () => {
    const { get } = run([["nope"], ["request", "nope"], ["request", "path", "x"], ["request"], []]);
    expect([0, 1, 2, 3, 4].map((i) => get("request_headers", i).status)).toEqual([1, 1, 1, 3, 3]);
  });
});

describe("request attributes and encodings (C.2, C.3)", () => {
  test("strings raw; url_path and query split the path; headers_bytes/size are 8-byte ints", () => {
    const { get } = run([
      ["request", "url_path"], ["request", "query"], ["request", "method"], ["request", "host"], ["request", "scheme"],
      ["request", "useragent"], ["request", "protocol"], ["request", "size"], ["request", "id"],
    ]);
    expect([0, 1, 2, 3, 4, 5, 6].map((i) => str(get("request_headers", i)))).toEqual([
      "/a/b", "x=1&y=2", "POST", "example.com", "http", "ua", "HTTP/1.1",
    ]);
    expect(get("request_headers", 7).bytes.length).toBe(8);
    expect(i64(get("request_headers", 7))).toBe(2n);
    expect(str(get("request_headers", 8))).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4/);
  });

  test("request.headers.<name> joins repeated values with ','; request.headers serializes as pairs", () => {
    const { get } = run([["request", "headers", "x-m"], ["request", "headers"], ["request", "headers", "Bad Name"]]);
    expect(str(get("request_headers", 0))).toBe("1,2");
    const map = Object.fromEntries(decodePairs(get("request_headers", 1).bytes));
    expect(map["x-m"]).toBe("1,2");
    expect(map[":path"]).toBe("/a/b?x=1&y=2#frag");
    expect(get("request_headers", 2).status).toBe(1);
  });

  test("request.time is a timestamp (int64 ns); request.duration exists only once the request completed", () => {
    const { get } = run([["request", "time"], ["request", "duration"]], { wallStartMs: 1_700_000_000_000 });
    expect(i64(get("request_headers", 0))).toBe(1_700_000_000_000n * 1_000_000n);
    expect(get("request_headers", 1).status).toBe(1);
    expect(get("log", 1).status).toBe(0);
    expect(i64(get("log", 1))).toBe(0n);
  });
});

describe("response, connection, source, upstream", () => {
  test("response.code / code_details appear with the response; connection.id is a uint and equals connection_id", () => {
    const { get } = run([["response", "code"], ["response", "code_details"], ["connection", "id"], ["connection_id"], ["connection", "mtls"]]);
    expect(get("request_headers", 0).status).toBe(1);
    expect(i64(get("response_headers", 0))).toBe(200n);
    expect(str(get("response_headers", 1))).toBe("via_upstream");
    expect(u64(get("request_headers", 2))).toBe(u64(get("request_headers", 3)));
    expect([...get("request_headers", 4).bytes]).toEqual([0]);
  });

  test("response.grpc_status: grpc-status when present, else the response code mapped to gRPC (200 → UNKNOWN 2; observed on Envoy 1.40)", () => {
    const plain = run([["response", "grpc_status"]]);
    expect(plain.get("request_headers", 0).status).toBe(1);
    expect(i64(plain.get("log", 0))).toBe(2n);
    const grpc = run([["response", "grpc_status"]], { upstream: { status: 200, headers: [["grpc-status", "7"]] } });
    expect(i64(grpc.get("response_headers", 0))).toBe(7n);
    const unavailable = run([["response", "grpc_status"]], { upstream: { status: 503 } });
    expect(i64(unavailable.get("log", 0))).toBe(14n);
  });

  test("mTLS: connection.mtls is 1 byte true; URI/DNS SANs are the first entry; no client cert → NOT_FOUND", () => {
    const paths = [["connection", "mtls"], ["connection", "uri_san_peer_certificate"], ["connection", "dns_san_peer_certificate"], ["connection", "tls_version"], ["connection", "requested_server_name"]];
    const { get } = run(paths, {}, {
      tls: { sni: "svc.local", clientCertificate: { uriSans: ["spiffe://cluster.local/ns/a/sa/b", "spiffe://x"], dnsSans: ["b.a.svc"] } },
    });
    expect([...get("request_headers", 0).bytes]).toEqual([1]);
    expect(str(get("request_headers", 1))).toBe("spiffe://cluster.local/ns/a/sa/b");
    expect(str(get("request_headers", 2))).toBe("b.a.svc");
    expect(str(get("request_headers", 3))).toBe("TLSv1.3");
    expect(str(get("request_headers", 4))).toBe("svc.local");
    const plain = run(paths);
    expect([...plain.get("request_headers", 0).bytes]).toEqual([0]);
    expect(plain.get("request_headers", 1).status).toBe(1);
  });

  test("source.address is the peer, or — with use_remote_address=false — the last XFF address (port 0) (conn_manager_utility.cc)", () => {
    const paths = [["source", "address"], ["source", "port"], ["destination", "address"]];
    const direct = run(paths, {}, { peerAddress: "127.0.0.1:40001" });
    expect(str(direct.get("request_headers", 0))).toBe("127.0.0.1:40001");
    expect(i64(direct.get("request_headers", 1))).toBe(40001n);
    expect(str(direct.get("request_headers", 2))).toBe("127.0.0.1:10000");
    const xff = run(paths, {}, { headers: { "x-forwarded-for": "10.0.0.9, 192.168.1.7" } });
    expect(str(xff.get("request_headers", 0))).toBe("192.168.1.7:0");
    const remote = run(paths, { listener: { useRemoteAddress: true } }, { headers: { "x-forwarded-for": "10.0.0.9" }, peerAddress: "127.0.0.1:40002" });
    expect(str(remote.get("request_headers", 0))).toBe("127.0.0.1:40002");
  });

  test("upstream.address exists once the router picked a host; request_attempt_count is a uint", () => {
    const { get } = run([["upstream", "address"], ["upstream", "request_attempt_count"]]);
    expect(get("request_headers", 0).status).toBe(1);
    expect(str(get("response_headers", 0))).toBe("127.0.0.1:8080");
    expect(u64(get("response_headers", 1))).toBe(1n);
  });
});

describe("metadata and xds (C.2: messages are protobuf; Struct unwrapped when traversed)", () => {
  test("the jwt_authn payload is traversable claim by claim; numbers are doubles, lists are pairs with empty values", () => {
    const base = ["metadata", "filter_metadata", "envoy.filters.http.jwt_authn", "payload"];
    const { get } = run([[...base, "iss"], [...base, "exp"], [...base, "groups"], [...base, "groups", "1"], [...base, "nope"]], {
      listener: { jwt: { issuer: "https://idp" } },
    }, { jwt: { claims: { iss: "https://idp", sub: "u1", exp: 4_000_000_000, groups: ["a", "b"] } } });
    expect(str(get("request_headers", 0))).toBe("https://idp");
    expect(get("request_headers", 1).bytes.readDoubleLE(0)).toBe(4_000_000_000);
    expect(decodePairs(get("request_headers", 2).bytes)).toEqual([["a", ""], ["b", ""]]);
    expect(str(get("request_headers", 3))).toBe("b");
    expect(get("request_headers", 4).status).toBe(1);
  });

  test("xds.node: fields by name, metadata as a Struct; the whole node is protobuf wire bytes", () => {
    const { get } = run([["xds", "node", "metadata", "NAMESPACE"], ["xds", "node"]], {
      xds: { node: { id: "sidecar~1", metadata: { NAMESPACE: "prod" } } },
    });
    expect(str(get("vm_start", 0))).toBe("prod");
    const wire = get("vm_start", 1).bytes;
    expect(wire[0]).toBe(0x0a); // field 1 (id), length-delimited
    expect(wire.subarray(2, 2 + wire[1]!).toString()).toBe("sidecar~1");
  });
});

describe("set_property and filter state (C.4)", () => {
  const setter = (extra: string) =>
    propertyModule([["my_key"], ["filter_state", "wasm.my_key"]], `
    (data (i32.const 400) "my_key") (data (i32.const 420) "v1") (data (i32.const 430) "v2")
    ${extra}`);

  test("writes wasm.<path>: readable back by name and via filter_state; from a root context → NOT_FOUND", () => {
    const mod = setter(`
      (func (export "proxy_on_context_create") (param $id i32) (param $parent i32)
        (if (i32.eqz (local.get $parent)) (then (i32.store (i32.const 3000) (call $proxy_set_property (i32.const 400) (i32.const 6) (i32.const 420) (i32.const 2)))))
        (if (local.get $parent) (then (i32.store (i32.const 3004) (call $proxy_set_property (i32.const 400) (i32.const 6) (i32.const 420) (i32.const 2))))))`);
    const host = createHost(mod);
    const res = host.http();
    const get = reader(host);
    expect(host.readU32(3000)).toBe(1);
    expect(host.readU32(3004)).toBe(0);
    expect(str(get("request_headers", 0))).toBe("v1");
    expect(str(get("request_headers", 1))).toBe("v1");
    expect(res.filterState["wasm.my_key"]).toBe("v1");
  });

  test("declare_property(readonly) allows one write; declaring twice → BAD_ARGUMENT", () => {
    const args = encodeFields([{ field: 1, bytes: Buffer.from("my_key") }, { field: 2, varint: 1n }]);
    const hex = [...args].map((b) => `\\${b.toString(16).padStart(2, "0")}`).join("");
    const mod = setter(`
      (data (i32.const 440) "declare_property") (data (i32.const 460) "${hex}")
      (func (export "proxy_on_configure") (param i32 i32) (result i32)
        (i32.store (i32.const 3000) (call $proxy_call_foreign_function (i32.const 440) (i32.const 16) (i32.const 460) (i32.const ${args.length}) (i32.const 0) (i32.const 0)))
        (i32.store (i32.const 3004) (call $proxy_call_foreign_function (i32.const 440) (i32.const 16) (i32.const 460) (i32.const ${args.length}) (i32.const 0) (i32.const 0)))
        (i32.const 1))
      (func (export "proxy_on_context_create") (param $id i32) (param $parent i32)
        (if (local.get $parent) (then
          (i32.store (i32.const 3008) (call $proxy_set_property (i32.const 400) (i32.const 6) (i32.const 420) (i32.const 2)))
          (i32.store (i32.const 3012) (call $proxy_set_property (i32.const 400) (i32.const 6) (i32.const 430) (i32.const 2))))))`);
    const host = createHost(mod);
    const res = host.http();
    expect([3000, 3004, 3008, 3012].map((a) => host.readU32(a))).toEqual([0, 2, 0, 2]);
    expect(res.filterState["wasm.my_key"]).toBe("v1");
  });

  test("set_envoy_filter_state needs a registered object factory (else NOT_FOUND); the value is readable through filter_state", () => {
    const args = encodeFields([{ field: 1, bytes: Buffer.from("my.custom.key") }, { field: 2, bytes: Buffer.from("hello") }]);
    const hex = [...args].map((b) => `\\${b.toString(16).padStart(2, "0")}`).join("");
    const mod = propertyModule([["filter_state", "my.custom.key"]], `
      (data (i32.const 400) "set_envoy_filter_state") (data (i32.const 430) "${hex}")
      (func (export "proxy_on_context_create") (param $id i32) (param $parent i32)
        (if (local.get $parent) (then
          (i32.store (i32.const 3000) (call $proxy_call_foreign_function (i32.const 400) (i32.const 22) (i32.const 430) (i32.const ${args.length}) (i32.const 0) (i32.const 0))))))`);
    const without = createHost(mod);
    without.http();
    expect(without.readU32(3000)).toBe(1);
    const withFactory = createHost(mod, { filterStateFactories: ["my.custom.key"] });
    const res = withFactory.http();
    expect(withFactory.readU32(3000)).toBe(0);
    expect(str(reader(withFactory)("request_headers", 0))).toBe("hello");
    expect(res.filterState["my.custom.key"]).toBe("hello");
  });

  test("keys with a factory in stock Envoy (e.g. envoy.tcp_proxy.cluster, observed on 1.40) are accepted by default", () => {
    const args = encodeFields([{ field: 1, bytes: Buffer.from("envoy.tcp_proxy.cluster") }, { field: 2, bytes: Buffer.from("upstream") }]);
    const hex = [...args].map((b) => `\\${b.toString(16).padStart(2, "0")}`).join("");
    const mod = propertyModule([["filter_state", "envoy.tcp_proxy.cluster"]], `
      (data (i32.const 400) "set_envoy_filter_state") (data (i32.const 430) "${hex}")
      (func (export "proxy_on_context_create") (param $id i32) (param $parent i32)
        (if (local.get $parent) (then
          (i32.store (i32.const 3000) (call $proxy_call_foreign_function (i32.const 400) (i32.const 22) (i32.const 430) (i32.const ${args.length}) (i32.const 0) (i32.const 0))))))`);
    const host = createHost(mod);
    const res = host.http();
    expect(host.readU32(3000)).toBe(0);
    expect(res.filterState["envoy.tcp_proxy.cluster"]).toBe("upstream");
  });

  test("io.istio.peer_principal set by the listener is readable as filter_state", () => {
    const { get } = run([["filter_state", "io.istio.peer_principal"]], { listener: { peerPrincipalFilterState: "spiffe://td/ns/n/sa/s" } });
    expect(str(get("request_headers", 0))).toBe("spiffe://td/ns/n/sa/s");
  });
});
