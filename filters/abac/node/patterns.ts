/**
 * Istio value patterns and the matchers derived from them, written as plainly as possible: this module is part of
 * the reference evaluator (the oracle of the property tests), not of the filter. Every function names the Istio /
 * Envoy source of its semantics.
 */

/** An Istio string value: exact `v`, prefix `v*`, suffix `*v`, or presence `*` (pkg/config/security CheckWildcardValues). */
export type Pattern =
  | { kind: "exact"; text: string }
  | { kind: "prefix"; text: string }
  | { kind: "suffix"; text: string }
  | { kind: "presence" };

export function parsePattern(value: string): Pattern {
  if (value === "*") return { kind: "presence" };
  if (value.startsWith("*")) return { kind: "suffix", text: value.slice(1) };
  if (value.endsWith("*")) return { kind: "prefix", text: value.slice(0, -1) };
  return { kind: "exact", text: value };
}

/**
 * RE2 `.+` / `.*` semantics used by Envoy for Istio's `*` outside headers (istio matcher/string.go
 * StringMatcherRegex(".+")): `.` matches any character except a line feed.
 */
export function re2DotPlus(value: string): boolean {
  return value.length > 0 && !value.includes("\n");
}
export function re2DotStar(value: string): boolean {
  return !value.includes("\n");
}

/**
 * Istio StringMatcher (matcher/string.go StringMatcherWithPrefix(v, "")) applied to a non-header value:
 * `*` → regex `.+`, `*v` → suffix, `v*` → prefix, else exact. Case-sensitive.
 */
export function matchString(value: string, pattern: Pattern): boolean {
  switch (pattern.kind) {
    case "presence":
      return re2DotPlus(value);
    case "exact":
      return value === pattern.text;
    case "prefix":
      return value.startsWith(pattern.text);
    case "suffix":
      return value.endsWith(pattern.text);
  }
}

/**
 * Istio HeaderMatcher (matcher/header.go): `*` → present_match (any value, even empty), otherwise a string match
 * on the header value. `ignoreCase` for hosts (HostMatcher).
 */
export function matchHeaderValue(value: string, pattern: Pattern, ignoreCase = false): boolean {
  if (pattern.kind === "presence") return true;
  const v = ignoreCase ? asciiLower(value) : value;
  const t = ignoreCase ? asciiLower(pattern.text) : pattern.text;
  switch (pattern.kind) {
    case "exact":
      return v === t;
    case "prefix":
      return v.startsWith(t);
    case "suffix":
      return v.endsWith(t);
  }
}

/**
 * `principals` / `source.principal` (generator.go srcPrincipalGenerator → StringMatcherWithPrefix(v, "spiffe://")):
 * exact → `spiffe://v`; `v*` → prefix `spiffe://v`; `*v` → regex `spiffe://.*<v>`; `*` → regex `.+` (no prefix).
 */
export function matchPrincipal(name: string, pattern: Pattern): boolean {
  const P = "spiffe://";
  switch (pattern.kind) {
    case "presence":
      return re2DotPlus(name);
    case "exact":
      return name === P + pattern.text;
    case "prefix":
      return name.startsWith(P + pattern.text);
    case "suffix":
      return (
        name.startsWith(P) &&
        name.length >= P.length + pattern.text.length &&
        name.endsWith(pattern.text) &&
        re2DotStar(name.slice(P.length, name.length - pattern.text.length))
      );
  }
}

/**
 * `namespaces` / `source.namespace` (srcNamespaceGenerator): regex `.*\/ns\/<v with * → .*>\/.*`, full match.
 * Namespace values are validated to `[a-z0-9-*]`, so the only regex metacharacter left is `*`.
 */
export function matchNamespace(name: string, value: string): boolean {
  if (name.includes("\n")) return false;
  const parts = value.split("*");
  // Try every occurrence of "/ns/" as the anchor of the namespace.
  for (let i = name.indexOf("/ns/"); i >= 0; i = name.indexOf("/ns/", i + 1)) {
    const rest = name.slice(i + 4);
    // rest must be  <glob> "/" <anything>; try every "/" as the end of the namespace part.
    for (let j = rest.indexOf("/"); j >= 0; j = rest.indexOf("/", j + 1)) {
      if (globMatch(rest.slice(0, j), parts)) return true;
    }
  }
  return false;
}

