/**
 * The compiled, immutable form of the configuration: what `config.ts` builds once in `onConfigure` and every
 * request reads. Policies become rules with typed constraints (`Field`), and each action group gets lookup tables
 * (`RuleGroup`) so finding the rules that can match a request does not scan every rule.
 */
import { HeaderPair, decimalText } from "../../assembly";
import { Cidr, IpAddress, IpFamily } from "../../assembly/util/cidr";
import { Pattern, PatternKind, RequestPrincipalPattern, Template } from "./match";

/** The request attributes a policy can read. */
export enum AttrId {
  /** The peer's names (certificate URI SAN, DNS SAN, subject; or the waypoint filter-state principal). */
  Identity = 0,
  /** JWT `iss` and `sub`. */
  RequestPrincipal = 1,
  SourceIp = 2,
  RemoteIp = 3,
  Host = 4,
  Method = 5,
  Path = 6,
  DestinationPort = 7,
  DestinationIp = 8,
  Sni = 9,
  /** `request.headers[name]`. */
  Header = 10,
  /** `request.query[name]`. */
  Query = 11,
  /** `request.auth.claims[a][b]…` (also audiences = `aud`, presenter = `azp`). */
  Claim = 12,
  /** `experimental.envoy.filters.<f>[<key>]`: dynamic metadata `<f>`, field `<key>`. */
  Metadata = 13,
  /** `property[seg]…`: any Envoy attribute. */
  Property = 14,
}

const SIMPLE_REFS = new Array<AttrRef>();

/**
 * A shared empty list of strings: the path of an attribute without one (immutable). Each `[]` literal would be a
 * static buffer of its own in the module.
 */
export const NO_PATH: string[] = [];

/** Attribute key → slot: one slot per distinct attribute the configurations name (grows only at configure time). */
const SLOTS: Map<string, i32> = new Map();

/** One attribute of one request, e.g. header `x-tenant`; `key` identifies it, `slot` is its per-request cache cell. */
@final
export class AttrRef {
  /** Index of this attribute's reading in the per-request cache; equal keys share a slot (no hashing per request). */
  slot: i32;

  constructor(
    public id: AttrId,
    /** Header / query name (lower-cased header), metadata namespace, or "". */
    public name: string,
    /** Claim path, metadata field path, or property path. */
    public path: string[],
    public key: string,
  ) {
    if (!SLOTS.has(key)) SLOTS.set(key, SLOTS.size);
    this.slot = SLOTS.get(key);
  }

  /** The shared reference of an attribute without name or path (one object per attribute, not per use). */
  static simple(id: AttrId): AttrRef {
    let table = SIMPLE_REFS;
    if (table.length == 0) {
      for (let i = 0; i <= <i32>AttrId.Property; i++) table.push(new AttrRef(<AttrId>i, "", NO_PATH, decimalText(i)));
    }
    return unchecked(table[<i32>id]);
  }

  static named(id: AttrId, name: string, path: string[]): AttrRef {
    return new AttrRef(id, name, path, decimalText(id) + "\u0000" + name + "\u0000" + path.join("\u0000"));
  }
}

/** How a constraint's values are compared with an attribute reading. */
export enum MatcherKind {
  /** Istio StringMatcher (`*` = non-empty). */
  String = 0,
  /** Istio HeaderMatcher (`*` = present). */
  Header = 1,
  /** HeaderMatcher with ignore_case (hosts): values and readings are lower-case. */
  Host = 2,
  Principal = 3,
  Namespace = 4,
  ServiceAccount = 5,
  TrustDomain = 6,
  RequestPrincipal = 7,
  Ip = 8,
  /** Exact decimal port. */
  Port = 9,
  /** Path: a StringMatcher or a template. */
  Path = 10,
  /** Dynamic metadata value: `v` matches a string, `[v]` a list element. */
  MetadataValue = 11,
}

/** One configured value, pre-parsed for its matcher. */
@final
export class Value {
  pattern: Pattern | null = null;
  /** MetadataValue `[v]`: matches list elements only. */
  listOnly: bool = false;
  /** Namespace glob parts (split at `*`). */
  globParts: string[] | null = null;
  ns: string = "";
  sa: string = "";
  requestPrincipal: RequestPrincipalPattern | null = null;
  cidr: Cidr | null = null;
  port: i32 = -1;
  template: Template | null = null;

  constructor(public text: string) {}
}

/** A constraint: attribute `attr` matches one of `values` (or, `negative`, none of them). */
@final
export class Field {
  constructor(
    public attr: AttrRef,
    public kind: MatcherKind,
    public negative: bool,
    public values: Value[],
  ) {}
}

