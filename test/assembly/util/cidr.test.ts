// assembly/util/cidr.ts through @assemblyscript/loader: address and CIDR parsing, canonical text (RFC 5952),
// matching incl. IPv4-mapped IPv6 (authz-and-metadata.md §D class 20), Envoy `ip:port` text; property tests
// against test/support/reference/cidr.ts and Node's `net` module.
import { BlockList, isIP } from "node:net";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import * as reference from "../../support/reference/cidr";
import { HelperModule } from "./helper-module";

const cidr = new HelperModule("cidr");
const RUNS = { numRuns: 2000 };

const ip = (text: string): string => cidr.string("ip", text)!;
const range = (text: string): string => cidr.string("cidr", text)!;
const contains = (r: string, address: string): number => cidr.number("contains", r, address);

function referenceIp(text: string): string {
  const parsed = reference.parseIp(text);
  return parsed === null ? "error" : reference.formatIp(parsed);
}

function referenceCidr(text: string): string {
  const parsed = reference.parseCidr(text);
  return parsed === null ? "error" : reference.formatCidr(parsed) + (parsed.hostBitsSet ? " host-bits" : "");
}

const withoutReason = (text: string): string => (text.startsWith("error") ? "error" : text);

describe("IPv4", () => {
  test.each([
    ["0.0.0.0", "0.0.0.0"],
    ["255.255.255.255", "255.255.255.255"],
    ["10.1.2.3", "10.1.2.3"],
  ])("%s", (text, canonical) => {
    expect(ip(text)).toBe(canonical);
    expect(cidr.string("ipFamily", text)).toBe("4");
  });

  test.each([
    ["010.0.0.1", "error: leading zero in IPv4 octet (ambiguous: octal in some parsers)"],
    ["10.0.0.01", "error: leading zero in IPv4 octet (ambiguous: octal in some parsers)"],
    ["256.0.0.1", "error: IPv4 octet above 255"],
    ["1.2.3.1000", "error: invalid IPv4 address"],
    ["10.1", "error: invalid IPv4 address"],
    ["0x0a.0.0.1", "error: invalid IPv4 address"],
    ["1.2.3.4.", "error: invalid IPv4 address"],
    [" 1.2.3.4", "error: invalid IPv4 address"],
    ["1.2.3.4 ", "error: invalid IPv4 address"],
    ["1..3.4", "error: invalid IPv4 address"],
    ["", "error: empty address"],
  ])("rejects %j", (text, message) => {
    expect(ip(text)).toBe(message);
  });
});

