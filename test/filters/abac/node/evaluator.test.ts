/**
 * The reference evaluator (filters/abac/node/evaluator.ts) on hand-checked cases: it is the oracle of the
 * property tests, so its own semantics are pinned here against Istio / Envoy RBAC sources.
 */
import { describe, expect, test } from "vitest";
import { evaluate } from "../../../../filters/abac/node/evaluator";
import type { RequestFacts } from "../../../../filters/abac/node/request";
import type { AbacConfig, PolicyEntry } from "../../../../filters/abac/node/types";

function facts(over: Partial<RequestFacts> & { path?: string; method?: string; authority?: string; extra?: Array<[string, string]> } = {}): RequestFacts {
  const { path = "/", method = "GET", authority = "example.com", extra = [], ...rest } = over;
  return {
    headers: [[":method", method], [":path", path], [":authority", authority], ...extra],
    sourceAddress: "10.0.0.1:40000",
    destinationAddress: "10.0.0.2:8080",
    destinationPort: 8080,
    filterState: { "abac.direct_remote_ip": "10.0.0.1" },
    ...rest,
  };
}

function config(...policies: PolicyEntry[]): AbacConfig {
  return { policies };
}

describe("decision order (istio authorization_policy.proto)", () => {
  test("no policies allows", () => {
    expect(evaluate(config(), facts()).decision).toBe("allow");
  });

  test("spec {} is allow-nothing", () => {
    const v = evaluate(config({ name: "ns/nothing", spec: {} }), facts());
    expect(v).toMatchObject({ decision: "deny", policy: "none", responseCodeDetails: "rbac_access_denied_matched_policy[none]" });
  });

  test("rules [{}] is allow-all", () => {
    expect(evaluate(config({ name: "ns/all", spec: { rules: [{}] } }), facts())).toMatchObject({ decision: "allow", policy: "ns/all", rule: 0 });
  });

  test("DENY wins over a matching ALLOW", () => {
    const v = evaluate(
      config({ name: "ns/all", spec: { rules: [{}] } }, { name: "ns/deny", spec: { action: "DENY", rules: [{}] } }),
      facts(),
    );
    expect(v).toMatchObject({ decision: "deny", policyId: "ns[ns]-policy[deny]-rule[0]" });
  });

  test("the reported policy is the first in RBAC policy-id byte order (rule[10] before rule[2])", () => {
    // Only rules 2 and 10 match; Envoy RBAC (std::map order) reports rule[10].
    const rules = Array.from({ length: 11 }, (_, i) => (i === 2 || i === 10 ? {} : { to: [{ operation: { paths: ["/never"] } }] }));
    expect(evaluate(config({ name: "ns/p", spec: { rules } }), facts())).toMatchObject({ rule: 10 });
  });

  test("AUDIT and dry-run policies do not change the decision", () => {
    const v = evaluate(
      config(
        { name: "ns/audit", spec: { action: "AUDIT", rules: [{}] } },
        { name: "ns/dry", spec: { action: "DENY", rules: [{}] }, dryRun: true },
      ),
      facts(),
    );
    expect(v).toMatchObject({ decision: "allow", audit: { policy: "ns/audit", rule: 0 }, shadow: { decision: "deny", policy: "ns/dry" } });
  });

  test("custom deny response: per DENY policy, else global", () => {
    const c: AbacConfig = {
      denyResponse: { status: 401, body: "no" },
      policies: [{ name: "ns/d", spec: { action: "DENY", rules: [{ to: [{ operation: { paths: ["/x"] } }] }] }, denyResponse: { status: 451, headers: { "x-why": "law" } } }, { name: "ns/a", spec: { rules: [{ to: [{ operation: { paths: ["/y"] } }] }] } }],
    };
    expect(evaluate(c, facts({ path: "/x" })).deny).toEqual({ status: 451, body: "RBAC: access denied", headers: { "x-why": "law" } });
    expect(evaluate(c, facts({ path: "/z" })).deny).toEqual({ status: 401, body: "no", headers: {} });
  });
});

describe("views resolve toward denial", () => {
  const denyRole = config({ name: "ns/d", spec: { action: "DENY", rules: [{ when: [{ key: "request.headers[x-role]", values: ["admin"] }] }] } });
  const allowRole = config({ name: "ns/a", spec: { rules: [{ when: [{ key: "request.headers[x-role]", values: ["admin*"] }] }] } });

  test("DENY matches any value of a repeated header", () => {
    expect(evaluate(denyRole, facts({ extra: [["x-role", "user"], ["x-role", "admin"]] })).decision).toBe("deny");
  });

  test("ALLOW needs every value of a repeated header (RBAC would match the joined value admin,evil)", () => {
    expect(evaluate(allowRole, facts({ extra: [["x-role", "admin"], ["x-role", "evil"]] })).decision).toBe("deny");
    expect(evaluate(allowRole, facts({ extra: [["x-role", "admin"], ["x-role", "admin-eu"]] })).decision).toBe("allow");
  });

  test("paths: DENY sees through dot segments, ALLOW is not fooled by them", () => {
    const deny = config({ name: "ns/d", spec: { action: "DENY", rules: [{ to: [{ operation: { paths: ["/admin"] } }] }] } });
    const allow = config({ name: "ns/a", spec: { rules: [{ to: [{ operation: { paths: ["/public/*"] } }] }] } });
    expect(evaluate(deny, facts({ path: "/public/../admin" })).decision).toBe("deny");
    expect(evaluate(allow, facts({ path: "/public/../admin" })).decision).toBe("deny");
    expect(evaluate(allow, facts({ path: "/public/x?y=1" })).decision).toBe("allow");
  });

  test("escaped slashes are unknown by default: DENY path constraints hold, ALLOW ones fail", () => {
    const deny = config({ name: "ns/d", spec: { action: "DENY", rules: [{ to: [{ operation: { paths: ["/nothing"], methods: ["GET"] } }] }] } });
    expect(evaluate(deny, facts({ path: "/a%2Fb" })).decision).toBe("deny");
    expect(evaluate(deny, facts({ path: "/a%2Fb", method: "POST" })).decision).toBe("allow");
    const decode: AbacConfig = { ...deny, paths: { escapedSlashes: "decode" } };
    expect(evaluate(decode, facts({ path: "/a%2Fb" })).decision).toBe("allow");
  });

  test("hosts: case, trailing dot and (for DENY) port", () => {
    const deny = config({ name: "ns/d", spec: { action: "DENY", rules: [{ to: [{ operation: { hosts: ["admin.example.com"] } }] }] } });
    for (const authority of ["ADMIN.example.com", "admin.example.com.", "admin.example.com:443"]) {
      expect(evaluate(deny, facts({ authority })).decision).toBe("deny");
    }
    const allow = config({ name: "ns/a", spec: { rules: [{ to: [{ operation: { hosts: ["example.com"] } }] }] } });
    expect(evaluate(allow, facts({ authority: "example.com:8080" })).decision).toBe("deny");
    expect(evaluate(allow, facts({ authority: "EXAMPLE.com" })).decision).toBe("allow");
  });
});

