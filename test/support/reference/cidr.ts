/**
 * Reference IP address / CIDR parsing and matching in plain TypeScript (BigInt arithmetic, regular
 * expressions), against which the AssemblyScript implementation (`assembly/util/cidr.ts`) is property-tested.
 * Reusable by other reference models (the ABAC reference evaluator matches `ipBlocks` with it).
 *
 * Contract (same as the SDK):
 * - IPv4: four decimal octets 0..255 without leading zeros (`010.0.0.1` is rejected: octal in `inet_aton`).
 * - IPv6: RFC 4291 §2.2 text (1..4 hex digits per group, one `::`, dotted IPv4 only as the last 32 bits);
 *   zone ids (`%eth0`) are rejected.
 * - CIDR: `address/prefix` (0..32 / 0..128, no leading zeros) or a bare address (/32, /128); host bits are
 *   cleared (Envoy `CidrRange::create`) and reported in `hostBitsSet`. A range inside `::ffff:0:0/96`
 *   (prefix >= 96) is the IPv4 range it maps.
 * - Matching: a v4-mapped IPv6 address (`::ffff:a.b.c.d`) matches as its IPv4 address; otherwise the
 *   families must be equal (Envoy `CidrRange::isInRange`), so `::/0` does not contain `10.0.0.1`.
 * - `ip:port`: `1.2.3.4:80` or `[::1]:80`, port 0..65535 without leading zeros.
 * - Canonical text: dotted decimal; RFC 5952 for IPv6, with mapped addresses as `::ffff:a.b.c.d`.
 */

export type IpFamily = 4 | 6;

/** An address: `value` holds 32 (IPv4) or 128 (IPv6) bits. */
export interface IpAddress {
  family: IpFamily;
  value: bigint;
}

export interface Cidr {
  family: IpFamily;
  /** Network address (host bits zero). */
  network: bigint;
  prefixLength: number;
  hostBitsSet: boolean;
}

const OCTET = "(?:0|[1-9][0-9]{0,2})";
const IPV4 = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

function bits(family: IpFamily): number {
  return family === 4 ? 32 : 128;
}

/** Parses dotted-quad IPv4, or returns null. */
export function parseIpv4(text: string): bigint | null {
  if (!IPV4.test(text)) return null;
  const octets = text.split(".").map(Number);
  if (octets.some((octet) => octet > 255)) return null;
  return octets.reduce((acc, octet) => (acc << 8n) | BigInt(octet), 0n);
}

/** Parses RFC 4291 IPv6 text, or returns null. */
export function parseIpv6(text: string): bigint | null {
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return null;
  let source = text;
  const lastColon = source.lastIndexOf(":");
  if (lastColon < 0) return null;
  const tail = source.slice(lastColon + 1);
  if (tail.includes(".")) {
    const v4 = parseIpv4(tail);
    if (v4 === null) return null;
    source = source.slice(0, lastColon + 1) + (v4 >> 16n).toString(16) + ":" + (v4 & 0xffffn).toString(16);
  }
  const halves = source.split("::");
  if (halves.length > 2) return null;
  const toGroups = (part: string): string[] => (part === "" ? [] : part.split(":"));
  const head = toGroups(halves[0]!);
  const tailGroups = halves.length === 2 ? toGroups(halves[1]!) : [];
  const groups = [...head, ...tailGroups];
  if (!groups.every((group) => HEX_GROUP.test(group))) return null;
  if (halves.length === 1 && groups.length !== 8) return null;
  if (halves.length === 2 && groups.length > 7) return null;
  const zeros = Array<string>(8 - groups.length).fill("0");
  const full = halves.length === 2 ? [...head, ...zeros, ...tailGroups] : groups;
  return full.reduce((acc, group) => (acc << 16n) | BigInt(parseInt(group, 16)), 0n);
}

/** Parses IPv4 or IPv6 (mapped addresses stay IPv6), or returns null. */
export function parseIp(text: string): IpAddress | null {
  if (text.includes(":")) {
    const value = parseIpv6(text);
    return value === null ? null : { family: 6, value };
  }
  const value = parseIpv4(text);
  return value === null ? null : { family: 4, value };
}

export function isIpv4Mapped(ip: IpAddress): boolean {
  return ip.family === 6 && ip.value >> 32n === 0xffffn;
}

/** The IPv4 address inside a mapped IPv6 address; other addresses unchanged. */
export function unmap(ip: IpAddress): IpAddress {
  return isIpv4Mapped(ip) ? { family: 4, value: ip.value & 0xffffffffn } : ip;
}

function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => ((value >> shift) & 0xffn).toString()).join(".");
}

/** Canonical text (RFC 5952 for IPv6; `::ffff:a.b.c.d` for mapped addresses). */
export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) return formatIpv4(ip.value);
  if (isIpv4Mapped(ip)) return "::ffff:" + formatIpv4(ip.value & 0xffffffffn);
  const groups = Array.from({ length: 8 }, (_, i) => Number((ip.value >> BigInt(112 - 16 * i)) & 0xffffn));
  // Longest run of >= 2 zero groups; the first one wins a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; start++) {
    let length = 0;
    while (start + length < 8 && groups[start + length] === 0) length++;
    if (length > bestLength) {
      bestStart = start;
      bestLength = length;
    }
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(":");
  return hex.slice(0, bestStart).join(":") + "::" + hex.slice(bestStart + bestLength).join(":");
}

function mask(family: IpFamily, prefixLength: number): bigint {
  const width = BigInt(bits(family));
  const all = (1n << width) - 1n;
  return (all >> BigInt(bits(family) - prefixLength)) << BigInt(bits(family) - prefixLength) & all;
}

/** Parses `address/prefix` or a bare address, or returns null. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf("/");
  const address = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (address === null) return null;
  let prefixLength = bits(address.family);
  if (slash >= 0) {
    const prefixText = text.slice(slash + 1);
    if (!/^(?:0|[1-9][0-9]{0,2})$/.test(prefixText)) return null;
    prefixLength = Number(prefixText);
    if (prefixLength > bits(address.family)) return null;
  }
  let ip = address;
  if (isIpv4Mapped(ip) && prefixLength >= 96) {
    ip = unmap(ip);
    prefixLength -= 96;
  }
  const network = ip.value & mask(ip.family, prefixLength);
  return { family: ip.family, network, prefixLength, hostBitsSet: network !== ip.value };
}

export function formatCidr(cidr: Cidr): string {
  return formatIp({ family: cidr.family, value: cidr.network }) + "/" + cidr.prefixLength;
}

/** True when `ip` is in `cidr` (mapped addresses match as IPv4; no cross-family matches otherwise). */
export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  const candidate = unmap(ip);
  if (candidate.family !== cidr.family) return false;
  return (candidate.value & mask(cidr.family, cidr.prefixLength)) === cidr.network;
}

/** Parses Envoy's `ip:port` / `[ipv6]:port`, or returns null. */
export function parseIpPort(text: string): { ip: IpAddress; port: number } | null {
  const match = /^(?:\[([^\]]*)\]|([^:[\]]*)):(0|[1-9][0-9]{0,4})$/.exec(text);
  if (match === null) return null;
  const port = Number(match[3]);
  if (port > 65535) return null;
  if (match[1] !== undefined) {
    const value = parseIpv6(match[1]);
    return value === null ? null : { ip: { family: 6, value }, port };
  }
  const value = parseIpv4(match[2]!);
  return value === null ? null : { ip: { family: 4, value }, port };
}
