/**
 * Decodes the string literals the build stores compactly (scripts/lib/compact-literals.ts, a transform applied to
 * every proxy-wasm module): a use of a literal `"…"` in the SDK or a filter is compiled as `__compactLiteral(i)`,
 * `i` being the literal's number in the program. docs/SIZE.md has the numbers; the text is identical.
 *
 * Layout, in static memory (the build fills in the four `memory.data` expressions below):
 * ```
 *   literals     per literal: head byte, then bytes           head < 0x80: `head` bytes, each an ASCII
 *                (no byte is 0: one data segment)               character (< 0x80) or dictionary entry
 *                                                                0x80 + k; head ≥ 0x80: `head & 0x7F` bytes
 *                                                                of UTF-8
 *   dictionary   per entry: length byte, then ASCII bytes     frequent substrings of the literals
 *   slots        per literal: u32 string (0 = not decoded),    zero-initialized: no bytes in the module;
 *                u32 offset in `literals` + 1 (0 = not built)  the offsets are built at the first call
 *   entries      per entry: u16 offset of its first character in `dictionary`
 * ```
 * A decoded literal is pinned (never collected, like a static string) and cached in its slot, so a later use
 * costs a load and a compare. No module-level state: the helper runs from top-level initializers of any file,
 * before this file's own globals would be initialized.
 */

import { decodeUtf8LossyUnsafe } from "../util/utf8";

/** The string of literal `index`. Called only by code the build generates. */
// @ts-ignore: decorator
@global @unsafe function __compactLiteral(index: i32): string {
  // Placeholders the build replaces (a module built without the transform never calls this function).
  const literals: usize = memory.data(1);
  const dictionary: usize = memory.data(1);
  const slots: usize = memory.data(8);
  const entries: usize = memory.data(2);
  const literalCount: i32 = 0;
  const entryCount: i32 = 0;

  const slot = slots + (<usize>index << 3);
  const cached = load<usize>(slot);
  if (cached != 0) return changetype<string>(cached);
  if (load<u32>(slots, 4) == 0) {
    // First call: index the literals and the dictionary entries (each starts after its predecessor's bytes).
    let p = literals;
    for (let i = 0; i < literalCount; i++) {
      store<u32>(slots + (<usize>i << 3), <u32>(p - literals + 1), 4);
      p += 1 + <usize>(load<u8>(p) & 0x7f);
    }
    let q = dictionary;
    for (let k = 0; k < entryCount; k++) {
      // The offset of the entry's first character: its length byte is just before.
      store<u16>(entries + (<usize>k << 1), <u16>(q - dictionary + 1));
      q += 1 + <usize>load<u8>(q);
    }
  }
  const cell = literals + <usize>load<u32>(slot, 4) - 1;
  const head = <usize>load<u8>(cell);
  let text: string;
  if (head >= 0x80) {
    text = decodeUtf8LossyUnsafe(cell + 1, head & 0x7f);
  } else {
    // At most 24 characters per byte: the longest dictionary entry (MAX_ENTRY_LENGTH in
    // scripts/lib/compact-literals.ts). Trimmed to the real length below.
    const out = __new(head * 48, idof<string>());
    let o = out;
    for (let p = cell + 1, end = p + head; p < end; p++) {
      const byte = <usize>load<u8>(p);
      // A plain character is a one-character run starting at `p` itself.
      let run = p;
      let n: usize = 1;
      if (byte >= 0x80) {
        run = dictionary + <usize>load<u16>(entries + ((byte - 0x80) << 1));
        n = <usize>load<u8>(run - 1);
      }
      for (let i: usize = 0; i < n; i++) store<u16>(o + (i << 1), <u16>load<u8>(run + i));
      o += n << 1;
    }
    text = changetype<string>(__renew(out, o - out));
  }
  __pin(changetype<usize>(text));
  store<usize>(slot, changetype<usize>(text));
  return text;
}
