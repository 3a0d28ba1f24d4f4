/**
 * The ABAC filter: Istio AuthorizationPolicy semantics evaluated in Wasm at request headers.
 *
 * Root context: parses and compiles the configuration once (`onConfigure` returns false with one critical log
 * line naming the JSON path of the first bad field, so Envoy rejects the configuration). HTTP context: reads the
 * request headers once, evaluates DENY, then ALLOW (then AUDIT and the dry-run shadow decision), records the
 * decision in filter state, counts it, and denies with a local reply. Decision rules: README.md.
 */
import {
  Action,
  Counter,
  HttpContext,
  Log,
  RootContext,
  TagPair,
  decimalText,
  encodeUtf8,
  metricName,
  sendLocalResponse,
  setPropertyString,
} from "../../assembly";
import { proxy_increment_metric } from "../../assembly/abi/imports";
import { JSON_ASCII_ONLY, jsonQuote } from "../../assembly/util/json";
import { RequestAttributes } from "./attributes";
import { AbacConfig, parseConfig } from "./config";
import { Side, firstMatch } from "./evaluate";
import { CompiledRule, DenyResponse, NO_HEADERS, PolicyAction, PolicyInfo, PolicyStat } from "./model";

/** Filter-state keys (Envoy stores them as `wasm.<key>`; access logs read `%FILTER_STATE(wasm.abac.decision:PLAIN)%`). */
export const FS_DECISION = "abac.decision";
export const FS_POLICY = "abac.policy";
export const FS_RULE = "abac.rule";
export const FS_SHADOW_DECISION = "abac.shadow_decision";
export const FS_SHADOW_POLICY = "abac.shadow_policy";
export const FS_AUDIT_POLICY = "abac.audit_policy";

/** Counter names (policy tag encoded with the SDK's `metricName` convention). */
export const STAT_ALLOWED = "abac.allowed";
export const STAT_DENIED = "abac.denied";
export const STAT_SHADOW_ALLOWED = "abac.shadow_allowed";
export const STAT_SHADOW_DENIED = "abac.shadow_denied";
export const STAT_AUDITED = "abac.audited";
export const STAT_ATTRIBUTE_UNAVAILABLE = "abac.attribute_unavailable";
export const STAT_PATH_UNUSABLE = "abac.path_unusable";
export const STAT_POLICY_ALLOWED = "abac.policy.allowed";
export const STAT_POLICY_DENIED = "abac.policy.denied";
export const STAT_POLICY_SHADOW_DENIED = "abac.policy.shadow_denied";
export const STAT_POLICY_AUDITED = "abac.policy.audited";

/** Response details, as Envoy RBAC (`rbac_access_denied_matched_policy[<id>]`, id `none` for the default deny). */
export const DETAILS_PREFIX = "rbac_access_denied_matched_policy[";

/** Longest value quoted in a log line. */
const LOG_VALUE_LIMIT = 256;

export class AbacRoot extends RootContext {
  config: AbacConfig | null = null;
  /** Stands for "no ALLOW policy matched" in counters (RBAC's policy id `none`). */
  readonly nonePolicy: PolicyInfo = new PolicyInfo("none", PolicyAction.Allow, false, null);
  allowed: Counter = new Counter(0);
  denied: Counter = new Counter(0);
  shadowAllowed: Counter = new Counter(0);
  shadowDenied: Counter = new Counter(0);
  audited: Counter = new Counter(0);
  attributeUnavailable: Counter = new Counter(0);
  pathUnusable: Counter = new Counter(0);
  /** Warn once per VM when an attribute that must exist could not be read. */
  warnedUnavailable: bool = false;
  /** The request being decided (reused: a request allocates no attribute cache). Set with `config`. */
  attrs: RequestAttributes | null = null;

