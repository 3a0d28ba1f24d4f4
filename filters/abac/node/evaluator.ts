/**
 * Reference evaluator of the ABAC filter's semantics, written for clarity rather than speed: no indexes, no
 * caching, one function per concept. It is the oracle of the property tests (`test/filters/abac/property.test.ts`)
 * and the executable form of the decision rules documented in `filters/abac/README.md`.
 *
 * It assumes a configuration the filter accepted (validation is `validate.ts`'s job).
 *
 * Decision order (Istio, authorization_policy.proto): enforced DENY policies first — any match denies; then, if at
 * least one enforced ALLOW policy exists, the request is allowed only when one matches; otherwise allowed. AUDIT
 * policies and dry-run policies never change the decision. Within a group, rules are tried in lexicographic order
 * of their RBAC policy id `ns[<ns>]-policy[<name>]-rule[<i>]` (Envoy RBAC evaluates policies in that order), so the
 * reported policy is the one Envoy's RBAC would report.
 *
 * "Resolve toward denial": an attribute may have several readings (views) — a repeated header read joined and
 * value by value, a raw and a normalized path, a method as sent and upper-cased, an IPv4-mapped IPv6 address in both
 * forms, a host with and without a trailing dot. A constraint in a DENY (or AUDIT) rule holds when it holds for
 * SOME reading; in an ALLOW rule it holds only when it holds for EVERY reading. An attribute that must exist but
 * could not be read (a network address, an unparseable path) is "unknown": every constraint on it holds in DENY
 * rules and fails in ALLOW rules. An attribute that is legitimately absent (no header, no JWT, no client
 * certificate) follows Istio: positive constraints fail, negative constraints (`not*`, `notValues`) hold.
 */
import type { AbacConfig, AuthorizationPolicySpec, Condition, Operation, Rule, Source } from "./types.js";
import { DEFAULTS } from "./types.js";
import type { RequestFacts } from "./request.js";
import { header } from "./request.js";
import {
  type Pattern,
  asciiLower,
  asciiUpper,
  isTemplate,
  matchHeaderValue,
  matchNamespace,
  matchPrincipal,
  matchRequestPrincipal,
  matchServiceAccount,
  matchString,
  matchTemplate,
  matchTrustDomain,
  parsePattern,
  parseTemplate,
  re2DotPlus,
} from "./patterns.js";
import { cidrContains, decodeQueryComponent, ipAlternateForm, normalizePathForPolicy, parseAddressIp, parseIpOrCidr } from "./support.js";

export type Action = "ALLOW" | "DENY" | "AUDIT";
/** Which way ambiguity resolves: "deny" for DENY/AUDIT rules, "allow" for ALLOW rules. */
type Side = "allow" | "deny";

export interface Verdict {
  decision: "allow" | "deny";
  /** `<ns>/<name>` of the deciding policy; "none" when denied because no ALLOW policy matched; null when allowed by default. */
  policy: string | null;
  rule: number | null;
  /** Envoy RBAC policy id of the deciding rule (`ns[..]-policy[..]-rule[..]`), "none" for the default deny. */
  policyId: string | null;
  /** Response details Envoy RBAC would set: `rbac_access_denied_matched_policy[<id>]`. */
  responseCodeDetails: string | null;
  deny: { status: number; body: string; headers: Record<string, string> } | null;
  /** Decision if every dry-run policy were enforced too (only when the configuration has dry-run policies). */
  shadow: { decision: "allow" | "deny"; policy: string | null; rule: number | null } | null;
  /** First matching AUDIT policy. */
  audit: { policy: string; rule: number } | null;
  /** True when an unknown attribute was consulted (the filter counts and logs it). */
  usedUnknown: boolean;
}

interface CompiledRule {
  policy: string;
  namespace: string;
  index: number;
  id: string;
  rule: Rule | null; // null = the match-never rule of `spec: {}`
}

interface Group {
  rules: CompiledRule[];
  hasPolicies: boolean;
}

/** Splits `ns/name` → [ns, name]. */
export function splitPolicyName(name: string): [string, string] {
  const slash = name.indexOf("/");
  return [name.slice(0, slash), name.slice(slash + 1)];
}

