/**
 * Property-based test: random policy sets × random requests. For every case the filter's decision in the harness
 * (decision, deciding policy and rule, response details, shadow decision, audit policy) equals the reference
 * evaluator's (filters/abac/node/evaluator.ts) on the same facts. ≥ 10,000 cases per run.
 *
 * The facts given to the reference are what the harness gives the filter: request headers as sent, the peer
 * address after the connection manager's X-Forwarded-For rule (use_remote_address=false: the last XFF entry if it
 * is an IP), the certificate's first URI SAN, the SNI, and the dynamic metadata jwt_authn wrote (read back from
 * the harness result).
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { beforeAll, describe, expect, test } from "vitest";
import { createHost, type HttpRequest } from "../../../harness";
import { evaluate } from "../../../filters/abac/node/evaluator";
import type { RequestFacts } from "../../../filters/abac/node/request";
import type { AbacConfig, Condition, Operation, PolicyEntry, Rule, Source } from "../../../filters/abac/node/types";
import { ABAC_WASM } from "./support";

const ISSUER = "https://issuer.example.com";
const CONFIGS = Number(process.env.ABAC_PROPERTY_CONFIGS ?? 250);
const REQUESTS_PER_CONFIG = 44;

let wasm: Uint8Array;
beforeAll(() => {
  wasm = readFileSync(ABAC_WASM);
});

// ---------------------------------------------------------------------------------------------------------------
// Vocabularies: small, so that random policies and requests meet often.
// ---------------------------------------------------------------------------------------------------------------

const SANS = ["spiffe://cluster.local/ns/shop/sa/web", "spiffe://cluster.local/ns/shop/sa/web-evil", "spiffe://other.local/ns/dev/sa/api"];
const sub = <T,>(xs: readonly T[]): fc.Arbitrary<T[]> => fc.subarray([...xs], { minLength: 1, maxLength: Math.min(3, xs.length) });

const pathPattern = fc.constantFrom("/a", "/a/*", "*/b", "*", "/admin*", "/a/{*}", "/{**}", "/tenants/{t}/{**}", "/public/{*}", "*.css", "/a/b", "/admin");
const hostPattern = fc.constantFrom("example.com", "*.example.com", "admin.*", "*", "example.com:*", "admin.example.com");
const methodPattern = fc.constantFrom("GET", "POST", "DELETE", "P*", "*");
const headerValue = fc.constantFrom("1", "admin", "admin*", "*min", "*");

const source: fc.Arbitrary<Source> = fc.oneof(
  fc.record({ principals: sub(["cluster.local/ns/shop/sa/web", "cluster.local/*", "*/sa/web", "*"]) }),
  fc.record({ notPrincipals: sub(["cluster.local/ns/shop/sa/web", "*"]) }),
  fc.record({ namespaces: sub(["shop", "dev", "sh*"]) }, { requiredKeys: [] }),
  fc.record({ notNamespaces: sub(["shop"]) }),
  fc.record({ serviceAccounts: sub(["shop/web", "web", "dev/api"]) }),
  fc.record({ trustDomains: sub(["cluster.local", "*.local", "other*"]) }),
  fc.record({ requestPrincipals: sub([`${ISSUER}/alice`, `${ISSUER}/*`, "*", "*/alice"]) }),
  fc.record({ notRequestPrincipals: sub(["*"]) }),
  fc.record({ ipBlocks: sub(["10.0.0.0/8", "192.168.0.1", "2001:db8::/32", "0.0.0.0/0"]) }),
  fc.record({ notIpBlocks: sub(["10.0.0.0/8"]) }),
  fc.record({ remoteIpBlocks: sub(["10.9.9.9", "203.0.113.0/24", "10.0.0.0/8"]) }),
  fc.record({ notRemoteIpBlocks: sub(["203.0.113.0/24"]) }),
).filter((s) => Object.keys(s).length > 0);

