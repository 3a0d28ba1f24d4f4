/**
 * The istiod-style translator (filters/abac/node/rbac.ts) against the translation istiod performs
 * (istio/istio pilot/pkg/security/authz/{builder/builder.go, model/model.go, model/generator.go, matcher/*.go}
 * @86c9f01f). Real Envoy accepting the output is checked by conformance.e2e.test.ts.
 */
import { describe, expect, test } from "vitest";
import { UntranslatableError, isTranslatable, translateToRbac } from "../../../../filters/abac/node/rbac";
import type { AbacConfig } from "../../../../filters/abac/node/types";

const RBAC = "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC";

describe("filters and policies (builder.go)", () => {
  test("one RBAC filter per action, in the order AUDIT, DENY, ALLOW", () => {
    const filters = translateToRbac({
      policies: [
        { name: "a/allow", spec: { rules: [{}] } },
        { name: "a/deny", spec: { action: "DENY", rules: [{}] } },
        { name: "a/audit", spec: { action: "AUDIT", rules: [{}] } },
      ],
    });
    expect(filters.map((f) => (f.typedConfig["rules"] as { action: string }).action)).toEqual(["LOG", "DENY", "ALLOW"]);
    expect(filters.every((f) => f.name === "envoy.filters.http.rbac" && f.typedConfig["@type"] === RBAC)).toBe(true);
  });

  test("policy ids ns[<ns>]-policy[<name>]-rule[<i>]; an empty rule is any/any", () => {
    const [f] = translateToRbac({ policies: [{ name: "shop/all", spec: { rules: [{}] } }] });
    expect(f!.typedConfig["rules"]).toEqual({
      action: "ALLOW",
      policies: {
        "ns[shop]-policy[all]-rule[0]": {
          permissions: [{ and_rules: { rules: [{ any: true }] } }],
          principals: [{ and_ids: { ids: [{ any: true }] } }],
        },
      },
    });
  });

  test("spec {} becomes rbacPolicyMatchNever", () => {
    const [f] = translateToRbac({ policies: [{ name: "shop/nothing", spec: {} }] });
    expect((f!.typedConfig["rules"] as { policies: Record<string, unknown> }).policies).toEqual({
      "ns[shop]-policy[nothing]-rule[0]": {
        permissions: [{ not_rule: { any: true } }],
        principals: [{ not_id: { any: true } }],
      },
    });
  });

  test("dry-run policies go to shadow_rules with Istio's stat prefix; rules absent when all are dry-run", () => {
    const [f] = translateToRbac({ policies: [{ name: "shop/d", spec: { action: "DENY", rules: [{}] }, dryRun: true }] });
    expect(f!.typedConfig["rules"]).toBeUndefined();
    expect(f!.typedConfig["shadow_rules_stat_prefix"]).toBe("istio_dry_run_deny_");
    expect(Object.keys((f!.typedConfig["shadow_rules"] as { policies: object }).policies)).toEqual(["ns[shop]-policy[d]-rule[0]"]);
  });
});

