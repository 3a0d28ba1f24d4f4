/**
 * Go's `net/url.ParseRequestURI`, the function behind the Kubernetes CEL `isURL()` / `url()` library
 * (`k8s.io/apiserver/pkg/cel/library/urls.go`), reduced to what the CRD rules need: is the string a valid
 * request URI, and what is its scheme. Used for Istio's url rule
 * (`isURL(self) ? url(self).getScheme() in [...] : isURL("http://" + self) && …`).
 * Source of the behaviour: Go `src/net/url/url.go` (`getScheme`, `parse` with viaRequest = true,
 * `parseAuthority`, `parseHost`, `validOptionalPort`, `shouldEscape` in host mode, `unescape`).
 */

export interface GoRequestUri {
  /** Lower-cased scheme, "" when absent. */
  scheme: string;
  host: string;
  opaque: string;
  path: string;
}

function isLetter(c: string): boolean {
  return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");
}

/** `getScheme`: returns [scheme, rest] or throws "missing protocol scheme". */
function getScheme(raw: string): [string, string] {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (isLetter(c)) continue;
    if ((c >= "0" && c <= "9") || c === "+" || c === "-" || c === ".") {
      if (i === 0) return ["", raw];
      continue;
    }
    if (c === ":") {
      if (i === 0) throw new Error("missing protocol scheme");
      return [raw.slice(0, i), raw.slice(i + 1)];
    }
    return ["", raw];
  }
  return ["", raw];
}

function validOptionalPort(port: string): boolean {
  if (port === "") return true;
  if (port[0] !== ":") return false;
  return /^[0-9]*$/.test(port.slice(1));
}

/** Characters allowed unescaped in a host (`shouldEscape(c, encodeHost) == false`). */
function hostCharAllowed(c: string): boolean {
  return /[A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"]/.test(c);
}

function checkPercentEncoding(s: string, what: string): void {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "%") {
      if (!/^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) throw new Error(`invalid URL escape in ${what}`);
      i += 2;
    }
  }
}

function parseHost(host: string): string {
  if (host.startsWith("[")) {
    const close = host.lastIndexOf("]");
    if (close < 0) throw new Error("missing ']' in host");
    if (!validOptionalPort(host.slice(close + 1))) throw new Error("invalid port after host");
  } else {
    const colon = host.lastIndexOf(":");
    if (colon !== -1 && !validOptionalPort(host.slice(colon))) throw new Error("invalid port after host");
  }
  checkPercentEncoding(host, "host");
  for (const c of host) {
    if (c !== "%" && c.charCodeAt(0) < 0x80 && !hostCharAllowed(c)) throw new Error(`invalid character "${c}" in host name`);
  }
  return host;
}

function parseAuthority(authority: string): string {
  const at = authority.lastIndexOf("@");
  if (at < 0) return parseHost(authority);
  const userinfo = authority.slice(0, at);
  if (!/^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(userinfo)) throw new Error("invalid userinfo");
  return parseHost(authority.slice(at + 1));
}

/** Parses like Go `url.ParseRequestURI`; throws an Error when Go would return one. */
export function parseRequestUri(raw: string): GoRequestUri {
  for (const c of raw) {
    const code = c.charCodeAt(0);
    if (code < 0x20 || code === 0x7f) throw new Error("invalid control character in URL");
  }
  if (raw === "") throw new Error("empty url");
  let [scheme, rest] = getScheme(raw);
  scheme = scheme.toLowerCase();
  const query = rest.indexOf("?");
  if (query !== -1) rest = rest.slice(0, query);
  if (!rest.startsWith("/")) {
    if (scheme !== "") return { scheme, host: "", opaque: rest, path: "" };
    throw new Error("invalid URI for request");
  }
  let host = "";
  if (scheme !== "" && rest.startsWith("//")) {
    let authority = rest.slice(2);
    rest = "";
    const slash = authority.indexOf("/");
    if (slash >= 0) {
      rest = authority.slice(slash);
      authority = authority.slice(0, slash);
    }
    host = parseAuthority(authority);
  }
  checkPercentEncoding(rest, "path");
  return { scheme, host, opaque: "", path: rest };
}

/** CEL `isURL(s)`. */
export function isUrl(raw: string): boolean {
  try {
    parseRequestUri(raw);
    return true;
  } catch {
    return false;
  }
}