export function policyId(name: string, ruleIndex: number): string {
  const [ns, n] = splitPolicyName(name);
  return `ns[${ns}]-policy[${n}]-rule[${ruleIndex}]`;
}

function actionOf(spec: AuthorizationPolicySpec): Action {
  return (spec.action ?? "ALLOW") as Action;
}

function buildGroup(config: AbacConfig, action: Action, dryRun: boolean): Group {
  const rules: CompiledRule[] = [];
  let hasPolicies = false;
  for (const p of config.policies) {
    if (actionOf(p.spec) !== action || (p.dryRun ?? false) !== dryRun) continue;
    hasPolicies = true;
    const [namespace] = splitPolicyName(p.name);
    const specRules = p.spec.rules ?? [];
    if (specRules.length === 0) {
      rules.push({ policy: p.name, namespace, index: 0, id: policyId(p.name, 0), rule: null });
    }
    specRules.forEach((r, i) => rules.push({ policy: p.name, namespace, index: i, id: policyId(p.name, i), rule: r }));
  }
  rules.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { rules, hasPolicies };
}

/** Evaluates one request against a configuration. */
export function evaluate(config: AbacConfig, facts: RequestFacts): Verdict {
  const ctx = new Context(config, facts);
  const denyEnforced = buildGroup(config, "DENY", false);
  const allowEnforced = buildGroup(config, "ALLOW", false);
  const audit = buildGroup(config, "AUDIT", false);
  const denyDry = buildGroup(config, "DENY", true);
  const allowDry = buildGroup(config, "ALLOW", true);
  const auditDry = buildGroup(config, "AUDIT", true);

  const enforced = decide(ctx, denyEnforced.rules, allowEnforced);

  let shadow: Verdict["shadow"] = null;
  if (denyDry.hasPolicies || allowDry.hasPolicies || auditDry.hasPolicies) {
    const allDeny = [...denyEnforced.rules, ...denyDry.rules].sort(byId);
    const allAllow: Group = {
      rules: [...allowEnforced.rules, ...allowDry.rules].sort(byId),
      hasPolicies: allowEnforced.hasPolicies || allowDry.hasPolicies,
    };
    const s = decide(ctx, allDeny, allAllow);
    shadow = { decision: s.decision, policy: s.policy, rule: s.rule };
  }

  let auditHit: Verdict["audit"] = null;
  for (const r of audit.rules) {
    if (ruleMatches(ctx, r, "deny")) {
      auditHit = { policy: r.policy, rule: r.index };
      break;
    }
  }

  let deny: Verdict["deny"] = null;
  if (enforced.decision === "deny") {
    const entry = config.policies.find((p) => p.name === enforced.policy);
    const d = entry?.denyResponse ?? config.denyResponse ?? {};
    deny = {
      status: d.status ?? DEFAULTS.denyStatus,
      body: d.body ?? DEFAULTS.denyBody,
      headers: { ...(d.headers ?? {}) },
    };
  }
  return {
    decision: enforced.decision,
    policy: enforced.policy,
    rule: enforced.rule,
    policyId: enforced.id,
    responseCodeDetails: enforced.decision === "deny" ? `rbac_access_denied_matched_policy[${enforced.id}]` : null,
    deny,
    shadow,
    audit: auditHit,
    usedUnknown: ctx.usedUnknown,
  };
}

function byId(a: CompiledRule, b: CompiledRule): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function decide(
  ctx: Context,
  denyRules: CompiledRule[],
  allow: Group,
): { decision: "allow" | "deny"; policy: string | null; rule: number | null; id: string | null } {
  for (const r of denyRules) {
    if (ruleMatches(ctx, r, "deny")) return { decision: "deny", policy: r.policy, rule: r.index, id: r.id };
  }
  if (!allow.hasPolicies) return { decision: "allow", policy: null, rule: null, id: null };
  for (const r of allow.rules) {
    if (ruleMatches(ctx, r, "allow")) return { decision: "allow", policy: r.policy, rule: r.index, id: r.id };
  }
  return { decision: "deny", policy: "none", rule: null, id: "none" };
}