describe("attributes", () => {
  test("principals via the TLS peer certificate; plain text is absent", () => {
    const c = config({ name: "ns/a", spec: { rules: [{ from: [{ source: { principals: ["cluster.local/ns/shop/sa/web"] } }] }] } });
    expect(evaluate(c, facts({ peerCertificate: { uriSans: ["spiffe://cluster.local/ns/shop/sa/web"] } })).decision).toBe("allow");
    expect(evaluate(c, facts()).decision).toBe("deny");
  });

  test("notPrincipals on an absent identity holds (Istio): write ALLOW with positive matches", () => {
    const c = config({ name: "ns/a", spec: { rules: [{ from: [{ source: { notPrincipals: ["cluster.local/ns/shop/sa/evil"] } }] }] } });
    expect(evaluate(c, facts()).decision).toBe("allow");
  });

  test("serviceAccounts: the Istio regex does not match a longer service account name", () => {
    const c = config({ name: "shop/a", spec: { rules: [{ from: [{ source: { serviceAccounts: ["web"] } }] }] } });
    expect(evaluate(c, facts({ peerCertificate: { uriSans: ["spiffe://cluster.local/ns/shop/sa/web"] } })).decision).toBe("allow");
    expect(evaluate(c, facts({ peerCertificate: { uriSans: ["spiffe://cluster.local/ns/shop/sa/web-evil"] } })).decision).toBe("deny");
  });

  test("requestPrincipals split at the last slash", () => {
    const c = config({ name: "ns/a", spec: { rules: [{ from: [{ source: { requestPrincipals: ["https://idp.example.com/*"] } }] }] } });
    const jwt = (iss: string, sub: string): Partial<RequestFacts> => ({ dynamicMetadata: { "envoy.filters.http.jwt_authn": { payload: { iss, sub } } } });
    expect(evaluate(c, facts(jwt("https://idp.example.com", "alice"))).decision).toBe("allow");
    expect(evaluate(c, facts(jwt("https://idp.example.com/x", "alice"))).decision).toBe("deny");
  });

  test("source.ip unknown (no filter state) fails ALLOW and holds in DENY", () => {
    const allow = config({ name: "ns/a", spec: { rules: [{ from: [{ source: { ipBlocks: ["10.0.0.0/8"] } }] }] } });
    const deny = config({ name: "ns/d", spec: { action: "DENY", rules: [{ from: [{ source: { notIpBlocks: ["10.0.0.0/8"] } }] }] } });
    expect(evaluate(allow, facts()).decision).toBe("allow");
    expect(evaluate(allow, facts({ filterState: {} }))).toMatchObject({ decision: "deny", usedUnknown: true });
    expect(evaluate(deny, facts({ filterState: {} })).decision).toBe("deny");
  });

  test("relational condition: claim equals the path capture", () => {
    const c = config({
      name: "ns/tenants",
      spec: { rules: [{ to: [{ operation: { paths: ["/tenants/{tenant}/{**}"] } }], when: [{ key: "request.auth.claims[tenant]", valuesFrom: ["{tenant}"] }] }] },
    });
    const claims = (tenant: unknown): Partial<RequestFacts> => ({ dynamicMetadata: { "envoy.filters.http.jwt_authn": { payload: { tenant } } } });
    expect(evaluate(c, facts({ path: "/tenants/acme/orders", ...claims("acme") })).decision).toBe("allow");
    expect(evaluate(c, facts({ path: "/tenants/acme/orders", ...claims("other") })).decision).toBe("deny");
    expect(evaluate(c, facts({ path: "/tenants/acme/../other/x", ...claims("other") })).decision).toBe("deny");
    expect(evaluate(c, facts({ path: "/tenants/acme/orders", ...claims(["acme", "other"]) })).decision).toBe("deny");
  });

  test("query parameters: every occurrence, raw and decoded", () => {
    const c = config({ name: "ns/d", spec: { action: "DENY", rules: [{ when: [{ key: "request.query[debug]", values: ["on"] }] }] } });
    expect(evaluate(c, facts({ path: "/x?debug=off&debug=on" })).decision).toBe("deny");
    expect(evaluate(c, facts({ path: "/x?de%62ug=%6fn" })).decision).toBe("deny");
    expect(evaluate(c, facts({ path: "/x?debug=off" })).decision).toBe("allow");
  });
});