/** A reference in a relational condition: a path-template capture `{name}` or another attribute. */
@final
export class RelationRef {
  constructor(
    public capture: string | null,
    public attr: AttrRef | null,
  ) {}
}

/** `key` equals (or, `negative`, differs from) one of `refs` (filter extension `valuesFrom` / `notValuesFrom`). */
@final
export class Relation {
  constructor(
    public left: AttrRef,
    public refs: RelationRef[],
    public negative: bool,
  ) {}
}

@final
export class SourceSpec {
  constructor(public fields: Field[]) {}
}

@final
export class OperationSpec {
  constructor(
    /** hosts, notHosts, methods, notMethods, ports, notPorts, notPaths. */
    public fields: Field[],
    /** The positive `paths` constraint (templates capture), or null. */
    public paths: Field | null,
  ) {}
}

export enum PolicyAction {
  Allow = 0,
  Deny = 1,
  Audit = 2,
}

/** No response headers (shared, never modified). */
export const NO_HEADERS: HeaderPair[] = [];

@final
export class DenyResponse {
  constructor(
    public status: i32,
    public body: string,
    /** Built once at configure time (read-only: every deny sends the same list). */
    public headers: HeaderPair[],
  ) {}
}

/** The per-policy counters (`abac.policy.<stat>`), indexing `PolicyInfo.counterIds`. */
export enum PolicyStat {
  Allowed = 0,
  Denied = 1,
  ShadowDenied = 2,
  Audited = 3,
}

/** One configured policy. */
@final
export class PolicyInfo {
  /** Metric ids by `PolicyStat`, defined on first use (0 = not yet). */
  counterIds: i32[] = [0, 0, 0, 0];
  constructor(
    public name: string,
    public action: PolicyAction,
    public dryRun: bool,
    public denyResponse: DenyResponse | null,
  ) {}
}

/** One rule of one policy. A rule may sit in two groups (enforced and shadow); it holds no per-group state. */
@final
export class CompiledRule {
  constructor(
    public policy: PolicyInfo,
    public index: i32,
    /** Envoy RBAC policy id: `ns[<ns>]-policy[<name>]-rule[<index>]`. */
    public id: string,
    /** `spec: {}` (no rules): a rule that never matches. */
    public never: bool,
    public from: SourceSpec[] | null,
    public to: OperationSpec[] | null,
    public when: Field[],
    public relations: Relation[],
  ) {}

  /**
   * `AttrId.SourceIp` / `RemoteIp` when the rule has no operations and every source starts with a positive
   * `ipBlocks` / `remoteIpBlocks` of single addresses on that attribute (`RuleGroup.ipKeys`); otherwise 0.
   */
  ipAttr: i32 = 0;
}

/** Rules of one action group in evaluation order, with the lookup tables that find candidates. */
@final
export class RuleGroup {
  rules: CompiledRule[] = [];
  hasPolicies: bool = false;
  /**
   * Lookup tables: key → head of a chain of rule ranks in `chain` (no per-key array objects, so the garbage
   * collector has fewer live objects to trace; see bench/abac.ts).
   */
  exactPath: Map<string, i32> = new Map();
  prefixPath: Map<string, i32> = new Map();
  prefixPathLengths: i32[] = [];
  exactHost: Map<string, i32> = new Map();
  prefixHost: Map<string, i32> = new Map();
  prefixHostLengths: i32[] = [];
  suffixHost: Map<string, i32> = new Map();
  suffixHostLengths: i32[] = [];
  exactMethod: Map<string, i32> = new Map();
  /** Chain cells: `chain[2 * c]` = rule rank, `chain[2 * c + 1]` = next cell or -1. Sealed into `chainCells`. */
  chain: i32[] = [];
  chainCells: Int32Array = new Int32Array(0);
  /** Rules with no indexable positive path/host/method in some operation: always candidates. */
  always: i32[] = [];
  /** Whether some rule is indexed by path (then an unreadable path forces a full scan). */
  pathIndexed: bool = false;
  /** Per-rule stamp used to de-duplicate candidates within one request. */
  stamps: Int32Array = new Int32Array(0);
  /** The stamp of the current evaluation of this group (per group: a wrap-around resets only this group's). */
  stamp: i32 = 0;
  /**
   * IP-block index: `ipKey` of an address → chain of the rules that list it (see `CompiledRule.ipAttr`). Such
   * rules stay in `always`, so readings happen in the same order as without the index, but evaluation skips
   * one that lists none of the request's addresses: it would fail at its first field, reading nothing else.
   */
  ipKeys: Map<string, i32> = new Map();