describe("IPv6 (RFC 4291 §2.2 input, RFC 5952 output)", () => {
  test.each([
    ["::", "::"],
    ["::1", "::1"],
    ["1::", "1::"],
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["2001:DB8::1", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"], // first of two equal runs (RFC 5952 §4.2.3)
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"], // a single zero group is not compressed (§4.2.2)
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"], // the longest run wins (§4.2.3)
    ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
    ["::ffff:10.1.2.3", "::ffff:10.1.2.3"],
    ["::FFFF:0a01:0203", "::ffff:10.1.2.3"],
    ["64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
    ["::1.2.3.4", "::102:304"],
  ])("%s → %s", (text, canonical) => {
    expect(ip(text)).toBe(canonical);
  });

  test("an IPv4-mapped address keeps family 6 until unmapped", () => {
    expect(cidr.string("ipFamily", "::ffff:10.1.2.3")).toBe("6 mapped");
    expect(cidr.string("ipFamily", "::fffe:10.1.2.3")).toBe("6");
  });

  test.each([
    ["fe80::1%eth0", "error: IPv6 zone identifier not allowed"],
    ["fe80::%1", "error: IPv6 zone identifier not allowed"],
    ["1::2::3", "error: more than one '::' in IPv6 address"],
    [":::", "error: invalid IPv6 address"],
    [":1::", "error: invalid IPv6 address (leading ':')"],
    ["1:", "error: invalid IPv6 address (trailing ':')"],
    ["1:2:3:4:5:6:7:8:9", "error: too many groups in IPv6 address"],
    ["1:2:3:4:5:6:7:8::", "error: too many groups in IPv6 address"],
    ["1:2:3:4:5:6:7", "error: too few groups in IPv6 address"],
    ["12345::", "error: IPv6 group longer than 4 hex digits"],
    ["::g", "error: invalid IPv6 address"],
    ["1.2.3.4::", "error: misplaced IPv4 part in IPv6 address"],
    ["::1.2.3.4:5", "error: invalid IPv4 address"],
    ["1:2:3:4:5:6:7:1.2.3.4", "error: misplaced IPv4 part in IPv6 address"],
    ["::ffff:010.1.2.3", "error: leading zero in IPv4 octet (ambiguous: octal in some parsers)"],
    ["[::1]", "error: invalid IPv6 address"],
  ])("rejects %j", (text, message) => {
    expect(ip(text)).toBe(message);
  });
});

describe("CIDR ranges", () => {
  test.each([
    ["10.0.0.0/8", "10.0.0.0/8"],
    ["10.1.2.3/8", "10.0.0.0/8 host-bits"], // masked, as Envoy's CidrRange::create does
    ["10.1.2.3", "10.1.2.3/32"],
    ["0.0.0.0/0", "0.0.0.0/0"],
    ["1.2.3.4/0", "0.0.0.0/0 host-bits"],
    ["2001:db8::/32", "2001:db8::/32"],
    ["2001:db8::1/32", "2001:db8::/32 host-bits"],
    ["::1", "::1/128"],
    ["::/0", "::/0"],
    ["ffff::ffff/113", "ffff::8000/113 host-bits"], // Envoy cidr_range_test.cc TruncateIpAddressAndLength
    ["::ffff:10.0.0.0/104", "10.0.0.0/8"], // a range inside ::ffff:0:0/96 is the IPv4 range it maps
    ["::ffff:0:0/96", "0.0.0.0/0"],
    ["::ffff:10.1.2.3", "10.1.2.3/32"],
    ["::ffff:0:0/80", "::/80 host-bits"], // shorter than /96: stays IPv6
  ])("%s → %s", (text, expected) => {
    expect(range(text)).toBe(expected);
  });

  test.each([
    ["10.0.0.0/33", "error: prefix length above 32"],
    ["::/129", "error: prefix length above 128"],
    ["10.0.0.0/08", "error: leading zero in prefix length"],
    ["10.0.0.0/", "error: invalid prefix length"],
    ["10.0.0.0/-1", "error: invalid prefix length"],
    ["10.0.0.0/1000", "error: invalid prefix length"],
    ["10.0.0.0/8/8", "error: invalid prefix length"],
    ["10.0.0/8", "error: invalid IPv4 address"],
    ["/8", "error: empty address"],
    ["fe80::%eth0/64", "error: IPv6 zone identifier not allowed"],
  ])("rejects %j", (text, message) => {
    expect(range(text)).toBe(message);
  });
});

describe("matching (authz-and-metadata.md §D class 20; Envoy CidrRange::isInRange)", () => {
  test.each([
    ["10.0.0.0/8", "10.0.0.0", 1],
    ["10.0.0.0/8", "10.255.255.255", 1],
    ["10.0.0.0/8", "11.0.0.0", 0],
    ["10.0.0.0/8", "9.255.255.255", 0],
    ["10.1.2.3/8", "10.200.0.1", 1], // host bits masked off
    ["192.168.1.1", "192.168.1.1", 1],
    ["192.168.1.1", "192.168.1.2", 0],
    ["0.0.0.0/0", "255.255.255.255", 1],
    ["10.0.0.0/8", "::ffff:10.1.2.3", 1], // IPv4-mapped IPv6 matches as IPv4
    ["10.0.0.0/8", "::ffff:11.1.2.3", 0],
    ["::ffff:10.0.0.0/104", "10.1.2.3", 1],
    ["::ffff:0:0/96", "1.2.3.4", 1],
    ["::/0", "10.0.0.1", 0], // no cross-family match (Envoy: version mismatch → false)
    ["::/0", "::ffff:10.0.0.1", 0], // a mapped peer is IPv4, as after Envoy's v4-mapped conversion
    ["0.0.0.0/0", "::1", 0],
    ["::/0", "2001:db8::1", 1],
    ["2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 1],
    ["2001:db8::/32", "2001:db9::", 0],
    ["2001:db8::/127", "2001:db8::1", 1],
    ["2001:db8::/127", "2001:db8::2", 0],
    ["2001:db8::1/128", "2001:db8::1", 1],
    ["2001:db8::/64", "2001:db8:0:0:8000::", 1],
    ["2001:db8::/65", "2001:db8:0:0:8000::", 0],
  ])("%s contains %s → %i", (r, address, expected) => {
    expect(contains(r, address)).toBe(expected);
  });

  test("bad input is reported, not matched", () => {
    expect(contains("10.0.0.0/33", "10.0.0.1")).toBe(-1);
    expect(contains("10.0.0.0/8", "010.0.0.1")).toBe(-2);
  });
});

describe("Envoy ip:port text (source.address, destination.address)", () => {
  test.each([
    ["10.1.2.3:5678", "10.1.2.3 5678 10.1.2.3:5678"],
    ["[::1]:80", "::1 80 [::1]:80"],
    ["[2001:DB8::1]:0", "2001:db8::1 0 [2001:db8::1]:0"],
    ["[::ffff:10.1.2.3]:65535", "::ffff:10.1.2.3 65535 [::ffff:10.1.2.3]:65535"],
  ])("%s", (text, expected) => {
    expect(cidr.string("ipPort", text)).toBe(expected);
  });

  test.each([
    ["10.1.2.3", "error: missing port"],
    ["10.1.2.3:", "error: invalid port"],
    ["10.1.2.3:65536", "error: port above 65535"],
    ["10.1.2.3:080", "error: leading zero in port"],
    ["10.1.2.3:123456", "error: invalid port"],
    ["10.1.2.3:8a", "error: invalid port"],
    ["::1:80", "error: IPv6 address without brackets"],
    ["[1.2.3.4]:80", "error: brackets around an IPv4 address"],
    ["[::1]", "error: invalid [IPv6]:port address"],
    ["envoy://internal_client_address/", "error: invalid IPv4 address"],
    ["/var/run/envoy.sock", "error: missing port"],
  ])("rejects %j", (text, message) => {
    expect(cidr.string("ipPort", text)).toBe(message);
  });
});

// Generators: structured addresses, rendered in many textual forms, plus character-level noise.
const ipv4Text = fc
  .tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255))
  .map((octets) => octets.join("."));
const ipv6Text = fc
  .tuple(
    fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 }),
    fc.nat(8),
    fc.nat(8),
    fc.boolean(),
    fc.boolean(),
  )
  .map(([groups, gapStart, gapLength, upper, embedV4]) => {
    let parts = groups.map((g) => g.toString(16));
    if (upper) parts = parts.map((p) => p.toUpperCase());
    if (embedV4) parts = [...parts.slice(0, 6), `${groups[6]! >> 8}.${groups[6]! & 255}.${groups[7]! >> 8}.${groups[7]! & 255}`];
    const count = parts.length;
    const start = Math.min(gapStart, count);
    const length = Math.min(gapLength, count - start);
    if (length === 0) return parts.join(":");
    return parts.slice(0, start).join(":") + "::" + parts.slice(start + length).join(":");
  });
