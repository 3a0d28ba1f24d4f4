/**
 * Parses, validates and compiles the plugin configuration once, in `onConfigure`. Every problem is reported with
 * the JSON path of the bad field, e.g.
 *   `policies[2].spec.rules[0].from[0].source.ipBlocks[1]: "10.0.0.0/33" is not a CIDR (prefix length above 32)`.
 * Unknown keys are errors everywhere (a typo must not silently widen access), except the targeting fields of an
 * AuthorizationPolicy spec (`selector`, `targetRef`, `targetRefs`), which are accepted and ignored with a warning
 * because the WasmPlugin attachment decides where the filter runs.
 *
 * The same rules are published as `config.schema.json` where JSON Schema can express them; the filter is the
 * authority (`node/validate.ts` runs this very code in the harness).
 */
import { JsonKind, JsonObject, JsonValue, jsonKindName, jsonQuote, parseJsonBytes } from "../../assembly/util/json";
import { parseCidr, parseIp } from "../../assembly/util/cidr";
import { Pattern, PatternKind, RequestPrincipalPattern, Template, isTemplateChar } from "./match";
import {
  AttrId,
  AttrRef,
  CompiledRule,
  DenyResponse,
  Field,
  MatcherKind,
  NO_HEADERS,
  NO_PATH,
  OperationSpec,
  PolicyAction,
  PolicyInfo,
  Relation,
  RelationRef,
  RuleGroup,
  SourceSpec,
  Value,
} from "./model";
import { AbacSettings, EscapedSlashes, IdentitySource, RemoteIpSource, SourceIpSource } from "./settings";
import { HeaderPair, asciiLower, decimalText, splitAt } from "../../assembly";

export const DEFAULT_DENY_STATUS: i32 = 403;
export const DEFAULT_DENY_BODY = "RBAC: access denied";
const MAX_POLICIES: i32 = 10000;
const MAX_BODY_LENGTH: i32 = 65536;

/** The compiled configuration. */
@final
export class AbacConfig {
  settings: AbacSettings = new AbacSettings();
  policies: PolicyInfo[] = [];
  denyResponse: DenyResponse = new DenyResponse(DEFAULT_DENY_STATUS, DEFAULT_DENY_BODY, NO_HEADERS);
  denyEnforced: RuleGroup = new RuleGroup();
  allowEnforced: RuleGroup = new RuleGroup();
  audit: RuleGroup = new RuleGroup();
  /** Enforced + dry-run rules, for the shadow decision; empty groups when there is no dry-run policy. */
  shadowDeny: RuleGroup = new RuleGroup();
  shadowAllow: RuleGroup = new RuleGroup();
  hasDryRun: bool = false;
  ruleCount: i32 = 0;
}

@final
export class ConfigResult {
  constructor(
    public config: AbacConfig | null,
    /** Every problem found, in document order; the filter logs the first. */
    public errors: string[],
    /** Accepted-but-ignored fields. */
    public warnings: string[],
  ) {}
}

/** Collects errors and warnings while walking the document. */
class Diag {
  errors: string[] = [];
  warnings: string[] = [];
  error(path: string, message: string): void {
    this.errors.push(path + ": " + message);
  }
}

function quote(s: string): string {
  return jsonQuote(s);
}

// The items / text of a value whose kind was just checked, so never absent. Defaults instead of `!` assertions,
// which would add an abort path (and its message) to every use.
function itemsOf(v: JsonValue): JsonValue[] {
  let items = v.asArray();
  return items !== null ? items : [];
}

function textOf(v: JsonValue): string {
  let text = v.asString();
  return text !== null ? text : "";
}

function orEmpty(text: string | null): string {
  return text !== null ? text : "";
}

/** Parses the plugin configuration bytes (null or empty = no configuration: rejected). */
export function parseConfig(bytes: ArrayBuffer | null): ConfigResult {
  let d = new Diag();
  if (bytes === null || bytes.byteLength == 0) {
    d.errors.push(
      'configuration: empty; expected a JSON object such as {"policies": [{"name": "ns/name", "spec": {…}}]}',
    );
    return new ConfigResult(null, d.errors, d.warnings);
  }
  let parsed = parseJsonBytes(bytes);
  let root = parsed.value;
  if (root === null) {
    let message = parsed.error;
    d.errors.push(
      "configuration: invalid JSON at line " + decimalText(parsed.line) + ", column " + decimalText(parsed.column) + ": " +
        (message !== null ? message : "unknown error"),
    );
    return new ConfigResult(null, d.errors, d.warnings);
  }
  let config = new AbacConfig();
  let obj = expectObject(d, "configuration", root);
  if (obj !== null) {
    checkKeys(d, "", obj, ["policies", "denyResponse", "identity", "sourceIp", "remoteIp", "paths", "jwt"]);
    parseSettings(d, obj, config.settings);
    let deny = obj.get("denyResponse");
    if (deny !== null) {
      let r = parseDenyResponse(d, "denyResponse", deny);
      if (r !== null) config.denyResponse = r;
    }
    let policies = obj.get("policies");
    if (policies === null) d.error("policies", "required (a list of {name, spec})");
    else parsePolicies(d, policies, config);
  }
  if (d.errors.length > 0) return new ConfigResult(null, d.errors, d.warnings);
  config.denyEnforced.seal();
  config.allowEnforced.seal();
  config.audit.seal();
  config.shadowDeny.seal();
  config.shadowAllow.seal();
  return new ConfigResult(config, d.errors, d.warnings);
}

// ---------------------------------------------------------------------------------------------------------------
// Generic readers
// ---------------------------------------------------------------------------------------------------------------

function join(path: string, key: string): string {
  return path.length == 0 ? key : path + "." + key;
}

function at(path: string, index: i32): string {
  return path + "[" + decimalText(index) + "]";
}

function expectObject(d: Diag, path: string, v: JsonValue): JsonObject | null {
  if (v.kind != JsonKind.Object) {
    d.error(path, "expected an object, got " + jsonKindName(v.kind));
    return null;
  }
  return v.asObject();
}

