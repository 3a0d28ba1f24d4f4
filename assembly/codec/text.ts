/**
 * UTF-8 → string decoding at the ABI boundary.
 *
 * Why not `String.UTF8.decodeUnsafe`: AssemblyScript's decoder (std/assembly/string.ts) does not validate.
 * It maps overlong forms to the character they spell (`C0 AF` → "/"), decodes encoded surrogates, and drops a
 * truncated tail. For a proxy that is a security bug: a policy matching on the decoded string would see
 * "/admin" where the upstream receives other bytes. This decoder follows the WHATWG Encoding Standard
 * "UTF-8 decode" with replacement: every ill-formed subsequence becomes one U+FFFD and a byte that cannot
 * continue a sequence is reprocessed, so no non-ASCII input ever decodes to ASCII and nothing traps.
 */

/**
 * Decodes `size` bytes at `ptr` as UTF-8, replacing ill-formed sequences with U+FFFD (WHATWG "maximal
 * subpart" rule). Valid UTF-8 round-trips exactly.
 */
export function decodeUtf8Lossy(ptr: usize, size: usize): string {
  if (size == 0) return "";
  // One UTF-16 unit per input byte is the maximum (a 4-byte sequence gives 2 units).
  const out = __new(size << 1, idof<string>());
  let outPos = out;
  let inPos = ptr;
  const end = ptr + size;
  while (inPos < end) {
    const lead = <u32>load<u8>(inPos);
    if (lead < 0x80) {
      store<u16>(outPos, <u16>lead);
      outPos += 2;
      inPos += 1;
      continue;
    }
    let needed: u32 = 0;
    let lower: u32 = 0x80;
    let upper: u32 = 0xbf;
    let codePoint: u32 = 0;
    if (lead >= 0xc2 && lead <= 0xdf) {
      needed = 1;
      codePoint = lead & 0x1f;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      if (lead == 0xe0) lower = 0xa0; // no overlong 3-byte forms
      if (lead == 0xed) upper = 0x9f; // no encoded surrogates
      needed = 2;
      codePoint = lead & 0x0f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      if (lead == 0xf0) lower = 0x90; // no overlong 4-byte forms
      if (lead == 0xf4) upper = 0x8f; // nothing above U+10FFFF
      needed = 3;
      codePoint = lead & 0x07;
    } else {
      // 0x80..0xC1 and 0xF5..0xFF can never start a sequence.
      store<u16>(outPos, 0xfffd);
      outPos += 2;
      inPos += 1;
      continue;
    }
    inPos += 1;
    let complete = true;
    for (let i: u32 = 0; i < needed; i++) {
      if (inPos >= end) {
        complete = false;
        break;
      }
      const next = <u32>load<u8>(inPos);
      if (next < lower || next > upper) {
        complete = false; // `next` is not consumed: it is decoded again as a lead byte
        break;
      }
      lower = 0x80;
      upper = 0xbf;
      codePoint = (codePoint << 6) | (next & 0x3f);
      inPos += 1;
    }
    if (!complete) {
      store<u16>(outPos, 0xfffd);
      outPos += 2;
    } else if (codePoint < 0x10000) {
      store<u16>(outPos, <u16>codePoint);
      outPos += 2;
    } else {
      const offset = codePoint - 0x10000;
      store<u16>(outPos, <u16>(0xd800 | (offset >> 10)));
      store<u16>(outPos + 2, <u16>(0xdc00 | (offset & 0x3ff)));
      outPos += 4;
    }
  }
  return changetype<string>(__renew(out, outPos - out));
}

/** Decodes a whole ArrayBuffer with {@link decodeUtf8Lossy}. */
export function decodeUtf8LossyBuffer(buffer: ArrayBuffer): string {
  return decodeUtf8Lossy(changetype<usize>(buffer), <usize>buffer.byteLength);
}
