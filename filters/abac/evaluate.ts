/**
 * Rule evaluation. Istio semantics (authorization_policy.proto): a rule matches when some `from` source, some
 * `to` operation and every `when` condition match; fields inside a source/operation are ANDed, values inside a
 * field ORed; `not*` / `notValues` negate.
 *
 * Ambiguity resolves toward denial (README "Decision rules"): a constraint in a DENY (or AUDIT) rule holds when
 * SOME reading of the attribute satisfies it; in an ALLOW rule only when EVERY reading does. An Unknown attribute
 * (should exist, could not be read) satisfies every DENY constraint and no ALLOW constraint. An Absent attribute
 * follows Istio: positive constraints fail, negative ones hold.
 */
import { Cidr, IpAddress, IpFamily } from "../../assembly/util/cidr";
import { RequestAttributes, Reading, ReadingState } from "./attributes";
import {
  matchHeader,
  matchNamespace,
  matchPrincipal,
  matchServiceAccount,
  matchString,
  matchTrustDomain,
  templateCaptureNames,
  templateCaptureValues,
} from "./match";
import { AttrId, AttrRef, CompiledRule, Field, MatcherKind, OperationSpec, Relation, RuleGroup, Value, ipKey, sortInts } from "./model";

export enum Side {
  Allow = 0,
  Deny = 1,
}

const PATH = AttrRef.simple(AttrId.Path);
const HOST = AttrRef.simple(AttrId.Host);
const METHOD = AttrRef.simple(AttrId.Method);

// -------------------------------------------------------------------------------------------------------------
// Candidate lookup
// -------------------------------------------------------------------------------------------------------------

/** The stamp of the group being evaluated (`RuleGroup.stamp`). */
let stampCounter: i32 = 0;
/** The attribute whose addresses were last looked up in the IP-block index in this evaluation, or 0. */
let ipLookedUp: AttrId = 0;
const candidates = new Array<i32>();

/** The first rule of `group` (in RBAC policy-id order) that matches, or null. */
export function firstMatch(attrs: RequestAttributes, group: RuleGroup, side: Side): CompiledRule | null {
  let rules = group.rules;
  if (rules.length == 0) return null;
  stampCounter = ++group.stamp;
  if (stampCounter == i32.MAX_VALUE) {
    stampCounter = group.stamp = 1;
    group.stamps.fill(0);
  }
  ipLookedUp = 0;
  candidates.length = 0;
  let stamps = group.stamps;
  let fullScan = group.pathIndexed && attrs.reading(PATH).state == ReadingState.Unknown;
  if (fullScan) {
    for (let i = 0, n = rules.length; i < n; i++) candidates.push(i);
  } else {
    addList(stamps, group.always);
    lookupViews(attrs, group, PATH, group.exactPath, group.prefixPath, group.prefixPathLengths, NO_KEYS, NO_LENGTHS);
    lookupViews(attrs, group, HOST, group.exactHost, group.prefixHost, group.prefixHostLengths, group.suffixHost, group.suffixHostLengths);
    lookupViews(attrs, group, METHOD, group.exactMethod, NO_KEYS, NO_LENGTHS, NO_KEYS, NO_LENGTHS);
    // Often in order already (`always` is sorted and comes first; one lookup adds an ascending chain).
    if (!isAscending(candidates)) sortInts(candidates, compareRank);
  }
  for (let i = 0, n = candidates.length; i < n; i++) {
    let rank = unchecked(candidates[i]);
    let rule = unchecked(rules[rank]);
    if (rule.ipAttr != 0 && !ipBlocksMayHold(attrs, group, <AttrId>rule.ipAttr, rank)) continue;
    if (ruleMatches(attrs, rule, side)) return rule;
  }
  return null;
}

/**
 * False when IP-indexed rule `rank` fails at its first field: the attribute was read and none of the rule's
 * ranges holds an address of it (an attribute that could not be read leaves the decision to `ruleMatches`).
 */
function ipBlocksMayHold(attrs: RequestAttributes, group: RuleGroup, attr: AttrId, rank: i32): bool {
  let r = attrs.reading(AttrRef.simple(attr));
  if (r.state != ReadingState.Present) return true;
  // Candidates are collected by now, so `stamps` can mark the rules listing an address: -stamp.
  let stamps = group.stamps;
  // Marks are idempotent: looking up again (rules on both attributes, interleaved) only repeats work.
  if (ipLookedUp != attr) {
    ipLookedUp = attr;
    for (let i = 0, n = r.ips.length; i < n; i++) {
      let key = ipKey(attr, unchecked(r.ips[i]));
      if (!group.ipKeys.has(key)) continue;
      let cells = group.chainCells;
      for (let c = group.ipKeys.get(key); c >= 0; c = unchecked(cells[2 * c + 1])) {
        unchecked((stamps[unchecked(cells[2 * c])] = -stampCounter));
      }
    }
  }
  return unchecked(stamps[rank]) == -stampCounter;
}

