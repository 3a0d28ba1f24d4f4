/**
 * A growable UTF-16 buffer for building strings in one pass (AssemblyScript has no StringBuilder, and
 * repeated `+=` copies the whole string each time), and the SDK's integer and hex printers.
 */
@final
export class TextBuffer {
  private data: ArrayBuffer;
  /** Number of UTF-16 code units written. */
  length: i32 = 0;

  constructor(initialCapacity: i32 = 64) {
    this.data = new ArrayBuffer(max(initialCapacity, 8) << 1);
  }

  /** Makes room for `extra` more code units. */
  reserve(extra: i32): void {
    let needed = (<i64>this.length + <i64>extra) << 1;
    let capacity = this.data.byteLength;
    if (needed <= <i64>capacity) return;
    let next = <i64>capacity << 1;
    if (next < needed) next = needed;
    let grown = new ArrayBuffer(<i32>next);
    memory.copy(changetype<usize>(grown), changetype<usize>(this.data), <usize>this.length << 1);
    this.data = grown;
  }

  /** Appends one UTF-16 code unit. */
  appendUnit(unit: u32): void {
    this.reserve(1);
    store<u16>(changetype<usize>(this.data) + (<usize>this.length << 1), <u16>unit);
    this.length++;
  }

  /** Appends all of `text`. */
  append(text: string): void {
    this.appendSlice(text, 0, text.length);
  }

  /** Appends `text[start, end)`; the caller guarantees 0 <= start <= end <= text.length. */
  appendSlice(text: string, start: i32, end: i32): void {
    let count = end - start;
    if (count <= 0) return;
    this.reserve(count);
    memory.copy(
      changetype<usize>(this.data) + (<usize>this.length << 1),
      changetype<usize>(text) + (<usize>start << 1),
      <usize>count << 1,
    );
    this.length += count;
  }

  /** Appends `"%XX"` with upper-case hex digits for the byte `value`. */
  appendPercentByte(value: u32): void {
    this.appendUnit(0x25);
    this.appendUnit(hexDigitUpper(value >> 4));
    this.appendUnit(hexDigitUpper(value & 15));
  }

  /** The code unit at `index` (0 <= index < length). */
  unitAt(index: i32): u32 {
    return <u32>load<u16>(changetype<usize>(this.data) + (<usize>index << 1));
  }

  /** Drops everything after the first `length` code units. */
  truncate(length: i32): void {
    if (length >= 0 && length < this.length) this.length = length;
  }

  /** Index of the last occurrence of `unit`, or -1. */
  lastIndexOf(unit: u32): i32 {
    for (let i = this.length - 1; i >= 0; i--) {
      if (this.unitAt(i) == unit) return i;
    }
    return -1;
  }

  /** The text written so far. */
  toString(): string {
    return String.UTF16.decodeUnsafe(changetype<usize>(this.data), <usize>this.length << 1);
  }
}

/**
 * `text` split at every `separator` code unit, as `text.split(separator)` does for a one-character separator
 * (`"a,,b"` → `["a", "", "b"]`, `""` → `[""]`). The standard library's `String#split` handles any separator and a
 * limit, and costs ~0.4 KB more.
 */
export function splitAt(text: string, separator: u32): string[] {
  let parts = new Array<string>();
  let start = 0;
  for (let i = 0, n = text.length; i < n; i++) {
    if (<u32>text.charCodeAt(i) == separator) {
      parts.push(text.substring(start, i));
      start = i + 1;
    }
  }
  parts.push(text.substring(start));
  return parts;
}

/**
 * `value` in decimal, as `value.toString()` writes it (`-12`, `0`). The SDK and the filters print integers
 * with this instead of `toString()`, whose printer (radix-generic, with an error path and its message) costs
 * ~0.5 KB in every module that uses it anywhere.
 */
export function decimalText(value: i64): string {
  if (value >= 0) return unsignedDecimalText(<u64>value);
  // -i64.MIN_VALUE overflows back to itself, and as u64 that is exactly 2^63: still the right magnitude.
  return "-" + unsignedDecimalText(<u64>-value);
}

/** `value` in decimal (`u64` values above 2^63 included). */
export function unsignedDecimalText(value: u64): string {
  let length = 1;
  for (let rest = value; rest >= 10; rest /= 10) length++;
  let text = changetype<string>(__new(<usize>length << 1, idof<string>()));
  let p = changetype<usize>(text) + (<usize>length << 1);
  do {
    p -= 2;
    store<u16>(p, <u16>(0x30 + value % 10));
    value /= 10;
  } while (value != 0);
  return text;
}

/** `value` as exactly `digits` (1..8) hex digits, upper or lower case (cheaper than toString(16) + padStart). */
export function hexText(value: u32, digits: i32, upper: bool): string {
  let text = changetype<string>(__new(<usize>digits << 1, idof<string>()));
  let p = changetype<usize>(text);
  for (let i = digits - 1; i >= 0; i--) {
    let v = value & 15;
    store<u16>(p + (<usize>i << 1), <u16>(upper ? hexDigitUpper(v) : hexDigitLower(v)));
    value >>= 4;
  }
  return text;
}

/** `0-9A-F` for 0..15. */
// @ts-ignore: decorator
@inline
export function hexDigitUpper(v: u32): u32 {
  return v < 10 ? 0x30 + v : 0x37 + v;
}

/** `0-9a-f` for 0..15. */
// @ts-ignore: decorator
@inline
export function hexDigitLower(v: u32): u32 {
  return v < 10 ? 0x30 + v : 0x57 + v;
}

/** The value of hex digit `c` (either case), or -1. */
// @ts-ignore: decorator
@inline
export function hexValue(c: u32): i32 {
  if (c >= 0x30 && c <= 0x39) return <i32>(c - 0x30);
  let lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return <i32>(lower - 0x57);
  return -1;
}