function checkKeys(d: Diag, path: string, obj: JsonObject, allowed: string[]): void {
  for (let i = 0, n = obj.keys.length; i < n; i++) {
    let k = unchecked(obj.keys[i]);
    if (!allowed.includes(k)) {
      d.error(join(path, k), "unknown field (expected one of: " + allowed.join(", ") + ")");
    }
  }
}

function optionalString(d: Diag, path: string, obj: JsonObject, key: string): string | null {
  let v = obj.get(key);
  if (v === null) return null;
  if (v.kind != JsonKind.String) {
    d.error(join(path, key), "expected a string, got " + jsonKindName(v.kind));
    return null;
  }
  return v.asString();
}

function optionalBool(d: Diag, path: string, obj: JsonObject, key: string, fallback: bool): bool {
  let v = obj.get(key);
  if (v === null) return fallback;
  if (v.kind != JsonKind.Bool) {
    d.error(join(path, key), "expected true or false, got " + jsonKindName(v.kind));
    return fallback;
  }
  return v.asBool();
}

function optionalInt(d: Diag, path: string, obj: JsonObject, key: string, min: i32, max: i32, fallback: i32): i32 {
  let v = obj.get(key);
  if (v === null) return fallback;
  // Exact integers from the number's text (configuration integers need no rounding; see JsonValue.asIntegerOr).
  let n = v.asIntegerOr(i64.MIN_VALUE);
  if (n < <i64>min || n > <i64>max) {
    d.error(join(path, key), "expected an integer from " + decimalText(min) + " to " + decimalText(max));
    return fallback;
  }
  return <i32>n;
}

function enumString(d: Diag, path: string, obj: JsonObject, key: string, allowed: string[]): i32 {
  let s = optionalString(d, path, obj, key);
  if (s === null) return -1;
  let i = allowed.indexOf(s);
  if (i < 0) d.error(join(path, key), quote(s) + " is not one of: " + allowed.join(", "));
  return i;
}

function nonEmptyKey(d: Diag, path: string, s: string): bool {
  if (s.length == 0 || s.indexOf("\u0000") >= 0) {
    d.error(path, "must be a non-empty string without NUL");
    return false;
  }
  return true;
}

/** A non-empty array of strings; null (after reporting) otherwise. */
function stringList(d: Diag, path: string, v: JsonValue): string[] | null {
  if (v.kind != JsonKind.Array) {
    d.error(path, "expected a list of strings, got " + jsonKindName(v.kind));
    return null;
  }
  let items = itemsOf(v);
  if (items.length == 0) {
    d.error(path, "must not be empty (remove the field instead)");
    return null;
  }
  let out = new Array<string>();
  let ok = true;
  for (let i = 0, n = items.length; i < n; i++) {
    let item = unchecked(items[i]);
    if (item.kind != JsonKind.String) {
      d.error(at(path, i), "expected a string, got " + jsonKindName(item.kind));
      ok = false;
      continue;
    }
    let s = textOf(item);
    if (s.length == 0) {
      d.error(at(path, i), "empty value not allowed");
      ok = false;
      continue;
    }
    if (hasControl(s)) {
      d.error(at(path, i), quote(s) + " contains a control character");
      ok = false;
      continue;
    }
    out.push(s);
  }
  return ok ? out : null;
}

function hasControl(s: string): bool {
  for (let i = 0, n = s.length; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------------------
// Settings and deny responses
// ---------------------------------------------------------------------------------------------------------------

function parseSettings(d: Diag, root: JsonObject, s: AbacSettings): void {
  let v = root.get("identity");
  if (v !== null) {
    let o = expectObject(d, "identity", v);
    if (o !== null) {
      checkKeys(d, "identity", o, ["source", "filterStateKey"]);
      let i = enumString(d, "identity", o, "source", ["auto", "tls", "filterState"]);
      if (i >= 0) s.identitySource = <IdentitySource>i; // the names are listed in enum order
      let key = optionalString(d, "identity", o, "filterStateKey");
      if (key !== null && nonEmptyKey(d, "identity.filterStateKey", key)) s.peerPrincipalFilterStateKey = key;
    }
  }
  v = root.get("sourceIp");
  if (v !== null) {
    let o = expectObject(d, "sourceIp", v);
    if (o !== null) {
      checkKeys(d, "sourceIp", o, ["source", "filterStateKey"]);
      let i = enumString(d, "sourceIp", o, "source", ["filterState", "sourceAddress"]);
      if (i >= 0) s.sourceIpSource = <SourceIpSource>i;
      let key = optionalString(d, "sourceIp", o, "filterStateKey");
      if (key !== null && nonEmptyKey(d, "sourceIp.filterStateKey", key)) s.sourceIpFilterStateKey = key;
    }
  }
  v = root.get("remoteIp");
  if (v !== null) {
    let o = expectObject(d, "remoteIp", v);
    if (o !== null) {
      checkKeys(d, "remoteIp", o, ["source", "xffNumTrustedHops"]);
      let i = enumString(d, "remoteIp", o, "source", ["sourceAddress", "xff"]);
      if (i >= 0) s.remoteIpSource = <RemoteIpSource>i;
      s.xffNumTrustedHops = optionalInt(d, "remoteIp", o, "xffNumTrustedHops", 0, 16, 0);
    }
  }
  v = root.get("paths");
  if (v !== null) {
    let o = expectObject(d, "paths", v);
    if (o !== null) {
      checkKeys(d, "paths", o, ["escapedSlashes", "mergeSlashes", "backslashToSlash"]);
      let i = enumString(d, "paths", o, "escapedSlashes", ["reject", "decode", "keep"]);
      if (i >= 0) s.escapedSlashes = <EscapedSlashes>i;
      s.mergeSlashes = optionalBool(d, "paths", o, "mergeSlashes", true);
      s.backslashToSlash = optionalBool(d, "paths", o, "backslashToSlash", true);
    }
  }
  v = root.get("jwt");
  if (v !== null) {
    let o = expectObject(d, "jwt", v);
    if (o !== null) {
      checkKeys(d, "jwt", o, ["metadataNamespace", "payloadKey", "spaceDelimitedClaims"]);
      let ns = optionalString(d, "jwt", o, "metadataNamespace");
      if (ns !== null && nonEmptyKey(d, "jwt.metadataNamespace", ns)) s.jwtMetadataNamespace = ns;
      let key = optionalString(d, "jwt", o, "payloadKey");
      if (key !== null && nonEmptyKey(d, "jwt.payloadKey", key)) s.jwtPayloadKey = key;
      let claims = o.get("spaceDelimitedClaims");
      if (claims !== null) {
        if (claims.kind == JsonKind.Array && itemsOf(claims).length == 0) s.spaceDelimitedClaims = [];
        else {
          let list = stringList(d, "jwt.spaceDelimitedClaims", claims);
          if (list !== null) s.spaceDelimitedClaims = list;
        }
      }
    }
  }
}

function isTokenChar(c: i32): bool {
  if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39)) return true;
  switch (c) {
    case 0x21: case 0x23: case 0x24: case 0x25: case 0x26: case 0x27: case 0x2a: case 0x2b:
    case 0x2d: case 0x2e: case 0x5e: case 0x5f: case 0x60: case 0x7c: case 0x7e:
      return true;
  }
  return false;
}

