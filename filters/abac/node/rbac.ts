/**
 * Translates the filter's policies to Envoy's native RBAC HTTP filters the way istiod does
 * (istio/istio pilot/pkg/security/authz/builder/builder.go, model/model.go, model/generator.go, matcher/*.go at
 * 86c9f01f): one `envoy.filters.http.rbac` per action in the order AUDIT, DENY, ALLOW; one RBAC policy per rule named
 * `ns[<ns>]-policy[<name>]-rule[<i>]`; `spec: {}` becomes a policy that never matches; dry-run policies go to
 * `shadow_rules` with the `istio_dry_run_{allow,deny}_` stat prefix.
 *
 * Used by the conformance suite, which runs the same requests through native RBAC and through the filter in real
 * Envoy. The filter's extensions (`request.query[...]`, `property[...]`, `valuesFrom`, named path captures) have
 * no RBAC equivalent: `translateToRbac` throws `UntranslatableError` naming the field.
 */
import type { AbacConfig, Condition, Operation, PolicyEntry, Rule, Source } from "./types.js";
import { parseBracketPath, policyId, splitPolicyName } from "./evaluator.js";
import { parseIpOrCidr } from "./support.js";

type Json = Record<string, unknown>;

export class UntranslatableError extends Error {}

export interface TranslateOptions {
  /** true: principals via TLS `authenticated` (sidecars); false: via filter state `io.istio.peer_principal` (waypoints). */
  useAuthenticated?: boolean;
}

export interface NativeFilter {
  name: string;
  typedConfig: Json;
}

const RBAC_TYPE = "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC";
const JWT_FILTER = "envoy.filters.http.jwt_authn";
const JWT_PAYLOAD = "payload";

const NEVER: Json = {
  permissions: [{ not_rule: { any: true } }],
  principals: [{ not_id: { any: true } }],
};

/** Envoy RBAC filters equivalent to the configuration, in chain order (AUDIT, DENY, ALLOW). */
export function translateToRbac(config: AbacConfig, options: TranslateOptions = {}): NativeFilter[] {
  const useAuthenticated = options.useAuthenticated ?? config.identity?.source !== "filterState";
  const out: NativeFilter[] = [];
  for (const [action, rbacAction] of [
    ["AUDIT", "LOG"],
    ["DENY", "DENY"],
    ["ALLOW", "ALLOW"],
  ] as const) {
    const policies = config.policies.filter((p) => (p.spec.action ?? "ALLOW") === action);
    if (policies.length === 0) continue;
    const enforced: Json = {};
    const shadow: Json = {};
    let hasEnforced = false;
    let hasShadow = false;
    for (const p of policies) {
      const target = p.dryRun ? shadow : enforced;
      if (p.dryRun) hasShadow = true;
      else hasEnforced = true;
      const rules = p.spec.rules ?? [];
      if (rules.length === 0) target[policyId(p.name, 0)] = NEVER;
      rules.forEach((r, i) => (target[policyId(p.name, i)] = translateRule(p, r, i, useAuthenticated)));
    }
    const typedConfig: Json = { "@type": RBAC_TYPE };
    if (hasEnforced) typedConfig["rules"] = { action: rbacAction, policies: enforced };
    if (hasShadow) {
      typedConfig["shadow_rules"] = { action: rbacAction, policies: shadow };
      const prefix = action === "ALLOW" ? "istio_dry_run_allow_" : action === "DENY" ? "istio_dry_run_deny_" : "";
      if (prefix) typedConfig["shadow_rules_stat_prefix"] = prefix;
    }
    out.push({ name: "envoy.filters.http.rbac", typedConfig });
  }
  return out;
}

function translateRule(p: PolicyEntry, rule: Rule, index: number, useAuthenticated: boolean): Json {
  const where = `${p.name} rules[${index}]`;
  const [policyNamespace] = splitPolicyName(p.name);
  const basePermissions: Json[] = [];
  const basePrincipals: Json[] = [];
  for (const c of rule.when ?? []) {
    const r = translateCondition(c, where, policyNamespace, useAuthenticated);
    if (r.kind === "permission") basePermissions.push(...r.items);
    else basePrincipals.push(...r.items);
  }
  const principals: Json[] = (rule.from ?? [null]).map((f) => {
    const and = f === null ? [] : sourcePrincipals(f.source, policyNamespace, useAuthenticated);
    and.push(...basePrincipals);
    return { and_ids: { ids: and.length > 0 ? and : [{ any: true }] } };
  });
  const permissions: Json[] = (rule.to ?? [null]).map((t) => {
    const and = t === null ? [] : operationPermissions(t.operation, where);
    and.push(...basePermissions);
    return { and_rules: { rules: and.length > 0 ? and : [{ any: true }] } };
  });
  return { permissions, principals };
}

