// SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104), for hash redaction of sensitive values.
//
// Hand-written because AssemblyScript's std has no digest and a library would cost more than these ~120
// lines (the whole filter must stay under 64 KB). Pinned by the FIPS 180-4 / NIST CAVP vectors and by
// Node's `crypto` on random inputs in test/filters/l7-metadata/sha256.test.ts. Not constant-time; the
// inputs are header and query values that the filter already holds in memory, not secrets compared
// against an attacker's guess.

// @ts-ignore: decorator
@lazy const ROUND_CONSTANTS: StaticArray<u32> = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/** Length of a SHA-256 digest in bytes. */
export const SHA256_DIGEST_BYTES: i32 = 32;
/** SHA-256 block size in bytes (the HMAC key is padded to this length). */
const BLOCK_BYTES: i32 = 64;

/** Incremental SHA-256: `update` any number of times, then `digest` once. */
@final
export class Sha256 {
  private state: StaticArray<u32> = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ];
  private schedule: StaticArray<u32> = new StaticArray<u32>(64);
  private block: Uint8Array = new Uint8Array(BLOCK_BYTES);
  private blockLength: i32 = 0;
  private totalBytes: u64 = 0;

  update(data: Uint8Array): Sha256 {
    const length = data.length;
    for (let i = 0; i < length; i++) {
      unchecked((this.block[this.blockLength++] = unchecked(data[i])));
      if (this.blockLength == BLOCK_BYTES) {
        this.compress();
        this.blockLength = 0;
      }
    }
    this.totalBytes += <u64>length;
    return this;
  }

  /** Pads, compresses the last block(s) and returns the 32-byte digest. The object is spent afterwards. */
  digest(): Uint8Array {
    const bitLength = this.totalBytes << 3;
    unchecked((this.block[this.blockLength++] = 0x80));
    if (this.blockLength > BLOCK_BYTES - 8) {
      while (this.blockLength < BLOCK_BYTES) unchecked((this.block[this.blockLength++] = 0));
      this.compress();
      this.blockLength = 0;
    }
    while (this.blockLength < BLOCK_BYTES - 8) unchecked((this.block[this.blockLength++] = 0));
    for (let i = 0; i < 8; i++) {
      unchecked((this.block[BLOCK_BYTES - 1 - i] = <u8>(bitLength >> (<u64>(i * 8)))));
    }
    this.compress();
    const out = new Uint8Array(SHA256_DIGEST_BYTES);
    for (let i = 0; i < 8; i++) {
      const word = unchecked(this.state[i]);
      unchecked((out[i * 4] = <u8>(word >>> 24)));
      unchecked((out[i * 4 + 1] = <u8>(word >>> 16)));
      unchecked((out[i * 4 + 2] = <u8>(word >>> 8)));
      unchecked((out[i * 4 + 3] = <u8>word));
    }
    return out;
  }

  private compress(): void {
    const w = this.schedule;
    const block = this.block;
    for (let i = 0; i < 16; i++) {
      unchecked(
        (w[i] =
          (<u32>unchecked(block[i * 4]) << 24) |
          (<u32>unchecked(block[i * 4 + 1]) << 16) |
          (<u32>unchecked(block[i * 4 + 2]) << 8) |
          (<u32>unchecked(block[i * 4 + 3]))),
      );
    }
    for (let i = 16; i < 64; i++) {
      const w15 = unchecked(w[i - 15]);
      const w2 = unchecked(w[i - 2]);
      const s0 = rotr<u32>(w15, 7) ^ rotr<u32>(w15, 18) ^ (w15 >>> 3);
      const s1 = rotr<u32>(w2, 17) ^ rotr<u32>(w2, 19) ^ (w2 >>> 10);
      unchecked((w[i] = unchecked(w[i - 16]) + s0 + unchecked(w[i - 7]) + s1));
    }
    const h = this.state;
    let a = unchecked(h[0]), b = unchecked(h[1]), c = unchecked(h[2]), d = unchecked(h[3]);
    let e = unchecked(h[4]), f = unchecked(h[5]), g = unchecked(h[6]), k = unchecked(h[7]);
    for (let i = 0; i < 64; i++) {
      const sum1 = rotr<u32>(e, 6) ^ rotr<u32>(e, 11) ^ rotr<u32>(e, 25);
      const choose = (e & f) ^ (~e & g);
      const t1 = k + sum1 + choose + unchecked(ROUND_CONSTANTS[i]) + unchecked(w[i]);
      const sum0 = rotr<u32>(a, 2) ^ rotr<u32>(a, 13) ^ rotr<u32>(a, 22);
      const majority = (a & b) ^ (a & c) ^ (b & c);
      const t2 = sum0 + majority;
      k = g; g = f; f = e; e = d + t1;
      d = c; c = b; b = a; a = t1 + t2;
    }
    unchecked((h[0] += a)); unchecked((h[1] += b)); unchecked((h[2] += c)); unchecked((h[3] += d));
    unchecked((h[4] += e)); unchecked((h[5] += f)); unchecked((h[6] += g)); unchecked((h[7] += k));
  }
}

/** SHA-256 of `data`. */
export function sha256(data: Uint8Array): Uint8Array {
  return new Sha256().update(data).digest();
}

/** HMAC-SHA-256 (RFC 2104): keys longer than the block are hashed first, shorter ones zero-padded. */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  let blockKey = new Uint8Array(BLOCK_BYTES);
  if (key.length > BLOCK_BYTES) blockKey.set(sha256(key));
  else blockKey.set(key);
  const innerPad = new Uint8Array(BLOCK_BYTES);
  const outerPad = new Uint8Array(BLOCK_BYTES);
  for (let i = 0; i < BLOCK_BYTES; i++) {
    unchecked((innerPad[i] = unchecked(blockKey[i]) ^ 0x36));
    unchecked((outerPad[i] = unchecked(blockKey[i]) ^ 0x5c));
  }
  const inner = new Sha256().update(innerPad).update(data).digest();
  return new Sha256().update(outerPad).update(inner).digest();
}

/** Lower-case hex of the first `byteCount` bytes of `bytes`. */
export function hexPrefix(bytes: Uint8Array, byteCount: i32): string {
  const count = min(byteCount, bytes.length);
  const digits = "0123456789abcdef";
  let out = "";
  for (let i = 0; i < count; i++) {
    const byte = <i32>unchecked(bytes[i]);
    out += digits.charAt(byte >> 4) + digits.charAt(byte & 15);
  }
  return out;
}