function parseDenyResponse(d: Diag, path: string, v: JsonValue): DenyResponse | null {
  let o = expectObject(d, path, v);
  if (o === null) return null;
  let before = d.errors.length;
  checkKeys(d, path, o, ["status", "body", "headers"]);
  let status = optionalInt(d, path, o, "status", 300, 599, DEFAULT_DENY_STATUS);
  let body = optionalString(d, path, o, "body");
  if (body !== null && body.length > MAX_BODY_LENGTH) {
    d.error(join(path, "body"), "longer than " + decimalText(MAX_BODY_LENGTH) + " characters");
  }
  let headers = new Array<HeaderPair>();
  let h = o.get("headers");
  if (h !== null) {
    let ho = expectObject(d, join(path, "headers"), h);
    if (ho !== null) {
      for (let i = 0, n = ho.keys.length; i < n; i++) {
        let name = unchecked(ho.keys[i]);
        let hp = join(join(path, "headers"), name);
        let lower = asciiLower(name);
        let valid = lower.length > 0;
        for (let k = 0; k < lower.length && valid; k++) valid = isTokenChar(lower.charCodeAt(k));
        if (!valid) {
          d.error(hp, quote(name) + " is not a valid header name");
          continue;
        }
        if (lower == "content-length" || lower == "transfer-encoding" || lower == "connection") {
          d.error(hp, "is set by Envoy and cannot be configured");
          continue;
        }
        let value = unchecked(ho.values[i]);
        if (value.kind != JsonKind.String) {
          d.error(hp, "expected a string, got " + jsonKindName(value.kind));
          continue;
        }
        let text = textOf(value);
        if (text.indexOf("\r") >= 0 || text.indexOf("\n") >= 0 || text.indexOf("\u0000") >= 0) {
          d.error(hp, "must not contain CR, LF or NUL");
          continue;
        }
        headers.push(new HeaderPair(lower, text));
      }
    }
  }
  if (d.errors.length > before) return null;
  return new DenyResponse(status, body !== null ? body : DEFAULT_DENY_BODY, headers);
}

// ---------------------------------------------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------------------------------------------

function isDnsLabel(s: string, allowDots: bool, max: i32): bool {
  let n = s.length;
  if (n == 0 || n > max) return false;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    let alnum = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
    if (alnum) continue;
    if (c == 0x2d && i > 0 && i < n - 1) continue;
    if (c == 0x2e && allowDots && i > 0 && i < n - 1 && s.charCodeAt(i - 1) != 0x2e) continue;
    return false;
  }
  return true;
}

function parsePolicies(d: Diag, v: JsonValue, config: AbacConfig): void {
  if (v.kind != JsonKind.Array) {
    d.error("policies", "expected a list, got " + jsonKindName(v.kind));
    return;
  }
  let items = itemsOf(v);
  if (items.length > MAX_POLICIES) {
    d.error("policies", "more than " + decimalText(MAX_POLICIES) + " policies");
    return;
  }
  let names = new Map<string, i32>();
  for (let i = 0, n = items.length; i < n; i++) {
    let path = at("policies", i);
    let o = expectObject(d, path, unchecked(items[i]));
    if (o === null) continue;
    checkKeys(d, path, o, ["name", "spec", "dryRun", "denyResponse"]);
    let nameValue = o.get("name");
    let name = "";
    if (nameValue === null) d.error(join(path, "name"), "required (\"<namespace>/<name>\" of the AuthorizationPolicy)");
    else if (nameValue.kind != JsonKind.String) d.error(join(path, "name"), "expected a string, got " + jsonKindName(nameValue.kind));
    else {
      name = textOf(nameValue);
      let slash = name.indexOf("/");
      if (
        slash < 0 ||
        !isDnsLabel(name.substring(0, slash), false, 63) ||
        !isDnsLabel(name.substring(slash + 1), true, 253)
      ) {
        d.error(
          join(path, "name"),
          quote(name) + " is not \"<namespace>/<name>\" (Kubernetes names: lower-case letters, digits, '-', '.')",
        );
      } else if (names.has(name)) {
        d.error(join(path, "name"), "duplicate policy name " + quote(name) + " (also policies[" + decimalText(names.get(name)) + "])");
      } else {
        names.set(name, i);
      }
    }
    let dryRun = optionalBool(d, path, o, "dryRun", false);
    let deny: DenyResponse | null = null;
    let dv = o.get("denyResponse");
    if (dv !== null) deny = parseDenyResponse(d, join(path, "denyResponse"), dv);
    let spec = o.get("spec");
    if (spec === null) {
      d.error(join(path, "spec"), "required (the AuthorizationPolicy spec)");
      continue;
    }
    parseSpec(d, join(path, "spec"), spec, name, dryRun, deny, config);
  }
}