describe("matchers (generator.go, matcher/*.go)", () => {
  function rule(config: AbacConfig): { permissions: unknown[]; principals: unknown[] } {
    const [f] = translateToRbac(config);
    const policies = (f!.typedConfig["rules"] as { policies: Record<string, { permissions: unknown[]; principals: unknown[] }> }).policies;
    return Object.values(policies)[0]!;
  }

  test("hosts: :authority with ignore_case; * is present_match", () => {
    const r = rule({ policies: [{ name: "a/p", spec: { rules: [{ to: [{ operation: { hosts: ["*.example.com", "*"] } }] }] } }] });
    expect(r.permissions[0]).toEqual({
      and_rules: {
        rules: [
          {
            or_rules: {
              rules: [
                { header: { name: ":authority", string_match: { suffix: ".example.com", ignore_case: true } } },
                { header: { name: ":authority", present_match: true } },
              ],
            },
          },
        ],
      },
    });
  });

  test("paths: url_path string matchers, templates through uri_template", () => {
    const r = rule({ policies: [{ name: "a/p", spec: { rules: [{ to: [{ operation: { paths: ["/x/*", "/a/{*}/b/{**}"] } }] }] } }] });
    const or = (r.permissions[0] as { and_rules: { rules: Array<{ or_rules: { rules: unknown[] } }> } }).and_rules.rules[0]!.or_rules.rules;
    expect(or[0]).toEqual({ url_path: { path: { prefix: "/x/" } } });
    expect(or[1]).toEqual({
      uri_template: {
        name: "uri-template",
        typed_config: {
          "@type": "type.googleapis.com/envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig",
          path_template: "/a/*/b/**",
        },
      },
    });
  });

  test("principals: spiffe:// prefix; * is regex .+; namespaces and service accounts as regexes", () => {
    const r = rule({
      policies: [
        { name: "shop/p", spec: { rules: [{ from: [{ source: { principals: ["cluster.local/ns/a/sa/b", "*"], notNamespaces: ["prod-*"] } }] }, { from: [{ source: { serviceAccounts: ["web"] } }] }] } },
      ],
    });
    expect(r.principals[0]).toEqual({
      and_ids: {
        ids: [
          {
            or_ids: {
              ids: [
                { authenticated: { principal_name: { exact: "spiffe://cluster.local/ns/a/sa/b" } } },
                { authenticated: { principal_name: { safe_regex: { regex: ".+" } } } },
              ],
            },
          },
          { not_id: { authenticated: { principal_name: { safe_regex: { regex: ".*/ns/prod-.*/.*" } } } } },
        ],
      },
    });
    const [f] = translateToRbac({ policies: [{ name: "shop/p", spec: { rules: [{ from: [{ source: { serviceAccounts: ["web"] } }] }] } }] });
    expect(JSON.stringify(f!.typedConfig)).toContain("spiffe://.+/ns/shop/(.+/|)sa/web(/.+)?");
  });

  test("waypoints: principals through filter state io.istio.peer_principal", () => {
    const [f] = translateToRbac({ identity: { source: "filterState" }, policies: [{ name: "a/p", spec: { rules: [{ from: [{ source: { principals: ["td/ns/a/sa/b"] } }] }] } }] });
    expect(JSON.stringify(f!.typedConfig)).toContain('"filter_state":{"key":"io.istio.peer_principal","string_match":{"exact":"spiffe://td/ns/a/sa/b"}}');
  });

  test("requestPrincipals: iss and sub split at the last slash", () => {
    const r = rule({ policies: [{ name: "a/p", spec: { rules: [{ from: [{ source: { requestPrincipals: ["https://idp/x/*"] } }] }] } }] });
    const meta = (claim: string, m: unknown): unknown => ({ metadata: { filter: "envoy.filters.http.jwt_authn", path: [{ key: "payload" }, { key: claim }], value: { string_match: m } } });
    expect(r.principals[0]).toEqual({ and_ids: { ids: [{ and_ids: { ids: [meta("iss", { exact: "https://idp/x" }), meta("sub", { safe_regex: { regex: ".+" } })] } }] } });
  });

  test("ipBlocks → direct_remote_ip, remoteIpBlocks → remote_ip", () => {
    const r = rule({ policies: [{ name: "a/p", spec: { rules: [{ from: [{ source: { ipBlocks: ["10.0.0.0/8"], notRemoteIpBlocks: ["192.168.1.1"] } }] }] } }] });
    expect(r.principals[0]).toEqual({
      and_ids: { ids: [{ direct_remote_ip: { address_prefix: "10.0.0.0", prefix_len: 8 } }, { not_id: { remote_ip: { address_prefix: "192.168.1.1", prefix_len: 32 } } }] },
    });
  });

  test("claims: list one_of OR the value itself (useExtendedJwt)", () => {
    const r = rule({ policies: [{ name: "a/p", spec: { rules: [{ when: [{ key: "request.auth.claims[groups]", values: ["admins"] }] }] } }] });
    const v = { string_match: { exact: "admins" } };
    expect(r.principals[0]).toEqual({
      and_ids: {
        ids: [
          {
            metadata: {
              filter: "envoy.filters.http.jwt_authn",
              path: [{ key: "payload" }, { key: "groups" }],
              value: { or_match: { value_matchers: [{ list_match: { one_of: v } }, v] } },
            },
          },
        ],
      },
    });
  });
});

describe("filter extensions are not translatable", () => {
  test.each([
    ["request.query", { when: [{ key: "request.query[a]", values: ["b"] }] }],
    ["property", { when: [{ key: "property[xds][route_name]", values: ["r"] }] }],
    ["relational", { when: [{ key: "request.headers[x]", valuesFrom: ["request.headers[y]"] }] }],
    ["named capture", { to: [{ operation: { paths: ["/t/{tenant}"] } }] }],
  ])("%s", (_name, rule) => {
    const c: AbacConfig = { policies: [{ name: "a/p", spec: { rules: [rule] } }] };
    expect(() => translateToRbac(c)).toThrow(UntranslatableError);
    expect(isTranslatable(c)).toBe(false);
  });
});