// ---------------------------------------------------------------------------------------------------------------
// Sources and operations (model.go New: insertFront order is irrelevant to the result)
// ---------------------------------------------------------------------------------------------------------------

function sourcePrincipals(s: Source, ns: string, useAuth: boolean): Json[] {
  const out: Json[] = [];
  const add = (values: string[] | undefined, negative: boolean, gen: (v: string) => Json): void => {
    if (values === undefined || values.length === 0) return;
    const or = values.map(gen);
    const one = or.length === 1 ? or[0]! : { or_ids: { ids: or } };
    out.push(negative ? { not_id: one } : one);
  };
  add(s.principals, false, (v) => authenticated(stringMatcherWithPrefix(v, "spiffe://"), useAuth));
  add(s.notPrincipals, true, (v) => authenticated(stringMatcherWithPrefix(v, "spiffe://"), useAuth));
  add(s.requestPrincipals, false, requestPrincipal);
  add(s.notRequestPrincipals, true, requestPrincipal);
  add(s.namespaces, false, (v) => authenticated(namespaceRegex(v), useAuth));
  add(s.notNamespaces, true, (v) => authenticated(namespaceRegex(v), useAuth));
  add(s.serviceAccounts, false, (v) => authenticated(serviceAccountRegex(ns, v), useAuth));
  add(s.notServiceAccounts, true, (v) => authenticated(serviceAccountRegex(ns, v), useAuth));
  add(s.trustDomains, false, (v) => authenticated(trustDomainMatcher(v), useAuth));
  add(s.notTrustDomains, true, (v) => authenticated(trustDomainMatcher(v), useAuth));
  add(s.ipBlocks, false, (v) => ({ direct_remote_ip: cidrRange(v) }));
  add(s.notIpBlocks, true, (v) => ({ direct_remote_ip: cidrRange(v) }));
  add(s.remoteIpBlocks, false, (v) => ({ remote_ip: cidrRange(v) }));
  add(s.notRemoteIpBlocks, true, (v) => ({ remote_ip: cidrRange(v) }));
  return out;
}

function operationPermissions(o: Operation, where: string): Json[] {
  const out: Json[] = [];
  const add = (values: string[] | undefined, negative: boolean, gen: (v: string) => Json): void => {
    if (values === undefined || values.length === 0) return;
    const or = values.map(gen);
    const one = or.length === 1 ? or[0]! : { or_rules: { rules: or } };
    out.push(negative ? { not_rule: one } : one);
  };
  add(o.hosts, false, (v) => ({ header: headerMatcher(":authority", v, true) }));
  add(o.notHosts, true, (v) => ({ header: headerMatcher(":authority", v, true) }));
  add(o.methods, false, (v) => ({ header: headerMatcher(":method", v, false) }));
  add(o.notMethods, true, (v) => ({ header: headerMatcher(":method", v, false) }));
  add(o.paths, false, (v) => pathPermission(v, where));
  add(o.notPaths, true, (v) => pathPermission(v, where));
  add(o.ports, false, (v) => ({ destination_port: Number(v) }));
  add(o.notPorts, true, (v) => ({ destination_port: Number(v) }));
  return out;
}

