/**
 * A deterministic POSIX ustar writer (one regular file) and a small reader, plus a gzip member writer whose
 * bytes depend only on its input.
 *
 * Why hand-written: the digest of an OCI image must be a pure function of the module bytes, so that
 * `as-proxy package` on a laptop and in CI give the same `sha256` for a WasmPlugin. That needs
 *  - tar headers with every variable field fixed (mode 0644, uid/gid 0, mtime 0, empty uname/gname), and
 *  - a gzip stream that does not depend on the zlib build. Node's bundled zlib is Chromium's fork, which picks
 *    its match-finder hash by CPU feature (SSE4.2 / ARMv8 CRC32 `insert_string`), so `zlib.gzipSync` output can
 *    differ between machines for the same input. We therefore emit DEFLATE *stored* blocks (RFC 1951 §3.2.4),
 *    whose bytes are fixed by the specification. The cost is no compression (a Wasm filter is tens of KiB;
 *    registries and the Istio/EG fetchers do not care).
 */

const BLOCK = 512;

/** Fixed metadata written for every entry; reproducibility depends on none of these varying. */
export const TAR_ENTRY_MODE = 0o644;

function writeOctal(header: Uint8Array, offset: number, width: number, value: number): void {
  // `width - 1` octal digits, zero-padded, then NUL (ustar numeric field convention).
  const digits = value.toString(8).padStart(width - 1, "0");
  if (digits.length > width - 1) throw new RangeError(`tar: value ${value} does not fit in ${width - 1} octal digits`);
  for (let i = 0; i < width - 1; i++) header[offset + i] = digits.charCodeAt(i);
  header[offset + width - 1] = 0;
}

function writeAscii(header: Uint8Array, offset: number, width: number, text: string): void {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length > width) throw new RangeError(`tar: "${text}" is longer than ${width} bytes`);
  header.set(bytes, offset);
}

/** A tar archive holding exactly one regular file `name` with `data`; all metadata fixed (see module doc). */
export function tarSingleFile(name: string, data: Uint8Array): Buffer {
  if (name.length === 0 || name.includes("\0")) throw new RangeError("tar: invalid entry name");
  const header = new Uint8Array(BLOCK);
  writeAscii(header, 0, 100, name); // name
  writeOctal(header, 100, 8, TAR_ENTRY_MODE); // mode
  writeOctal(header, 108, 8, 0); // uid
  writeOctal(header, 116, 8, 0); // gid
  writeOctal(header, 124, 12, data.length); // size
  writeOctal(header, 136, 12, 0); // mtime (1970-01-01)
  header.fill(0x20, 148, 156); // chksum: spaces while summing
  header[156] = 0x30; // typeflag '0' = regular file
  writeAscii(header, 257, 6, "ustar\0"); // magic
  writeAscii(header, 263, 2, "00"); // version
  // uname/gname (265, 297) stay empty; devmajor/devminor (329, 337) as zero octal like Go's archive/tar.
  writeOctal(header, 329, 8, 0);
  writeOctal(header, 337, 8, 0);
  let sum = 0;
  for (const byte of header) sum += byte;
  // chksum: six octal digits, NUL, space (the historical layout every reader accepts).
  const checksum = sum.toString(8).padStart(6, "0");
  for (let i = 0; i < 6; i++) header[148 + i] = checksum.charCodeAt(i);
  header[154] = 0;
  header[155] = 0x20;

  const padding = (BLOCK - (data.length % BLOCK)) % BLOCK;
  // Two zero blocks end the archive (POSIX). No padding to a 10 KiB record: Go's archive/tar does not need it.
  return Buffer.concat([header, data, new Uint8Array(padding), new Uint8Array(2 * BLOCK)]);
}

export interface TarEntry {
  name: string;
  /** ustar typeflag character ('0' or NUL for a regular file). */
  type: string;
  data: Buffer;
}

/** Reads the entries of a ustar/GNU tar archive (regular files and directories; no sparse/PAX extensions). */
export function readTar(archive: Uint8Array): TarEntry[] {
  const bytes = Buffer.from(archive.buffer, archive.byteOffset, archive.byteLength);
  const entries: TarEntry[] = [];
  let offset = 0;
  while (offset + BLOCK <= bytes.length) {
    const header = bytes.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, width: number) => {
      const raw = header.subarray(start, start + width);
      const end = raw.indexOf(0);
      return raw.subarray(0, end === -1 ? width : end).toString("utf8");
    };
    const size = parseInt(field(124, 12).trim() || "0", 8);
    if (!Number.isFinite(size) || size < 0) throw new Error(`tar: bad size field at offset ${offset}`);
    const prefix = field(345, 155);
    const name = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100);
    const type = String.fromCharCode(header[156] ?? 0);
    const start = offset + BLOCK;
    if (start + size > bytes.length) throw new Error(`tar: entry "${name}" is truncated`);
    entries.push({ name, type, data: bytes.subarray(start, start + size) });
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  return entries;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3), as gzip's trailer uses. (`zlib.crc32` needs Node 20.15; engines allows 20.11.) */
export function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Largest stored-block payload (LEN is 16 bits). */
const STORED_BLOCK_MAX = 0xffff;

/**
 * A gzip member (RFC 1952) with fixed header bytes (no name, MTIME 0, XFL 0, OS 255 = unknown) and a DEFLATE
 * stream of stored blocks. Any gzip reader (Go's compress/gzip in Istio and Envoy Gateway, zlib, gunzip)
 * accepts it; its bytes depend only on `data`.
 */
export function gzipStored(data: Uint8Array): Buffer {
  const header = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff]);
  const blocks: Uint8Array[] = [];
  let offset = 0;
  do {
    const length = Math.min(STORED_BLOCK_MAX, data.length - offset);
    const final = offset + length >= data.length;
    const block = new Uint8Array(5 + length);
    block[0] = final ? 0x01 : 0x00; // BFINAL, BTYPE=00 (stored); the rest of the byte is padding
    block[1] = length & 0xff;
    block[2] = length >>> 8;
    block[3] = ~length & 0xff;
    block[4] = (~length >>> 8) & 0xff;
    block.set(data.subarray(offset, offset + length), 5);
    blocks.push(block);
    offset += length;
  } while (offset < data.length);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(data), 0);
  trailer.writeUInt32LE(data.length >>> 0, 4); // ISIZE = length mod 2^32
  return Buffer.concat([header, ...blocks, trailer]);
}