function parseSpec(
  d: Diag,
  path: string,
  v: JsonValue,
  name: string,
  dryRun: bool,
  deny: DenyResponse | null,
  config: AbacConfig,
): void {
  let o = expectObject(d, path, v);
  if (o === null) return;
  checkKeys(d, path, o, ["selector", "targetRef", "targetRefs", "action", "provider", "rules"]);
  let ignored = ["selector", "targetRef", "targetRefs"];
  for (let i = 0; i < ignored.length; i++) {
    if (o.has(unchecked(ignored[i]))) {
      d.warnings.push(join(path, unchecked(ignored[i])) + ": ignored (the WasmPlugin attachment selects the workloads)");
    }
  }
  let action = PolicyAction.Allow;
  let actionText = optionalString(d, path, o, "action");
  if (actionText !== null) {
    if (actionText == "ALLOW") action = PolicyAction.Allow;
    else if (actionText == "DENY") action = PolicyAction.Deny;
    else if (actionText == "AUDIT") action = PolicyAction.Audit;
    else if (actionText == "CUSTOM") {
      d.error(
        join(path, "action"),
        "CUSTOM is not supported: it delegates to an external authorizer (use Envoy ext_authz); use ALLOW, DENY or AUDIT",
      );
      return;
    } else {
      d.error(join(path, "action"), quote(actionText) + " is not one of: ALLOW, DENY, AUDIT");
      return;
    }
  }
  if (o.has("provider")) d.error(join(path, "provider"), "only valid with action CUSTOM, which is not supported");
  if (deny !== null && action != PolicyAction.Deny) {
    d.error(join(path.substring(0, path.length - 5), "denyResponse"), "only DENY policies deny; set the top-level denyResponse for ALLOW policies");
  }
  let rulesValue = o.get("rules");
  if (rulesValue === null && action == PolicyAction.Deny) {
    d.error(
      join(path, "rules"),
      "required for DENY (a DENY policy without rules never matches); add an empty rule {} to deny every request",
    );
    return;
  }
  let policy = new PolicyInfo(name, action, dryRun, deny);
  config.policies.push(policy);
  if (dryRun) config.hasDryRun = true;
  let slash = name.indexOf("/");
  let ns = slash >= 0 ? name.substring(0, slash) : "";
  let shortName = slash >= 0 ? name.substring(slash + 1) : name;
  let rules = new Array<CompiledRule>();
  if (rulesValue !== null) {
    if (rulesValue.kind != JsonKind.Array) {
      d.error(join(path, "rules"), "expected a list, got " + jsonKindName(rulesValue.kind));
      return;
    }
    let items = itemsOf(rulesValue);
    for (let i = 0, n = items.length; i < n; i++) {
      let rule = parseRule(d, at(join(path, "rules"), i), unchecked(items[i]), policy, i, ns, shortName);
      if (rule !== null) rules.push(rule);
    }
  }
  // `spec: {}` / `rules: []`: a policy that never matches (istio builder.go rbacPolicyMatchNever).
  if (rules.length == 0) rules.push(new CompiledRule(policy, 0, policyId(ns, shortName, 0), true, null, null, [], []));
  config.ruleCount += rules.length;
  for (let i = 0, n = rules.length; i < n; i++) {
    let rule = unchecked(rules[i]);
    if (action == PolicyAction.Audit) {
      if (!dryRun) config.audit.add(rule);
    } else if (action == PolicyAction.Deny) {
      if (!dryRun) config.denyEnforced.add(rule);
      config.shadowDeny.add(rule);
    } else {
      if (!dryRun) config.allowEnforced.add(rule);
      config.shadowAllow.add(rule);
    }
  }
  // Group flags: does the group have policies at all (ALLOW: default deny applies).
  if (action == PolicyAction.Allow) {
    if (!dryRun) config.allowEnforced.hasPolicies = true;
    config.shadowAllow.hasPolicies = true;
  } else if (action == PolicyAction.Deny) {
    if (!dryRun) config.denyEnforced.hasPolicies = true;
    config.shadowDeny.hasPolicies = true;
  } else if (!dryRun) {
    config.audit.hasPolicies = true;
  }
}

export function policyId(ns: string, name: string, index: i32): string {
  return "ns[" + ns + "]-policy[" + name + "]-rule[" + decimalText(index) + "]";
}

function parseRule(
  d: Diag,
  path: string,
  v: JsonValue,
  policy: PolicyInfo,
  index: i32,
  ns: string,
  shortName: string,
): CompiledRule | null {
  let o = expectObject(d, path, v);
  if (o === null) return null;
  checkKeys(d, path, o, ["from", "to", "when"]);
  let before = d.errors.length;
  let from: SourceSpec[] | null = null;
  let to: OperationSpec[] | null = null;
  let captures = new Array<string>();
  let fv = o.get("from");
  if (fv !== null) from = parseFrom(d, join(path, "from"), fv, ns);
  let tv = o.get("to");
  if (tv !== null) to = parseTo(d, join(path, "to"), tv, captures);
  let when = new Array<Field>();
  let relations = new Array<Relation>();
  let wv = o.get("when");
  if (wv !== null) parseWhen(d, join(path, "when"), wv, ns, captures, when, relations);
  if (d.errors.length > before) return null;
  return new CompiledRule(policy, index, policyId(ns, shortName, index), false, from, to, when, relations);
}

