/**
 * Value matchers with Istio's semantics as Envoy executes them after istiod's translation
 * (istio/istio pilot/pkg/security/authz/matcher/{string,header}.go and model/generator.go @86c9f01f). Pure
 * functions: no host calls, no allocation on the match path except template captures.
 */
import { splitAt } from "../../assembly";
import { Cidr, IpAddress, IpFamily } from "../../assembly/util/cidr";

/** How an Istio value string matches: `v`, `v*`, `*v`, `*` (pkg/config/security CheckWildcardValues). */
export enum PatternKind {
  Exact = 0,
  Prefix = 1,
  Suffix = 2,
  /** `*`: any non-empty value without a line feed (RE2 `.+`), or, for headers, presence. */
  Presence = 3,
}

@final
export class Pattern {
  constructor(
    public kind: PatternKind,
    /** The literal part; lower-cased at configure time for case-insensitive matchers. */
    public text: string,
  ) {}

  static parse(value: string): Pattern {
    let n = value.length;
    if (value == "*") return new Pattern(PatternKind.Presence, "");
    if (n > 1 && value.charCodeAt(0) == 0x2a) return new Pattern(PatternKind.Suffix, value.substring(1));
    if (n > 1 && value.charCodeAt(n - 1) == 0x2a) return new Pattern(PatternKind.Prefix, value.substring(0, n - 1));
    return new Pattern(PatternKind.Exact, value);
  }
}

/** RE2 `.+`: non-empty, no line feed. */
export function dotPlus(value: string): bool {
  return value.length > 0 && value.indexOf("\n") < 0;
}

/** Istio StringMatcher on a non-header value (`*` = RE2 `.+`). */
export function matchString(value: string, p: Pattern): bool {
  switch (p.kind) {
    case PatternKind.Exact:
      return value == p.text;
    case PatternKind.Prefix:
      return value.startsWith(p.text);
    case PatternKind.Suffix:
      return value.endsWith(p.text);
    default:
      return dotPlus(value);
  }
}

/** Istio HeaderMatcher (`*` = present, any value). Case-insensitive matching passes lower-cased values. */
export function matchHeader(value: string, p: Pattern): bool {
  switch (p.kind) {
    case PatternKind.Exact:
      return value == p.text;
    case PatternKind.Prefix:
      return value.startsWith(p.text);
    case PatternKind.Suffix:
      return value.endsWith(p.text);
    default:
      return true;
  }
}

const SPIFFE = "spiffe://";

/**
 * `principals` / `source.principal`: StringMatcherWithPrefix(v, "spiffe://") — exact `spiffe://v`, prefix
 * `spiffe://v`, suffix → regex `spiffe://.*v`, `*` → regex `.+` (without the prefix).
 */
export function matchPrincipal(name: string, p: Pattern): bool {
  switch (p.kind) {
    case PatternKind.Exact:
      return name.length == SPIFFE.length + p.text.length && name.startsWith(SPIFFE) && name.endsWith(p.text);
    case PatternKind.Prefix:
      return name.startsWith(SPIFFE) && name.startsWith(p.text, SPIFFE.length);
    case PatternKind.Suffix: {
      if (!name.startsWith(SPIFFE) || name.length < SPIFFE.length + p.text.length || !name.endsWith(p.text)) return false;
      let middle = name.indexOf("\n", SPIFFE.length);
      return middle < 0 || middle >= name.length - p.text.length;
    }
    default:
      return dotPlus(name);
  }
}

/**
 * `namespaces` / `source.namespace`: regex `.*\/ns\/<v, * → .*>\/.*` (full match). Values are validated to
 * `[a-z0-9-*]`, so `*` is the only metacharacter.
 */
export function matchNamespace(name: string, globParts: string[]): bool {
  if (name.indexOf("\n") >= 0) return false;
  let i = name.indexOf("/ns/");
  while (i >= 0) {
    let start = i + 4;
    let j = name.indexOf("/", start);
    while (j >= 0) {
      if (globMatch(name, start, j, globParts)) return true;
      j = name.indexOf("/", j + 1);
    }
    i = name.indexOf("/ns/", i + 1);
  }
  return false;
}

/** Full match of `text[start, end)` against literal parts joined by `*`. */
function globMatch(text: string, start: i32, end: i32, parts: string[]): bool {
  let n = parts.length;
  let first = unchecked(parts[0]);
  if (n == 1) return end - start == first.length && text.startsWith(first, start);
  let last = unchecked(parts[n - 1]);
  if (end - start < first.length + last.length) return false;
  if (!text.startsWith(first, start)) return false;
  if (!(text.substring(end - last.length, end) == last)) return false;
  let pos = start + first.length;
  let limit = end - last.length;
  for (let k = 1; k < n - 1; k++) {
    let part = unchecked(parts[k]);
    let at = text.indexOf(part, pos);
    if (at < 0 || at + part.length > limit) return false;
    pos = at + part.length;
  }
  return true;
}