// -------------------------------------------------------------------------------------------------------------
// Rules
// -------------------------------------------------------------------------------------------------------------

/** Istio rule semantics: some `from` AND some `to` AND every `when` (an empty rule matches everything). */
function ruleMatches(ctx: Context, r: CompiledRule, side: Side): boolean {
  if (r.rule === null) return false;
  const rule = r.rule;
  if (rule.from && !rule.from.some((f) => sourceMatches(ctx, f.source, r.namespace, side))) return false;
  // Captures bound by the matching operation's path template, one binding set per path reading.
  const operations = rule.to ?? [null];
  for (const op of operations) {
    let bindings: Array<Record<string, string>> = [{}];
    if (op !== null) {
      const b = operationMatches(ctx, op.operation, side);
      if (b === null) continue;
      bindings = b;
    }
    if ((rule.when ?? []).every((c) => conditionMatches(ctx, c, r.namespace, side, bindings))) return true;
  }
  return false;
}

function sourceMatches(ctx: Context, s: Source, policyNamespace: string, side: Side): boolean {
  const checks: Array<[string[] | undefined, boolean, () => Attr, Matcher]> = [
    [s.principals, false, () => ctx.identityNames(), principalMatcher],
    [s.notPrincipals, true, () => ctx.identityNames(), principalMatcher],
    [s.requestPrincipals, false, () => ctx.requestPrincipal(), requestPrincipalMatcher],
    [s.notRequestPrincipals, true, () => ctx.requestPrincipal(), requestPrincipalMatcher],
    [s.namespaces, false, () => ctx.identityNames(), namespaceMatcher],
    [s.notNamespaces, true, () => ctx.identityNames(), namespaceMatcher],
    [s.serviceAccounts, false, () => ctx.identityNames(), serviceAccountMatcher(policyNamespace)],
    [s.notServiceAccounts, true, () => ctx.identityNames(), serviceAccountMatcher(policyNamespace)],
    [s.trustDomains, false, () => ctx.identityNames(), trustDomainMatcher],
    [s.notTrustDomains, true, () => ctx.identityNames(), trustDomainMatcher],
    [s.ipBlocks, false, () => ctx.sourceIp(), ipMatcher],
    [s.notIpBlocks, true, () => ctx.sourceIp(), ipMatcher],
    [s.remoteIpBlocks, false, () => ctx.remoteIp(), ipMatcher],
    [s.notRemoteIpBlocks, true, () => ctx.remoteIp(), ipMatcher],
  ];
  return checks.every(([values, negative, attr, m]) => values === undefined || fieldHolds(attr(), values, negative, side, m));
}

/** Returns the capture bindings (one per path reading) when the operation matches, else null. */
function operationMatches(ctx: Context, o: Operation, side: Side): Array<Record<string, string>> | null {
  const simple: Array<[string[] | undefined, boolean, () => Attr, Matcher]> = [
    [o.hosts, false, () => ctx.host(), hostMatcher],
    [o.notHosts, true, () => ctx.host(), hostMatcher],
    [o.methods, false, () => ctx.method(), headerMatcher],
    [o.notMethods, true, () => ctx.method(), headerMatcher],
    [o.ports, false, () => ctx.destinationPort(), exactMatcher],
    [o.notPorts, true, () => ctx.destinationPort(), exactMatcher],
    [o.notPaths, true, () => ctx.path(), pathMatcher],
  ];
  if (!simple.every(([values, negative, attr, m]) => values === undefined || fieldHolds(attr(), values, negative, side, m))) {
    return null;
  }
  if (o.paths === undefined) return [{}];
  const path = ctx.path();
  if (!fieldHolds(path, o.paths, false, side, pathMatcher)) return null;
  if (path.kind !== "views") return [{}]; // unknown path on the deny side: no captures
  // Bindings per reading, from the first template (in order) that matches that reading.
  const out: Array<Record<string, string>> = [];
  for (const view of path.strict) {
    for (const p of o.paths) {
      if (!isTemplate(p)) {
        if (pathMatcher(view as string, p)) {
          out.push({});
          break;
        }
        continue;
      }
      const m = matchTemplate(view as string, parseTemplate(p));
      if (m !== null) {
        out.push(m);
        break;
      }
    }
  }
  return out.length > 0 ? out : [{}];
}

