/**
 * Configuration of the ABAC filter: valid configurations load, invalid ones are rejected with one critical line
 * naming the JSON path of the bad field (filters/abac/README.md "Configuration errors"), the empty configuration is
 * rejected, and the JSON Schema agrees with the filter wherever it can express the rule.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { parse } from "yaml";
import { createHost } from "../../../harness";
import { validateAbacConfig, validateAgainstSchema, validateWithFilter } from "../../../filters/abac/node/validate";
import { ABAC_WASM, ROOT } from "./support";

let wasm: Uint8Array;
beforeAll(() => {
  wasm = readFileSync(ABAC_WASM);
});

const deny = (rules: unknown[]): unknown => ({ policies: [{ name: "shop/p", spec: { action: "DENY", rules } }] });
const allow = (rules: unknown[]): unknown => ({ policies: [{ name: "shop/p", spec: { rules } }] });
const P = "policies[0].spec.rules[0]";

describe("valid configurations", () => {
  const examples = readdirSync(path.join(ROOT, "filters/abac/examples")).filter((f) => f.endsWith(".yaml"));

  test.each(examples)("example %s loads in the filter and passes the schema", (file) => {
    const config = parse(readFileSync(path.join(ROOT, "filters/abac/examples", file), "utf8"));
    const r = validateAbacConfig(config, { wasm });
    expect(r.errors).toEqual([]);
    expect(r.ok).toBe(true);
  });

  test("every field at once", () => {
    const config = {
      denyResponse: { status: 401, body: "no", headers: { "www-authenticate": "Bearer" } },
      identity: { source: "tls", filterStateKey: "k" },
      sourceIp: { source: "sourceAddress", filterStateKey: "k2" },
      remoteIp: { source: "xff", xffNumTrustedHops: 2 },
      paths: { escapedSlashes: "decode", mergeSlashes: false, backslashToSlash: false },
      jwt: { metadataNamespace: "ns", payloadKey: "p", spaceDelimitedClaims: [] },
      policies: [
        {
          name: "ns-1/name.with.dots",
          dryRun: true,
          denyResponse: { status: 451 },
          spec: {
            action: "DENY",
            rules: [
              {
                from: [
                  {
                    source: {
                      principals: ["a"], notPrincipals: ["b*"], requestPrincipals: ["*"], notRequestPrincipals: ["i/s"],
                      namespaces: ["n*"], notNamespaces: ["x"], trustDomains: ["td*"], notTrustDomains: ["*.local"],
                      ipBlocks: ["10.0.0.0/8", "2001:db8::/32"], notIpBlocks: ["1.2.3.4"], remoteIpBlocks: ["0.0.0.0/0"], notRemoteIpBlocks: ["::1"],
                    },
                  },
                  { source: { serviceAccounts: ["ns/sa"], notServiceAccounts: ["sa"] } },
                ],
                to: [{ operation: { hosts: ["*.x"], notHosts: ["y*"], ports: ["80"], notPorts: ["0"], methods: ["GET"], notMethods: ["P*"], paths: ["/a/{*}/{**}", "/t/{t}"], notPaths: ["*.js"] } }],
                when: [
                  { key: "request.headers[x]", values: ["a"], notValues: ["b"] },
                  { key: "request.query[q]", values: ["*"] },
                  { key: "request.auth.claims[a][b]", values: ["c"], valuesFrom: ["{t}", "request.headers[y]"] },
                  { key: "property[xds][route_name]", notValuesFrom: ["request.auth.principal"] },
                  { key: "experimental.envoy.filters.http.ext[k]", values: ["[v]", "w"] },
                  ...["source.ip", "remote.ip", "destination.ip"].map((key) => ({ key, values: ["10.0.0.1"] })),
                  { key: "destination.port", values: ["443"] },
                  { key: "connection.sni", values: ["*.example.com"] },
                  { key: "source.namespace", values: ["a"] },
                  { key: "source.principal", values: ["b"] },
                  { key: "source.serviceAccount", values: ["a/b"] },
                  { key: "source.trustDomain", values: ["td"] },
                  { key: "request.auth.principal", values: ["i/s"] },
                  { key: "request.auth.audiences", values: ["a"] },
                  { key: "request.auth.presenter", values: ["p"] },
                ],
              },
              {},
            ],
          },
        },
        { name: "ns-1/allow-nothing", spec: {} },
        { name: "ns-1/audit", spec: { action: "AUDIT" } },
      ],
    };
    expect(validateAbacConfig(config, { wasm })).toMatchObject({ ok: true, errors: [] });
  });

  test("targeting fields are accepted and reported as ignored", () => {
    const r = validateAbacConfig({ policies: [{ name: "a/b", spec: { selector: { matchLabels: { app: "x" } }, targetRefs: [], rules: [{}] } }] }, { wasm });
    expect(r.ok).toBe(true);
    expect(r.warnings).toEqual([
      "policies[0].spec.selector: ignored (the WasmPlugin attachment selects the workloads)",
      "policies[0].spec.targetRefs: ignored (the WasmPlugin attachment selects the workloads)",
    ]);
  });

  test("the configure log line counts policies and rules", () => {
    const host = createHost(wasm, { configuration: { policies: [{ name: "a/b", spec: { rules: [{}, {}] } }, { name: "a/c", spec: {} }] } });
    expect(host.logs({ source: "proxy_log" }).map((l) => l.message)).toContain("abac: configured 2 policies, 3 rules");
  });
});

describe("the empty configuration", () => {
  test("0 bytes (Istio without pluginConfig) is rejected", () => {
    expect(validateWithFilter(undefined, { wasm }).error).toBe(
      'configuration: empty; expected a JSON object such as {"policies": [{"name": "ns/name", "spec": {…}}]}',
    );
  });

  test("{} is rejected: policies is required", () => {
    expect(validateWithFilter({}, { wasm }).error).toBe("policies: required (a list of {name, spec})");
  });

  test('{"policies": []} is valid and allows everything', () => {
    const host = createHost(wasm, { configuration: { policies: [] } });
    expect(host.http({ path: "/anything" }).status).toBe(200);
  });
});

/** [description, configuration, exact error line (the filter's, after "abac: invalid configuration: ")]. */
const INVALID: Array<[string, unknown, string]> = [
  ["not JSON", "{policies: []}", "configuration: invalid JSON at line 1, column 2: unexpected 'p', expected a string key"],
  ["not an object", [], "configuration: expected an object, got array"],
  ["unknown top-level key", { policies: [], polices: [] }, 'polices: unknown field (expected one of: policies, denyResponse, identity, sourceIp, remoteIp, paths, jwt)'],
  ["policies not a list", { policies: {} }, "policies: expected a list, got object"],
  ["policy without name", { policies: [{ spec: {} }] }, 'policies[0].name: required ("<namespace>/<name>" of the AuthorizationPolicy)'],
  ["name without namespace", { policies: [{ name: "p", spec: {} }] }, `policies[0].name: "p" is not "<namespace>/<name>" (Kubernetes names: lower-case letters, digits, '-', '.')`],
  ["duplicate names", { policies: [{ name: "a/b", spec: {} }, { name: "a/b", spec: {} }] }, 'policies[1].name: duplicate policy name "a/b" (also policies[0])'],
  ["policy without spec", { policies: [{ name: "a/b" }] }, "policies[0].spec: required (the AuthorizationPolicy spec)"],
  ["dryRun not a boolean", { policies: [{ name: "a/b", spec: {}, dryRun: "true" }] }, "policies[0].dryRun: expected true or false, got string"],
  ["CUSTOM", { policies: [{ name: "a/b", spec: { action: "CUSTOM", provider: { name: "x" }, rules: [{}] } }] }, "policies[0].spec.action: CUSTOM is not supported: it delegates to an external authorizer (use Envoy ext_authz); use ALLOW, DENY or AUDIT"],
  ["unknown action", { policies: [{ name: "a/b", spec: { action: "allow" } }] }, 'policies[0].spec.action: "allow" is not one of: ALLOW, DENY, AUDIT'],
  ["provider without CUSTOM", { policies: [{ name: "a/b", spec: { provider: { name: "x" } } }] }, "policies[0].spec.provider: only valid with action CUSTOM, which is not supported"],
  ["DENY without rules", { policies: [{ name: "a/b", spec: { action: "DENY" } }] }, "policies[0].spec.rules: required for DENY (a DENY policy without rules never matches); add an empty rule {} to deny every request"],
  ["denyResponse on an ALLOW policy", { policies: [{ name: "a/b", spec: {}, denyResponse: { status: 401 } }] }, "policies[0].denyResponse: only DENY policies deny; set the top-level denyResponse for ALLOW policies"],
  ["rule is null", allow([null]), `${P}: expected an object, got null`],
  ["misspelled rule field", allow([{ form: [] }]), `${P}.form: unknown field (expected one of: from, to, when)`],
  ["empty from", allow([{ from: [] }]), `${P}.from: must not be empty (remove the field to match any source)`],
  ["empty source", allow([{ from: [{ source: {} }] }]), `${P}.from[0].source: must not be empty`],
  ["from without source", allow([{ from: [{}] }]), `${P}.from[0].source: required`],
  ["misspelled source field", allow([{ from: [{ source: { principal: ["a"] } }] }]), `${P}.from[0].source.principal: unknown field (expected one of: principals, notPrincipals, requestPrincipals, notRequestPrincipals, namespaces, notNamespaces, serviceAccounts, notServiceAccounts, trustDomains, notTrustDomains, ipBlocks, notIpBlocks, remoteIpBlocks, notRemoteIpBlocks)`],
  ["bad CIDR (the issue's example)", deny([{ from: [{ source: { ipBlocks: ["10.0.0.0/8", "10.0.0.0/33"] } }] }]), `${P}.from[0].source.ipBlocks[1]: "10.0.0.0/33" is not a CIDR (prefix length above 32)`],
  ["bad IP", deny([{ from: [{ source: { notRemoteIpBlocks: ["10.0.0.256"] } }] }]), `${P}.from[0].source.notRemoteIpBlocks[0]: "10.0.0.256" is not an IP address (IPv4 octet above 255)`],
  ["leading zero IP", deny([{ from: [{ source: { ipBlocks: ["010.0.0.1"] } }] }]), `${P}.from[0].source.ipBlocks[0]: "010.0.0.1" is not an IP address (leading zero in IPv4 octet (ambiguous: octal in some parsers))`],
  ["IPv4-mapped CIDR", deny([{ from: [{ source: { ipBlocks: ["::ffff:10.0.0.0/104"] } }] }]), `${P}.from[0].source.ipBlocks[0]: "::ffff:10.0.0.0/104": write IPv4-mapped IPv6 ranges in IPv4 form (::ffff:a.b.c.d means a.b.c.d)`],
  ["empty value list", allow([{ from: [{ source: { principals: [] } }] }]), `${P}.from[0].source.principals: must not be empty (remove the field instead)`],
  ["empty value", allow([{ from: [{ source: { principals: [""] } }] }]), `${P}.from[0].source.principals[0]: empty value not allowed`],
  ["value not a string", allow([{ to: [{ operation: { ports: [8080] } }] }]), `${P}.to[0].operation.ports[0]: expected a string, got number`],
  ["control character", allow([{ to: [{ operation: { hosts: ["a\nb"] } }] }]), `${P}.to[0].operation.hosts[0]: "a\\nb" contains a control character`],
  ["two wildcards", allow([{ from: [{ source: { principals: ["*a*"] } }] }]), `${P}.from[0].source.principals[0]: "*a*": at most one '*' is allowed`],
  ["wildcard in the middle of a path", allow([{ to: [{ operation: { paths: ["/api/*/x"] } }] }]), `${P}.to[0].operation.paths[0]: "/api/*/x": '*' is only allowed at the start or the end; use {*} for one path segment or {**} for any number`],
  ["service accounts with principals", allow([{ from: [{ source: { serviceAccounts: ["a/b"], principals: ["c"] } }] }]), `${P}.from[0].source: cannot set serviceAccounts with namespaces or principals (Istio)`],
  ["service account wildcard", allow([{ from: [{ source: { serviceAccounts: ["ns/*"] } }] }]), `${P}.from[0].source.serviceAccounts[0]: "ns/*": wildcards are not allowed in service accounts (Istio)`],
  ["service account with two slashes", allow([{ from: [{ source: { serviceAccounts: ["a/b/c"] } }] }]), `${P}.from[0].source.serviceAccounts[0]: "a/b/c" is not "serviceAccount" or "namespace/serviceAccount"`],
  ["too many service accounts", allow([{ from: [{ source: { serviceAccounts: Array.from({ length: 17 }, (_, i) => `s${i}`) } }] }]), `${P}.from[0].source.serviceAccounts: may not have more than 16 values (Istio)`],
  ["trust domain with a slash", allow([{ from: [{ source: { trustDomains: ["a/b"] } }] }]), `${P}.from[0].source.trustDomains[0]: "a/b": a trust domain must not contain '/'`],
  ["namespace with a dot", allow([{ from: [{ source: { namespaces: ["a.b"] } }] }]), `${P}.from[0].source.namespaces[0]: "a.b" is not a namespace (lower-case letters, digits, '-', and '*' wildcards)`],
  ["bad port", allow([{ to: [{ operation: { notPorts: ["http"] } }] }]), `${P}.to[0].operation.notPorts[0]: "http" is not a port (0-65535)`],
  ["template: {**} not last", allow([{ to: [{ operation: { paths: ["/a/{**}/{*}"] } }] }]), `${P}.to[0].operation.paths[0]: "/a/{**}/{*}": {**} must be the last operator in a path template`],
  ["template: bad variable", allow([{ to: [{ operation: { paths: ["/a/{1x}"] } }] }]), `${P}.to[0].operation.paths[0]: "/a/{1x}": segment "{1x}" is not {*}, {**} or {name} (a letter, then letters, digits or '_', at most 16)`],
  ["template: glob inside a segment", allow([{ to: [{ operation: { paths: ["/a/x{*}"] } }] }]), `${P}.to[0].operation.paths[0]: "/a/x{*}": segment "x{*}" is not {*}, {**} or {name} (a letter, then letters, digits or '_', at most 16)`],
  ["template: empty segment", allow([{ to: [{ operation: { paths: ["/a//{*}"] } }] }]), `${P}.to[0].operation.paths[0]: "/a//{*}": segment "" has a character a path template cannot match literally`],
  ["template: repeated variable", allow([{ to: [{ operation: { paths: ["/{a}/{a}"] } }] }]), `${P}.to[0].operation.paths[0]: "/{a}/{a}": variable {a} appears twice`],
  ["when without key", allow([{ when: [{ values: ["a"] }] }]), `${P}.when[0].key: required`],
  ["when without values", allow([{ when: [{ key: "source.ip" }] }]), `${P}.when[0]: at least one of values, notValues, valuesFrom or notValuesFrom must be set for key "source.ip"`],
  ["unknown attribute", allow([{ when: [{ key: "request.header[x]", values: ["a"] }] }]), `${P}.when[0].key: unknown attribute "request.header[x]"`],
  ["header key without a name", allow([{ when: [{ key: "request.headers[]", values: ["a"] }] }]), `${P}.when[0].key: bad key "request.headers[]": should have the form request.headers[<name>]`],
  ["destination.labels", allow([{ when: [{ key: "destination.labels[app]", values: ["a"] }] }]), `${P}.when[0].key: attribute destination.labels[app] is replaced by the workload selector (Istio)`],
  ["destination.user", allow([{ when: [{ key: "destination.user", values: ["a"] }] }]), `${P}.when[0].key: deprecated attribute destination.user: only supported in v1alpha1 (Istio)`],
  ["property not available at request headers", allow([{ when: [{ key: "property[response][code]", values: ["200"] }] }]), `${P}.when[0].key: bad key "property[response][code]": "response" is not an attribute available at request headers (request, source, destination, connection, metadata, filter_state, xds, plugin_name, plugin_root_id, plugin_vm_id, connection_id)`],
  ["bad condition IP", allow([{ when: [{ key: "destination.ip", values: ["1.2.3"] }] }]), `${P}.when[0].values[0]: "1.2.3" is not an IP address (invalid IPv4 address)`],
  ["relational: unknown capture", allow([{ to: [{ operation: { paths: ["/t/{tenant}"] } }], when: [{ key: "request.headers[x]", valuesFrom: ["{tenant_id}"] }] }]), `${P}.when[0].valuesFrom[0]: "{tenant_id}": no path template of this rule's \`to\` defines {tenant_id}`],
  ["relational: key without a single value", allow([{ when: [{ key: "source.ip", valuesFrom: ["request.headers[x]"] }] }]), `${P}.when[0].valuesFrom: key "source.ip" cannot be compared (it has no single value); see README "Relational conditions"`],
  ["denyResponse: status out of range", { policies: [], denyResponse: { status: 200 } }, "denyResponse.status: expected an integer from 300 to 599"],
  ["denyResponse: bad header name", { policies: [], denyResponse: { headers: { "x y": "1" } } }, 'denyResponse.headers.x y: "x y" is not a valid header name'],
  ["denyResponse: header value with CR", { policies: [], denyResponse: { headers: { "x-a": "1\r\nx-b: 2" } } }, "denyResponse.headers.x-a: must not contain CR, LF or NUL"],
  ["denyResponse: content-length", { policies: [], denyResponse: { headers: { "content-length": "1" } } }, "denyResponse.headers.content-length: is set by Envoy and cannot be configured"],
  ["identity source", { policies: [], identity: { source: "xfcc" } }, 'identity.source: "xfcc" is not one of: auto, tls, filterState'],
  ["remoteIp hops", { policies: [], remoteIp: { xffNumTrustedHops: -1 } }, "remoteIp.xffNumTrustedHops: expected an integer from 0 to 16"],
  ["paths option", { policies: [], paths: { escapedSlashes: "allow" } }, 'paths.escapedSlashes: "allow" is not one of: reject, decode, keep'],
];