/**
 * `serviceAccounts` / `source.serviceAccount`: regex `spiffe://.+/ns/<ns>/(.+/|)sa/<sa>(/.+)?` (full match),
 * with `<ns>`/`<sa>` inserted unescaped as istiod does, so `.` in them matches any character but a line feed.
 */
export function matchServiceAccount(name: string, ns: string, sa: string): bool {
  if (!name.startsWith(SPIFFE) || name.indexOf("\n") >= 0) return false;
  let base = SPIFFE.length;
  let i = name.indexOf("/ns/", base);
  while (i >= 0) {
    if (i > base) {
      let p = i + 4;
      if (dotLiteralAt(name, p, ns) && p + ns.length < name.length && name.charCodeAt(p + ns.length) == 0x2f) {
        let t = p + ns.length + 1; // start of "(.+/|)sa/<sa>(/.+)?"
        let j = name.indexOf("sa/", t);
        while (j >= 0) {
          if (j == t || (j >= t + 2 && name.charCodeAt(j - 1) == 0x2f)) {
            let q = j + 3;
            if (dotLiteralAt(name, q, sa)) {
              let tail = q + sa.length;
              if (tail == name.length || (name.length - tail >= 2 && name.charCodeAt(tail) == 0x2f)) return true;
            }
          }
          j = name.indexOf("sa/", j + 1);
        }
      }
    }
    i = name.indexOf("/ns/", i + 1);
  }
  return false;
}

function dotLiteralAt(text: string, at: i32, literal: string): bool {
  if (at + literal.length > text.length) return false;
  for (let k = 0, n = literal.length; k < n; k++) {
    let c = literal.charCodeAt(k);
    let t = text.charCodeAt(at + k);
    if (c == 0x2e ? t == 0x0a : t != c) return false;
  }
  return true;
}

/**
 * `trustDomains` / `source.trustDomain`: `*` → prefix `spiffe://`; `td` → prefix `spiffe://td/`; one wildcard →
 * regex `spiffe://<p0>[^/]*<p1>/.*`. `value` is the configured text; the wildcard split is done here (rare path).
 */
export function matchTrustDomain(name: string, value: string): bool {
  if (value == "*") return name.startsWith(SPIFFE);
  let star = value.indexOf("*");
  if (star < 0) return name.startsWith(SPIFFE + value + "/");
  if (!name.startsWith(SPIFFE) || name.indexOf("\n") >= 0) return false;
  let slash = name.indexOf("/", SPIFFE.length);
  if (slash < 0) return false;
  let td = name.substring(SPIFFE.length, slash);
  let p0 = value.substring(0, star);
  let p1 = value.substring(star + 1);
  return td.length >= p0.length + p1.length && td.startsWith(p0) && td.endsWith(p1);
}

/** `requestPrincipals` split at the last `/` into issuer and subject patterns (generator.go requestPrincipalGenerator). */
@final
export class RequestPrincipalPattern {
  constructor(
    public iss: Pattern,
    public sub: Pattern,
  ) {}

  static parse(value: string): RequestPrincipalPattern {
    let idx = value.lastIndexOf("/");
    let found = idx >= 0;
    let iss = found ? value.substring(0, idx) : value;
    let sub = found ? value.substring(idx + 1) : "";
    let any = new Pattern(PatternKind.Presence, "");
    let n = value.length;
    if (value == "*") return new RequestPrincipalPattern(any, any);
    if (value.charCodeAt(0) == 0x2a) {
      if (found) {
        return new RequestPrincipalPattern(
          iss == "*" ? any : new Pattern(PatternKind.Suffix, iss.substring(1)),
          new Pattern(PatternKind.Exact, sub),
        );
      }
      return new RequestPrincipalPattern(any, new Pattern(PatternKind.Suffix, value.substring(1)));
    }
    if (value.charCodeAt(n - 1) == 0x2a) {
      if (found) {
        return new RequestPrincipalPattern(
          new Pattern(PatternKind.Exact, iss),
          sub == "*" ? any : new Pattern(PatternKind.Prefix, sub.substring(0, sub.length - 1)),
        );
      }
      return new RequestPrincipalPattern(new Pattern(PatternKind.Prefix, value.substring(0, n - 1)), any);
    }
    return new RequestPrincipalPattern(new Pattern(PatternKind.Exact, iss), new Pattern(PatternKind.Exact, sub));
  }