  add(rule: CompiledRule): void {
    this.rules.push(rule);
  }

  /** Sorts by RBAC policy id and builds the lookup tables. Called once, at configure time. */
  seal(): void {
    // Sort the rule indices, then permute (one sort for every element type: see sortInts).
    let n = this.rules.length;
    let order: i32[] = [];
    for (let i = 0; i < n; i++) order.push(i);
    rulesBeingSorted = this.rules;
    sortInts(order, compareRuleIndices);
    rulesBeingSorted = [];
    let sorted: CompiledRule[] = [];
    for (let i = 0; i < n; i++) sorted.push(unchecked(this.rules[unchecked(order[i])]));
    this.rules = sorted;
    for (let i = 0; i < n; i++) this.indexRule(unchecked(this.rules[i]), i);
    sortInts(this.prefixPathLengths, compareInts);
    sortInts(this.prefixHostLengths, compareInts);
    sortInts(this.suffixHostLengths, compareInts);
    this.stamps = new Int32Array(this.rules.length);
    let cells = new Int32Array(this.chain.length);
    for (let i = 0, n = this.chain.length; i < n; i++) unchecked((cells[i] = this.chain[i]));
    this.chainCells = cells;
    this.chain = [];
  }

  /** Adds `rank` to the chain of `key` (ranks arrive in increasing order; a repeat of the last one is skipped). */
  private addTo(map: Map<string, i32>, lengths: i32[] | null, key: string, rank: i32): void {
    let cell = this.chain.length >> 1;
    if (map.has(key)) {
      // Append at the tail: walk to the last cell of this key's chain.
      let c = map.get(key);
      while (true) {
        if (unchecked(this.chain[2 * c]) == rank) return;
        let next = unchecked(this.chain[2 * c + 1]);
        if (next < 0) break;
        c = next;
      }
      this.chain[2 * c + 1] = cell;
    } else {
      map.set(key, cell);
      if (lengths !== null && !lengths.includes(key.length)) lengths.push(key.length);
    }
    this.chain.push(rank);
    this.chain.push(-1);
  }

  private indexRule(rule: CompiledRule, rank: i32): void {
    if (rule.never) return;
    let ops = rule.to;
    if (ops === null) {
      this.always.push(rank);
      this.indexIpBlocks(rule, rank);
      return;
    }
    // Every operation must contribute a key; otherwise the rule is always a candidate.
    for (let i = 0, n = ops.length; i < n; i++) {
      if (!canIndex(unchecked(ops[i]))) {
        this.always.push(rank);
        return;
      }
    }
    for (let i = 0, n = ops.length; i < n; i++) this.indexOperation(unchecked(ops[i]), rank);
  }

  private indexIpBlocks(rule: CompiledRule, rank: i32): void {
    let from = rule.from;
    if (from === null) return;
    let attr: AttrRef | null = null;
    for (let i = 0, n = from.length; i < n; i++) {
      let fields = unchecked(from[i]).fields;
      if (fields.length == 0) return;
      let f = unchecked(fields[0]);
      if (f.negative || f.kind != MatcherKind.Ip || (attr !== null && f.attr !== attr)) return;
      attr = f.attr;
      for (let k = 0, m = f.values.length; k < m; k++) {
        let cidr = changetype<Cidr>(unchecked(f.values[k]).cidr); // set on every value of an Ip field
        // Single addresses only (a range would need a lookup per prefix length).
        if (cidr.prefixLength != (cidr.family == IpFamily.V4 ? 32 : 128)) return;
        this.addTo(this.ipKeys, null, ipKey(attr.id, cidr.address), rank);
      }
    }
    if (attr !== null) rule.ipAttr = attr.id;
  }

  private indexOperation(op: OperationSpec, rank: i32): void {
    let paths = op.paths;
    if (paths !== null && indexablePaths(paths)) {
      this.pathIndexed = true;
      for (let i = 0, n = paths.values.length; i < n; i++) {
        let v = unchecked(paths.values[i]);
        let t = v.template;
        if (t !== null) this.addTo(this.prefixPath, this.prefixPathLengths, t.literalPrefix, rank);
        else {
          let p = v.pattern!;
          if (p.kind == PatternKind.Exact) this.addTo(this.exactPath, null, p.text, rank);
          else this.addTo(this.prefixPath, this.prefixPathLengths, p.text, rank);
        }
      }
      return;
    }
    let hosts = positiveField(op, MatcherKind.Host);
    if (hosts !== null && indexableHosts(hosts)) {
      for (let i = 0, n = hosts.values.length; i < n; i++) {
        let p = unchecked(hosts.values[i]).pattern!;
        if (p.kind == PatternKind.Exact) this.addTo(this.exactHost, null, p.text, rank);
        else if (p.kind == PatternKind.Prefix) this.addTo(this.prefixHost, this.prefixHostLengths, p.text, rank);
        else this.addTo(this.suffixHost, this.suffixHostLengths, p.text, rank);
      }
      return;
    }
    let methods = positiveField(op, MatcherKind.Header);
    if (methods !== null) {
      for (let i = 0, n = methods.values.length; i < n; i++) {
        this.addTo(this.exactMethod, null, unchecked(methods.values[i]).pattern!.text, rank);
      }
    }
  }
}