const operation: fc.Arbitrary<Operation> = fc
  .record(
    {
      paths: fc.array(pathPattern, { minLength: 1, maxLength: 3 }),
      notPaths: fc.array(pathPattern, { minLength: 1, maxLength: 2 }),
      hosts: fc.array(hostPattern, { minLength: 1, maxLength: 2 }),
      notHosts: fc.array(hostPattern, { minLength: 1, maxLength: 2 }),
      methods: fc.array(methodPattern, { minLength: 1, maxLength: 2 }),
      notMethods: fc.array(methodPattern, { minLength: 1, maxLength: 2 }),
      ports: sub(["8080", "80"]),
      notPorts: sub(["80"]),
    },
    { requiredKeys: [] },
  )
  .filter((o) => Object.keys(o).length > 0 && Object.keys(o).length <= 3);

const condition: fc.Arbitrary<Condition> = fc.oneof(
  fc.record({ key: fc.constantFrom("request.headers[x-a]", "request.headers[X-B]"), values: fc.array(headerValue, { minLength: 1, maxLength: 2 }) }),
  fc.record({ key: fc.constant("request.headers[x-a]"), notValues: fc.array(headerValue, { minLength: 1, maxLength: 2 }) }),
  fc.record({ key: fc.constant("request.query[q]"), values: sub(["1", "a b", "*", "2"]) }),
  fc.record({ key: fc.constant("request.query[q]"), notValues: sub(["1"]) }),
  fc.record({ key: fc.constant("request.auth.claims[groups]"), values: sub(["admins", "users", "adm*"]) }),
  fc.record({ key: fc.constant("request.auth.claims[scope]"), values: sub(["admin", "read"]) }),
  fc.record({ key: fc.constant("request.auth.claims[org][team]"), values: sub(["pay*"]) }),
  fc.record({ key: fc.constant("request.auth.audiences"), values: sub(["shop", "x"]) }),
  fc.record({ key: fc.constant("request.auth.presenter"), notValues: sub(["cli"]) }),
  fc.record({ key: fc.constant("request.auth.principal"), values: sub([`${ISSUER}/alice`, "*"]) }),
  fc.record({ key: fc.constant("source.ip"), values: sub(["10.0.0.0/8", "2001:db8::/32"]) }),
  fc.record({ key: fc.constant("remote.ip"), notValues: sub(["10.9.9.9"]) }),
  fc.record({ key: fc.constant("source.namespace"), values: sub(["shop", "d*"]) }),
  fc.record({ key: fc.constant("source.principal"), values: sub(["*"]) }),
  fc.record({ key: fc.constant("source.serviceAccount"), values: sub(["shop/web"]) }),
  fc.record({ key: fc.constant("source.trustDomain"), notValues: sub(["other.local"]) }),
  fc.record({ key: fc.constant("destination.port"), values: sub(["8080", "80"]) }),
  fc.record({ key: fc.constant("destination.ip"), values: sub(["10.0.0.0/8"]) }),
  fc.record({ key: fc.constant("connection.sni"), values: sub(["*.example.com", "api.example.com"]) }),
  fc.record({ key: fc.constant("property[xds][route_name]"), values: sub(["r1", "r*"]) }),
  fc.record({ key: fc.constant("request.headers[x-a]"), valuesFrom: fc.constant(["request.headers[x-b]"] as string[]) }),
  fc.record({ key: fc.constant("request.headers[x-a]"), notValuesFrom: fc.constant(["request.auth.claims[tenant]"] as string[]) }),
);

/** Rules; a rule with a `{t}` capture may carry the relational condition on the tenant claim. */
const rule: fc.Arbitrary<Rule> = fc
  .record(
    {
      from: fc.array(source.map((s) => ({ source: s })), { minLength: 1, maxLength: 2 }),
      to: fc.array(operation.map((o) => ({ operation: o })), { minLength: 1, maxLength: 2 }),
      when: fc.array(condition, { minLength: 1, maxLength: 2 }),
      tenant: fc.boolean(),
    },
    { requiredKeys: ["tenant"] },
  )
  .map(({ tenant, ...r }) => {
    const out: Rule = { ...r };
    for (const s of out.from ?? []) {
      // Istio: serviceAccounts cannot be combined with principals or namespaces in one source.
      if (s.source.serviceAccounts && (s.source.principals || s.source.notPrincipals || s.source.namespaces || s.source.notNamespaces)) {
        delete s.source.serviceAccounts;
      }
    }
    if (tenant) {
      out.to = [{ operation: { paths: ["/tenants/{t}/{**}"] } }];
      out.when = [...(out.when ?? []), { key: "request.auth.claims[tenant]", valuesFrom: ["{t}"] }];
    }
    return out;
  });

