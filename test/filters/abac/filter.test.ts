/**
 * The ABAC filter in the harness, one test per behaviour (named like Envoy RBAC's rbac_filter_test.cc cases).
 * Sources: istio/api security/v1beta1/authorization_policy.proto (decision order, rule semantics);
 * istio pilot/pkg/security/authz (translation); Envoy RBAC (`rbac_access_denied_matched_policy[…]`, policy order);
 * filters/abac/README.md for the filter's own rules.
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, test } from "vitest";
import { createHost, type HostOptions, type HttpRequest, type HttpResult } from "../../../harness";
import type { AbacConfig, PolicyEntry } from "../../../filters/abac/node/types";
import { ABAC_WASM } from "./support";

let wasm: Uint8Array;
beforeAll(() => {
  wasm = readFileSync(ABAC_WASM);
});

const ISSUER = "https://issuer.example.com";

function host(config: AbacConfig | { policies: PolicyEntry[] } & Record<string, unknown>, options: Omit<HostOptions, "configuration"> = {}) {
  return createHost(wasm, { ...options, configuration: config });
}

function run(config: AbacConfig, request: HttpRequest, options: Omit<HostOptions, "configuration"> = {}): HttpResult {
  return host(config, options).http(request);
}

const policies = (...p: PolicyEntry[]): AbacConfig => ({ policies: p });
const denyPaths = (...paths: string[]): PolicyEntry => ({ name: "shop/deny", spec: { action: "DENY", rules: [{ to: [{ operation: { paths } }] }] } });
const allowPaths = (...paths: string[]): PolicyEntry => ({ name: "shop/allow", spec: { rules: [{ to: [{ operation: { paths } }] }] } });
const allowed = (r: HttpResult): boolean => r.upstream !== null;
const pluginLines = (r: HttpResult): string[] => r.logs.filter((l) => l.source === "proxy_log").map((l) => l.message);

describe("decisions", () => {
  test("allowedWithoutPolicies", () => {
    const r = run(policies(), { path: "/x" });
    expect(r.status).toBe(200);
    expect(r.filterState["wasm.abac.decision"]).toBe("allow");
    expect(r.filterState["wasm.abac.policy"]).toBeUndefined();
  });

  test("denied: 403, RBAC body and details, filter state, log line, counters", () => {
    const r = run(policies(denyPaths("/admin")), { path: "/admin" });
    expect(r.status).toBe(403);
    expect(r.body).toBe("RBAC: access denied");
    expect(r.upstream).toBeNull();
    expect(r.responseCodeDetails).toBe("rbac_access_denied_matched_policy[ns[shop]-policy[deny]-rule[0]]");
    expect(r.filterState).toMatchObject({ "wasm.abac.decision": "deny", "wasm.abac.policy": "shop/deny", "wasm.abac.rule": "0" });
    expect(pluginLines(r)).toEqual([
      'abac: denied policy=shop/deny rule=0 id=ns[shop]-policy[deny]-rule[0] principal=- method="GET" path="/admin"',
    ]);
    expect(r.metrics).toMatchObject({ "abac.denied": 1, "abac.allowed": 0, "policy=.=shop/deny;.;abac.policy.denied": 1 });
  });

  test("deniedWhenNoAllowMatches: policy none", () => {
    const r = run(policies(allowPaths("/public/*")), { path: "/private" });
    expect(r.responseCodeDetails).toBe("rbac_access_denied_matched_policy[none]");
    expect(r.filterState).toMatchObject({ "wasm.abac.decision": "deny", "wasm.abac.policy": "none" });
    expect(r.filterState["wasm.abac.rule"]).toBeUndefined();
    expect(r.metrics["policy=.=none;.;abac.policy.denied"]).toBe(1);
  });

  test("allowedByPolicy records the policy and rule, counts per policy", () => {
    const r = run(policies(allowPaths("/a", "/public/*")), { path: "/public/x" });
    expect(r.status).toBe(200);
    expect(r.filterState).toMatchObject({ "wasm.abac.decision": "allow", "wasm.abac.policy": "shop/allow", "wasm.abac.rule": "0" });
    expect(r.metrics["policy=.=shop/allow;.;abac.policy.allowed"]).toBe(1);
  });

  test("allowNothing: spec {}", () => {
    expect(run(policies({ name: "shop/nothing", spec: {} }), { path: "/" }).status).toBe(403);
  });

  test("allowAll: rules [{}]", () => {
    expect(run(policies({ name: "shop/all", spec: { rules: [{}] } }), { path: "/anything", method: "DELETE" }).status).toBe(200);
  });

  test("denyBeforeAllow", () => {
    const r = run(policies({ name: "shop/all", spec: { rules: [{}] } }, denyPaths("/x")), { path: "/x" });
    expect(r.filterState["wasm.abac.policy"]).toBe("shop/deny");
  });

  test("policyIdOrder: the first match in RBAC policy-id byte order is reported (rule[10] before rule[2])", () => {
    const rules = Array.from({ length: 11 }, (_, i) => (i === 2 || i === 10 ? {} : { to: [{ operation: { paths: ["/never"] } }] }));
    const r = run(policies({ name: "b/p", spec: { action: "DENY", rules } }, { name: "c/p", spec: { action: "DENY", rules: [{}] } }), { path: "/" });
    expect(r.responseCodeDetails).toBe("rbac_access_denied_matched_policy[ns[b]-policy[p]-rule[10]]");
  });

  test("audit: recorded and counted, never enforced", () => {
    const r = run(policies({ name: "sec/audit", spec: { action: "AUDIT", rules: [{ to: [{ operation: { paths: ["/x"] } }] }] } }), { path: "/x" });
    expect(r.status).toBe(200);
    expect(r.filterState["wasm.abac.audit_policy"]).toBe("sec/audit");
    expect(r.metrics).toMatchObject({ "abac.audited": 1, "policy=.=sec/audit;.;abac.policy.audited": 1 });
  });

  test("dryRun DENY: shadow-denied, logged and counted, not enforced", () => {
    const r = run(policies({ ...denyPaths("/x"), name: "shop/new-deny", dryRun: true }), { path: "/x" });
    expect(r.status).toBe(200);
    expect(r.filterState).toMatchObject({
      "wasm.abac.decision": "allow",
      "wasm.abac.shadow_decision": "deny",
      "wasm.abac.shadow_policy": "shop/new-deny",
    });
    expect(r.metrics).toMatchObject({ "abac.shadow_denied": 1, "policy=.=shop/new-deny;.;abac.policy.shadow_denied": 1 });
    expect(pluginLines(r)).toEqual(['abac: shadow-denied (dry-run) policy=shop/new-deny path="/x"']);
  });

  test("dryRun ALLOW: the shadow decision is what enforcing it would give", () => {
    const h = host(policies({ ...allowPaths("/public/*"), dryRun: true }));
    expect(h.http({ path: "/public/a" }).filterState).toMatchObject({ "wasm.abac.decision": "allow", "wasm.abac.shadow_decision": "allow" });
    const r = h.http({ path: "/private" });
    expect(r.status).toBe(200);
    expect(r.filterState).toMatchObject({ "wasm.abac.shadow_decision": "deny", "wasm.abac.shadow_policy": "none" });
  });

  test("customDenyResponse: global, and per DENY policy", () => {
    const config: AbacConfig = {
      denyResponse: { status: 401, body: '{"error":"unauthenticated"}', headers: { "www-authenticate": "Bearer", "content-type": "application/json" } },
      policies: [{ ...denyPaths("/legal"), denyResponse: { status: 451, body: "gone", headers: { "x-reason": "legal" } } }, allowPaths("/public/*")],
    };
    const h = host(config);
    const global = h.http({ path: "/private" });
    expect(global.status).toBe(401);
    expect(global.body).toBe('{"error":"unauthenticated"}');
    expect(global.headers).toContainEqual(["www-authenticate", "Bearer"]);
    const perPolicy = h.http({ path: "/legal" });
    expect(perPolicy.status).toBe(451);
    expect(perPolicy.body).toBe("gone");
    expect(perPolicy.headers).toContainEqual(["x-reason", "legal"]);
    expect(perPolicy.responseCodeDetails).toBe("rbac_access_denied_matched_policy[ns[shop]-policy[deny]-rule[0]]");
  });

  test("denyLogLineEscapesValues: no value can forge a log line", () => {
    const r = run(policies(denyPaths("*")), { path: '/a"b\\c?x=\u0001\u00e9', tls: { clientCertificate: { uriSans: ['spiffe://td/ns/x/sa/"evil"\u0007'] } } });
    expect(pluginLines(r)[0]).toBe(
      'abac: denied policy=shop/deny rule=0 id=ns[shop]-policy[deny]-rule[0] principal="td/ns/x/sa/\\"evil\\"\\u0007" method="GET" path="/a\\"b\\\\c?x=\\u0001\\u00e9"',
    );
  });

  test("denyLogLineCutsLongValues", () => {
    const r = run(policies(denyPaths("*")), { path: "/" + "a".repeat(1000) });
    expect(pluginLines(r)[0]).toContain(`path="/${"a".repeat(255)}..."`);
  });
});

describe("operations", () => {
  test("paths: exact, prefix, suffix, presence; query and fragment ignored", () => {
    const h = host(policies(allowPaths("/exact", "/prefix/*", "*.css", "/q")));
    for (const path of ["/exact", "/prefix/a/b", "/x/site.css", "/q?x=1", "/exact#frag"]) expect(h.http({ path }).status, path).toBe(200);
    for (const path of ["/exact/", "/prefix", "/x/site.cssx", "/Q"]) expect(h.http({ path }).status, path).toBe(403);
  });

  test("path templates: {*} one segment, {**} the rest, Envoy uri_template characters", () => {
    const h = host(policies(allowPaths("/api/{*}/items", "/files/{**}")));
    for (const path of ["/api/v1/items", "/api/a=b/items", "/files/", "/files/a/b"]) expect(h.http({ path }).status, path).toBe(200);
    for (const path of ["/api/a/b/items", "/api//items", "/files", "/api/a*b/items"]) expect(h.http({ path }).status, path).toBe(403);
  });

  test("notPaths", () => {
    const h = host(policies({ name: "shop/a", spec: { rules: [{ to: [{ operation: { notPaths: ["/admin/*"] } }] }] } }));
    expect(h.http({ path: "/x" }).status).toBe(200);
    expect(h.http({ path: "/admin/x" }).status).toBe(403);
    expect(h.http({ path: "/x/../admin/x" }).status).toBe(403);
  });

  test("pathNormalization: dot segments, merged slashes, unreserved escapes, path parameters", () => {
    const h = host(policies(denyPaths("/admin")));
    for (const path of ["/a/../admin", "//admin", "/%61dmin", "/a//../admin", "/admin;x", "/a/..;/admin"]) {
      expect(h.http({ path }).status, path).toBe(403);
    }
    expect(h.http({ path: "/%2561dmin" }).status, "no double decoding").toBe(200);
  });

  test("escapedSlashes reject (default): unknown path — DENY holds, ALLOW fails; counted, not warned (client input)", () => {
    const r = run(policies(denyPaths("/nothing")), { path: "/a%2Fb" });
    expect(r.status).toBe(403);
    expect(r.metrics).toMatchObject({ "abac.path_unusable": 1, "abac.attribute_unavailable": 0 });
    expect(r.logs.filter((l) => l.level === "warn")).toEqual([]);
    expect(run(policies(allowPaths("/a*")), { path: "/a%2Fb" }).status).toBe(403);
    expect(run(policies(denyPaths("/nothing")), { path: "/a%2Fb", method: "POST" }).status).toBe(403);
  });

  test("escapedSlashes decode and keep", () => {
    expect(run({ paths: { escapedSlashes: "decode" }, ...policies(denyPaths("/a/b")) }, { path: "/a%2Fb" }).status).toBe(403);
    expect(run({ paths: { escapedSlashes: "keep" }, ...policies(denyPaths("/a/b")) }, { path: "/a%2Fb" }).status).toBe(200);
  });

  test("unusablePath: NUL and malformed escapes resolve toward denial", () => {
    expect(run(policies(denyPaths("/never")), { path: "/a%00" }).status).toBe(403);
    expect(run(policies(allowPaths("/a*")), { path: "/a%zz" }).status).toBe(403);
  });

  test("hosts: case-insensitive; trailing dot; the port matters for ALLOW, not for DENY", () => {
    const deny = host(policies({ name: "e/d", spec: { action: "DENY", rules: [{ to: [{ operation: { hosts: ["admin.example.com"] } }] }] } }));
    for (const authority of ["admin.example.com", "ADMIN.Example.COM", "admin.example.com.", "admin.example.com:8443"]) {
      expect(deny.http({ path: "/", authority }).status, authority).toBe(403);
    }
    const allow = host(policies({ name: "e/a", spec: { rules: [{ to: [{ operation: { hosts: ["*.example.com", "example.com:8080"] } }] }] } }));
    expect(allow.http({ path: "/", authority: "WWW.example.com" }).status).toBe(200);
    expect(allow.http({ path: "/", authority: "example.com:8080" }).status).toBe(200);
    expect(allow.http({ path: "/", authority: "example.com" }).status).toBe(403);
  });

  test("methods: exact; over HTTP/2 a lower-case method is denied by DENY and not allowed by ALLOW", () => {
    const deny = host(policies({ name: "m/d", spec: { action: "DENY", rules: [{ to: [{ operation: { methods: ["DELETE"] } }] }] } }));
    expect(deny.http({ path: "/", method: "DELETE" }).status).toBe(403);
    expect(allowed(deny.http({ path: "/", method: "delete", protocol: "http2" }))).toBe(false);
    const allow = host(policies({ name: "m/a", spec: { rules: [{ to: [{ operation: { methods: ["GET"] } }] }] } }));
    expect(allowed(allow.http({ path: "/", method: "get", protocol: "http2" }))).toBe(false);
    expect(allow.http({ path: "/", method: "GET" }).status).toBe(200);
  });

  test("ports: destination.port", () => {
    const h = host(policies({ name: "p/a", spec: { rules: [{ to: [{ operation: { ports: ["8443"] } }] }] } }), { listener: { localAddress: "10.0.0.2:8443" } });
    expect(h.http({ path: "/" }).status).toBe(200);
    const other = host(policies({ name: "p/a", spec: { rules: [{ to: [{ operation: { ports: ["8443"] } }] }] } }), { listener: { localAddress: "10.0.0.2:80" } });
    expect(other.http({ path: "/" }).status).toBe(403);
  });
});

describe("conditions", () => {
  const when = (key: string, c: Record<string, string[]>): AbacConfig => policies({ name: "c/a", spec: { rules: [{ when: [{ key, ...c }] }] } });
  const denyWhen = (key: string, c: Record<string, string[]>): AbacConfig => policies({ name: "c/d", spec: { action: "DENY", rules: [{ when: [{ key, ...c }] }] } });

  test("request.headers: every value of a repeated header (DENY: any; ALLOW: all)", () => {
    const deny = host(denyWhen("request.headers[x-role]", { values: ["admin"] }));
    expect(deny.http({ path: "/", headers: [["x-role", "user"], ["x-role", "admin"]] }).status).toBe(403);
    const allow = host(when("request.headers[X-Role]", { values: ["admin*"] }));
    expect(allow.http({ path: "/", headers: [["x-role", "admin-1"]] }).status).toBe(200);
    expect(allow.http({ path: "/", headers: [["x-role", "admin"], ["x-role", "evil"]] }).status).toBe(403);
  });

  test("request.headers: * is presence, even empty; notValues on an absent header holds", () => {
    const h = host(denyWhen("request.headers[x-debug]", { values: ["*"] }));
    expect(h.http({ path: "/", headers: [["x-debug", ""]] }).status).toBe(403);
    expect(h.http({ path: "/" }).status).toBe(200);
    expect(run(denyWhen("request.headers[x-v]", { notValues: ["2"] }), { path: "/" }).status).toBe(403);
  });

  test("request.query (extension): every occurrence, raw and decoded", () => {
    const h = host(denyWhen("request.query[debug]", { values: ["on"] }));
    expect(h.http({ path: "/x?debug=off&debug=on" }).status).toBe(403);
    expect(h.http({ path: "/x?de%62ug=o%6E" }).status).toBe(403);
    expect(h.http({ path: "/x?debug=off" }).status).toBe(200);
  });

  test("property (extension): any Envoy attribute, e.g. xds.route_name", () => {
    const h = host(when("property[xds][route_name]", { values: ["checkout"] }), { xds: { routeName: "checkout" } });
    expect(h.http({ path: "/" }).status).toBe(200);
    const other = host(when("property[xds][route_name]", { values: ["checkout"] }), { xds: { routeName: "catalog" } });
    expect(other.http({ path: "/" }).status).toBe(403);
  });

  test("property: integer attributes compare as decimal text", () => {
    const h = host(when("property[destination][port]", { values: ["8080"] }), { listener: { localAddress: "10.0.0.2:8080" } });
    expect(h.http({ path: "/" }).status).toBe(200);
  });

  test("connection.sni", () => {
    const h = host(when("connection.sni", { values: ["*.example.com"] }));
    expect(h.http({ path: "/", tls: { sni: "api.example.com" } }).status).toBe(200);
    expect(h.http({ path: "/", tls: { sni: "api.example.org" } }).status).toBe(403);
    expect(h.http({ path: "/" }).status).toBe(403);
  });

  test("destination.ip", () => {
    expect(run(when("destination.ip", { values: ["10.0.0.0/8"] }), { path: "/" }, { listener: { localAddress: "10.1.2.3:80" } }).status).toBe(200);
    expect(run(when("destination.ip", { values: ["10.0.0.0/8"] }), { path: "/" }, { listener: { localAddress: "192.168.0.1:80" } }).status).toBe(403);
  });
});

describe("peer identity", () => {
  const cert = (uri: string): HttpRequest["tls"] => ({ clientCertificate: { uriSans: [uri] } });

  test("principals from the TLS peer certificate (URI SAN); plain text has none", () => {
    const h = host(policies({ name: "shop/a", spec: { rules: [{ from: [{ source: { principals: ["cluster.local/ns/shop/sa/web"] } }] }] } }));
    expect(h.http({ path: "/", tls: cert("spiffe://cluster.local/ns/shop/sa/web") }).status).toBe(200);
    expect(h.http({ path: "/", tls: cert("spiffe://cluster.local/ns/shop/sa/web2") }).status).toBe(403);
    expect(h.http({ path: "/" }).status).toBe(403);
    expect(h.http({ path: "/", tls: { clientCertificate: null } }).status).toBe(403);
  });

  test("namespaces, serviceAccounts, trustDomains", () => {
    const h = host(policies({
      name: "shop/a",
      spec: {
        rules: [
          { from: [{ source: { namespaces: ["team-*"] } }], to: [{ operation: { paths: ["/ns"] } }] },
          { from: [{ source: { serviceAccounts: ["web"] } }], to: [{ operation: { paths: ["/sa"] } }] },
          { from: [{ source: { trustDomains: ["prod.*"] } }], to: [{ operation: { paths: ["/td"] } }] },
        ],
      },
    }));
    expect(h.http({ path: "/ns", tls: cert("spiffe://td/ns/team-a/sa/x") }).status).toBe(200);
    expect(h.http({ path: "/ns", tls: cert("spiffe://td/ns/other/sa/x") }).status).toBe(403);
    expect(h.http({ path: "/sa", tls: cert("spiffe://td/ns/shop/sa/web") }).status).toBe(200);
    expect(h.http({ path: "/sa", tls: cert("spiffe://td/ns/shop/sa/web-evil") }).status).toBe(403);
    expect(h.http({ path: "/td", tls: cert("spiffe://prod.example/ns/a/sa/b") }).status).toBe(200);
    expect(h.http({ path: "/td", tls: cert("spiffe://dev.example/ns/a/sa/b") }).status).toBe(403);
  });

  test("principals: * is any authenticated peer; the log line names the principal", () => {
    const h = host(policies({ name: "shop/a", spec: { rules: [{ from: [{ source: { principals: ["*"] } }], to: [{ operation: { paths: ["/x"] } }] }] } }));
    expect(h.http({ path: "/x", tls: cert("spiffe://td/ns/a/sa/b") }).status).toBe(200);
    const r = h.http({ path: "/y", tls: cert("spiffe://td/ns/a/sa/b") });
    expect(pluginLines(r)[0]).toContain('principal="td/ns/a/sa/b"');
  });

  test("waypoint: identity from filter state io.istio.peer_principal (auto and filterState)", () => {
    const config = policies({ name: "shop/a", spec: { rules: [{ from: [{ source: { principals: ["cluster.local/ns/shop/sa/web"] } }] }] } });
    const listener = { peerPrincipalFilterState: "spiffe://cluster.local/ns/shop/sa/web" };
    expect(run(config, { path: "/" }, { listener }).status).toBe(200);
    expect(run({ ...config, identity: { source: "filterState" } }, { path: "/" }, { listener }).status).toBe(200);
    expect(run({ ...config, identity: { source: "tls" } }, { path: "/" }, { listener }).status).toBe(403);
    expect(run({ ...config, identity: { source: "filterState" } }, { path: "/", tls: cert("spiffe://cluster.local/ns/shop/sa/web") }).status).toBe(403);
  });

  test("forged identity headers are ignored", () => {
    const config = policies({ name: "shop/a", spec: { rules: [{ from: [{ source: { principals: ["cluster.local/ns/shop/sa/web"] } }] }] } });
    const r = run(config, { path: "/", headers: [["x-forwarded-client-cert", "URI=spiffe://cluster.local/ns/shop/sa/web"], ["x-envoy-peer-metadata-id", "web"]] });
    expect(r.status).toBe(403);
  });
});

describe("JWT claims (jwt_authn payload in dynamic metadata)", () => {
  const jwtHost = (config: AbacConfig) => host(config, { listener: { jwt: { issuer: ISSUER } as never } });
  const token = (claims: Record<string, unknown>): HttpRequest["jwt"] => ({ claims: { iss: ISSUER, ...claims } });

  test("requestPrincipals: iss/sub; no token, no principal", () => {
    const h = jwtHost(policies({ name: "a/p", spec: { rules: [{ from: [{ source: { requestPrincipals: [`${ISSUER}/alice`] } }] }] } }));
    expect(h.http({ path: "/", jwt: token({ sub: "alice" }) }).status).toBe(200);
    expect(h.http({ path: "/", jwt: token({ sub: "bob" }) }).status).toBe(403);
    expect(h.http({ path: "/" }).status).toBe(403);
    expect(h.http({ path: "/", headers: [["authorization", "Bearer not-a-jwt"]] }).upstream).toBeNull();
  });

  test("claims: strings, lists, nested, other types", () => {
    const h = jwtHost(policies({
      name: "a/p",
      spec: {
        rules: [
          { when: [{ key: "request.auth.claims[groups]", values: ["admins"] }] },
          { when: [{ key: "request.auth.claims[org][team]", values: ["pay*"] }] },
        ],
      },
    }));
    expect(h.http({ path: "/", jwt: token({ sub: "a", groups: ["users", "admins"] }) }).status).toBe(200);
    expect(h.http({ path: "/", jwt: token({ sub: "a", groups: "admins" }) }).status).toBe(200);
    expect(h.http({ path: "/", jwt: token({ sub: "a", org: { team: "payments" } }) }).status).toBe(200);
    expect(h.http({ path: "/", jwt: token({ sub: "a", groups: 1 }) }).status).toBe(403);
    expect(h.http({ path: "/", jwt: token({ sub: "a", groups: [["admins"]] }) }).status).toBe(403);
  });

  test("audiences and presenter", () => {
    const h = jwtHost(policies({ name: "a/p", spec: { rules: [{ when: [{ key: "request.auth.audiences", values: ["shop"] }, { key: "request.auth.presenter", values: ["web-*"] }] }] } }));
    expect(h.http({ path: "/", jwt: token({ sub: "a", aud: ["x", "shop"], azp: "web-app" }) }).status).toBe(200);
    expect(h.http({ path: "/", jwt: token({ sub: "a", aud: "shop", azp: "cli" }) }).status).toBe(403);
  });

  test("space-delimited scope: DENY on any word, ALLOW needs the stored value and the words", () => {
    const deny = jwtHost(policies({ name: "a/d", spec: { action: "DENY", rules: [{ when: [{ key: "request.auth.claims[scope]", values: ["admin"] }] }] } }));
    expect(deny.http({ path: "/", jwt: token({ sub: "a", scope: "read admin" }) }).status).toBe(403);
    expect(deny.http({ path: "/", jwt: token({ sub: "a", scope: "read" }) }).status).toBe(200);
  });
});

describe("network addresses", () => {
  test("sourceIp filterState (default) not provided: unknown — ALLOW fails, counted, warned once", () => {
    const h = host(policies({ name: "n/a", spec: { rules: [{ from: [{ source: { ipBlocks: ["0.0.0.0/0"] } }] }] } }));
    const first = h.http({ path: "/" });
    expect(first.status).toBe(403);
    expect(first.metrics["abac.attribute_unavailable"]).toBe(1);
    expect(first.logs.filter((l) => l.level === "warn").map((l) => l.message)).toEqual([
      'abac: a policy reads an attribute this proxy did not provide (see README "Attribute sources"); it resolves toward denial',
    ]);
    expect(h.http({ path: "/" }).logs.filter((l) => l.level === "warn")).toEqual([]);
  });

  test("sourceIp sourceAddress: the peer address; use_remote_address=false makes it the last x-forwarded-for entry", () => {
    const config: AbacConfig = { sourceIp: { source: "sourceAddress" }, ...policies({ name: "n/a", spec: { rules: [{ from: [{ source: { ipBlocks: ["10.0.0.0/8"] } }] }] } }) };
    expect(run(config, { path: "/", peerAddress: "10.1.2.3:5000" }).status).toBe(200);
    expect(run(config, { path: "/", peerAddress: "192.168.0.1:5000" }).status).toBe(403);
    // Envoy HCM rule, documented in README "Attribute sources": spoofable unless use_remote_address=true.
    expect(run(config, { path: "/", peerAddress: "192.168.0.1:5000", headers: [["x-forwarded-for", "10.9.9.9"]] }).status).toBe(200);
    expect(
      run(config, { path: "/", peerAddress: "192.168.0.1:5000", headers: [["x-forwarded-for", "10.9.9.9"]] }, { listener: { useRemoteAddress: true } }).status,
    ).toBe(403);
  });

  test("IPv4-mapped IPv6 peer: DENY sees the IPv4 address, ALLOW needs the strict match", () => {
    const deny: AbacConfig = { sourceIp: { source: "sourceAddress" }, ...policies({ name: "n/d", spec: { action: "DENY", rules: [{ from: [{ source: { ipBlocks: ["10.0.0.0/8"] } }] }] } }) };
    expect(run(deny, { path: "/", peerAddress: "[::ffff:10.1.2.3]:5000" }).status).toBe(403);
    const allow: AbacConfig = { sourceIp: { source: "sourceAddress" }, ...policies({ name: "n/a", spec: { rules: [{ from: [{ source: { ipBlocks: ["10.0.0.0/8"] } }] }] } }) };
    expect(run(allow, { path: "/", peerAddress: "[::ffff:10.1.2.3]:5000" }).status).toBe(403);
    expect(run(allow, { path: "/", peerAddress: "[2001:db8::1]:5000" }).status).toBe(403);
  });

  test("remoteIp xff: the entry xffNumTrustedHops from the right", () => {
    const config = (hops: number): AbacConfig => ({
      remoteIp: { source: "xff", xffNumTrustedHops: hops },
      ...policies({ name: "n/a", spec: { rules: [{ from: [{ source: { remoteIpBlocks: ["203.0.113.0/24"] } }] }] } }),
    });
    const headers: Array<[string, string]> = [["x-forwarded-for", "203.0.113.7, 10.0.0.1"]];
    expect(run(config(1), { path: "/", headers }).status).toBe(200);
    expect(run(config(0), { path: "/", headers }).status).toBe(403);
    // Too few entries: source.address, which use_remote_address=false derives from the last XFF entry (Envoy HCM)…
    expect(run(config(5), { path: "/", headers, peerAddress: "203.0.113.9:1" }).status).toBe(403);
    // …and use_remote_address=true takes from the TCP peer.
    expect(run(config(5), { path: "/", headers, peerAddress: "203.0.113.9:1" }, { listener: { useRemoteAddress: true } }).status).toBe(200);
  });
});

describe("IP-block index (rules of single addresses are looked up, not walked; README \"Compiled policies\")", () => {
  // Many DENY policies of one remote address each, as in bench/lib/workload.ts; the request's policy sorts last.
  const blocklist = (extra: PolicyEntry[] = []): AbacConfig => ({
    policies: [
      ...Array.from({ length: 30 }, (_, i): PolicyEntry => ({
        name: `edge/block-${String(i).padStart(2, "0")}`,
        spec: { action: "DENY", rules: [{ from: [{ source: { remoteIpBlocks: [`198.51.100.${i}`, `2001:db8::${i}`] } }] }] },
      })),
      ...extra,
    ],
  });
  const from = (address: string): HttpRequest => ({ path: "/", peerAddress: `${address}:4000` });

  test("a listed address is denied by its own policy; others pass; IPv6 and IPv4-mapped peers too", () => {
    const h = host(blocklist());
    const denied = h.http(from("198.51.100.17"));
    expect(denied.status).toBe(403);
    expect(denied.filterState).toMatchObject({ "wasm.abac.policy": "edge/block-17", "wasm.abac.rule": "0" });
    expect(h.http(from("198.51.100.30")).status).toBe(200);
    expect(h.http(from("[2001:db8::29]")).filterState["wasm.abac.policy"]).toBe("edge/block-29");
    expect(h.http(from("[2001:db8::1d]")).status).toBe(200); // the addresses are hex: ::29 is listed, ::1d (= 29) not
    // Istio DENY reads an IPv4-mapped peer as IPv4 as well (the loose reading).
    expect(h.http(from("[::ffff:198.51.100.3]")).filterState["wasm.abac.policy"]).toBe("edge/block-03");
  });

  test("an address that cannot be read still satisfies every DENY rule (fail closed), counted", () => {
    const h = host({ remoteIp: { source: "xff", xffNumTrustedHops: 0 }, ...blocklist() });
    const r = h.http({ path: "/", headers: [["x-forwarded-for", "not-an-ip"]], peerAddress: "unix:/tmp/socket" });
    expect(r.status).toBe(403);
    expect(r.filterState["wasm.abac.policy"]).toBe("edge/block-00");
    expect(r.metrics["abac.attribute_unavailable"]).toBe(1);
  });

  test("rules the index does not cover keep their meaning: ranges, a second field, sources on two attributes", () => {
    const h = host(
      {
        sourceIp: { source: "sourceAddress" },
        ...blocklist([
          { name: "edge/z-range", spec: { action: "DENY", rules: [{ from: [{ source: { remoteIpBlocks: ["203.0.113.0/24"] } }] }] } },
          { name: "edge/z-two", spec: { action: "DENY", rules: [{ from: [{ source: { remoteIpBlocks: ["192.0.2.1"] } }], to: [{ operation: { methods: ["PUT"] } }] }] } },
          { name: "edge/z-mixed", spec: { action: "DENY", rules: [{ from: [{ source: { remoteIpBlocks: ["192.0.2.2"] } }, { source: { ipBlocks: ["192.0.2.3"] } }] }] } },
        ]),
      },
    );
    expect(h.http(from("203.0.113.77")).filterState["wasm.abac.policy"]).toBe("edge/z-range");
    expect(h.http({ ...from("192.0.2.1"), method: "PUT" }).filterState["wasm.abac.policy"]).toBe("edge/z-two");
    expect(h.http(from("192.0.2.1")).status).toBe(200);
    expect(h.http(from("192.0.2.3")).filterState["wasm.abac.policy"]).toBe("edge/z-mixed");
  });

  test("ALLOW by single addresses: only the listed peer, with the strict reading", () => {
    const allow = policies({ name: "ops/bastion", spec: { rules: [{ from: [{ source: { remoteIpBlocks: ["192.0.2.10", "192.0.2.11"] } }] }] } });
    const h = host(allow);
    expect(h.http(from("192.0.2.11")).filterState["wasm.abac.policy"]).toBe("ops/bastion");
    expect(h.http(from("192.0.2.12")).status).toBe(403);
    expect(h.http(from("[::ffff:192.0.2.11]")).status).toBe(403);
  });
});

describe("request headers are read once and decoded by name (no per-header strings)", () => {
  test("repeated, absent and non-ASCII header names", () => {
    const h = host(
      policies({
        name: "app/d",
        spec: {
          action: "DENY",
          rules: [
            { when: [{ key: "request.headers[x-team]", values: ["a,b"] }] },
            { when: [{ key: "request.headers[x-é]", values: ["yes"] }] },
          ],
        },
      }),
    );
    // Envoy RBAC matches the values of a repeated header joined with "," (HeaderUtility::getAllOfHeaderAsString).
    expect(h.http({ path: "/", headers: [["x-team", "a"], ["x-team", "b"]] }).filterState["wasm.abac.rule"]).toBe("0");
    expect(h.http({ path: "/", headers: [["x-teams", "a,b"], ["x-tea", "a,b"]] }).status).toBe(200);
    expect(h.http({ path: "/", headers: [["x-é", "yes"]] }).filterState["wasm.abac.rule"]).toBe("1");
  });

  test("the header block is freed: memory stays flat over many requests", () => {
    const h = host(policies(allowPaths("/a/*")));
    const request: HttpRequest = { path: "/a/b", headers: Array.from({ length: 40 }, (_, i): [string, string] => [`x-h${i}`, "v".repeat(200)]) };
    for (let i = 0; i < 200; i++) h.http(request);
    const before = h.vm().memoryBytes;
    for (let i = 0; i < 3000; i++) h.http(request);
    expect(h.vm().memoryBytes).toBe(before);
  });
});

describe("relational conditions (extension)", () => {
  const tenants = policies({
    name: "saas/tenants",
    spec: { rules: [{ to: [{ operation: { paths: ["/tenants/{tenant}/{**}"] } }], when: [{ key: "request.auth.claims[tenant]", valuesFrom: ["{tenant}"] }] }] },
  });
  const jwtHost = () => host(tenants, { listener: { jwt: { issuer: ISSUER } as never } });
  const token = (tenant: unknown): HttpRequest["jwt"] => ({ claims: { iss: ISSUER, sub: "u", tenant } });

  test("claim equals the path capture", () => {
    const h = jwtHost();
    expect(h.http({ path: "/tenants/acme/orders", jwt: token("acme") }).status).toBe(200);
    expect(h.http({ path: "/tenants/acme/orders", jwt: token("globex") }).status).toBe(403);
    expect(h.http({ path: "/tenants/acme/orders" }).status).toBe(403);
  });

  test("a capture is checked for every path reading in an ALLOW", () => {
    expect(jwtHost().http({ path: "/tenants/acme/../globex/orders", jwt: token("globex") }).status).toBe(403);
  });

  test("indeterminate (a list claim of two values) resolves toward denial", () => {
    expect(jwtHost().http({ path: "/tenants/acme/x", jwt: token(["acme", "globex"]) }).status).toBe(403);
  });

  test("header equals header; notValuesFrom", () => {
    const h = host(policies({
      name: "r/d",
      spec: { action: "DENY", rules: [{ when: [{ key: "request.headers[x-user]", notValuesFrom: ["request.headers[x-owner]"] }], to: [{ operation: { methods: ["DELETE"] } }] }] },
    }));
    expect(h.http({ path: "/", method: "DELETE", headers: [["x-user", "a"], ["x-owner", "a"]] }).status).toBe(200);
    expect(h.http({ path: "/", method: "DELETE", headers: [["x-user", "a"], ["x-owner", "b"]] }).status).toBe(403);
    expect(h.http({ path: "/", method: "DELETE", headers: [["x-user", "a"]] }).status).toBe(403);
  });
});

describe("host calls", () => {
  test("reads the request headers once, with get_header_map_pairs, and never a single header value", () => {
    const h = host(policies(allowPaths("/x")), { recordCalls: true });
    const configureCalls = h.calls.length;
    h.http({ path: "/x", headers: [["x-a", "1"]] });
    const names = h.calls.slice(configureCalls).map((c) => c.name);
    expect(names.filter((n) => n === "env.proxy_get_header_map_pairs")).toHaveLength(1);
    expect(names).not.toContain("env.proxy_get_header_map_value");
  });

  test("reads only the properties the candidate rules need", () => {
    const h = host(policies(allowPaths("/x"), { name: "shop/tls", spec: { rules: [{ from: [{ source: { principals: ["*"] } }], to: [{ operation: { paths: ["/tls"] } }] }] } }), { recordCalls: true });
    const configureCalls = h.calls.length;
    h.http({ path: "/x" });
    expect(h.calls.slice(configureCalls).map((c) => c.name)).not.toContain("env.proxy_get_property");
    h.http({ path: "/tls" });
    expect(h.calls.slice(configureCalls).map((c) => c.name)).toContain("env.proxy_get_property");
  });

  test("never traps on odd requests", () => {
    const h = host(policies(denyPaths("/admin"), allowPaths("*")));
    for (const path of ["*", "", "http://x/admin", "/%", "/" + "%41".repeat(2000), "/\u00e9/\ud83d\ude00", "/a?&&=&=x&%zz"]) {
      const r = h.http({ path, headers: [["x", "\u00ff"]] });
      expect([200, 400, 403]).toContain(r.status);
    }
    expect(h.traps()).toEqual([]);
  });
});