  onConfigure(pluginConfigurationSize: usize): bool {
    let result = parseConfig(this.getPluginConfiguration());
    let config = result.config;
    if (config === null) {
      let errors = result.errors;
      let first = errors.length > 0 ? unchecked(errors[0]) : "configuration: rejected";
      let more = errors.length > 1 ? " (and " + decimalText(errors.length - 1) + " more)" : "";
      Log.critical("abac: invalid configuration: " + first + more);
      return false;
    }
    for (let i = 0, n = result.warnings.length; i < n; i++) Log.warn("abac: " + unchecked(result.warnings[i]));
    this.config = config;
    this.attrs = new RequestAttributes(config.settings);
    this.allowed = Counter.define(STAT_ALLOWED);
    this.denied = Counter.define(STAT_DENIED);
    this.audited = Counter.define(STAT_AUDITED);
    this.attributeUnavailable = Counter.define(STAT_ATTRIBUTE_UNAVAILABLE);
    this.pathUnusable = Counter.define(STAT_PATH_UNUSABLE);
    if (config.hasDryRun) {
      this.shadowAllowed = Counter.define(STAT_SHADOW_ALLOWED);
      this.shadowDenied = Counter.define(STAT_SHADOW_DENIED);
    }
    Log.info(
      "abac: configured " + decimalText(config.policies.length) + " policies, " + decimalText(config.ruleCount) + " rules",
    );
    return true;
  }

  createHttpContext(contextId: u32): HttpContext | null {
    return new AbacHttp(contextId, this);
  }
}

/** Per-policy counter names, by `PolicyStat`. */
const POLICY_STAT_NAMES = [STAT_POLICY_ALLOWED, STAT_POLICY_DENIED, STAT_POLICY_SHADOW_DENIED, STAT_POLICY_AUDITED];

/** Increments a per-policy counter, defining it on first use (one define hostcall, then cached in the PolicyInfo). */
function countPolicy(policy: PolicyInfo, stat: PolicyStat): void {
  let ids = policy.counterIds;
  let id = unchecked(ids[stat]);
  if (id == 0) {
    let name = metricName(unchecked(POLICY_STAT_NAMES[stat]), [new TagPair("policy", policy.name)]);
    id = <i32>Counter.define(name).id;
    unchecked((ids[stat] = id));
  }
  proxy_increment_metric(<u32>id, 1);
}

/** The one-segment property path `setFilterState` writes through (reused: a write allocates no path list). */
const FILTER_STATE_PATH = [""];

/** Writes filter state `wasm.<key>` (see the FS_* keys). */
function setFilterState(key: string, value: string): void {
  unchecked((FILTER_STATE_PATH[0] = key));
  setPropertyString(FILTER_STATE_PATH, value);
}

function logValue(s: string | null): string {
  if (s === null) return "-";
  let v = s.length > LOG_VALUE_LIMIT ? s.substring(0, LOG_VALUE_LIMIT) + "..." : s;
  return jsonQuote(v, JSON_ASCII_ONLY);
}

export class AbacHttp extends HttpContext {
  constructor(contextId: u32, root: RootContext) {
    super(contextId, root);
  }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    let root = changetype<AbacRoot>(this.root);
    let config = root.config;
    if (config === null) {
      // Unreachable in Envoy (a rejected configuration creates no streams); deny rather than guess.
      this.deny(null, null, root);
      return Action.Pause;
    }
    let attrs = changetype<RequestAttributes>(root.attrs); // set with `config`
    attrs.begin();

    // 1. Enforced DENY policies: any match denies.
    let denyRule = firstMatch(attrs, config.denyEnforced, Side.Deny);
    let allowRule: CompiledRule | null = null;
    let allowed = denyRule === null;
    // 2. Enforced ALLOW policies: when any exists, one must match.
    if (allowed && config.allowEnforced.hasPolicies) {
      allowRule = firstMatch(attrs, config.allowEnforced, Side.Allow);
      allowed = allowRule !== null;
    }
    // 3. AUDIT policies: recorded, never enforced.
    if (config.audit.rules.length > 0) {
      let auditRule = firstMatch(attrs, config.audit, Side.Deny);
      if (auditRule !== null) {
        setFilterState(FS_AUDIT_POLICY, auditRule.policy.name);
        root.audited.increment();
        countPolicy(auditRule.policy, PolicyStat.Audited);
      }
    }
    // 4. Dry-run: the decision if every dry-run policy were enforced too.
    if (config.hasDryRun) this.shadow(attrs, config, root);

