/**
 * `istioPluginConfigJson(pluginConfig)`: the exact bytes a plugin receives in `proxy_on_configure` when its
 * configuration comes from an Istio `WasmPlugin.spec.pluginConfig` (deployment.md §B.6).
 *
 * istiod (`pilot/pkg/model/extensions.go`) marshals the `google.protobuf.Struct` with
 * `protomarshal.ToJSON` (golang/protobuf `jsonpb.Marshaler{}`), whose output is:
 *  - compact; object keys sorted byte-wise (Go string order = UTF-8 byte order) at every level;
 *  - every number a double (Struct has only `number_value`), printed by Go `encoding/json`:
 *    `strconv.FormatFloat(f, 'f', -1, 64)`, switching to `'e'` when |f| < 1e-6 or |f| ≥ 1e21, with the
 *    exponent's leading zero removed (`1e-07` → `1e-7`); `-0` stays `-0`;
 *  - strings and keys escaped by Go `encoding/json` with HTML escaping on: `\"`, `\\`, `\b`, `\f`, `\n`, `\r`,
 *    `\t`, other bytes < 0x20 as `\u00XX`, `<` `>` `&` as `\u003c` `\u003e` `\u0026`, U+2028/U+2029 as
 *    `\u2028`/`\u2029`; everything else raw UTF-8 (DEL included). A lone surrogate becomes a raw U+FFFD, as the
 *    apiserver's JSON decoding already replaced it before istiod encodes (Go only writes the `\ufffd` escape for
 *    invalid UTF-8 bytes, which decoded JSON never contains). (`\b` and `\f` short forms: Go ≥ 1.22 `encoding/json`; Istio 1.30 is built with
 *    a newer Go. deployment.md §B.6 lists `\u00XX` for them — the Go source wins.)
 *  - an absent or empty (`{}`) pluginConfig is **no configuration at all**: `len(Fields) > 0` guards the
 *    marshal, so the plugin sees 0 bytes — returned here as "".
 */

/** Go `encoding/json` float64 formatting (`floatEncoder.encode`, bits = 64). */
export function goFloat64(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`${value} is not representable in JSON`);
  if (Object.is(value, -0)) return "-0";
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) {
    // JavaScript's shortest round-trip digits are Go's (precision -1): both print the shortest decimal that
    // parses back to the same double. Go's 'e' format writes "1e-07" and then strips the exponent's one leading
    // zero, giving "1e-7"; three-digit exponents ("1e+100") need no cleanup. JS writes exactly these strings.
    return value.toExponential();
  }
  // Fixed notation in [1e-6, 1e21): JS Number#toString uses the same range and the same digits.
  return String(value);
}

const HEX = "0123456789abcdef";

/** Go `encoding/json` string encoding with `escapeHTML = true` (`appendString`). */
export function goJsonString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        out += text[i]! + text[i + 1]!;
        i++;
      } else {
        // A lone surrogate cannot reach Go: decoding JSON/YAML turns it into U+FFFD, which encodes raw.
        out += "\ufffd";
      }
      continue;
    }
    switch (code) {
      case 0x22: out += '\\"'; break;
      case 0x5c: out += "\\\\"; break;
      case 0x08: out += "\\b"; break;
      case 0x0c: out += "\\f"; break;
      case 0x0a: out += "\\n"; break;
      case 0x0d: out += "\\r"; break;
      case 0x09: out += "\\t"; break;
      case 0x3c: out += "\\u003c"; break;
      case 0x3e: out += "\\u003e"; break;
      case 0x26: out += "\\u0026"; break;
      case 0x2028: out += "\\u2028"; break;
      case 0x2029: out += "\\u2029"; break;
      default:
        out += code < 0x20 ? `\\u00${HEX[code >> 4]}${HEX[code & 0xf]}` : text[i]!;
    }
  }
  return out + '"';
}

/** Byte-wise UTF-8 order (Go's `<` on strings); JS `<` compares UTF-16 code units, which differs above U+FFFF. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/**
 * Encodes one JSON value with Go `encoding/json` conventions (sorted keys, HTML-safe strings). `formatNumber`
 * decides how numbers print: Istio's Struct path makes every number a double ({@link goFloat64}); a Kubernetes
 * object's raw JSON keeps integers as integers ({@link goJsonNumberFromUnstructured}). `path` names the field in
 * errors.
 */
export function goJsonEncode(value: unknown, formatNumber: (n: number) => string = goFloat64): string {
  return encodeValue(value, "value", formatNumber);
}

/**
 * How the Kubernetes apiserver prints a number of a custom resource (unstructured JSON: integers decode to
 * int64 and print without exponent; other numbers are float64 printed as Go `encoding/json` does).
 */
export function goJsonNumberFromUnstructured(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 2 ** 63) return BigInt(value).toString();
  return goFloat64(value);
}

function encodeValue(value: unknown, path: string, formatNumber: (n: number) => string = goFloat64): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`${path}: ${value} cannot be encoded (Struct rejects NaN/Infinity)`);
      return formatNumber(value);
    case "bigint":
      return formatNumber(Number(value));
    case "string":
      return goJsonString(value);
    case "object": {
      if (Array.isArray(value)) return `[${value.map((v, i) => encodeValue(v, `${path}[${i}]`, formatNumber)).join(",")}]`;
      if (value instanceof Date) return goJsonString(value.toISOString());
      const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
      entries.sort(([a], [b]) => compareUtf8(a, b));
      return `{${entries.map(([k, v]) => `${goJsonString(k)}:${encodeValue(v, `${path}.${k}`, formatNumber)}`).join(",")}}`;
    }
    default:
      throw new TypeError(`${path}: a ${typeof value} cannot be encoded as a google.protobuf.Value`);
  }
}

/**
 * The configuration string istiod puts in `PluginConfig.configuration` (a `StringValue`) for a
 * `spec.pluginConfig`. Returns "" (the plugin receives 0 bytes) for undefined, null or `{}`.
 */
export function istioPluginConfigJson(pluginConfig: unknown): string {
  if (pluginConfig === undefined || pluginConfig === null) return "";
  if (typeof pluginConfig !== "object" || Array.isArray(pluginConfig)) {
    throw new TypeError("pluginConfig must be an object (google.protobuf.Struct)");
  }
  if (Object.keys(pluginConfig).length === 0) return "";
  return encodeValue(pluginConfig, "pluginConfig");
}