/** Full match of `text` against literal parts joined by `*` (any run of non-LF characters). */
function globMatch(text: string, parts: string[]): boolean {
  if (parts.length === 1) return text === parts[0];
  if (!text.startsWith(parts[0]!) || !text.endsWith(parts[parts.length - 1]!)) return false;
  if (text.length < parts[0]!.length + parts[parts.length - 1]!.length) return false;
  let pos = parts[0]!.length;
  const end = text.length - parts[parts.length - 1]!.length;
  for (let k = 1; k < parts.length - 1; k++) {
    const at = text.indexOf(parts[k]!, pos);
    if (at < 0 || at + parts[k]!.length > end) return false;
    pos = at + parts[k]!.length;
  }
  return true;
}

/**
 * `serviceAccounts` / `source.serviceAccount` (generator.go serviceAccountRegex):
 * regex `spiffe://.+/ns/<ns>/(.+/|)sa/<sa>(/.+)?`, full match; `<ns>`/`<sa>` are inserted unescaped, so a `.` in
 * them matches any character (as in Envoy). `value` is `<ns>/<sa>` or `<sa>` (then the policy's namespace).
 */
export function matchServiceAccount(name: string, value: string, policyNamespace: string): boolean {
  const slash = value.indexOf("/");
  const ns = slash >= 0 ? value.slice(0, slash) : policyNamespace;
  const sa = slash >= 0 ? value.slice(slash + 1) : value;
  const P = "spiffe://";
  if (!name.startsWith(P) || name.includes("\n")) return false;
  const r = name.slice(P.length);
  for (let i = r.indexOf("/ns/"); i >= 0; i = r.indexOf("/ns/", i + 1)) {
    if (i < 1) continue; // `.+` before "/ns/"
    let p = i + 4;
    if (!dotLiteralAt(r, p, ns)) continue;
    p += ns.length;
    if (r[p] !== "/") continue;
    const t = r.slice(p + 1);
    // t = (.+/|) "sa/" <sa> (/.+)?
    for (let j = t.indexOf("sa/"); j >= 0; j = t.indexOf("sa/", j + 1)) {
      if (j !== 0 && !(j >= 2 && t[j - 1] === "/")) continue;
      const q = j + 3;
      if (!dotLiteralAt(t, q, sa)) continue;
      const tail = t.slice(q + sa.length);
      if (tail === "" || (tail.length >= 2 && tail[0] === "/")) return true;
    }
  }
  return false;
}

/** `text[at…]` matches `literal` where `.` in the literal is a regex any-character. */
function dotLiteralAt(text: string, at: number, literal: string): boolean {
  if (at + literal.length > text.length) return false;
  for (let k = 0; k < literal.length; k++) {
    const c = literal[k]!;
    if (c === "." ? text[at + k] === "\n" : text[at + k] !== c) return false;
  }
  return true;
}

/**
 * `trustDomains` / `source.trustDomain` (generator.go srcTrustDomainGenerator): `*` → prefix `spiffe://`;
 * no wildcard → prefix `spiffe://<td>/`; with one wildcard → regex `spiffe://<p0>[^/]*<p1>/.*` (parts quoted).
 */
export function matchTrustDomain(name: string, value: string): boolean {
  const P = "spiffe://";
  if (value === "*") return name.startsWith(P);
  if (!value.includes("*")) return name.startsWith(P + value + "/");
  if (!name.startsWith(P) || name.includes("\n")) return false;
  const star = value.indexOf("*");
  const p0 = value.slice(0, star);
  const p1 = value.slice(star + 1);
  const rest = name.slice(P.length);
  const slash = rest.indexOf("/");
  // `[^/]*` cannot cross a slash, so the trust domain is everything up to the first "/".
  if (slash < 0) return false;
  const td = rest.slice(0, slash);
  return td.length >= p0.length + p1.length && td.startsWith(p0) && td.endsWith(p1);
}

/**
 * `requestPrincipals` / `request.auth.principal` (generator.go requestPrincipalGenerator): the value is split at
 * its last "/" into issuer and subject matchers, with `*` handled per side; both claims must match.
 */