    if (attrs.usedUnusablePath) root.pathUnusable.increment();
    if (attrs.usedUnavailable) {
      root.attributeUnavailable.increment();
      if (!root.warnedUnavailable) {
        root.warnedUnavailable = true;
        Log.warn(
          "abac: a policy reads an attribute this proxy did not provide (see README \"Attribute sources\"); " +
            "it resolves toward denial",
        );
      }
    }

    if (allowed) {
      setFilterState(FS_DECISION, "allow");
      root.allowed.increment();
      if (allowRule !== null) {
        setFilterState(FS_POLICY, allowRule.policy.name);
        setFilterState(FS_RULE, decimalText(allowRule.index));
        countPolicy(allowRule.policy, PolicyStat.Allowed);
      }
      attrs.release();
      return Action.Continue;
    }
    this.deny(denyRule, attrs, root);
    attrs.release();
    return Action.Pause;
  }

  private shadow(attrs: RequestAttributes, config: AbacConfig, root: AbacRoot): void {
    let rule = firstMatch(attrs, config.shadowDeny, Side.Deny);
    let denied = rule !== null;
    let policy: PolicyInfo | null = rule !== null ? rule.policy : null;
    if (!denied && config.shadowAllow.hasPolicies) {
      let allowRule = firstMatch(attrs, config.shadowAllow, Side.Allow);
      if (allowRule === null) {
        denied = true;
        policy = root.nonePolicy;
      } else {
        policy = allowRule.policy;
      }
    }
    setFilterState(FS_SHADOW_DECISION, denied ? "deny" : "allow");
    if (policy !== null) setFilterState(FS_SHADOW_POLICY, policy.name);
    if (denied) {
      root.shadowDenied.increment();
      // Set above whenever `denied` is: the matching DENY rule's policy, or `none`.
      let p = policy !== null ? policy : root.nonePolicy;
      if (p.dryRun || p === root.nonePolicy) countPolicy(p, PolicyStat.ShadowDenied);
      if (p.dryRun) Log.info("abac: shadow-denied (dry-run) policy=" + p.name + " path=" + logValue(attrs.rawPath));
    } else {
      root.shadowAllowed.increment();
    }
  }

  private deny(rule: CompiledRule | null, attrs: RequestAttributes | null, root: AbacRoot): void {
    let config = root.config;
    let policy = rule !== null ? rule.policy : root.nonePolicy;
    let id = rule !== null ? rule.id : "none";
    setFilterState(FS_DECISION, "deny");
    setFilterState(FS_POLICY, policy.name);
    if (rule !== null) setFilterState(FS_RULE, decimalText(rule.index));
    root.denied.increment();
    countPolicy(policy, PolicyStat.Denied);

    if (attrs !== null) {
      let method = attrs.headerValues(":method");
      let path = attrs.headerValues(":path");
      Log.info(
        "abac: denied policy=" + policy.name +
          " rule=" + (rule !== null ? decimalText(rule.index) : "-") +
          " id=" + id +
          " principal=" + logValue(attrs.principal()) +
          " method=" + logValue(method.length > 0 ? unchecked(method[0]) : null) +
          " path=" + logValue(path.length > 0 ? unchecked(path[0]) : null),
      );
    }

    let response: DenyResponse | null = rule !== null ? rule.policy.denyResponse : null;
    if (response === null && config !== null) response = config.denyResponse;
    let status: u32 = 403;
    let body = "RBAC: access denied";
    let headers = NO_HEADERS;
    if (response !== null) {
      status = <u32>response.status;
      body = response.body;
      headers = response.headers;
    }
    sendLocalResponse(status, DETAILS_PREFIX + id + "]", encodeUtf8(body), headers);
  }
}
