/**
 * IPv4 / IPv6 addresses and CIDR ranges: parsing, canonical printing and matching, with the rules an
 * authorization filter needs (Istio `ipBlocks` / `remoteIpBlocks`, Envoy `CidrRange`).
 *
 * Accepted text:
 * - IPv4: exactly four decimal octets 0..255 (`10.0.0.1`). **Leading zeros are rejected** (`010.0.0.1`):
 *   `inet_aton` and many URL parsers read them as octal (8.0.0.1) while others read decimal (10.0.0.1), so
 *   a policy and the component enforcing it could disagree about the address (the CVE-2021-29923 class;
 *   Go's net/netip and glibc `inet_pton` reject them too). Shorthands such as `10.1` or `0x0a.0.0.1` are
 *   rejected.
 * - IPv6: RFC 4291 §2.2 text forms: 1..4 hex digits per group (either case), one `::`, an embedded dotted
 *   IPv4 in the last 32 bits (`::ffff:1.2.3.4`, `64:ff9b::1.2.3.4`). **Zone ids** (`fe80::1%eth0`) are
 *   rejected: a zone names a local interface, which means nothing in a policy, and Envoy's CIDR parser
 *   rejects them as well.
 * - CIDR: `address/prefix` with prefix 0..32 (IPv4) or 0..128 (IPv6), decimal without leading zeros; a bare
 *   address means /32 or /128. **Host bits may be set** (`10.1.2.3/8`): they are masked off, as Envoy's
 *   `CidrRange::create` does (`truncateIpAddressAndLength`) and as Istio passes such values through to it;
 *   `Cidr.hostBitsSet` records it so a filter can warn.
 *
 * IPv4-mapped IPv6 (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2) is treated as the IPv4 address it carries: when
 * matching, a mapped address is compared as IPv4 (so `::ffff:10.1.2.3` is in `10.0.0.0/8`), and a CIDR
 * inside `::ffff:0:0/96` (prefix >= 96) is parsed as the equivalent IPv4 CIDR (`::ffff:10.0.0.0/104` is
 * `10.0.0.0/8`). This matches what Envoy sees: on a dual-stack listener Envoy converts a v4-mapped peer to
 * an IPv4 address before any filter runs, and `CidrRange::isInRange` never matches across IP versions. An
 * IPv6 CIDR shorter than /96 (e.g. `::/0`) stays IPv6 and does not match IPv4 peers, as in Envoy.
 */

import { decimalText, hexText } from "./text-buffer";

/** Address family, numbered like the IP version. */
export enum IpFamily {
  V4 = 4,
  V6 = 6,
}

/** An IP address. IPv4 keeps its 32 bits in the low bits of `low`; IPv6 is `high`:`low`, big-endian. */
@final
export class IpAddress {
  constructor(
    public readonly family: IpFamily,
    /** IPv6 bits 0..63 (the first four groups); 0 for IPv4. */
    public readonly high: u64,
    /** IPv6 bits 64..127; for IPv4 the address in the low 32 bits. */
    public readonly low: u64,
  ) {}

  /** True for an IPv6 address in `::ffff:0:0/96`. */
  isIpv4Mapped(): bool {
    return this.family == IpFamily.V6 && this.high == 0 && (this.low >> 32) == 0xFFFF;
  }

  /** The IPv4 address a mapped IPv6 address carries; any other address is returned unchanged. */
  unmapped(): IpAddress {
    return this.isIpv4Mapped() ? new IpAddress(IpFamily.V4, 0, this.low & 0xFFFFFFFF) : this;
  }

  /** Same family and bits (no unmapping: `::ffff:1.2.3.4` does not equal `1.2.3.4`). */
  equals(other: IpAddress): bool {
    return this.family == other.family && this.high == other.high && this.low == other.low;
  }

  /**
   * Canonical text: dotted decimal for IPv4; RFC 5952 for IPv6 (lower case, no leading zeros, the longest
   * run of two or more zero groups as `::`, the first one on a tie) with mapped addresses as `::ffff:a.b.c.d`.
   */
  toString(): string {
    if (this.family == IpFamily.V4) return formatIpv4(<u32>this.low);
    if (this.isIpv4Mapped()) return "::ffff:" + formatIpv4(<u32>this.low);
    // Find the longest run of zero groups (length >= 2).
    let bestStart = -1;
    let bestLength = 0;
    let runStart = -1;
    for (let i = 0; i <= 8; i++) {
      let zero = i < 8 && this.group(i) == 0;
      if (zero) {
        if (runStart < 0) runStart = i;
      } else if (runStart >= 0) {
        let runLength = i - runStart;
        if (runLength > bestLength) {
          bestStart = runStart;
          bestLength = runLength;
        }
        runStart = -1;
      }
    }
    if (bestLength < 2) bestStart = -1;
    let out = "";
    for (let i = 0; i < 8; i++) {
      if (i == bestStart) {
        out += "::";
        i += bestLength - 1;
        continue;
      }
      if (i > 0 && i != bestStart + bestLength) out += ":";
      // Lower-case hex without leading zeros (`toString(16)` would link the radix-generic printer).
      let group = this.group(i);
      out += hexText(group, group < 0x10 ? 1 : group < 0x100 ? 2 : group < 0x1000 ? 3 : 4, false);
    }
    return out;
  }