describe("invalid configurations: one line naming the JSON path", () => {
  test.each(INVALID)("%s", (_name, config, line) => {
    expect(validateWithFilter(config, { wasm }).error).toBe(line);
  });

  test("the critical log line, with the number of further errors", () => {
    const host = createHost(wasm, { configuration: deny([{ from: [{ source: { ipBlocks: ["1.2.3.4/40", "x"] } }] }]), allowRejection: true });
    expect(host.rejection).not.toBeNull();
    const critical = host.logs({ level: "critical" }).map((l) => l.message);
    expect(critical[0]).toBe(
      `abac: invalid configuration: ${P}.from[0].source.ipBlocks[0]: "1.2.3.4/40" is not a CIDR (prefix length above 32) (and 1 more)`,
    );
  });

  test("every INVALID case is also rejected by validateAbacConfig", () => {
    for (const [name, config] of INVALID) expect(validateAbacConfig(config, { wasm }).ok, name).toBe(false);
  });
});

describe("the JSON Schema agrees with the filter", () => {
  /** Bad configurations whose rule the schema can express: both must reject. */
  const SCHEMA_EXPRESSIBLE = INVALID.filter(([name]) =>
    [
      "not an object", "unknown top-level key", "policies not a list", "policy without name", "name without namespace",
      "policy without spec", "dryRun not a boolean", "CUSTOM", "unknown action", "provider without CUSTOM", "DENY without rules",
      "denyResponse on an ALLOW policy", "rule is null", "misspelled rule field", "empty from", "empty source", "from without source",
      "misspelled source field", "empty value list", "empty value", "value not a string", "control character", "two wildcards",
      "wildcard in the middle of a path", "service accounts with principals", "service account wildcard",
      "service account with two slashes", "too many service accounts", "trust domain with a slash", "namespace with a dot",
      "bad port", "template: {**} not last", "template: bad variable", "template: glob inside a segment", "when without key",
      "when without values", "unknown attribute", "header key without a name", "destination.labels", "destination.user",
      "property not available at request headers", "denyResponse: status out of range", "denyResponse: bad header name",
      "denyResponse: header value with CR", "denyResponse: content-length", "identity source", "remoteIp hops", "paths option",
      "relational: unknown capture",
    ].includes(name),
  );

  test("the corpus is large", () => {
    expect(SCHEMA_EXPRESSIBLE.length).toBeGreaterThanOrEqual(45);
  });

  test.each(SCHEMA_EXPRESSIBLE.filter(([name]) => name !== "relational: unknown capture" && name !== "template: {**} not last"))(
    "both reject: %s",
    (_name, config) => {
      expect(validateAgainstSchema(config).length).toBeGreaterThan(0);
      expect(validateWithFilter(config, { wasm }).error).not.toBeNull();
    },
  );

  test("what the schema cannot express is left to the filter (documented in the schema description)", () => {
    for (const name of ["bad CIDR (the issue's example)", "duplicate names", "relational: unknown capture", "template: {**} not last"]) {
      const [, config] = INVALID.find(([n]) => n === name)!;
      expect(validateAgainstSchema(config), name).toEqual([]);
      expect(validateWithFilter(config, { wasm }).error, name).not.toBeNull();
    }
  });

  test("schema errors carry the same JSON path style", () => {
    expect(validateAgainstSchema(allow([{ from: [{ source: { principal: ["a"] } }] }]))).toContain(
      'policies[0].spec.rules[0].from[0].source: must NOT have additional properties ("principal")',
    );
  });
});
