/** Small, fixed Wasm modules for packaging tests (no build needed; bytes never change). */

/** The 8-byte empty module: magic + version 1. */
export const EMPTY_MODULE = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

/**
 * A valid module of about `size` bytes: the header plus one custom section ("pad") of deterministic bytes.
 * Large enough sizes cross the 65535-byte stored-block boundary of the layer's gzip stream.
 */
export function paddedModule(size: number): Buffer {
  const name = Buffer.from("pad");
  const payloadLength = Math.max(0, size - 8 - 1 - 5 - 1 - name.length);
  const payload = Buffer.alloc(payloadLength);
  for (let i = 0; i < payloadLength; i++) payload[i] = (i * 31 + 7) & 0xff;
  const content = Buffer.concat([Buffer.from([name.length]), name, payload]);
  // Section id 0 (custom), size as a 5-byte LEB128 so the total length is exact.
  let n = content.length;
  const leb = Buffer.alloc(5);
  for (let i = 0; i < 5; i++) {
    leb[i] = (n & 0x7f) | (i < 4 ? 0x80 : 0);
    n >>>= 7;
  }
  return Buffer.concat([EMPTY_MODULE, Buffer.from([0x00]), leb, content]);
}
