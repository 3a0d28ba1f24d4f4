// Loader module for cidr.test.ts: exposes assembly/util/cidr.ts to @assemblyscript/loader.
import { parseCidr, parseIp, parseIpPort } from "../../../assembly/util/cidr";

/** Canonical text of the address, or "error: <reason>". */
export function ip(text: string): string {
  let result = parseIp(text);
  let value = result.value;
  return value !== null ? value.toString() : "error: " + result.error!;
}

/** "4" or "6" plus " mapped" for an IPv4-mapped address, or "error". */
export function ipFamily(text: string): string {
  let value = parseIp(text).value;
  if (value === null) return "error";
  return value.family.toString() + (value.isIpv4Mapped() ? " mapped" : "");
}

/** Canonical text of the range (+ " host-bits" when host bits were set), or "error: <reason>". */
export function cidr(text: string): string {
  let result = parseCidr(text);
  let value = result.value;
  if (value === null) return "error: " + result.error!;
  return value.toString() + (value.hostBitsSet ? " host-bits" : "");
}

/** 1 when `address` is in `range`, 0 when not; -1 bad range, -2 bad address. */
export function contains(range: string, address: string): i32 {
  let r = parseCidr(range).value;
  if (r === null) return -1;
  let a = parseIp(address).value;
  if (a === null) return -2;
  return r.contains(a) ? 1 : 0;
}

/** "<ip> <port>" or "error: <reason>". */
export function ipPort(text: string): string {
  let result = parseIpPort(text);
  let value = result.value;
  if (value === null) return "error: " + result.error!;
  return value.address.toString() + " " + value.port.toString() + " " + value.toString();
}