  // Group `i` (0..7) of an IPv6 address.
  private group(i: i32): u32 {
    let word = i < 4 ? this.high : this.low;
    return <u32>((word >> (<u64>(3 - (i & 3)) << 4)) & 0xFFFF);
  }
}

function formatIpv4(v: u32): string {
  return decimalText(v >> 24) + "." + decimalText((v >> 16) & 255) + "." + decimalText((v >> 8) & 255) + "." +
    decimalText(v & 255);
}

/** Result of {@link parseIp}: exactly one of `value` and `error` is set. */
@final
export class IpParseResult {
  constructor(
    public readonly value: IpAddress | null,
    /** Why the text is not an address, e.g. "leading zero in IPv4 octet"; null on success. */
    public readonly error: string | null,
  ) {}
}

// Shared parser state: the error message of the last failed parse (null when it succeeded).
let parseError: string | null = null;
// The IPv4 value parsed by parseIpv4Part.
let parsedIpv4: u32 = 0;

// Parses a dotted IPv4 address from text[start, end). Sets parsedIpv4, or parseError and returns false.
function parseIpv4Part(text: string, start: i32, end: i32): bool {
  let value: u32 = 0;
  let octets = 0;
  let i = start;
  while (true) {
    if (i >= end) {
      parseError = "invalid IPv4 address";
      return false;
    }
    let digits = 0;
    let octet: u32 = 0;
    let first = i;
    while (i < end) {
      let c = <u32>text.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      octet = octet * 10 + (c - 0x30);
      digits++;
      i++;
      if (digits > 3) break;
    }
    if (digits == 0 || digits > 3) {
      parseError = "invalid IPv4 address";
      return false;
    }
    if (digits > 1 && text.charCodeAt(first) == 0x30) {
      parseError = "leading zero in IPv4 octet (ambiguous: octal in some parsers)";
      return false;
    }
    if (octet > 255) {
      parseError = "IPv4 octet above 255";
      return false;
    }
    value = (value << 8) | octet;
    octets++;
    if (octets == 4) break;
    if (i >= end || text.charCodeAt(i) != 0x2E) {
      parseError = "invalid IPv4 address";
      return false;
    }
    i++;
  }
  if (i != end) {
    parseError = "invalid IPv4 address";
    return false;
  }
  parsedIpv4 = value;
  return true;
}

// Parses an IPv6 address from text[start, end). Returns null with parseError set on failure.
function parseIpv6Part(text: string, start: i32, end: i32): IpAddress | null {
  // groups[0..count) before "::" and after it are collected in one array, with the "::" position noted.
  let groups = new StaticArray<u32>(8);
  let count = 0;
  let gap = -1; // index in groups where "::" stands
  let i = start;
  if (end - start >= 2 && text.charCodeAt(i) == 0x3A && text.charCodeAt(i + 1) == 0x3A) {
    gap = 0;
    i += 2;
    if (i == end) return new IpAddress(IpFamily.V6, 0, 0);
  } else if (i < end && text.charCodeAt(i) == 0x3A) {
    parseError = "invalid IPv6 address (leading ':')";
    return null;
  }
  while (true) {
    if (i >= end) {
      parseError = "invalid IPv6 address (trailing ':')";
      return null;
    }
    // One group: 1..4 hex digits, or a dotted IPv4 tail.
    let groupStart = i;
    let value: u32 = 0;
    let digits = 0;
    while (i < end) {
      let c = <u32>text.charCodeAt(i);
      let d: u32 = 0;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
      else break;
      value = (value << 4) | d;
      digits++;
      i++;
    }
    if (i < end && text.charCodeAt(i) == 0x2E) {
      // Embedded IPv4: must be the last 32 bits.
      if (count > 6 || (gap < 0 && count != 6)) {
        parseError = "misplaced IPv4 part in IPv6 address";
        return null;
      }
      if (!parseIpv4Part(text, groupStart, end)) return null;
      groups[count++] = parsedIpv4 >> 16;
      groups[count++] = parsedIpv4 & 0xFFFF;
      break;
    }
    if (digits == 0) {
      if (i < end && text.charCodeAt(i) == 0x25) parseError = "IPv6 zone identifier not allowed";
      else parseError = "invalid IPv6 address";
      return null;
    }
    if (digits > 4) {
      parseError = "IPv6 group longer than 4 hex digits";
      return null;
    }
    if (count == 8) {
      parseError = "too many groups in IPv6 address";
      return null;
    }
    groups[count++] = value;
    if (i == end) break;
    let c = text.charCodeAt(i);
    if (c == 0x25) {
      parseError = "IPv6 zone identifier not allowed";
      return null;
    }
    if (c != 0x3A) {
      parseError = "invalid character in IPv6 address";
      return null;
    }
    i++;
    if (i < end && text.charCodeAt(i) == 0x3A) {
      if (gap >= 0) {
        parseError = "more than one '::' in IPv6 address";
        return null;
      }
      gap = count;
      i++;
      if (i == end) break;
    }
  }
  if (gap < 0 && count != 8) {
    parseError = "too few groups in IPv6 address";
    return null;
  }
  if (gap >= 0 && count > 7) {
    parseError = "too many groups in IPv6 address";
    return null;
  }
  // Spread: groups after the gap move to the end.
  let full = new StaticArray<u32>(8);
  if (gap < 0) {
    for (let k = 0; k < 8; k++) full[k] = groups[k];
  } else {
    for (let k = 0; k < gap; k++) full[k] = groups[k];
    let tail = count - gap;
    for (let k = 0; k < tail; k++) full[8 - tail + k] = groups[gap + k];
  }
  let high: u64 = 0;
  let low: u64 = 0;
  for (let k = 0; k < 4; k++) high = (high << 16) | <u64>full[k];
  for (let k = 4; k < 8; k++) low = (low << 16) | <u64>full[k];
  return new IpAddress(IpFamily.V6, high, low);
}