const mappedText = ipv4Text.map((v4) => `::ffff:${v4}`);
const noisyText = fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEF:.%/[]x "), maxLength: 24 });
const mutated = fc
  .tuple(fc.oneof(ipv4Text, ipv6Text, mappedText), fc.nat(40), fc.constantFrom("", ":", ".", "0", "::", "f", "%", "1"))
  .map(([text, at, insert]) => text.slice(0, at % (text.length + 1)) + insert + text.slice(at % (text.length + 1)));
const anyAddressText = fc.oneof(ipv4Text, ipv6Text, mappedText, noisyText, mutated);

describe("properties", () => {
  test("parseIp agrees with the reference and with Node's net.isIP (zone ids aside)", () => {
    fc.assert(
      fc.property(anyAddressText, (text) => {
        const got = ip(text);
        expect(withoutReason(got)).toBe(referenceIp(text));
        if (!text.includes("%")) expect(got.startsWith("error")).toBe(isIP(text) === 0);
        // Canonical text reads back to itself.
        if (!got.startsWith("error")) expect(ip(got)).toBe(got);
      }),
      RUNS,
    );
  });

  test("parseCidr agrees with the reference", () => {
    const cidrText = fc
      .tuple(anyAddressText, fc.oneof(fc.constant(""), fc.nat(140).map((n) => `/${n}`), fc.constantFrom("/", "/08", "/-1", "//8")))
      .map(([address, suffix]) => address + suffix);
    fc.assert(
      fc.property(cidrText, (text) => {
        expect(withoutReason(range(text))).toBe(referenceCidr(text));
      }),
      RUNS,
    );
  });

  test("contains agrees with the reference and, for ranges that cannot involve the mapped block, with net.BlockList", () => {
    const prefix4 = fc.nat(32);
    const prefix6 = fc.nat(128);
    const pair = fc.oneof(
      fc.tuple(ipv4Text, prefix4, fc.oneof(ipv4Text, mappedText)),
      fc.tuple(ipv6Text, prefix6, fc.oneof(ipv6Text, ipv4Text, mappedText)),
      fc.tuple(mappedText, prefix6, fc.oneof(ipv4Text, mappedText, ipv6Text)),
    );
    fc.assert(
      fc.property(pair, ([network, prefix, address]) => {
        const r = `${network}/${prefix}`;
        const parsedRange = reference.parseCidr(r)!;
        const parsedAddress = reference.parseIp(address)!;
        const expected = reference.cidrContains(parsedRange, parsedAddress) ? 1 : 0;
        expect(contains(r, address)).toBe(expected);
        // Node's BlockList matches across families (its ::/0 contains 10.0.0.1); compare only ranges that do
        // not contain the mapped block ::ffff:0:0/96 unless they are inside it.
        const ipv4Range = parsedRange.family === 4;
        const unmatched = BigInt(128 - parsedRange.prefixLength);
        const v6WithoutMapped =
          parsedRange.family === 6 && (0xffffn << 32n) >> unmatched !== parsedRange.network >> unmatched;
        if (ipv4Range || v6WithoutMapped) {
          const list = new BlockList();
          const type = ipv4Range ? "ipv4" : "ipv6";
          list.addSubnet(reference.formatIp({ family: parsedRange.family, value: parsedRange.network }), parsedRange.prefixLength, type);
          const unmapped = reference.unmap(parsedAddress);
          const nodeSays = list.check(reference.formatIp(unmapped), unmapped.family === 4 ? "ipv4" : "ipv6");
          expect(expected).toBe(nodeSays ? 1 : 0);
        }
      }),
      RUNS,
    );
  });

  test("parseIpPort agrees with the reference", () => {
    const text = fc.oneof(
      fc.tuple(ipv4Text, fc.nat(70000)).map(([a, p]) => `${a}:${p}`),
      fc.tuple(fc.oneof(ipv6Text, mappedText), fc.nat(70000)).map(([a, p]) => `[${a}]:${p}`),
      fc.tuple(anyAddressText, fc.constantFrom(":80", ":", ":080", "]:1", ":65536", "")).map(([a, s]) => a + s),
      fc.tuple(anyAddressText, fc.constantFrom(":80", ":0", "")).map(([a, s]) => `[${a}]${s}`),
    );
    fc.assert(
      fc.property(text, (t) => {
        const parsed = reference.parseIpPort(t);
        const expected = parsed === null ? "error" : `${reference.formatIp(parsed.ip)} ${parsed.port}`;
        const got = cidr.string("ipPort", t)!;
        expect(got.startsWith("error") ? "error" : got.split(" ").slice(0, 2).join(" ")).toBe(expected);
      }),
      RUNS,
    );
  });
});