function isAscending(values: i32[]): bool {
  for (let i = 1, n = values.length; i < n; i++) {
    if (unchecked(values[i - 1]) > unchecked(values[i])) return false;
  }
  return true;
}

/** No keys / key lengths: the tables an attribute is not indexed by (`lookupViews`). */
const NO_KEYS: Map<string, i32> = new Map();
const NO_LENGTHS: i32[] = [];

/**
 * Adds the rules indexed under some broad reading of `attr`: exact keys, prefixes, suffixes. Reads the
 * attribute only when the group indexes it.
 */
function lookupViews(
  attrs: RequestAttributes,
  group: RuleGroup,
  attr: AttrRef,
  exact: Map<string, i32>,
  prefix: Map<string, i32>,
  prefixLengths: i32[],
  suffix: Map<string, i32>,
  suffixLengths: i32[],
): void {
  if (exact.size == 0 && prefix.size == 0 && suffix.size == 0) return;
  let r = attrs.reading(attr);
  if (r.state != ReadingState.Present) return;
  let stamps = group.stamps;
  for (let v = 0, n = r.broad.length; v < n; v++) {
    let text = unchecked(unchecked(r.broad[v])[0]);
    if (exact.has(text)) addChain(stamps, group, exact.get(text));
    lookupPrefixes(stamps, group, prefix, prefixLengths, text);
    lookupSuffixes(stamps, group, suffix, suffixLengths, text);
  }
}

function compareRank(a: i32, b: i32): i32 {
  return a - b;
}

function addRank(stamps: Int32Array, rank: i32): void {
  if (unchecked(stamps[rank]) != stampCounter) {
    unchecked((stamps[rank] = stampCounter));
    candidates.push(rank);
  }
}

function addList(stamps: Int32Array, list: i32[]): void {
  for (let i = 0, n = list.length; i < n; i++) addRank(stamps, unchecked(list[i]));
}

/** Every rank on the chain starting at cell `c`. */
function addChain(stamps: Int32Array, group: RuleGroup, c: i32): void {
  let cells = group.chainCells;
  while (c >= 0) {
    addRank(stamps, unchecked(cells[2 * c]));
    c = unchecked(cells[2 * c + 1]);
  }
}

function lookupPrefixes(stamps: Int32Array, group: RuleGroup, map: Map<string, i32>, lengths: i32[], text: string): void {
  for (let i = 0, n = lengths.length; i < n; i++) {
    let len = unchecked(lengths[i]);
    if (len > text.length) break;
    let key = text.substring(0, len);
    if (map.has(key)) addChain(stamps, group, map.get(key));
  }
}

function lookupSuffixes(stamps: Int32Array, group: RuleGroup, map: Map<string, i32>, lengths: i32[], text: string): void {
  for (let i = 0, n = lengths.length; i < n; i++) {
    let len = unchecked(lengths[i]);
    if (len > text.length) break;
    let key = text.substring(text.length - len);
    if (map.has(key)) addChain(stamps, group, map.get(key));
  }
}

// -------------------------------------------------------------------------------------------------------------
// Rules
// -------------------------------------------------------------------------------------------------------------

/** Capture bindings of the operation being evaluated: one entry per path reading, names/values interleaved. */
let bindings = new Array<string[]>();
/** The binding of a path reading without captures (shared: bindings are only read). */
const NO_CAPTURES: string[] = [];
/** The bindings of an operation without captures (shared, never modified: `computeBindings` makes a new list). */
const NO_BINDINGS: Array<string[]> = [NO_CAPTURES];

export function ruleMatches(attrs: RequestAttributes, rule: CompiledRule, side: Side): bool {
  if (rule.never) return false;
  let from = rule.from;
  if (from !== null) {
    let any = false;
    for (let i = 0, n = from.length; i < n && !any; i++) {
      any = allHold(attrs, unchecked(from[i]).fields, side);
    }
    if (!any) return false;
  }
  let to = rule.to;
  if (to === null) {
    bindings = NO_BINDINGS;
    return whenHolds(attrs, rule, side);
  }
  for (let i = 0, n = to.length; i < n; i++) {
    let op = unchecked(to[i]);
    if (!operationHolds(attrs, op, side)) continue;
    if (rule.relations.length > 0) computeBindings(attrs, op);
    else bindings = NO_BINDINGS;
    if (whenHolds(attrs, rule, side)) return true;
  }
  return false;
}

function allHold(attrs: RequestAttributes, fields: Field[], side: Side): bool {
  for (let i = 0, n = fields.length; i < n; i++) {
    if (!fieldHolds(attrs, unchecked(fields[i]), side)) return false;
  }
  return true;
}