function arrayOfObjects(d: Diag, path: string, v: JsonValue, member: string): Array<JsonObject | null> | null {
  if (v.kind != JsonKind.Array) {
    d.error(path, "expected a list, got " + jsonKindName(v.kind));
    return null;
  }
  let items = itemsOf(v);
  if (items.length == 0) {
    d.error(path, "must not be empty (remove the field to match any " + (member == "source" ? "source" : "operation") + ")");
    return null;
  }
  let out = new Array<JsonObject | null>();
  for (let i = 0, n = items.length; i < n; i++) {
    let p = at(path, i);
    let o = expectObject(d, p, unchecked(items[i]));
    if (o === null) {
      out.push(null);
      continue;
    }
    checkKeys(d, p, o, [member]);
    let inner = o.get(member);
    if (inner === null) {
      d.error(join(p, member), "required");
      out.push(null);
      continue;
    }
    let io = expectObject(d, join(p, member), inner);
    if (io !== null && io.keys.length == 0) {
      d.error(join(p, member), "must not be empty");
      out.push(null);
      continue;
    }
    out.push(io);
  }
  return out;
}

/** `Source` fields, positive then negated form; SOURCE_ATTRS / SOURCE_KINDS describe each pair. */
const SOURCE_FIELDS: string[] = [
  "principals", "notPrincipals", "requestPrincipals", "notRequestPrincipals", "namespaces", "notNamespaces",
  "serviceAccounts", "notServiceAccounts", "trustDomains", "notTrustDomains", "ipBlocks", "notIpBlocks",
  "remoteIpBlocks", "notRemoteIpBlocks",
];
const SOURCE_ATTRS: i32[] = [
  AttrId.Identity, AttrId.RequestPrincipal, AttrId.Identity, AttrId.Identity, AttrId.Identity, AttrId.SourceIp,
  AttrId.RemoteIp,
];
const SOURCE_KINDS: i32[] = [
  MatcherKind.Principal, MatcherKind.RequestPrincipal, MatcherKind.Namespace, MatcherKind.ServiceAccount,
  MatcherKind.TrustDomain, MatcherKind.Ip, MatcherKind.Ip,
];
/** `Operation` fields, positive then negated form. */
const OPERATION_FIELDS: string[] = ["hosts", "notHosts", "ports", "notPorts", "methods", "notMethods", "paths", "notPaths"];
const OPERATION_ATTRS: i32[] = [AttrId.Host, AttrId.DestinationPort, AttrId.Method, AttrId.Path];
const OPERATION_KINDS: i32[] = [MatcherKind.Host, MatcherKind.Port, MatcherKind.Header, MatcherKind.Path];

function parseFrom(d: Diag, path: string, v: JsonValue, ns: string): SourceSpec[] | null {
  let objs = arrayOfObjects(d, path, v, "source");
  if (objs === null) return null;
  let out = new Array<SourceSpec>();
  for (let i = 0, n = objs.length; i < n; i++) {
    let o = unchecked(objs[i]);
    if (o === null) continue;
    let p = join(at(path, i), "source");
    checkKeys(d, p, o, SOURCE_FIELDS);
    if ((o.has("serviceAccounts") || o.has("notServiceAccounts")) &&
        (o.has("principals") || o.has("notPrincipals") || o.has("namespaces") || o.has("notNamespaces"))) {
      d.error(p, "cannot set serviceAccounts with namespaces or principals (Istio)");
    }
    let fields = new Array<Field>();
    for (let k = 0, n = SOURCE_FIELDS.length; k < n; k++) {
      let kind = <MatcherKind>unchecked(SOURCE_KINDS[k >> 1]);
      let attr = AttrRef.simple(<AttrId>unchecked(SOURCE_ATTRS[k >> 1]));
      addField(d, p, o, unchecked(SOURCE_FIELDS[k]), (k & 1) == 1, attr, kind, ns, fields);
    }
    out.push(new SourceSpec(fields));
  }
  return out;
}

function parseTo(d: Diag, path: string, v: JsonValue, captures: string[]): OperationSpec[] | null {
  let objs = arrayOfObjects(d, path, v, "operation");
  if (objs === null) return null;
  let out = new Array<OperationSpec>();
  for (let i = 0, n = objs.length; i < n; i++) {
    let o = unchecked(objs[i]);
    if (o === null) continue;
    let p = join(at(path, i), "operation");
    checkKeys(d, p, o, OPERATION_FIELDS);
    let fields = new Array<Field>();
    // methods, hosts, ports and notPaths; the positive `paths` is kept apart (it captures and indexes).
    for (let k = 0, n = OPERATION_FIELDS.length; k < n; k++) {
      if (k == 6) continue;
      let kind = <MatcherKind>unchecked(OPERATION_KINDS[k >> 1]);
      let attr = AttrRef.simple(<AttrId>unchecked(OPERATION_ATTRS[k >> 1]));
      addField(d, p, o, unchecked(OPERATION_FIELDS[k]), (k & 1) == 1, attr, kind, "", fields);
    }
    let pathFields = new Array<Field>();
    addField(d, p, o, "paths", false, AttrRef.simple(AttrId.Path), MatcherKind.Path, "", pathFields);
    let paths: Field | null = pathFields.length > 0 ? unchecked(pathFields[0]) : null;
    if (paths !== null) {
      for (let k = 0, m = paths.values.length; k < m; k++) {
        let t = unchecked(paths.values[k]).template;
        if (t === null) continue;
        for (let x = 0, xn = t.tokens.length; x < xn; x++) {
          let name = unchecked(t.tokens[x]).text;
          if (unchecked(t.tokens[x]).kind != 0 && name.length > 0 && !captures.includes(name)) captures.push(name);
        }
      }
    }
    out.push(new OperationSpec(fields, paths));
  }
  return out;
}