function conditionMatches(
  ctx: Context,
  c: Condition,
  policyNamespace: string,
  side: Side,
  bindings: Array<Record<string, string>>,
): boolean {
  const { attr, matcher } = conditionAttribute(ctx, c.key, policyNamespace);
  if (c.values && !fieldHolds(attr(), c.values, false, side, matcher)) return false;
  if (c.notValues && !fieldHolds(attr(), c.notValues, true, side, matcher)) return false;
  if (c.valuesFrom && !relationHolds(ctx, c.key, c.valuesFrom, false, side, bindings, policyNamespace)) return false;
  if (c.notValuesFrom && !relationHolds(ctx, c.key, c.notValuesFrom, true, side, bindings, policyNamespace)) return false;
  return true;
}

// -------------------------------------------------------------------------------------------------------------
// Field evaluation ("resolve toward denial")
// -------------------------------------------------------------------------------------------------------------

/**
 * An attribute reading. `views` lists the readings; a reading is a string or, for list-valued attributes (JWT list
 * claims, the peer's certificate names), an array that matches when ANY element matches (Envoy ListMatcher /
 * AuthenticatedMatcher). `broad` adds readings that may denote the same thing (a host without its port); they
 * only ever widen DENY positives and narrow ALLOW negatives.
 */
type View = string | string[];
type Attr =
  | { kind: "absent" }
  | { kind: "unknown" }
  | { kind: "views"; strict: View[]; broad: View[] };
type Matcher = (view: string, value: string) => boolean;