// Parses text[start, end) as IPv4 or IPv6; null with parseError on failure.
function parseIpRange(text: string, start: i32, end: i32): IpAddress | null {
  parseError = null;
  if (start >= end) {
    parseError = "empty address";
    return null;
  }
  for (let i = start; i < end; i++) {
    if (text.charCodeAt(i) == 0x3A) return parseIpv6Part(text, start, end);
  }
  if (!parseIpv4Part(text, start, end)) return null;
  return new IpAddress(IpFamily.V4, 0, <u64>parsedIpv4);
}

/**
 * Parses an IPv4 or IPv6 address (see the file comment for the accepted forms). An IPv4-mapped address is
 * returned as written (family V6); use `unmapped()` to get the IPv4 address. Never traps.
 */
export function parseIp(text: string): IpParseResult {
  let value = parseIpRange(text, 0, text.length);
  return new IpParseResult(value, value ? null : parseError);
}

/** A CIDR range; `address` has its host bits cleared. */
@final
export class Cidr {
  constructor(
    /** The network address (host bits zero). */
    public readonly address: IpAddress,
    /** Prefix length: 0..32 for IPv4, 0..128 for IPv6. */
    public readonly prefixLength: i32,
    /** True when the text had bits set beyond the prefix (they were cleared, as Envoy does). */
    public readonly hostBitsSet: bool,
  ) {}

  /** The family of the range (a range inside `::ffff:0:0/96` was converted to IPv4 when parsed). */
  get family(): IpFamily {
    return this.address.family;
  }

  /**
   * True when `ip` is inside this range. A v4-mapped IPv6 address is matched as IPv4; otherwise the families
   * must be equal (an IPv4 address is never inside an IPv6 range, as in Envoy's `CidrRange::isInRange`).
   */
  contains(ip: IpAddress): bool {
    let candidate = ip.unmapped();
    if (candidate.family != this.address.family) return false;
    if (this.address.family == IpFamily.V4) {
      return (candidate.low & maskLow(<u32>this.prefixLength + 96)) == this.address.low;
    }
    return (candidate.high & maskHigh(this.prefixLength)) == this.address.high &&
      (candidate.low & maskLow(this.prefixLength)) == this.address.low;
  }

  /** Canonical text, e.g. `10.0.0.0/8`, `2001:db8::/32`. */
  toString(): string {
    return this.address.toString() + "/" + decimalText(this.prefixLength);
  }
}

// Mask for the high 64 bits of a /prefix IPv6 range.
function maskHigh(prefix: i32): u64 {
  if (prefix <= 0) return 0;
  if (prefix >= 64) return <u64>-1;
  return <u64>-1 << <u64>(64 - prefix);
}

// Mask for the low 64 bits of a /prefix IPv6 range. An IPv4 /n uses maskLow(96 + n): IPv4 lives in the low
// 32 bits, whose upper neighbours are zero in both operands.
function maskLow(prefix: u32): u64 {
  if (prefix <= 64) return 0;
  if (prefix >= 128) return <u64>-1;
  return <u64>-1 << <u64>(128 - prefix);
}