export function matchRequestPrincipal(iss: string, sub: string, value: string): boolean {
  const idx = value.lastIndexOf("/");
  const found = idx >= 0;
  const vIss = found ? value.slice(0, idx) : value;
  const vSub = found ? value.slice(idx + 1) : "";
  type M = (s: string) => boolean;
  const any: M = re2DotPlus;
  const exact = (t: string): M => (s) => s === t;
  const prefix = (t: string): M => (s) => s.startsWith(t);
  const suffix = (t: string): M => (s) => s.endsWith(t);
  let mi: M;
  let ms: M;
  if (value === "*") {
    mi = any;
    ms = any;
  } else if (value.startsWith("*")) {
    if (found) {
      mi = vIss === "*" ? any : suffix(vIss.slice(1));
      ms = exact(vSub);
    } else {
      mi = any;
      ms = suffix(value.slice(1));
    }
  } else if (value.endsWith("*")) {
    if (found) {
      mi = exact(vIss);
      ms = vSub === "*" ? any : prefix(vSub.slice(0, -1));
    } else {
      mi = prefix(value.slice(0, -1));
      ms = any;
    }
  } else {
    mi = exact(vIss);
    ms = exact(vSub);
  }
  return mi(iss) && ms(sub);
}

export function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}
export function asciiUpper(s: string): string {
  return s.replace(/[a-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 32));
}

// ---------------------------------------------------------------------------------------------------------------
// Path templates: Istio `{*}` / `{**}` (pkg/config/security CheckValidPathTemplate) translated to Envoy's
// uri_template (envoy source/extensions/path/uri_template_lib/uri_template_internal.cc), plus the filter's named
// variables `{name}` (Envoy uri_template variables, one segment).
// ---------------------------------------------------------------------------------------------------------------

/** Envoy uri_template kLiteral: unreserved, `%`, sub-delims without `*`, `:`, `@`, `=` (Envoy 1.40 accepts `=`). */
const LITERAL_CHAR = /^[a-zA-Z0-9\-._~%!$&'()+,;:@=]$/;

export type TemplateSegment =
  | { kind: "literal"; text: string }
  | { kind: "one"; name: string | null } // {*} or {name}
  | { kind: "any" }; // {**}

export function isTemplate(path: string): boolean {
  return /\{[^}]*\}/.test(path);
}

/** Splits a validated template (`/a/{*}/b/{**}`) into segments. */
export function parseTemplate(path: string): TemplateSegment[] {
  const body = path.slice(1);
  const segs: TemplateSegment[] = [];
  for (const s of body.split("/")) {
    if (s === "{*}") segs.push({ kind: "one", name: null });
    else if (s === "{**}") segs.push({ kind: "any" });
    else if (/^\{[A-Za-z][A-Za-z0-9_]*\}$/.test(s)) segs.push({ kind: "one", name: s.slice(1, -1) });
    else segs.push({ kind: "literal", text: s });
  }
  return segs;
}

/**
 * Full match of `path` (query and fragment already removed) against a template, Envoy regex semantics:
 * the template is `"/" + segments.join("/")`, where `{*}` is `[lit]+` and `{**}` is `[lit/]*`. Returns the
 * named captures, or null when it does not match.
 */
export function matchTemplate(path: string, segs: TemplateSegment[]): Record<string, string> | null {
  // Build an equivalent JS regex (the character class is ASCII-only, so JS and RE2 agree).
  const lit = "[a-zA-Z0-9\\-._~%!$&'()+,;:@=]";
  const names: string[] = [];
  const parts = segs.map((s) => {
    if (s.kind === "literal") return s.text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    if (s.kind === "any") return `(?:${lit}|/)*`;
    if (s.name !== null) {
      names.push(s.name);
      return `(${lit}+)`;
    }
    return `${lit}+`;
  });
  const re = new RegExp("^/" + parts.join("/") + "$");
  const m = re.exec(path);
  if (!m) return null;
  const out: Record<string, string> = {};
  names.forEach((n, i) => (out[n] = m[i + 1]!));
  return out;
}

export function isLiteralChar(c: string): boolean {
  return LITERAL_CHAR.test(c);
}