const policy = (i: number): fc.Arbitrary<PolicyEntry> =>
  fc.record({
    action: fc.constantFrom("ALLOW", "DENY", "AUDIT", undefined),
    rules: fc.option(fc.array(rule, { minLength: 0, maxLength: 3 }), { nil: undefined }),
    dryRun: fc.boolean().map((b) => b && Math.random() < 0.3),
    ns: fc.constantFrom("a", "b"),
  }).map(({ action, rules, dryRun, ns }) => {
    const spec: PolicyEntry["spec"] = {};
    if (action !== undefined) spec.action = action as "ALLOW";
    if (rules !== undefined || action === "DENY") spec.rules = rules ?? [{}];
    return { name: `${ns}/p${i}`, spec, ...(dryRun ? { dryRun: true } : {}) };
  });

const config: fc.Arbitrary<AbacConfig> = fc
  .record({
    policies: fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => policy(i)))),
    identity: fc.constantFrom("auto", "tls", "filterState") as fc.Arbitrary<"auto" | "tls" | "filterState">,
    sourceIp: fc.constantFrom("sourceAddress", "sourceAddress", "filterState") as fc.Arbitrary<"sourceAddress" | "filterState">,
    remoteIp: fc.oneof(fc.constant(undefined), fc.record({ source: fc.constant("xff" as const), xffNumTrustedHops: fc.integer({ min: 0, max: 2 }) })),
    escapedSlashes: fc.constantFrom("reject", "decode", "keep") as fc.Arbitrary<"reject" | "decode" | "keep">,
    mergeSlashes: fc.boolean(),
  })
  .map((c) => ({
    policies: c.policies,
    identity: { source: c.identity },
    sourceIp: { source: c.sourceIp },
    ...(c.remoteIp ? { remoteIp: c.remoteIp } : {}),
    paths: { escapedSlashes: c.escapedSlashes, mergeSlashes: c.mergeSlashes },
  }));

/** Listener-level facts, fixed per host. */
const listener = fc.record({
  peerPrincipal: fc.option(fc.constantFrom(...SANS), { nil: undefined }),
  port: fc.constantFrom(8080, 80),
  routeName: fc.constantFrom("r1", "r2"),
});

const segment = fc.constantFrom("a", "b", "admin", "public", "tenants", "acme", "globex", "..", ".", "", "%2e", "%2F", "%61", ";x", "%00", "%zz", "\\", "x.css", "a=b", "%5C");
const requestPath = fc.oneof(
  fc.constantFrom("/", "/a", "/a/b", "/admin", "/admin/x", "/public/x", "/tenants/acme/x", "/tenants/globex/y", "/a/../admin", "//admin", "/a%2Fb", "/%61dmin", "/admin;x", "/tenants/acme/../globex/y", "/x.css"),
  fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => "/" + s.join("/")),
).chain((p) => fc.constantFrom(p, p + "?q=1", p + "?q=a+b&q=2", p + "?q=a%20b", p + "#f"));

const request = fc.record({
  path: requestPath,
  method: fc.constantFrom("GET", "POST", "DELETE", "get", "PATCH"),
  authority: fc.constantFrom("example.com", "EXAMPLE.com", "example.com.", "example.com:8080", "admin.example.com", "admin.example.com:443", "api.example.org"),
  headers: fc.array(fc.tuple(fc.constantFrom("x-a", "x-b", "X-A"), fc.constantFrom("1", "admin", "admin-x", "", "adm", "acme")), { maxLength: 3 }),
  xff: fc.option(fc.constantFrom("10.9.9.9", "203.0.113.7, 10.0.0.1", "junk", "::ffff:10.1.2.3"), { nil: undefined }),
  peer: fc.constantFrom("10.1.2.3:1000", "192.168.0.1:1000", "[::ffff:10.1.2.3]:1000", "[2001:db8::1]:1000"),
  tls: fc.option(fc.record({ san: fc.option(fc.constantFrom(...SANS), { nil: undefined }), sni: fc.option(fc.constantFrom("api.example.com", "x.example.org"), { nil: undefined }) }), { nil: undefined }),
  jwt: fc.option(
    fc.record(
      {
        sub: fc.constantFrom("alice", "bob"),
        groups: fc.constantFrom(["admins"], "admins", ["users", "admins"], 1, ["users"]),
        scope: fc.constantFrom("read admin", "read", ["admin"]),
        tenant: fc.constantFrom("acme", "globex", ["acme"]),
        aud: fc.constantFrom("shop", ["shop", "x"], "y"),
        azp: fc.constantFrom("cli", "web"),
        org: fc.constantFrom({ team: "payments" }, { team: "ops" }),
      },
      { requiredKeys: ["sub"] },
    ),
    { nil: undefined },
  ),
});