/** Result of {@link parseCidr}: exactly one of `value` and `error` is set. */
@final
export class CidrParseResult {
  constructor(
    public readonly value: Cidr | null,
    /** Why the text is not a CIDR, e.g. "prefix length above 32"; null on success. */
    public readonly error: string | null,
  ) {}
}

/**
 * Parses `address/prefix` or a bare address (= /32 or /128); see the file comment for host bits and
 * IPv4-mapped ranges. Never traps.
 */
export function parseCidr(text: string): CidrParseResult {
  let slash = text.indexOf("/");
  let addressEnd = slash < 0 ? text.length : slash;
  let address = parseIpRange(text, 0, addressEnd);
  if (!address) return new CidrParseResult(null, parseError);
  let maxPrefix = address.family == IpFamily.V4 ? 32 : 128;
  let prefix = maxPrefix;
  if (slash >= 0) {
    let digits = text.length - slash - 1;
    if (digits == 0 || digits > 3) return new CidrParseResult(null, "invalid prefix length");
    prefix = 0;
    for (let i = slash + 1; i < text.length; i++) {
      let c = text.charCodeAt(i);
      if (c < 0x30 || c > 0x39) return new CidrParseResult(null, "invalid prefix length");
      prefix = prefix * 10 + (c - 0x30);
    }
    if (digits > 1 && text.charCodeAt(slash + 1) == 0x30) {
      return new CidrParseResult(null, "leading zero in prefix length");
    }
    if (prefix > maxPrefix) {
      return new CidrParseResult(null, "prefix length above " + decimalText(maxPrefix));
    }
  }
  // A range inside ::ffff:0:0/96 is the IPv4 range it maps.
  if (address.isIpv4Mapped() && prefix >= 96) {
    address = address.unmapped();
    prefix -= 96;
  }
  let high = address.high;
  let low = address.low;
  let maskedHigh: u64;
  let maskedLow: u64;
  if (address.family == IpFamily.V4) {
    maskedHigh = 0;
    maskedLow = low & maskLow(<u32>prefix + 96);
  } else {
    maskedHigh = high & maskHigh(prefix);
    maskedLow = low & maskLow(<u32>prefix);
  }
  let network = new IpAddress(address.family, maskedHigh, maskedLow);
  return new CidrParseResult(new Cidr(network, prefix, maskedHigh != high || maskedLow != low), null);
}

/** An IP address with a port, as Envoy prints socket addresses (`source.address`, `destination.address`). */
@final
export class IpPort {
  constructor(
    public readonly address: IpAddress,
    /** 0..65535. */
    public readonly port: i32,
  ) {}

  /** `1.2.3.4:80` or `[::1]:80`. */
  toString(): string {
    let host = this.address.toString();
    if (this.address.family == IpFamily.V6) host = "[" + host + "]";
    return host + ":" + decimalText(this.port);
  }
}

/** Result of {@link parseIpPort}: exactly one of `value` and `error` is set. */
@final
export class IpPortParseResult {
  constructor(
    public readonly value: IpPort | null,
    public readonly error: string | null,
  ) {}
}

/**
 * Parses Envoy's `ip:port` text: `1.2.3.4:5678` or `[2001:db8::1]:5678` (the brackets are required for
 * IPv6). The port is 0..65535 in decimal without leading zeros. Anything else, including Envoy's non-IP
 * addresses (pipes, `envoy://internal_client_address/`), is an error value. Never traps.
 */
export function parseIpPort(text: string): IpPortParseResult {
  let colon = text.lastIndexOf(":");
  if (colon < 0) return new IpPortParseResult(null, "missing port");
  let address: IpAddress | null;
  if (text.startsWith("[")) {
    if (colon < 1 || text.charCodeAt(colon - 1) != 0x5D) {
      return new IpPortParseResult(null, "invalid [IPv6]:port address");
    }
    address = parseIpRange(text, 1, colon - 1);
    if (address && address.family != IpFamily.V6) {
      return new IpPortParseResult(null, "brackets around an IPv4 address");
    }
  } else {
    address = parseIpRange(text, 0, colon);
    if (address && address.family != IpFamily.V4) {
      return new IpPortParseResult(null, "IPv6 address without brackets");
    }
  }
  if (!address) return new IpPortParseResult(null, parseError);
  let digits = text.length - colon - 1;
  if (digits == 0 || digits > 5) return new IpPortParseResult(null, "invalid port");
  let port = 0;
  for (let i = colon + 1; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return new IpPortParseResult(null, "invalid port");
    port = port * 10 + (c - 0x30);
  }
  if (digits > 1 && text.charCodeAt(colon + 1) == 0x30) {
    return new IpPortParseResult(null, "leading zero in port");
  }
  if (port > 65535) return new IpPortParseResult(null, "port above 65535");
  return new IpPortParseResult(new IpPort(address, port), null);
}