const absent: Attr = { kind: "absent" };
const unknown: Attr = { kind: "unknown" };
function views(strict: View[], broad: View[] = strict): Attr {
  return strict.length === 0 ? absent : { kind: "views", strict: dedupe(strict), broad: dedupe([...strict, ...broad]) };
}
function dedupe(v: View[]): View[] {
  const seen = new Set<string>();
  return v.filter((x) => {
    const k = JSON.stringify(x);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function fieldHolds(attr: Attr, values: string[], negative: boolean, side: Side, m: Matcher): boolean {
  if (attr.kind === "unknown") return side === "deny";
  if (attr.kind === "absent") return negative;
  const useBroad = negative ? side === "allow" : side === "deny";
  const vs = useBroad ? attr.broad : attr.strict;
  const matchesView = (v: View): boolean =>
    typeof v === "string" ? values.some((x) => m(v, x)) : v.some((e) => values.some((x) => m(e, x)));
  if (!negative) return side === "deny" ? vs.some(matchesView) : vs.every(matchesView);
  return side === "deny" ? vs.some((v) => !matchesView(v)) : vs.every((v) => !matchesView(v));
}

const principalMatcher: Matcher = (name, v) => matchPrincipal(name, parsePattern(v));
const namespaceMatcher: Matcher = (name, v) => matchNamespace(name, v);
const serviceAccountMatcher =
  (ns: string): Matcher =>
  (name, v) =>
    matchServiceAccount(name, v, ns);
const trustDomainMatcher: Matcher = (name, v) => matchTrustDomain(name, v);
const requestPrincipalMatcher: Matcher = (issSub, v) => {
  const [iss, sub] = JSON.parse(issSub) as [string, string];
  return matchRequestPrincipal(iss, sub, v);
};
const ipMatcher: Matcher = (ip, v) => cidrContains(parseIpOrCidr(v)!, ip);
const headerMatcher: Matcher = (value, v) => matchHeaderValue(value, parsePattern(v));
const hostMatcher: Matcher = (value, v) => matchHeaderValue(value, parsePattern(v), true);
const stringMatcher: Matcher = (value, v) => matchString(value, parsePattern(v));
const exactMatcher: Matcher = (value, v) => value === v;
const pathMatcher: Matcher = (path, v) => (isTemplate(v) ? matchTemplate(path, parseTemplate(v)) !== null : matchString(path, parsePattern(v)));

// -------------------------------------------------------------------------------------------------------------
// Conditions
// -------------------------------------------------------------------------------------------------------------

function conditionAttribute(ctx: Context, key: string, policyNamespace: string): { attr: () => Attr; matcher: Matcher } {
  const bracket = (prefix: string): string | null =>
    key.startsWith(prefix + "[") && key.endsWith("]") ? key.slice(prefix.length + 1, -1) : null;
  let name: string | null;
  if ((name = bracket("request.headers")) !== null) {
    const n = name;
    return { attr: () => ctx.header(n), matcher: headerMatcher };
  }
  if ((name = bracket("request.query")) !== null) {
    const n = name;
    return { attr: () => ctx.query(n), matcher: headerMatcher };
  }
  if (key.startsWith("request.auth.claims[")) {
    const path = parseBracketPath(key.slice("request.auth.claims".length));
    return { attr: () => ctx.claim(path), matcher: stringMatcher };
  }
  if (key.startsWith("property[")) {
    const path = parseBracketPath(key.slice("property".length));
    return { attr: () => ctx.property(path), matcher: stringMatcher };
  }
  if (key.startsWith("experimental.envoy.filters.")) {
    const open = key.indexOf("[");
    const ns = key.slice("experimental.".length, open);
    const field = key.slice(open + 1, -1);
    return {
      attr: () => ctx.metadataValue(ns, [field]),
      // A value `[v]` matches a list element; `v` matches a string value (istio generator.go envoyFilterGenerator).
      matcher: (view, v) => matchString(view, parsePattern(v.startsWith("[") && v.endsWith("]") ? v.slice(1, -1) : v)),
    };
  }
  switch (key) {
    case "source.ip":
      return { attr: () => ctx.sourceIp(), matcher: ipMatcher };
    case "remote.ip":
      return { attr: () => ctx.remoteIp(), matcher: ipMatcher };
    case "source.namespace":
      return { attr: () => ctx.identityNames(), matcher: namespaceMatcher };
    case "source.principal":
      return { attr: () => ctx.identityNames(), matcher: principalMatcher };
    case "source.serviceAccount":
      return { attr: () => ctx.identityNames(), matcher: serviceAccountMatcher(policyNamespace) };
    case "source.trustDomain":
      return { attr: () => ctx.identityNames(), matcher: trustDomainMatcher };
    case "request.auth.principal":
      return { attr: () => ctx.requestPrincipal(), matcher: requestPrincipalMatcher };
    case "request.auth.audiences":
      return { attr: () => ctx.claim(["aud"]), matcher: stringMatcher };
    case "request.auth.presenter":
      return { attr: () => ctx.claim(["azp"]), matcher: stringMatcher };
    case "destination.ip":
      return { attr: () => ctx.destinationIp(), matcher: ipMatcher };
    case "destination.port":
      return { attr: () => ctx.destinationPort(), matcher: exactMatcher };
    case "connection.sni":
      return { attr: () => ctx.sni(), matcher: stringMatcher };
  }
  throw new Error(`reference evaluator: unsupported condition key ${key}`);
}

/** `[a][b.c]` → ["a", "b.c"]. */
export function parseBracketPath(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    const close = s.indexOf("]", i);
    out.push(s.slice(i + 1, close));
    i = close + 1;
  }
  return out;
}

/**
 * Relational condition: the single value of `key` equals (or, negated, differs from) the single value of some
 * listed attribute / `{capture}`. Indeterminate (absent, unknown or several values on either side) resolves
 * toward denial: holds in DENY rules, fails in ALLOW rules. Captures are checked for every path reading in ALLOW
 * rules and for some reading in DENY rules.
 */
function relationHolds(
  ctx: Context,
  key: string,
  refs: string[],
  negative: boolean,
  side: Side,
  bindings: Array<Record<string, string>>,
  policyNamespace: string,
): boolean {
  const left = ctx.singleValue(key, policyNamespace);
  const perBinding = bindings.map((b) => {
    if (left === null) return null;
    let anyIndeterminate = false;
    let anyEqual = false;
    for (const ref of refs) {
      const right = ref.startsWith("{") ? (b[ref.slice(1, -1)] ?? null) : ctx.singleValue(ref, policyNamespace);
      if (right === null) anyIndeterminate = true;
      else if (right === left) anyEqual = true;
    }
    if (!negative) return anyEqual ? true : anyIndeterminate ? null : false;
    return anyEqual ? false : anyIndeterminate ? null : true;
  });
  const resolved = perBinding.map((r) => (r === null ? side === "deny" : r));
  return side === "deny" ? resolved.some((x) => x) : resolved.every((x) => x);
}

// -------------------------------------------------------------------------------------------------------------
// Attribute readings
// -------------------------------------------------------------------------------------------------------------

class Context {
  usedUnknown = false;
  constructor(
    readonly config: AbacConfig,
    readonly facts: RequestFacts,
  ) {}

  private unknown(): Attr {
    this.usedUnknown = true;
    return unknown;
  }

  header(name: string): Attr {
    const values = header(this.facts, name);
    if (values.length === 0) return absent;
    // Envoy RBAC matches the values joined with "," (HeaderUtility::getAllOfHeaderAsString); the filter also
    // reads each value.
    return views([values.join(","), ...values]);
  }

  method(): Attr {
    const m = header(this.facts, ":method");
    if (m.length === 0) return absent;
    return views([m.join(","), ...m, ...m.map(asciiUpper)]);
  }

  host(): Attr {
    const a = header(this.facts, ":authority");
    if (a.length === 0) return absent;
    const strict: string[] = [];
    const broad: string[] = [];
    for (const raw of [a.join(","), ...a]) {
      const lower = asciiLower(raw);
      const { host, port } = splitHostPort(lower);
      const noDot = host.endsWith(".") ? host.slice(0, -1) : host;
      strict.push(lower, noDot + port);
      broad.push(host, noDot);
    }
    return views(strict, broad);
  }

  path(): Attr {
    const p = header(this.facts, ":path");
    if (p.length !== 1) return p.length === 0 ? absent : this.unknown();
    const raw = p[0]!;
    const received = raw.slice(0, firstOf(raw, "?#"));
    const options = {
      escapedSlashes: this.config.paths?.escapedSlashes ?? DEFAULTS.escapedSlashes,
      mergeSlashes: this.config.paths?.mergeSlashes ?? DEFAULTS.mergeSlashes,
      backslashToSlash: this.config.paths?.backslashToSlash ?? DEFAULTS.backslashToSlash,
    };
    const normalized = normalizePathForPolicy(raw, options);
    if (normalized === null) return this.unknown();
    const out = [normalized, received];
    // Backends that merge slashes before resolving dot segments.
    if (received.includes("//")) {
      const merged = normalizePathForPolicy(received.replace(/\/{2,}/g, "/"), options);
      if (merged === null) return this.unknown();
      out.push(merged);
    }
    // Backends that drop `;parameters` from every segment.
    if (received.includes(";")) {
      const stripped = normalizePathForPolicy(
        received.replace(/\/{2,}/g, "/").replace(/;[^/]*/g, ""),
        options,
      );
      if (stripped === null) return this.unknown();
      out.push(stripped);
    }
    return views(out);
  }

  /** Raw values of every occurrence of query parameter `name` (matched raw or decoded); null without a query. */
  queryOccurrences(name: string): string[] | null {
    const p = header(this.facts, ":path");
    if (p.length !== 1) return null;
    const raw = p[0]!;
    const q = raw.indexOf("?");
    if (q < 0) return null;
    let query = raw.slice(q + 1);
    const hash = query.indexOf("#");
    if (hash >= 0) query = query.slice(0, hash);
    const out: string[] = [];
    for (const part of query.split("&")) {
      if (part === "") continue;
      const eq = part.indexOf("=");
      const rawName = eq >= 0 ? part.slice(0, eq) : part;
      if (rawName !== name && decodeQueryComponent(rawName) !== name) continue;
      out.push(eq >= 0 ? part.slice(eq + 1) : "");
    }
    return out;
  }

  query(name: string): Attr {
    const occ = this.queryOccurrences(name) ?? [];
    return views(occ.flatMap((v) => [v, decodeQueryComponent(v)]));
  }

  destinationPort(): Attr {
    return this.facts.destinationPort === undefined ? this.unknown() : views([String(this.facts.destinationPort)]);
  }

  destinationIp(): Attr {
    const ip = this.facts.destinationAddress === undefined ? null : parseAddressIp(this.facts.destinationAddress);
    return ip === null ? this.unknown() : ipViews(ip);
  }

  sourceIp(): Attr {
    const mode = this.config.sourceIp?.source ?? DEFAULTS.sourceIpSource;
    const raw =
      mode === "sourceAddress"
        ? this.facts.sourceAddress
        : this.facts.filterState?.[this.config.sourceIp?.filterStateKey ?? DEFAULTS.sourceIpFilterStateKey];
    const ip = raw === undefined ? null : parseAddressIp(raw);
    return ip === null ? this.unknown() : ipViews(ip);
  }

  remoteIp(): Attr {
    const mode = this.config.remoteIp?.source ?? DEFAULTS.remoteIpSource;
    if (mode === "xff") {
      const hops = this.config.remoteIp?.xffNumTrustedHops ?? DEFAULTS.xffNumTrustedHops;
      const entries = header(this.facts, "x-forwarded-for")
        .join(",")
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "");
      const pick = entries.length - 1 - hops;
      if (pick >= 0) {
        const ip = parseAddressIp(entries[pick]!);
        if (ip !== null) return ipViews(ip);
      }
    }
    const ip = this.facts.sourceAddress === undefined ? null : parseAddressIp(this.facts.sourceAddress);
    return ip === null ? this.unknown() : ipViews(ip);
  }

  sni(): Attr {
    return this.facts.sni === undefined ? absent : views([this.facts.sni]);
  }

  /** The peer's names, matched like Envoy RBAC `authenticated` / the waypoint `filter_state` matcher (any name). */
  identityNames(): Attr {
    const names = this.identityList();
    return names === null ? absent : views([names]);
  }

  private identityList(): string[] | null {
    const source = this.config.identity?.source ?? DEFAULTS.identitySource;
    const key = this.config.identity?.filterStateKey ?? DEFAULTS.peerPrincipalFilterStateKey;
    const fs = this.facts.filterState?.[key];
    if (source !== "tls" && fs !== undefined) return [fs];
    if (source === "filterState") return null;
    const cert = this.facts.peerCertificate;
    if (cert === undefined) return null;
    // The filter reads Envoy's connection.uri_san_peer_certificate / dns_san_peer_certificate (first entry each)
    // and subject_peer_certificate, in RBAC `authenticated` order.
    const names: string[] = [];
    if (cert.uriSans && cert.uriSans.length > 0) names.push(cert.uriSans[0]!);
    if (cert.dnsSans && cert.dnsSans.length > 0) names.push(cert.dnsSans[0]!);
    names.push(cert.subject ?? "");
    return names;
  }

  private jwtPayload(): Record<string, unknown> | null {
    const ns = this.config.jwt?.metadataNamespace ?? DEFAULTS.jwtMetadataNamespace;
    const key = this.config.jwt?.payloadKey ?? DEFAULTS.jwtPayloadKey;
    const p = this.facts.dynamicMetadata?.[ns]?.[key];
    return p !== null && typeof p === "object" && !Array.isArray(p) ? (p as Record<string, unknown>) : null;
  }

  /** A JWT claim by path: a string claim is one reading; a list claim is one list reading (any element). */
  claim(path: string[]): Attr {
    let v: unknown = this.jwtPayload();
    for (const seg of path) {
      if (v === null || typeof v !== "object" || Array.isArray(v)) return absent;
      v = (v as Record<string, unknown>)[seg];
    }
    if (v === undefined || v === null) return absent;
    const split = new Set(this.config.jwt?.spaceDelimitedClaims ?? DEFAULTS.spaceDelimitedClaims);
    if (typeof v === "string") {
      // jwt_authn `normalize_payload_in_metadata.space_delimited_claims` (Istio sets scope/permission): when the
      // metadata still holds the string, it is read both as is (RBAC) and split (Istio's intent).
      if (path.length === 1 && split.has(path[0]!)) return views([v, v.split(" ").filter((s) => s !== "")]);
      return views([v]);
    }
    if (Array.isArray(v)) return views([v.filter((e): e is string => typeof e === "string")]);
    return views([[]]); // numbers, booleans, objects: present, but no string matcher matches them
  }

  metadataValue(namespace: string, path: string[]): Attr {
    let v: unknown = this.facts.dynamicMetadata?.[namespace];
    for (const seg of path) {
      if (v === null || v === undefined || typeof v !== "object" || Array.isArray(v)) return absent;
      v = (v as Record<string, unknown>)[seg];
    }
    if (v === undefined || v === null) return absent;
    if (typeof v === "string") return views([v]);
    if (Array.isArray(v)) return views([v.filter((e): e is string => typeof e === "string")]);
    return views([[]]);
  }

  requestPrincipal(): Attr {
    const p = this.jwtPayload();
    if (p === null) return absent;
    const iss = p["iss"];
    const sub = p["sub"];
    if (typeof iss !== "string" || typeof sub !== "string") return absent;
    return views([JSON.stringify([iss, sub])]);
  }

  property(path: string[]): Attr {
    const v = this.facts.properties?.[path.join("\u0000")];
    return v === undefined ? absent : views([v]);
  }

  /** Single canonical value of an attribute, for relational conditions; null when indeterminate. */
  singleValue(key: string, _policyNamespace: string): string | null {
    if (key.startsWith("request.headers[")) {
      const v = header(this.facts, key.slice("request.headers[".length, -1));
      return v.length === 1 ? v[0]! : null;
    }
    if (key.startsWith("request.query[")) {
      const occ = this.queryOccurrences(key.slice("request.query[".length, -1));
      return occ !== null && occ.length === 1 ? decodeQueryComponent(occ[0]!) : null;
    }
    if (key.startsWith("request.auth.claims[") || key === "request.auth.presenter") {
      const a = key === "request.auth.presenter" ? this.claim(["azp"]) : this.claim(parseBracketPath(key.slice("request.auth.claims".length)));
      if (a.kind !== "views") return null;
      const v = a.strict[0]!;
      if (typeof v === "string") return v;
      return v.length === 1 ? v[0]! : null;
    }
    if (key === "request.auth.principal") {
      const p = this.jwtPayload();
      const iss = p?.["iss"];
      const sub = p?.["sub"];
      return typeof iss === "string" && typeof sub === "string" ? `${iss}/${sub}` : null;
    }
    if (key === "source.principal" || key === "source.namespace") {
      const names = this.identityList();
      const first = names?.[0];
      if (first === undefined || !first.startsWith("spiffe://")) return null;
      const principal = first.slice("spiffe://".length);
      if (key === "source.principal") return principal;
      const i = principal.indexOf("/ns/");
      if (i < 0) return null;
      const rest = principal.slice(i + 4);
      const end = rest.indexOf("/");
      return end > 0 ? rest.slice(0, end) : null;
    }
    if (key.startsWith("property[")) {
      const v = this.facts.properties?.[parseBracketPath(key.slice("property".length)).join("\u0000")];
      return v ?? null;
    }
    return null;
  }
}

function ipViews(ip: string): Attr {
  const alt = ipAlternateForm(ip);
  return views(alt === null ? [ip] : [ip, alt]);
}

/** `host:port` / `[v6]:port` → host and ":port" ("" when none). */
export function splitHostPort(authority: string): { host: string; port: string } {
  if (authority.startsWith("[")) {
    const close = authority.indexOf("]");
    if (close > 0 && /^:[0-9]+$/.test(authority.slice(close + 1))) {
      return { host: authority.slice(0, close + 1), port: authority.slice(close + 1) };
    }
    return { host: authority, port: "" };
  }
  const colon = authority.lastIndexOf(":");
  if (colon >= 0 && authority.indexOf(":") === colon && /^[0-9]+$/.test(authority.slice(colon + 1))) {
    return { host: authority.slice(0, colon), port: authority.slice(colon) };
  }
  return { host: authority, port: "" };
}

function firstOf(s: string, chars: string): number {
  for (let i = 0; i < s.length; i++) if (chars.includes(s[i]!)) return i;
  return s.length;
}

export { re2DotPlus };
export type { Pattern };