type GeneratedRequest = typeof request extends fc.Arbitrary<infer T> ? T : never;

function toHarness(r: GeneratedRequest): HttpRequest {
  const headers: Array<[string, string]> = [...r.headers];
  if (r.xff !== undefined) headers.push(["x-forwarded-for", r.xff]);
  return {
    path: r.path,
    method: r.method,
    authority: r.authority,
    headers,
    peerAddress: r.peer,
    // Lower-case methods go over HTTP/2: Envoy's HTTP/1 codec rejects them before any filter runs.
    protocol: r.method === "get" ? "http2" : "http1",
    ...(r.tls ? { tls: { ...(r.tls.sni ? { sni: r.tls.sni } : {}), clientCertificate: r.tls.san ? { uriSans: [r.tls.san] } : null } } : {}),
    ...(r.jwt ? { jwt: { claims: { iss: ISSUER, ...r.jwt } } } : {}),
  };
}

/** Envoy HCM with use_remote_address=false: `source.address` is the last XFF entry when it is an IP. */
function sourceAddress(r: GeneratedRequest): string {
  if (r.xff === undefined) return r.peer;
  const last = r.xff.split(",").map((s) => s.trim()).pop()!;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(last)) return `${last}:0`;
  if (last.includes(":")) return `[${last}]:0`;
  return r.peer;
}

function toFacts(r: GeneratedRequest, l: { peerPrincipal?: string; port: number; routeName: string }, dynamicMetadata: Record<string, unknown>): RequestFacts {
  const headers: Array<[string, string]> = [[":authority", r.authority], [":path", r.path], [":method", r.method]];
  for (const [n, v] of r.headers) headers.push([n.toLowerCase(), v]);
  if (r.xff !== undefined) headers.push(["x-forwarded-for", r.xff]);
  return {
    headers,
    sourceAddress: sourceAddress(r),
    destinationAddress: `10.0.0.2:${l.port}`,
    destinationPort: l.port,
    sni: r.tls?.sni ?? "",
    ...(r.tls?.san ? { peerCertificate: { uriSans: [r.tls.san], subject: "" } } : {}),
    filterState: l.peerPrincipal !== undefined ? { "io.istio.peer_principal": l.peerPrincipal } : {},
    dynamicMetadata: dynamicMetadata as RequestFacts["dynamicMetadata"],
    properties: { "xds\u0000route_name": l.routeName },
  };
}