/** Reads list `key` of `o` (if present) into a Field validated for `kind`. */
function addField(
  d: Diag,
  path: string,
  o: JsonObject,
  key: string,
  negative: bool,
  attr: AttrRef,
  kind: MatcherKind,
  ns: string,
  out: Field[],
): void {
  let v = o.get(key);
  if (v === null) return;
  let p = join(path, key);
  let list = stringList(d, p, v);
  if (list === null) return;
  if (kind == MatcherKind.ServiceAccount && list.length > 16) {
    d.error(p, "may not have more than 16 values (Istio)");
    return;
  }
  let values = new Array<Value>();
  for (let i = 0, n = list.length; i < n; i++) {
    let value = compileValue(d, at(p, i), unchecked(list[i]), kind, ns);
    if (value !== null) values.push(value);
  }
  if (values.length == list.length) out.push(new Field(attr, kind, negative, values));
}

/** Istio wildcard rule: at most one `*`, only at the start or the end (CheckWildcardValues). */
function checkWildcard(d: Diag, path: string, s: string, hint: string): bool {
  let first = s.indexOf("*");
  if (first < 0) return true;
  let n = s.length;
  if (s.lastIndexOf("*") != first) {
    d.error(path, quote(s) + ": at most one '*' is allowed" + hint);
    return false;
  }
  if (first != 0 && first != n - 1) {
    d.error(path, quote(s) + ": '*' is only allowed at the start or the end" + hint);
    return false;
  }
  return true;
}

function compileValue(d: Diag, path: string, s: string, kind: MatcherKind, ns: string): Value | null {
  let value = new Value(s);
  switch (kind) {
    case MatcherKind.String:
    case MatcherKind.Header:
    case MatcherKind.Principal:
    case MatcherKind.RequestPrincipal: {
      if (!checkWildcard(d, path, s, "")) return null;
      value.pattern = Pattern.parse(s);
      if (kind == MatcherKind.RequestPrincipal) value.requestPrincipal = RequestPrincipalPattern.parse(s);
      return value;
    }
    case MatcherKind.Host: {
      if (!checkWildcard(d, path, s, "")) return null;
      value.pattern = Pattern.parse(asciiLower(s));
      return value;
    }
    case MatcherKind.MetadataValue: {
      let inner = s;
      if (s.length >= 2 && s.startsWith("[") && s.endsWith("]")) {
        value.listOnly = true;
        inner = s.substring(1, s.length - 1);
        if (inner.length == 0) {
          d.error(path, "empty list value \"[]\"");
          return null;
        }
      }
      if (!checkWildcard(d, path, inner, "")) return null;
      value.pattern = Pattern.parse(inner);
      return value;
    }
    case MatcherKind.Namespace: {
      for (let i = 0, n = s.length; i < n; i++) {
        let c = s.charCodeAt(i);
        if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x2d || c == 0x2a)) {
          d.error(path, quote(s) + " is not a namespace (lower-case letters, digits, '-', and '*' wildcards)");
          return null;
        }
      }
      value.globParts = splitAt(s, 0x2A);
      return value;
    }
    case MatcherKind.ServiceAccount: {
      if (s.indexOf("*") >= 0) {
        d.error(path, quote(s) + ": wildcards are not allowed in service accounts (Istio)");
        return null;
      }
      if (s.length > 320) {
        d.error(path, "longer than 320 characters (Istio)");
        return null;
      }
      let slash = s.indexOf("/");
      if (slash >= 0 && s.indexOf("/", slash + 1) >= 0) {
        d.error(path, quote(s) + " is not \"serviceAccount\" or \"namespace/serviceAccount\"");
        return null;
      }
      value.ns = slash >= 0 ? s.substring(0, slash) : ns;
      value.sa = slash >= 0 ? s.substring(slash + 1) : s;
      if (value.ns.length == 0 || value.sa.length == 0) {
        d.error(path, quote(s) + ": empty namespace or service account");
        return null;
      }
      return value;
    }
    case MatcherKind.TrustDomain: {
      if (!checkWildcard(d, path, s, "")) return null;
      if (s.indexOf("/") >= 0) {
        d.error(path, quote(s) + ": a trust domain must not contain '/'");
        return null;
      }
      return value;
    }
    case MatcherKind.Ip: {
      let slash = s.indexOf("/");
      let ip = parseIp(slash >= 0 ? s.substring(0, slash) : s);
      let address = ip.value;
      if (address === null) {
        d.error(path, quote(s) + " is not " + (slash >= 0 ? "a CIDR" : "an IP address") + " (" + orEmpty(ip.error) + ")");
        return null;
      }
      if (address.isIpv4Mapped()) {
        d.error(path, quote(s) + ": write IPv4-mapped IPv6 ranges in IPv4 form (::ffff:a.b.c.d means a.b.c.d)");
        return null;
      }
      let cidr = parseCidr(s);
      if (cidr.value === null) {
        d.error(path, quote(s) + " is not a CIDR (" + orEmpty(cidr.error) + ")");
        return null;
      }
      value.cidr = cidr.value;
      return value;
    }
    case MatcherKind.Port: {
      let port = parsePort(s);
      if (port < 0) {
        d.error(path, quote(s) + " is not a port (0-65535)");
        return null;
      }
      value.port = port;
      value.text = decimalText(port);
      return value;
    }
    case MatcherKind.Path:
      return compilePath(d, path, s, value);
  }
  return value;
}

function parsePort(s: string): i32 {
  let n = s.length;
  if (n == 0 || n > 5) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    v = v * 10 + (c - 0x30);
  }
  return v <= 65535 ? v : -1;
}

function isIdentifier(s: string): bool {
  let n = s.length;
  if (n == 0 || n > 16) return false;
  let c0 = s.charCodeAt(0);
  if (!((c0 >= 0x61 && c0 <= 0x7a) || (c0 >= 0x41 && c0 <= 0x5a))) return false;
  for (let i = 1; i < n; i++) {
    let c = s.charCodeAt(i);
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c == 0x5f)) return false;
  }
  return true;
}

/**
 * Paths: Istio exact / `prefix*` / `*suffix` / `*`, or a template with `{*}`, `{**}` (the last operator) and the
 * filter's named one-segment variables `{name}` (Envoy uri_template rules: ≤ 5, `[a-zA-Z][a-zA-Z0-9_]*`, ≤ 16).
 */
