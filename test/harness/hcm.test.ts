// What Envoy's connection manager, router and codec add around the plugins (conn_manager_utility.cc
// mutateRequestHeaders/maybeNormalizePath, router upstream headers, HTTP/1 codec framing; jwt_authn filter.cc).
import { expect, test } from "vitest";
import { createHost } from "../../harness";
import { canonicalPath, lastAddressFromXff } from "../../harness/http/hcm";
import { proxyModule } from "./support/wat";

const seenByPlugin = proxyModule({
  imports: ["proxy_get_header_map_pairs", "proxy_log"],
  body: `(func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (drop (call $proxy_get_header_map_pairs (i32.const 0) (i32.const 2048) (i32.const 2052)))
    (i32.store (i32.const 3000) (i32.load (i32.const 2048))) (i32.store (i32.const 3004) (i32.load (i32.const 2052)))
    (i32.const 0))`,
});

test("the plugin sees :authority/:path/:method/:scheme first, then the client's headers, x-forwarded-proto and x-request-id; hop-by-hop headers are gone", async () => {
  const { decodePairs } = await import("../../harness");
  const host = createHost(seenByPlugin);
  host.http({ path: "/p", headers: [["connection", "keep-alive"], ["X-Custom", "1"], ["keep-alive", "5"]] });
  const pairs = decodePairs(host.readMemory(host.readU32(3000), host.readU32(3004)));
  expect(pairs.map(([k]) => k)).toEqual([":authority", ":path", ":method", ":scheme", "x-custom", "x-forwarded-proto", "x-request-id"]);
  expect(Object.fromEntries(pairs)[":scheme"]).toBe("http");
});

test("an incoming x-request-id is kept (use_remote_address=false); upstream also gets x-envoy-expected-rq-timeout-ms", () => {
  const res = createHost(seenByPlugin).http({ headers: { "x-request-id": "abc" } });
  const up = Object.fromEntries(res.upstream!.headers);
  expect(up["x-request-id"]).toBe("abc");
  expect(up["x-envoy-expected-rq-timeout-ms"]).toBe("15000");
  // The upstream is HTTP/2 (as in the Envoy scenario runner): :authority and :scheme arrive as headers.
  expect(up[":authority"]).toBe("example.com");
  expect(up[":scheme"]).toBe("http");
});

test("use_remote_address: XFF gets the peer appended (the listener address for loopback peers), x-request-id regenerated", () => {
  const res = createHost(seenByPlugin, { listener: { useRemoteAddress: true } }).http({
    headers: { "x-forwarded-for": "1.2.3.4", "x-request-id": "abc" },
    peerAddress: "10.1.1.1:5555",
  });
  const up = Object.fromEntries(res.upstream!.headers);
  expect(up["x-forwarded-for"]).toBe("1.2.3.4,10.1.1.1");
  expect(up["x-request-id"]).not.toBe("abc");
});

test("XFF parsing (getLastAddressFromXFF): the entry num_trusted_hops from the right, only when it is an IP", () => {
  expect(lastAddressFromXff("1.1.1.1, 2.2.2.2", 0)).toBe("2.2.2.2:0");
  expect(lastAddressFromXff("1.1.1.1, 2.2.2.2", 1)).toBe("1.1.1.1:0");
  expect(lastAddressFromXff("1.1.1.1", 1)).toBeNull();
  expect(lastAddressFromXff("not-an-ip", 0)).toBeNull();
  expect(lastAddressFromXff("::1", 0)).toBe("[::1]:0");
});

test("path handling before any filter: normalize_path, merge_slashes, escaped slashes (REJECT_REQUEST → 400 without the plugin)", () => {
  expect(canonicalPath("/a/./b/../c/%7euser%2f?q=1")).toBe("/a/c/~user%2F?q=1");
  const normalizing = createHost(seenByPlugin, { listener: { normalizePath: true, mergeSlashes: true } });
  expect(normalizing.http({ path: "/a//b/../c" }).upstream?.path).toBe("/a/c");
  const rejecting = createHost(seenByPlugin, { listener: { pathWithEscapedSlashesAction: "REJECT_REQUEST" }, recordCallbacks: true });
  const mark = rejecting.callbacks.length;
  const res = rejecting.http({ path: "/a%2Fb" });
  expect([res.status, res.responseCodeDetails, res.upstream]).toEqual([400, "path_normalization_failed", null]);
  expect(rejecting.callbacks.slice(mark)).toEqual([]);
});

test("responses to the client carry date and server: envoy; an HTTP/1 headers-only response says content-length: 0", () => {
  const res = createHost(seenByPlugin).http({}, { status: 204 });
  const h = Object.fromEntries(res.headers);
  expect(h.server).toBe("envoy");
  expect(h.date).toBe("Wed, 01 Jan 2025 00:00:00 GMT");
  expect(h["content-length"]).toBe("0");
  const h2 = createHost(seenByPlugin).http({ protocol: "http2" }, { status: 200, body: "" });
  expect(Object.fromEntries(h2.headers)["content-length"]).toBe("0");
});