describe("filter = reference evaluator", () => {
  test(`random policies × random requests (${CONFIGS} configurations × ${REQUESTS_PER_CONFIG} requests)`, () => {
    let cases = 0;
    let denied = 0;
    fc.assert(
      fc.property(config, listener, fc.array(request, { minLength: REQUESTS_PER_CONFIG, maxLength: REQUESTS_PER_CONFIG }), (cfg, l, requests) => {
        const host = createHost(wasm, {
          configuration: cfg,
          listener: {
            localAddress: `10.0.0.2:${l.port}`,
            jwt: { issuer: ISSUER } as never,
            ...(l.peerPrincipal !== undefined ? { peerPrincipalFilterState: l.peerPrincipal } : {}),
          },
          xds: { routeName: l.routeName },
        });
        for (const r of requests) {
          const result = host.http(toHarness(r));
          const expected = evaluate(cfg, toFacts(r, l, result.dynamicMetadata));
          const fs = result.filterState;
          const actual = {
            decision: fs["wasm.abac.decision"],
            policy: fs["wasm.abac.policy"] ?? null,
            rule: fs["wasm.abac.rule"] ?? null,
            details: result.upstream === null ? result.responseCodeDetails : null,
            shadow: fs["wasm.abac.shadow_decision"] ?? null,
            shadowPolicy: fs["wasm.abac.shadow_policy"] ?? null,
            audit: fs["wasm.abac.audit_policy"] ?? null,
          };
          const wanted = {
            decision: expected.decision,
            policy: expected.policy,
            rule: expected.rule === null ? null : String(expected.rule),
            details: expected.responseCodeDetails,
            shadow: expected.shadow?.decision ?? null,
            shadowPolicy: expected.shadow?.policy ?? null,
            audit: expected.audit?.policy ?? null,
          };
          if (JSON.stringify(actual) !== JSON.stringify(wanted)) {
            expect({ request: toHarness(r), config: cfg, actual }).toEqual({ request: toHarness(r), config: cfg, actual: wanted });
          }
          cases++;
          if (expected.decision === "deny") denied++;
        }
        expect(host.traps()).toEqual([]);
      }),
      { numRuns: CONFIGS, seed: process.env.ABAC_PROPERTY_SEED ? Number(process.env.ABAC_PROPERTY_SEED) : undefined, endOnFailure: true },
    );
    console.log(`abac property test: ${cases} cases (${denied} denied, ${cases - denied} allowed)`);
    expect(cases).toBeGreaterThanOrEqual(10_000);
  }, 600_000);
});

describe("robustness", () => {
  /** A configuration that reads every attribute kind, so every reader sees the random input. */
  const everything: AbacConfig = {
    sourceIp: { source: "sourceAddress" },
    remoteIp: { source: "xff", xffNumTrustedHops: 1 },
    paths: { escapedSlashes: "decode" },
    policies: [
      {
        name: "r/deny",
        spec: {
          action: "DENY",
          rules: [
            { to: [{ operation: { paths: ["/admin/{**}"], notHosts: ["*.example.com"], methods: ["DELETE"] } }] },
            { when: [{ key: "request.query[a]", values: ["x"] }, { key: "request.headers[x-a]", valuesFrom: ["request.query[a]"] }] },
          ],
        },
      },
      {
        name: "r/allow",
        spec: {
          rules: [
            { from: [{ source: { ipBlocks: ["10.0.0.0/8"], notRemoteIpBlocks: ["1.2.3.4"] } }], to: [{ operation: { paths: ["/t/{t}/{**}", "*.css"] } }], when: [{ key: "request.auth.claims[t]", valuesFrom: ["{t}"] }] },
            { from: [{ source: { principals: ["*"], requestPrincipals: ["*"] } }] },
            { when: [{ key: "property[request][useragent]", values: ["a*"] }, { key: "connection.sni", notValues: ["x"] }] },
          ],
        },
      },
    ],
  };
  const text = fc.string({ unit: "binary", maxLength: 40 });

  test("no input traps the VM or escapes a decision", () => {
    const host = createHost(wasm, { configuration: everything, listener: { jwt: { issuer: ISSUER } as never } });
    let runs = 0;
    fc.assert(
      fc.property(
        fc.record({
          path: fc.oneof(text, text.map((t) => "/" + t)),
          authority: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 20 }),
          headers: fc.array(fc.tuple(fc.constantFrom("x-a", "x-forwarded-for", "user-agent", "x-b"), text), { maxLength: 4 }),
        }),
        (r) => {
          const result = host.http({ path: r.path, authority: r.authority, headers: r.headers });
          runs++;
          // Either Envoy's connection manager refused the request, or the filter decided.
          if (result.responseCodeDetails?.startsWith("rbac_") || result.upstream !== null) {
            expect(["allow", "deny"]).toContain(result.filterState["wasm.abac.decision"]);
          }
        },
      ),
      { numRuns: 2000 },
    );
    expect(host.traps()).toEqual([]);
    expect(runs).toBe(2000);
  });
});