  matches(iss: string, sub: string): bool {
    return matchString(iss, this.iss) && matchString(sub, this.sub);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// IP addresses: a reading is matched strictly (same family, Envoy CidrRange::isInRange) or loosely (an
// IPv4-mapped IPv6 address as the IPv4 address it carries, assembly/util/cidr.ts). Strict is the ALLOW reading,
// loose the DENY reading.
// ---------------------------------------------------------------------------------------------------------------

export function cidrContainsStrict(cidr: Cidr, ip: IpAddress): bool {
  return cidr.family == ip.family && cidr.contains(ip);
}

export function isV4(ip: IpAddress): bool {
  return ip.family == IpFamily.V4;
}

// ---------------------------------------------------------------------------------------------------------------
// Path templates: Istio `{*}` (one segment) and `{**}` (any number of segments, last operator), plus named
// variables `{name}` (one segment, captured), with Envoy uri_template semantics: a segment glob is
// `[a-zA-Z0-9-._~%!$&'()+,;:@=]+`, the text glob the same class plus `/`, zero or more.
// ---------------------------------------------------------------------------------------------------------------

/**
 * Envoy uri_template kLiteral (envoy source/extensions/path/uri_template_lib/uri_template_internal.cc): unreserved,
 * `%`, sub-delims without `*`, `:`, `@`, and `=` (added upstream; Envoy 1.40 matches `/a/{*}` against `/a/x=y`).
 */
export function isTemplateChar(c: i32): bool {
  if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39)) return true;
  switch (c) {
    case 0x2d: // -
    case 0x2e: // .
    case 0x5f: // _
    case 0x7e: // ~
    case 0x25: // %
    case 0x21: // !
    case 0x24: // $
    case 0x26: // &
    case 0x27: // '
    case 0x28: // (
    case 0x29: // )
    case 0x2b: // +
    case 0x2c: // ,
    case 0x3b: // ;
    case 0x3a: // :
    case 0x40: // @
    case 0x3d: // =
      return true;
  }
  return false;
}

export enum TokenKind {
  Literal = 0,
  /** `{*}` or `{name}`. */
  Segment = 1,
  /** `{**}`. */
  Any = 2,
}

@final
export class TemplateToken {
  constructor(
    public kind: TokenKind,
    /** Literal text, or the capture name ("" for `{*}`/`{**}`). */
    public text: string,
  ) {}
}

/** Captures of the last successful {@link Template.match}: names and values, parallel. */
export const templateCaptureNames = new Array<string>();
export const templateCaptureValues = new Array<string>();

@final
export class Template {
  constructor(
    public tokens: TemplateToken[],
    /** The literal text before the first glob (the index key). */
    public literalPrefix: string,
  ) {}

  /** Builds the token list of a validated template (`/a/{*}/b/{**}`). */
  static compile(path: string): Template {
    let tokens = new Array<TemplateToken>();
    let literal = "";
    let prefix: string | null = null;
    let segments = splitAt(path.substring(1), 0x2F);
    for (let i = 0, n = segments.length; i < n; i++) {
      let s = unchecked(segments[i]);
      literal += "/";
      if (s.startsWith("{") && s.endsWith("}")) {
        tokens.push(new TemplateToken(TokenKind.Literal, literal));
        if (prefix === null) prefix = literal;
        literal = "";
        if (s == "{**}") tokens.push(new TemplateToken(TokenKind.Any, ""));
        else tokens.push(new TemplateToken(TokenKind.Segment, s == "{*}" ? "" : s.substring(1, s.length - 1)));
      } else {
        literal += s;
      }
    }
    if (literal.length > 0) tokens.push(new TemplateToken(TokenKind.Literal, literal));
    return new Template(tokens, prefix !== null ? prefix : literal);
  }

  /** Full match (query and fragment already removed). Fills the capture arrays on success. */
  match(path: string): bool {
    templateCaptureNames.length = 0;
    templateCaptureValues.length = 0;
    let pos = 0;
    let n = path.length;
    let tokens = this.tokens;
    for (let t = 0, count = tokens.length; t < count; t++) {
      let token = unchecked(tokens[t]);
      if (token.kind == TokenKind.Literal) {
        if (!path.startsWith(token.text, pos)) return false;
        pos += token.text.length;
      } else if (token.kind == TokenKind.Segment) {
        let start = pos;
        while (pos < n && isTemplateChar(path.charCodeAt(pos))) pos++;
        if (pos == start) return false;
        if (token.text.length > 0) {
          templateCaptureNames.push(token.text);
          templateCaptureValues.push(path.substring(start, pos));
        }
      } else {
        // `{**}` is the last glob: everything up to the literal tail (if any) must be in the class or '/'.
        let tailLength = 0;
        for (let k = t + 1; k < count; k++) tailLength += unchecked(tokens[k]).text.length;
        let end = n - tailLength;
        if (end < pos) return false;
        for (let k = pos; k < end; k++) {
          let c = path.charCodeAt(k);
          if (c != 0x2f && !isTemplateChar(c)) return false;
        }
        pos = end;
      }
    }
    return pos == n;
  }
}