test("jwt_authn in front (Istio RequestAuthentication): missing token passes, a bad one gets 401 with jwt_authn's details, a wrong audience 403", () => {
  const host = createHost(seenByPlugin, { listener: { jwt: { issuer: "https://idp", audiences: ["api"] } } });
  expect(host.http().status).toBe(200);
  const ok = host.http({ jwt: { claims: { iss: "https://idp", aud: "api", sub: "u" } } });
  expect(ok.status).toBe(200);
  expect(ok.dynamicMetadata["envoy.filters.http.jwt_authn"]).toEqual({ payload: { iss: "https://idp", aud: "api", sub: "u" } });
  const bad = host.http({ path: "/x", jwt: { claims: { iss: "https://idp", aud: "api" }, badSignature: true } });
  expect([bad.status, bad.body, bad.responseCodeDetails]).toEqual([401, "Jwt verification fails", "jwt_authn_access_denied{Jwt_verification_fails}"]);
  expect(Object.fromEntries(bad.headers)["www-authenticate"]).toBe('Bearer realm="http://example.com/x", error="invalid_token"');
  const aud = host.http({ jwt: { claims: { iss: "https://idp", aud: "other" } } });
  expect([aud.status, aud.responseCodeDetails]).toEqual([403, "jwt_authn_access_denied{Audiences_in_Jwt_are_not_allowed}"]);
  const expired = host.http({ jwt: { claims: { iss: "https://idp", aud: "api", exp: 1 } } });
  expect(expired.body).toBe("Jwt is expired");
});

// --- Observed on Envoy 1.40 by the differential run (harness vs Envoy over the scenario corpus) ---------------

test("HTTP/2: the plugin sees the pseudo-headers in the client's order (:method, :scheme, :authority, :path)", async () => {
  const { decodePairs } = await import("../../harness");
  const host = createHost(seenByPlugin);
  host.http({ path: "/h2", protocol: "http2", headers: [["x-a", "1"]] });
  const pairs = decodePairs(host.readMemory(host.readU32(3000), host.readU32(3004)));
  expect(pairs.map(([k]) => k).slice(0, 5)).toEqual([":method", ":scheme", ":authority", ":path", "x-a"]);
});

test("HTTP/1: a method outside the codec's list (e.g. lower case) is a codec error: 400, no filter sees anything", () => {
  const host = createHost(seenByPlugin, { recordCallbacks: true });
  const res = host.http({ method: "delete", path: "/x" });
  expect(res.status).toBe(400);
  expect(res.body).toBe("Bad Request");
  expect(res.responseCodeDetails).toBe("http1.codec_error");
  expect(res.upstream).toBeNull();
  expect(res.contextIds).toEqual([null]);
  // Only root-context callbacks (start-up) ever ran on the worker: no stream context was created.
  const rootId = host.rootContext().id;
  expect(host.callbacks.filter((c) => c.vm.startsWith("worker") && c.contextId !== rootId && c.contextId !== 0)).toEqual([]);
  // HTTP/2 takes any token.
  expect(host.http({ method: "delete", protocol: "http2" }).status).toBe(200);
});

test("an HCM rejection in decodeHeaders (escaped slash): the filter chain exists, plugins get only the log phase", () => {
  const logPhase = proxyModule({
    imports: ["proxy_log"],
    body: `(data (i32.const 100) "created") (data (i32.const 120) "headers") (data (i32.const 140) "log")
      (func (export "proxy_on_context_create") (param $id i32) (param $parent i32)
        (if (local.get $parent) (then (drop (call $proxy_log (i32.const 2) (i32.const 100) (i32.const 7))))))
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (drop (call $proxy_log (i32.const 2) (i32.const 120) (i32.const 7))) (i32.const 0))
      (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
        (drop (call $proxy_log (i32.const 2) (i32.const 120) (i32.const 7))) (i32.const 0))
      (func (export "proxy_on_log") (param i32) (drop (call $proxy_log (i32.const 2) (i32.const 140) (i32.const 3))))`,
  });
  const host = createHost(logPhase, { listener: { pathWithEscapedSlashesAction: "REJECT_REQUEST" } });
  const res = host.http({ path: "/a%2Fb" });
  expect(res.status).toBe(400);
  expect(res.responseCodeDetails).toBe("path_normalization_failed");
  expect(res.logs.map((l) => l.message)).toEqual(["created", "log"]);
});

test("use_remote_address: the edge request gets x-envoy-external-address (loopback is not internal by default)", () => {
  const direct = createHost(seenByPlugin, { listener: { useRemoteAddress: true } }).http({ headers: [["x-envoy-internal", "true"]] });
  const up = Object.fromEntries(direct.upstream!.headers);
  expect(up["x-envoy-external-address"]).toBe("127.0.0.1");
  expect(up["x-envoy-internal"]).toBeUndefined();
  const hops = createHost(seenByPlugin, { listener: { useRemoteAddress: true, xffNumTrustedHops: 1 } }).http({
    headers: [["x-forwarded-for", "203.0.113.7, 198.51.100.2"]],
  });
  expect(Object.fromEntries(hops.upstream!.headers)["x-envoy-external-address"]).toBe("198.51.100.2");
  // Without use_remote_address nothing is added.
  expect(Object.fromEntries(createHost(seenByPlugin).http().upstream!.headers)["x-envoy-external-address"]).toBeUndefined();
});

test("a TLS client's request goes upstream with :scheme https (the downstream scheme), even over a plaintext cluster", () => {
  const res = createHost(seenByPlugin, { listener: { tls: {} } }).http();
  expect(res.upstream!.headers).toContainEqual([":scheme", "https"]);
  expect(createHost(seenByPlugin).http().upstream!.headers).toContainEqual([":scheme", "http"]);
});
