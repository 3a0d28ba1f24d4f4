/**
 * Path, query and IP helpers of the reference evaluator. Path normalization and IP parsing are the SDK helpers'
 * own TypeScript references (`test/support/reference/{path,cidr}.ts`), so the oracle and the filter share one
 * statement of those semantics; what this file adds is the ABAC-specific use of them.
 */
import { normalizePath } from "../../../test/support/reference/path.js";
import {
  type Cidr,
  type IpAddress,
  formatIp,
  isIpv4Mapped,
  parseCidr,
  parseIp,
  parseIpPort,
  unmap,
} from "../../../test/support/reference/cidr.js";

export interface PathOptions {
  escapedSlashes: "reject" | "decode" | "keep";
  mergeSlashes: boolean;
  backslashToSlash: boolean;
}

/**
 * The path a policy's `paths` are matched against (Envoy normalize_path semantics, assembly/util/path.ts), or null
 * when the filter cannot read it safely: NUL, a malformed escape, `%00`, a path not starting with "/", or an
 * escaped slash (`%2F`, `%5C`) in "reject" mode.
 */
export function normalizePathForPolicy(raw: string, opts: PathOptions): string | null {
  const end = firstOf(raw, "?#");
  if (opts.escapedSlashes === "reject" && /%(2f|5c)/i.test(raw.slice(0, end))) return null;
  const r = normalizePath(raw, {
    decodeSlashes: opts.escapedSlashes === "decode",
    normalize: true,
    backslashToSlash: opts.backslashToSlash,
    mergeSlashes: opts.mergeSlashes,
  });
  return r.ok ? r.path : null;
}

function firstOf(s: string, chars: string): number {
  for (let i = 0; i < s.length; i++) if (chars.includes(s[i]!)) return i;
  return s.length;
}

const HEX = /^[0-9A-Fa-f]{2}$/;

/**
 * application/x-www-form-urlencoded decoding of one query component: `+` → space, `%XX` → byte (UTF-8 decoded,
 * invalid sequences → U+FFFD); a malformed escape is kept literally.
 */
export function decodeQueryComponent(s: string): string {
  if (!s.includes("%") && !s.includes("+")) return s;
  const src = Buffer.from(s, "utf8");
  const out: number[] = [];
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === 0x2b) out.push(0x20);
    else if (c === 0x25 && i + 2 < src.length && HEX.test(String.fromCharCode(src[i + 1]!, src[i + 2]!))) {
      out.push(parseInt(String.fromCharCode(src[i + 1]!, src[i + 2]!), 16));
      i += 2;
    } else out.push(c);
  }
  return Buffer.from(out).toString("utf8");
}

// -------------------------------------------------------------------------------------------------------------
// IP addresses
// -------------------------------------------------------------------------------------------------------------

/** Envoy address strings (`1.2.3.4:80`, `[::1]:80`) or a bare address: the canonical IP text, or null. */
export function parseAddressIp(address: string): string | null {
  const t = address.trim();
  const withPort = parseIpPort(t);
  if (withPort !== null) return formatIp(withPort.ip);
  const bare = parseIp(t.startsWith("[") && t.endsWith("]") ? t.slice(1, -1) : t);
  return bare === null ? null : formatIp(bare);
}

/** For an IPv4-mapped IPv6 address, the IPv4 address it carries; null otherwise. */
export function ipAlternateForm(ip: string): string | null {
  const a = parseIp(ip);
  return a !== null && isIpv4Mapped(a) ? formatIp(unmap(a)) : null;
}

export function parseIpOrCidr(s: string): Cidr | null {
  return parseCidr(s);
}

/** Envoy CidrRange::isInRange: same family and prefix bits, no IPv4-mapped conversion. */
export function cidrContains(c: Cidr, ip: string): boolean {
  const a: IpAddress | null = parseIp(ip);
  if (a === null || a.family !== c.family) return false;
  const width = a.family === 4 ? 32n : 128n;
  const prefix = BigInt(c.prefixLength);
  const mask = prefix === 0n ? 0n : ((1n << width) - 1n) ^ ((1n << (width - prefix)) - 1n);
  return (a.value & mask) === c.network;
}

export { formatIp };