function pathPermission(v: string, where: string): Json {
  if (v.includes("{*}") || v.includes("{**}")) {
    if (/\{[A-Za-z]/.test(v)) throw new UntranslatableError(`${where}: named path captures have no RBAC equivalent`);
    return {
      uri_template: {
        name: "uri-template",
        typed_config: {
          "@type": "type.googleapis.com/envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig",
          path_template: v.replaceAll("{**}", "**").replaceAll("{*}", "*"),
        },
      },
    };
  }
  if (/\{[A-Za-z]/.test(v)) throw new UntranslatableError(`${where}: named path captures have no RBAC equivalent`);
  return { url_path: { path: stringMatcher(v) } };
}

// ---------------------------------------------------------------------------------------------------------------
// Conditions (model.go New: `when` keys → permission or principal)
// ---------------------------------------------------------------------------------------------------------------

function translateCondition(
  c: Condition,
  where: string,
  ns: string,
  useAuth: boolean,
): { kind: "permission" | "principal"; items: Json[] } {
  if (c.valuesFrom || c.notValuesFrom) throw new UntranslatableError(`${where}: relational condition on ${c.key}`);
  const k = c.key;
  const simple = (
    kind: "permission" | "principal",
    gen: (v: string) => Json,
  ): { kind: "permission" | "principal"; items: Json[] } => {
    const items: Json[] = [];
    const orKey = kind === "permission" ? "or_rules" : "or_ids";
    const setKey = kind === "permission" ? "rules" : "ids";
    const notKey = kind === "permission" ? "not_rule" : "not_id";
    if (c.values && c.values.length > 0) {
      const or = c.values.map(gen);
      items.push(or.length === 1 ? or[0]! : { [orKey]: { [setKey]: or } });
    }
    if (c.notValues && c.notValues.length > 0) {
      const or = c.notValues.map(gen);
      items.push({ [notKey]: or.length === 1 ? or[0]! : { [orKey]: { [setKey]: or } } });
    }
    return { kind, items };
  };
  /** Extended generators: one matcher for all values (model.go rule.principal with `extended`). */
  const extended = (
    gen: (values: string[]) => Json,
  ): { kind: "permission" | "principal"; items: Json[] } => {
    const items: Json[] = [];
    if (c.values && c.values.length > 0) items.push(gen(c.values));
    if (c.notValues && c.notValues.length > 0) items.push({ not_id: gen(c.notValues) });
    return { kind: "principal", items };
  };
  if (k.startsWith("request.headers[")) {
    const name = k.slice("request.headers[".length, -1);
    return simple("principal", (v) => ({ header: headerMatcher(name, v, false) }));
  }
  if (k.startsWith("request.auth.claims[")) {
    const claims = parseBracketPath(k.slice("request.auth.claims".length));
    return extended((values) => ({ metadata: jwtClaimListMatcher(claims, values) }));
  }
  if (k.startsWith("experimental.envoy.filters.")) {
    const open = k.indexOf("[");
    const filter = k.slice("experimental.".length, open);
    const key = k.slice(open + 1, -1);
    const gen = (values: string[]): Json => {
      const matchers = values.map((v) =>
        v.startsWith("[") && v.endsWith("]")
          ? { list_match: { one_of: { string_match: stringMatcher(v.slice(1, -1)) } } }
          : { string_match: stringMatcher(v) },
      );
      return { metadata: { filter, path: [{ key }], value: orValue(matchers) } };
    };
    const items: Json[] = [];
    if (c.values && c.values.length > 0) items.push(gen(c.values));
    if (c.notValues && c.notValues.length > 0) items.push({ not_rule: gen(c.notValues) });
    return { kind: "permission", items };
  }
  switch (k) {
    case "destination.ip":
      return simple("permission", (v) => ({ destination_ip: cidrRange(v) }));
    case "destination.port":
      return simple("permission", (v) => ({ destination_port: Number(v) }));
    case "connection.sni":
      return simple("permission", (v) => ({ requested_server_name: stringMatcher(v) }));
    case "source.ip":
      return simple("principal", (v) => ({ direct_remote_ip: cidrRange(v) }));
    case "remote.ip":
      return simple("principal", (v) => ({ remote_ip: cidrRange(v) }));
    case "source.namespace":
      return simple("principal", (v) => authenticated(namespaceRegex(v), useAuth));
    case "source.trustDomain":
      return simple("principal", (v) => authenticated(trustDomainMatcher(v), useAuth));
    case "source.serviceAccount":
      return simple("principal", (v) => authenticated(serviceAccountRegex(ns, v), useAuth));
    case "source.principal":
      return simple("principal", (v) => authenticated(stringMatcherWithPrefix(v, "spiffe://"), useAuth));
    case "request.auth.principal": {
      const gen = (values: string[]): Json => {
        const or = values.map(requestPrincipal);
        return or.length === 1 ? or[0]! : { or_ids: { ids: or } };
      };
      return extended(gen);
    }
    case "request.auth.audiences":
      return extended((values) => ({ metadata: jwtClaimListMatcher(["aud"], values) }));
    case "request.auth.presenter":
      return extended((values) => ({ metadata: jwtClaimListMatcher(["azp"], values) }));
  }
  throw new UntranslatableError(`${where}: condition key ${k} has no RBAC equivalent`);
}

// ---------------------------------------------------------------------------------------------------------------
// Matchers (istio matcher/string.go, header.go, metadata.go; model/generator.go; model/util.go)
// ---------------------------------------------------------------------------------------------------------------

function regexQuote(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, "\\$&");
}

/** StringMatcherWithPrefix(v, ""). */
export function stringMatcher(v: string): Json {
  return stringMatcherWithPrefix(v, "");
}

function stringMatcherWithPrefix(v: string, prefix: string): Json {
  if (v === "*") return { safe_regex: { regex: ".+" } };
  if (v.startsWith("*")) {
    if (prefix === "") return { suffix: v.slice(1) };
    return { safe_regex: { regex: prefix + ".*" + regexQuote(v.slice(1)) } };
  }
  if (v.endsWith("*")) return { prefix: prefix + v.slice(0, -1) };
  return { exact: prefix + v };
}

/** HeaderMatcher / HostMatcher. */
function headerMatcher(name: string, v: string, ignoreCase: boolean): Json {
  if (v === "*") return { name, present_match: true };
  const ic = ignoreCase ? { ignore_case: true } : {};
  if (v.startsWith("*")) return { name, string_match: { suffix: v.slice(1), ...ic } };
  if (v.endsWith("*")) return { name, string_match: { prefix: v.slice(0, -1), ...ic } };
  return { name, string_match: { exact: v, ...ic } };
}

function namespaceRegex(v: string): Json {
  return { safe_regex: { regex: `.*/ns/${v.replaceAll("*", ".*")}/.*` } };
}

function serviceAccountRegex(policyNs: string, v: string): Json {
  const slash = v.indexOf("/");
  const ns = slash >= 0 ? v.slice(0, slash) : policyNs;
  const sa = slash >= 0 ? v.slice(slash + 1) : v;
  return { safe_regex: { regex: `spiffe://.+/ns/${ns}/(.+/|)sa/${sa}(/.+)?` } };
}

function trustDomainMatcher(v: string): Json {
  if (v === "*") return { prefix: "spiffe://" };
  if (!v.includes("*")) return { prefix: `spiffe://${v}/` };
  const star = v.indexOf("*");
  return { safe_regex: { regex: `spiffe://${regexQuote(v.slice(0, star))}[^/]*${regexQuote(v.slice(star + 1))}/.*` } };
}

function authenticated(m: Json, useAuthenticated: boolean): Json {
  if (useAuthenticated) return { authenticated: { principal_name: m } };
  return { filter_state: { key: "io.istio.peer_principal", string_match: m } };
}

function cidrRange(v: string): Json {
  const c = parseIpOrCidr(v);
  if (c === null) throw new UntranslatableError(`bad CIDR ${v}`);
  // Istio util.AddrStrToCidrRange: the address as written (Envoy masks host bits), the prefix length.
  const addr = v.includes("/") ? v.slice(0, v.indexOf("/")) : v;
  return { address_prefix: addr, prefix_len: c.prefixLength };
}

function orValue(matchers: Json[]): Json {
  return matchers.length === 1 ? matchers[0]! : { or_match: { value_matchers: matchers } };
}

/** MetadataListValueMatcherForJWTClaims with useExtendedJwt=true: list `one_of` OR the value itself. */
function jwtClaimListMatcher(claims: string[], values: string[]): Json {
  const value = orValue(values.map((v) => ({ string_match: stringMatcher(v) })));
  return {
    filter: JWT_FILTER,
    path: [JWT_PAYLOAD, ...claims].map((key) => ({ key })),
    value: { or_match: { value_matchers: [{ list_match: { one_of: value } }, value] } },
  };
}

function jwtClaimStringMatcher(claim: string, m: Json): Json {
  return { metadata: { filter: JWT_FILTER, path: [{ key: JWT_PAYLOAD }, { key: claim }], value: { string_match: m } } };
}

/** requestPrincipalGenerator: split at the last "/", wildcards per side; iss AND sub. */
function requestPrincipal(value: string): Json {
  const any: Json = { safe_regex: { regex: ".+" } };
  const idx = value.lastIndexOf("/");
  const found = idx >= 0;
  const iss = found ? value.slice(0, idx) : value;
  const sub = found ? value.slice(idx + 1) : "";
  let mi: Json;
  let ms: Json;
  if (value === "*") {
    mi = any;
    ms = any;
  } else if (value.startsWith("*")) {
    if (found) {
      mi = iss === "*" ? any : { suffix: iss.slice(1) };
      ms = { exact: sub };
    } else {
      mi = any;
      ms = { suffix: value.slice(1) };
    }
  } else if (value.endsWith("*")) {
    if (found) {
      mi = { exact: iss };
      ms = sub === "*" ? any : { prefix: sub.slice(0, -1) };
    } else {
      mi = { prefix: value.slice(0, -1) };
      ms = any;
    }
  } else {
    mi = { exact: iss };
    ms = { exact: sub };
  }
  return { and_ids: { ids: [jwtClaimStringMatcher("iss", mi), jwtClaimStringMatcher("sub", ms)] } };
}

/** Whether a configuration uses only features RBAC can express (the conformance corpus filter). */
export function isTranslatable(config: AbacConfig): boolean {
  try {
    translateToRbac(config);
    return true;
  } catch (e) {
    if (e instanceof UntranslatableError) return false;
    throw e;
  }
}