function compilePath(d: Diag, path: string, s: string, value: Value): Value | null {
  if (s.indexOf("{") < 0 && s.indexOf("}") < 0) {
    if (!checkWildcard(d, path, s, "; use {*} for one path segment or {**} for any number")) return null;
    value.pattern = Pattern.parse(s);
    return value;
  }
  if (!s.startsWith("/")) {
    d.error(path, quote(s) + ": a path template must start with '/'");
    return null;
  }
  let trimmed = s;
  while (trimmed.startsWith("/")) trimmed = trimmed.substring(1);
  while (trimmed.endsWith("/")) trimmed = trimmed.substring(0, trimmed.length - 1);
  let segments = splitAt(trimmed, 0x2F);
  let seenAny = false;
  let names = new Array<string>();
  for (let i = 0, n = segments.length; i < n; i++) {
    let seg = unchecked(segments[i]);
    let isGlob = seg == "{*}" || seg == "{**}";
    let isNamed = seg.length > 2 && seg.startsWith("{") && seg.endsWith("}") && isIdentifier(seg.substring(1, seg.length - 1));
    if (isGlob || isNamed) {
      if (seenAny) {
        d.error(path, quote(s) + ": {**} must be the last operator in a path template");
        return null;
      }
      if (seg == "{**}") seenAny = true;
      if (isNamed) {
        let name = seg.substring(1, seg.length - 1);
        if (names.includes(name)) {
          d.error(path, quote(s) + ": variable {" + name + "} appears twice");
          return null;
        }
        names.push(name);
      }
      continue;
    }
    if (seg.indexOf("{") >= 0 || seg.indexOf("}") >= 0) {
      d.error(
        path,
        quote(s) + ": segment " + quote(seg) + " is not {*}, {**} or {name} (a letter, then letters, digits or '_', at most 16)",
      );
      return null;
    }
    let ok = seg.length > 0;
    for (let k = 0; k < seg.length && ok; k++) ok = isTemplateChar(seg.charCodeAt(k));
    if (!ok) {
      d.error(path, quote(s) + ": segment " + quote(seg) + " has a character a path template cannot match literally");
      return null;
    }
  }
  if (names.length > 5) {
    d.error(path, quote(s) + ": at most 5 named variables (Envoy uri_template)");
    return null;
  }
  value.template = Template.compile(s);
  return value;
}

// ---------------------------------------------------------------------------------------------------------------
// Conditions
// ---------------------------------------------------------------------------------------------------------------

/** What a `when` key reads and how its values match. */
class KeyInfo {
  constructor(
    public attr: AttrRef,
    public kind: MatcherKind,
    /** May appear in relational conditions (has a single canonical value). */
    public relational: bool,
  ) {}
}

const PROPERTY_ROOTS: string[] = [
  "request", "source", "destination", "connection", "metadata", "filter_state", "xds", "plugin_name",
  "plugin_root_id", "plugin_vm_id", "connection_id",
];

/** `[a][b]` → ["a", "b"]; null when malformed (empty or nested brackets). */
function bracketPath(s: string): string[] | null {
  let out = new Array<string>();
  let i = 0;
  let n = s.length;
  if (n == 0) return null;
  while (i < n) {
    if (s.charCodeAt(i) != 0x5b) return null;
    let close = s.indexOf("]", i + 1);
    if (close < 0) return null;
    let seg = s.substring(i + 1, close);
    if (seg.length == 0 || seg.indexOf("[") >= 0) return null;
    out.push(seg);
    i = close + 1;
  }
  return out;
}