/** The IP-block index key of address `ip` read from attribute `attr`: its raw bits (never shown). */
export function ipKey(attr: AttrId, ip: IpAddress): string {
  let key = changetype<string>(__new(20, idof<string>()));
  let p = changetype<usize>(key);
  store<i32>(p, (<i32>attr << 8) | ip.family);
  store<u64>(p, ip.high, 4);
  store<u64>(p, ip.low, 12);
  return key;
}

/** The rules {@link compareRuleIndices} compares (a comparator cannot capture them: no closures). */
let rulesBeingSorted: CompiledRule[] = [];

function compareRuleIndices(a: i32, b: i32): i32 {
  let x = unchecked(rulesBeingSorted[a]).id;
  let y = unchecked(rulesBeingSorted[b]).id;
  // Byte order of ASCII ids (std::map<std::string> in Envoy RBAC).
  return x < y ? -1 : x > y ? 1 : 0;
}

function compareInts(a: i32, b: i32): i32 {
  return a - b;
}

/**
 * Sorts `values` in place by `compare` (Shell sort, gaps 1, 4, 13, 40, …: O(n^1.5), a request's few candidates
 * take one insertion pass). Not stable, which no caller needs: every array sorted here holds distinct values
 * (rule indices, distinct lengths, de-duplicated candidates). Hand-written because the standard library's
 * `Array#sort` (TimSort) is instantiated once per element type, ~1 KB each; every sort here sorts i32s.
 */
export function sortInts(values: i32[], compare: (a: i32, b: i32) => i32): void {
  let n = values.length;
  let gap = 1;
  while (gap < n / 3) gap = gap * 3 + 1;
  for (; gap > 0; gap = (gap - 1) / 3) {
    for (let i = gap; i < n; i++) {
      let value = unchecked(values[i]);
      let j = i;
      while (j >= gap && compare(value, unchecked(values[j - gap])) < 0) {
        unchecked((values[j] = values[j - gap]));
        j -= gap;
      }
      unchecked((values[j] = value));
    }
  }
}


function canIndex(op: OperationSpec): bool {
  let paths = op.paths;
  if (paths !== null && indexablePaths(paths)) return true;
  let hosts = positiveField(op, MatcherKind.Host);
  if (hosts !== null && indexableHosts(hosts)) return true;
  return positiveField(op, MatcherKind.Header) !== null && indexableMethods(positiveField(op, MatcherKind.Header)!);
}

/** Exact and prefix paths and templates (by their literal prefix) are indexable; suffix and `*` are not. */
function indexablePaths(f: Field): bool {
  for (let i = 0, n = f.values.length; i < n; i++) {
    let v = unchecked(f.values[i]);
    if (v.template !== null) continue;
    let k = v.pattern!.kind;
    if (k != PatternKind.Exact && k != PatternKind.Prefix) return false;
  }
  return true;
}

function indexableHosts(f: Field): bool {
  for (let i = 0, n = f.values.length; i < n; i++) {
    if (unchecked(f.values[i]).pattern!.kind == PatternKind.Presence) return false;
  }
  return true;
}

function indexableMethods(f: Field): bool {
  for (let i = 0, n = f.values.length; i < n; i++) {
    if (unchecked(f.values[i]).pattern!.kind != PatternKind.Exact) return false;
  }
  return true;
}

/** The positive hosts (`Host`) or methods (`Header` on the method attribute) constraint of an operation. */
function positiveField(op: OperationSpec, kind: MatcherKind): Field | null {
  for (let i = 0, n = op.fields.length; i < n; i++) {
    let f = unchecked(op.fields[i]);
    if (f.negative || f.kind != kind) continue;
    if (kind == MatcherKind.Header && f.attr.id != AttrId.Method) continue;
    return f;
  }
  return null;
}