function operationHolds(attrs: RequestAttributes, op: OperationSpec, side: Side): bool {
  if (!allHold(attrs, op.fields, side)) return false;
  let paths = op.paths;
  return paths === null || fieldHolds(attrs, paths, side);
}

function whenHolds(attrs: RequestAttributes, rule: CompiledRule, side: Side): bool {
  if (!allHold(attrs, rule.when, side)) return false;
  let relations = rule.relations;
  for (let i = 0, n = relations.length; i < n; i++) {
    if (!relationHolds(attrs, unchecked(relations[i]), side)) return false;
  }
  return true;
}

/** Per path reading: the captures of the first path value (in order) that matches it. */
function computeBindings(attrs: RequestAttributes, op: OperationSpec): void {
  bindings = new Array<string[]>();
  let paths = op.paths;
  let r = attrs.reading(PATH);
  if (paths === null || r.state != ReadingState.Present) {
    bindings.push(NO_CAPTURES);
    return;
  }
  for (let v = 0, n = r.strict.length; v < n; v++) {
    let path = unchecked(unchecked(r.strict[v])[0]);
    for (let k = 0, m = paths.values.length; k < m; k++) {
      let value = unchecked(paths.values[k]);
      let t = value.template;
      if (t === null) {
        if (matchString(path, value.pattern!)) {
          bindings.push(NO_CAPTURES);
          break;
        }
        continue;
      }
      if (t.match(path)) {
        let b = new Array<string>();
        for (let c = 0, cn = templateCaptureNames.length; c < cn; c++) {
          b.push(unchecked(templateCaptureNames[c]));
          b.push(unchecked(templateCaptureValues[c]));
        }
        bindings.push(b);
        break;
      }
    }
  }
  if (bindings.length == 0) bindings.push(NO_CAPTURES);
}

// -------------------------------------------------------------------------------------------------------------
// Fields
// -------------------------------------------------------------------------------------------------------------

export function fieldHolds(attrs: RequestAttributes, f: Field, side: Side): bool {
  let r = attrs.reading(f.attr);
  if (r.state == ReadingState.Unknown) return side == Side.Deny;
  if (r.state == ReadingState.Absent) return f.negative;
  let useBroad = f.negative ? side == Side.Allow : side == Side.Deny;
  let views = useBroad ? r.broad : r.strict;
  let n = views.length;
  if (!f.negative) {
    if (side == Side.Deny) {
      for (let i = 0; i < n; i++) if (viewMatches(f, r, i, unchecked(views[i]))) return true;
      return false;
    }
    for (let i = 0; i < n; i++) if (!viewMatches(f, r, i, unchecked(views[i]))) return false;
    return true;
  }
  if (side == Side.Deny) {
    for (let i = 0; i < n; i++) if (!viewMatches(f, r, i, unchecked(views[i]))) return true;
    return false;
  }
  for (let i = 0; i < n; i++) if (viewMatches(f, r, i, unchecked(views[i]))) return false;
  return true;
}

/** A view matches when one of its elements matches one of the field's values. */
function viewMatches(f: Field, r: Reading, viewIndex: i32, view: string[]): bool {
  let values = f.values;
  let kind = f.kind;
  if (kind == MatcherKind.RequestPrincipal) {
    if (view.length != 2) return false;
    for (let k = 0, m = values.length; k < m; k++) {
      if (unchecked(values[k]).requestPrincipal!.matches(unchecked(view[0]), unchecked(view[1]))) return true;
    }
    return false;
  }
  if (kind == MatcherKind.Ip) {
    let ip = viewIndex < r.ips.length ? unchecked(r.ips[viewIndex]) : null;
    if (ip === null) return false;
    for (let k = 0, m = values.length; k < m; k++) {
      if (cidrContainsExact(unchecked(values[k]).cidr!, ip)) return true;
    }
    return false;
  }
  let isList = kind == MatcherKind.MetadataValue && viewIndex < r.lists.length && unchecked(r.lists[viewIndex]);
  for (let e = 0, en = view.length; e < en; e++) {
    let text = unchecked(view[e]);
    for (let k = 0, m = values.length; k < m; k++) {
      let value = unchecked(values[k]);
      if (kind == MatcherKind.MetadataValue && value.listOnly != isList) continue;
      if (valueMatches(kind, value, text)) return true;
    }
  }
  return false;
}

function valueMatches(kind: MatcherKind, value: Value, text: string): bool {
  switch (kind) {
    case MatcherKind.String:
    case MatcherKind.MetadataValue:
      return matchString(text, value.pattern!);
    case MatcherKind.Header:
    case MatcherKind.Host:
      return matchHeader(text, value.pattern!);
    case MatcherKind.Principal:
      return matchPrincipal(text, value.pattern!);
    case MatcherKind.Namespace:
      return matchNamespace(text, value.globParts!);
    case MatcherKind.ServiceAccount:
      return matchServiceAccount(text, value.ns, value.sa);
    case MatcherKind.TrustDomain:
      return matchTrustDomain(text, value.text);
    case MatcherKind.Port:
      return text == value.text;
    case MatcherKind.Path: {
      let t = value.template;
      return t !== null ? t.match(text) : matchString(text, value.pattern!);
    }
  }
  return false;
}