function parseKey(d: Diag, path: string, key: string): KeyInfo | null {
  if (key == "request.headers" || key == "request.query") {
    d.error(path, "bad key " + quote(key) + ": should have the form " + key + "[<name>]");
    return null;
  }
  if (key.startsWith("request.headers[")) {
    let p = bracketPath(key.substring(15));
    if (p === null || p.length != 1) {
      d.error(path, "bad key " + quote(key) + ": should have the form request.headers[<name>]");
      return null;
    }
    return new KeyInfo(AttrRef.named(AttrId.Header, asciiLower(unchecked(p[0])), NO_PATH), MatcherKind.Header, true);
  }
  if (key.startsWith("request.query[")) {
    let p = bracketPath(key.substring(13));
    if (p === null || p.length != 1) {
      d.error(path, "bad key " + quote(key) + ": should have the form request.query[<name>]");
      return null;
    }
    return new KeyInfo(AttrRef.named(AttrId.Query, unchecked(p[0]), NO_PATH), MatcherKind.Header, true);
  }
  if (key.startsWith("request.auth.claims")) {
    let p = bracketPath(key.substring(19));
    if (p === null) {
      d.error(path, "bad key " + quote(key) + ": should have the form request.auth.claims[<claim>] or [<claim>][<nested>]…");
      return null;
    }
    return new KeyInfo(AttrRef.named(AttrId.Claim, "", p), MatcherKind.String, true);
  }
  if (key.startsWith("experimental.envoy.filters.")) {
    let open = key.indexOf("[");
    let p = open > 27 ? bracketPath(key.substring(open)) : null;
    if (p === null || p.length != 1) {
      d.error(path, "bad key " + quote(key) + ": should have the form experimental.envoy.filters.<filter>[<key>]");
      return null;
    }
    return new KeyInfo(AttrRef.named(AttrId.Metadata, key.substring(13, open), p), MatcherKind.MetadataValue, false);
  }
  if (key.startsWith("property")) {
    let p = bracketPath(key.substring(8));
    if (p === null || p.length > 8) {
      d.error(path, "bad key " + quote(key) + ": should have the form property[<segment>][<segment>]… (at most 8)");
      return null;
    }
    let root = unchecked(p[0]);
    if (!PROPERTY_ROOTS.includes(root)) {
      d.error(
        path,
        "bad key " + quote(key) + ": " + quote(root) + " is not an attribute available at request headers (" +
          PROPERTY_ROOTS.join(", ") + ")",
      );
      return null;
    }
    return new KeyInfo(AttrRef.named(AttrId.Property, "", p), MatcherKind.String, true);
  }
  if (key == "source.ip") return new KeyInfo(AttrRef.simple(AttrId.SourceIp), MatcherKind.Ip, false);
  if (key == "remote.ip") return new KeyInfo(AttrRef.simple(AttrId.RemoteIp), MatcherKind.Ip, false);
  if (key == "source.namespace") return new KeyInfo(AttrRef.simple(AttrId.Identity), MatcherKind.Namespace, true);
  if (key == "source.principal") return new KeyInfo(AttrRef.simple(AttrId.Identity), MatcherKind.Principal, true);
  if (key == "source.serviceAccount") return new KeyInfo(AttrRef.simple(AttrId.Identity), MatcherKind.ServiceAccount, false);
  if (key == "source.trustDomain") return new KeyInfo(AttrRef.simple(AttrId.Identity), MatcherKind.TrustDomain, false);
  if (key == "request.auth.principal") {
    return new KeyInfo(AttrRef.simple(AttrId.RequestPrincipal), MatcherKind.RequestPrincipal, true);
  }
  if (key == "request.auth.audiences") return new KeyInfo(AttrRef.named(AttrId.Claim, "", ["aud"]), MatcherKind.String, false);
  if (key == "request.auth.presenter") return new KeyInfo(AttrRef.named(AttrId.Claim, "", ["azp"]), MatcherKind.String, true);
  if (key == "destination.ip") return new KeyInfo(AttrRef.simple(AttrId.DestinationIp), MatcherKind.Ip, false);
  if (key == "destination.port") return new KeyInfo(AttrRef.simple(AttrId.DestinationPort), MatcherKind.Port, false);
  if (key == "connection.sni") return new KeyInfo(AttrRef.simple(AttrId.Sni), MatcherKind.String, false);
  if (key == "destination.namespace") {
    d.error(path, "attribute destination.namespace is replaced by the policy's namespace (Istio)");
    return null;
  }
  if (key.startsWith("destination.labels")) {
    d.error(path, "attribute " + key + " is replaced by the workload selector (Istio)");
    return null;
  }
  if (key == "destination.name" || key == "destination.user") {
    d.error(path, "deprecated attribute " + key + ": only supported in v1alpha1 (Istio)");
    return null;
  }
  d.error(path, "unknown attribute " + quote(key));
  return null;
}

function relationRef(d: Diag, path: string, s: string, captures: string[]): RelationRef | null {
  if (s.startsWith("{") && s.endsWith("}")) {
    let name = s.substring(1, s.length - 1);
    if (!captures.includes(name)) {
      d.error(path, quote(s) + ": no path template of this rule's `to` defines {" + name + "}");
      return null;
    }
    return new RelationRef(name, null);
  }
  let info = parseKey(d, path, s);
  if (info === null) return null;
  if (!info.relational) {
    d.error(path, quote(s) + " cannot be compared (it has no single value); see README \"Relational conditions\"");
    return null;
  }
  return new RelationRef(null, relationalAttr(s, info));
}

/** Identity keys need to say which single value they stand for. */
function relationalAttr(key: string, info: KeyInfo): AttrRef {
  if (key == "source.principal") return AttrRef.named(AttrId.Identity, "principal", NO_PATH);
  if (key == "source.namespace") return AttrRef.named(AttrId.Identity, "namespace", NO_PATH);
  return info.attr;
}

function parseWhen(
  d: Diag,
  path: string,
  v: JsonValue,
  ns: string,
  captures: string[],
  fields: Field[],
  relations: Relation[],
): void {
  if (v.kind != JsonKind.Array) {
    d.error(path, "expected a list, got " + jsonKindName(v.kind));
    return;
  }
  let items = itemsOf(v);
  for (let i = 0, n = items.length; i < n; i++) {
    let p = at(path, i);
    let o = expectObject(d, p, unchecked(items[i]));
    if (o === null) continue;
    checkKeys(d, p, o, ["key", "values", "notValues", "valuesFrom", "notValuesFrom"]);
    let key = optionalString(d, p, o, "key");
    if (key === null) {
      if (!o.has("key")) d.error(join(p, "key"), "required");
      continue;
    }
    if (key.length == 0) {
      d.error(join(p, "key"), "must not be empty");
      continue;
    }
    if (!o.has("values") && !o.has("notValues") && !o.has("valuesFrom") && !o.has("notValuesFrom")) {
      d.error(p, "at least one of values, notValues, valuesFrom or notValuesFrom must be set for key " + quote(key));
      continue;
    }
    let info = parseKey(d, join(p, "key"), key);
    if (info === null) continue;
    addField(d, p, o, "values", false, info.attr, info.kind, ns, fields);
    addField(d, p, o, "notValues", true, info.attr, info.kind, ns, fields);
    for (let k = 0; k < 2; k++) {
      let member = k == 0 ? "valuesFrom" : "notValuesFrom";
      let rv = o.get(member);
      if (rv === null) continue;
      let rp = join(p, member);
      if (!info.relational) {
        d.error(rp, "key " + quote(key) + " cannot be compared (it has no single value); see README \"Relational conditions\"");
        continue;
      }
      let list = stringList(d, rp, rv);
      if (list === null) continue;
      if (list.length > 8) {
        d.error(rp, "at most 8 references");
        continue;
      }
      let refs = new Array<RelationRef>();
      for (let r = 0, rn = list.length; r < rn; r++) {
        let ref = relationRef(d, at(rp, r), unchecked(list[r]), captures);
        if (ref !== null) refs.push(ref);
      }
      if (refs.length == list.length) relations.push(new Relation(relationalAttr(key, info), refs, k == 1));
    }
  }
}

// Keep PatternKind referenced for readers of this module's compiled values.
export { PatternKind };
