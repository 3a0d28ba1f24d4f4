// SHA-256 / HMAC-SHA-256 used by the recorder's hash redaction (filters/l7-metadata/sha256.ts), checked against
// the FIPS 180-4 example vectors, RFC 4231 HMAC vectors and Node's crypto on random inputs.
import { createHash, createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { instantiateSync } from "@assemblyscript/loader";
import fc from "fast-check";
import { describe, expect, test } from "vitest";

interface Sha256Exports extends Record<string, unknown> {
  UINT8ARRAY_ID: { value: number };
  sha256Hex(data: number): number;
  hmacSha256Hex(key: number, data: number): number;
  __newArray(id: number, values: ArrayLike<number>): number;
  __getString(pointer: number): string;
  __pin(pointer: number): number;
  __unpin(pointer: number): void;
}

const modulePath = fileURLToPath(new URL("../../../build/loader/l7-sha256.wasm", import.meta.url));
const wasm = instantiateSync<Sha256Exports>(readFileSync(modulePath), {}).exports;

function bytes(data: Uint8Array | string): number {
  const values = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  return wasm.__pin(wasm.__newArray(wasm.UINT8ARRAY_ID.value, values));
}

function sha256Hex(data: Uint8Array | string): string {
  const pointer = bytes(data);
  try {
    return wasm.__getString(wasm.sha256Hex(pointer));
  } finally {
    wasm.__unpin(pointer);
  }
}

function hmacHex(key: Uint8Array | string, data: Uint8Array | string): string {
  const keyPointer = bytes(key);
  const dataPointer = bytes(data);
  try {
    return wasm.__getString(wasm.hmacSha256Hex(keyPointer, dataPointer));
  } finally {
    wasm.__unpin(keyPointer);
    wasm.__unpin(dataPointer);
  }
}

describe("sha256 (FIPS 180-4 examples)", () => {
  test("empty input", () => {
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });
  test("abc (one block)", () => {
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
  test("448-bit message (padding spills into a second block)", () => {
    expect(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
  });
  test("one million 'a'", () => {
    expect(sha256Hex("a".repeat(1_000_000))).toBe("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  });
  test("block-boundary lengths 55, 56, 63, 64, 65 match Node", () => {
    for (const length of [55, 56, 63, 64, 65, 119, 120, 128]) {
      const data = Buffer.alloc(length, 0x61 + (length % 26));
      expect(sha256Hex(data), `length ${length}`).toBe(createHash("sha256").update(data).digest("hex"));
    }
  });
  test("random inputs match Node's crypto", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        expect(sha256Hex(data)).toBe(createHash("sha256").update(data).digest("hex"));
      }),
      { numRuns: 200 },
    );
  });
});

describe("hmacSha256 (RFC 4231)", () => {
  test("test case 1: 20-byte key", () => {
    expect(hmacHex(Buffer.alloc(20, 0x0b), "Hi There")).toBe(
      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
    );
  });
  test("test case 2: short key", () => {
    expect(hmacHex("Jefe", "what do ya want for nothing?")).toBe(
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    );
  });
  test("test case 6: key longer than the block is hashed first", () => {
    expect(hmacHex(Buffer.alloc(131, 0xaa), "Test Using Larger Than Block-Size Key - Hash Key First")).toBe(
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    );
  });
  test("random keys and inputs match Node's crypto", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 150 }), fc.uint8Array({ maxLength: 200 }), (key, data) => {
        expect(hmacHex(key, data)).toBe(createHmac("sha256", key).update(data).digest("hex"));
      }),
      { numRuns: 150 },
    );
  });
});