/** Envoy CidrRange::isInRange: same family, prefix bits equal; no IPv4-mapped conversion. */
function cidrContainsExact(cidr: Cidr, ip: IpAddress): bool {
  if (cidr.family != ip.family) return false;
  let prefix = cidr.prefixLength;
  let net = cidr.address;
  if (ip.family == IpFamily.V4) {
    if (prefix == 0) return true;
    let mask = <u64>(0xffffffff << (32 - prefix)) & 0xffffffff;
    return (ip.low & mask) == (net.low & mask);
  }
  let highMask: u64 = prefix >= 64 ? <u64>-1 : prefix <= 0 ? 0 : <u64>-1 << <u64>(64 - prefix);
  let lowMask: u64 = prefix >= 128 ? <u64>-1 : prefix <= 64 ? 0 : <u64>-1 << <u64>(128 - prefix);
  return (ip.high & highMask) == (net.high & highMask) && (ip.low & lowMask) == (net.low & lowMask);
}

// -------------------------------------------------------------------------------------------------------------
// Relations
// -------------------------------------------------------------------------------------------------------------

/**
 * `valuesFrom` / `notValuesFrom`: the single value of `left` equals / differs from a reference. Indeterminate
 * (absent, several values) resolves toward denial. Captures: every path reading in ALLOW rules, some in DENY rules.
 */
function relationHolds(attrs: RequestAttributes, rel: Relation, side: Side): bool {
  let left = singleValue(attrs, rel.left);
  let anyTrue = false;
  let allTrue = true;
  for (let b = 0, bn = bindings.length; b < bn; b++) {
    let binding = unchecked(bindings[b]);
    // 1 true, 0 false, -1 indeterminate
    let result: i32 = -1;
    if (left !== null) {
      let anyEqual = false;
      let anyUnknown = false;
      for (let i = 0, n = rel.refs.length; i < n; i++) {
        let ref = unchecked(rel.refs[i]);
        let right: string | null = null;
        let capture = ref.capture;
        if (capture !== null) {
          for (let k = 0; k + 1 < binding.length; k += 2) {
            if (unchecked(binding[k]) == capture) right = unchecked(binding[k + 1]);
          }
        } else {
          right = singleValue(attrs, ref.attr!);
        }
        if (right === null) anyUnknown = true;
        else if (right == left) anyEqual = true;
      }
      if (!rel.negative) result = anyEqual ? 1 : anyUnknown ? -1 : 0;
      else result = anyEqual ? 0 : anyUnknown ? -1 : 1;
    }
    let holds = result == -1 ? side == Side.Deny : result == 1;
    if (holds) anyTrue = true;
    else allTrue = false;
  }
  return side == Side.Deny ? anyTrue : allTrue;
}

/** The single canonical value of an attribute for relations; null when absent or ambiguous. */
export function singleValue(attrs: RequestAttributes, ref: AttrRef): string | null {
  switch (ref.id) {
    case AttrId.Header: {
      let v = attrs.headerValues(ref.name);
      return v.length == 1 ? unchecked(v[0]) : null;
    }
    case AttrId.Query:
      return attrs.querySingle(ref.name);
    case AttrId.Claim: {
      let v = attrs.claimValue(ref.path);
      if (v === null) return null;
      if (v.kind == 2 /* String */) return v.str;
      if (v.kind == 5 /* List */ && v.items.length == 1 && unchecked(v.items[0]).kind == 2) return unchecked(v.items[0]).str;
      return null;
    }
    case AttrId.RequestPrincipal: {
      let p = attrs.jwtPayload();
      if (p === null) return null;
      let iss = p.field("iss");
      let sub = p.field("sub");
      if (iss === null || sub === null || iss.kind != 2 || sub.kind != 2) return null;
      return iss.str + "/" + sub.str;
    }
    case AttrId.Identity: {
      let principal = attrs.principal();
      if (principal === null || ref.name == "principal") return principal;
      // source.namespace: the segment after "/ns/".
      let i = principal.indexOf("/ns/");
      if (i < 0) return null;
      let end = principal.indexOf("/", i + 4);
      return end > i + 4 ? principal.substring(i + 4, end) : null;
    }
    case AttrId.Property: {
      let r = attrs.reading(ref);
      return r.state == ReadingState.Present ? unchecked(unchecked(r.strict[0])[0]) : null;
    }
  }
  return null;
}
