/**
 * Correctly rounded decimal → f64 conversion for JSON number text. Private helper of json.ts.
 *
 * Why not the standard library's `parseFloat` (AssemblyScript 0.28): measured against `Number(text)` on
 * random doubles it is wrong on about 2% of 17-significant-digit inputs, sometimes by a whole factor of
 * 10^n (`6.8428565653997535e52` → `6.842856565399753e+38`) and otherwise by one ulp. A configuration
 * value must mean the same thing in the filter as in the tool that wrote it.
 *
 * Method, with no tables:
 * 1. Clinger's fast path: when the significant digits fit 2^53 and the power of ten is exact in a double,
 *    one IEEE multiplication or division is correctly rounded (integers and short decimals: nearly every
 *    configuration number).
 * 2. Otherwise exact integer arithmetic: with D the significant digits (at most 800; any non-zero digit
 *    beyond only sets a sticky bit) and value = D × 10^E, the quotient floor(D × 10^E × 2^s) (E >= 0) or
 *    floor(D × 2^s / 10^-E) (E < 0), scaled to 55..57 bits, on a small big-integer type; then round it
 *    half-to-even with the remainder as sticky bit, handling subnormals. The quotient's estimate comes
 *    from the leading 64 bits in floating point and is corrected exactly, so the cost is a few passes over
 *    at most ~120 32-bit limbs whatever the input (an earlier decimal-digit-shifting version took ~150 µs
 *    for `1.7976931348623157e308`, a denial-of-service lever on JSON from requests).
 */

// Limbs (32 bits) of the scratch integers. The largest value is about 10^1142 × 2^57 (~3,850 bits, 121
// limbs: 800 digits at the smallest exponent); the writers below also refuse to grow past LIMBS, so memory
// outside the buffers is never touched whatever the input.
// @ts-ignore: decorator
@inline const LIMBS: i32 = 136;
// Significant digits used exactly; a non-zero digit beyond them only sets the sticky bit (a double's exact
// decimal expansion has at most 767 significant digits, so the sticky bit decides every tie correctly).
// @ts-ignore: decorator
@inline const MAX_DIGITS: i32 = 800;

/**
 * An unsigned integer as little-endian 32-bit limbs, `length` of them used (no leading zero limbs). The hot
 * loops address the limbs through a raw pointer (`base`): every index is below `length` or checked against
 * LIMBS first.
 */
@final
class BigNat {
  limbs: StaticArray<u32> = new StaticArray<u32>(LIMBS);
  length: i32 = 0;

  get base(): usize {
    return changetype<usize>(this.limbs);
  }

  setSmall(value: u32): void {
    this.limbs[0] = value;
    this.length = value == 0 ? 0 : 1;
  }

  isZero(): bool {
    return this.length == 0;
  }

  /** this = this × factor + addend. */
  mulAdd(factor: u32, addend: u32): void {
    let carry = <u64>addend;
    let n = this.length;
    let base = this.base;
    for (let i = 0; i < n; i++) {
      let at = base + (<usize>i << 2);
      let t = <u64>load<u32>(at) * <u64>factor + carry;
      store<u32>(at, <u32>t);
      carry = t >> 32;
    }
    if (carry != 0 && n < LIMBS) this.limbs[this.length++] = <u32>carry;
  }

  bitLength(): i32 {
    if (this.length == 0) return 0;
    return (this.length << 5) - <i32>clz(this.limbs[this.length - 1]);
  }

  shiftLeft(bits: i32): void {
    if (this.length == 0 || bits == 0) return;
    let limbShift = bits >> 5;
    let bitShift = bits & 31;
    let n = this.length;
    let top = n + limbShift;
    if (top >= LIMBS) return; // cannot happen for JSON numbers (see LIMBS); never write outside the buffer
    this.limbs[top] = 0;
    for (let i = n - 1; i >= 0; i--) {
      let v = <u64>this.limbs[i] << <u64>bitShift;
      this.limbs[i + limbShift + 1] |= <u32>(v >> 32);
      this.limbs[i + limbShift] = <u32>v;
    }
    for (let i = 0; i < limbShift; i++) this.limbs[i] = 0;
    this.length = top + 1;
    this.trim();
  }

  trim(): void {
    while (this.length > 0 && this.limbs[this.length - 1] == 0) this.length--;
  }

  /** The 64 bits starting at the most significant set bit (zero-padded below); 0 for zero. */
  top64(): u64 {
    let n = this.length;
    if (n == 0) return 0;
    let hi = <u64>this.limbs[n - 1];
    let mid = n >= 2 ? <u64>this.limbs[n - 2] : 0;
    let lo = n >= 3 ? <u64>this.limbs[n - 3] : 0;
    let shift = <u64>clz(<u32>hi);
    let value = (hi << 32 | mid) << shift;
    if (shift != 0) value |= lo >> (32 - shift);
    return value;
  }

  /** -1, 0 or 1 as this is below, equal to or above `other`. */
  compare(other: BigNat): i32 {
    if (this.length != other.length) return this.length < other.length ? -1 : 1;
    let a = this.base;
    let b = other.base;
    for (let i = this.length - 1; i >= 0; i--) {
      let x = load<u32>(a + (<usize>i << 2));
      let y = load<u32>(b + (<usize>i << 2));
      if (x != y) return x < y ? -1 : 1;
    }
    return 0;
  }

  /** this -= other; requires this >= other. */
  subtract(other: BigNat): void {
    let borrow: i64 = 0;
    let a = this.base;
    let b = other.base;
    let m = other.length;
    for (let i = 0; i < this.length; i++) {
      let at = a + (<usize>i << 2);
      let t = <i64>load<u32>(at) - (i < m ? <i64>load<u32>(b + (<usize>i << 2)) : 0) - borrow;
      borrow = t < 0 ? 1 : 0;
      store<u32>(at, <u32>t);
    }
    this.trim();
  }

  /** this = source × factor (factor < 2^64). */
  setProduct(source: BigNat, factor: u64): void {
    let n = source.length;
    if (n + 2 > LIMBS) return; // cannot happen for JSON numbers (see LIMBS)
    let low = <u64><u32>factor;
    let high = factor >> 32;
    let out = this.base;
    let src = source.base;
    // Two passes of 32 × 32-bit products: each step fits u64 exactly.
    let carry: u64 = 0;
    for (let i = 0; i < n; i++) {
      let t = <u64>load<u32>(src + (<usize>i << 2)) * low + carry;
      store<u32>(out + (<usize>i << 2), <u32>t);
      carry = t >> 32;
    }
    store<u32>(out + (<usize>n << 2), <u32>carry);
    store<u32>(out + (<usize>(n + 1) << 2), 0);
    carry = 0;
    for (let i = 0; i < n; i++) {
      let at = out + (<usize>(i + 1) << 2);
      let t = <u64>load<u32>(src + (<usize>i << 2)) * high + <u64>load<u32>(at) + carry;
      store<u32>(at, <u32>t);
      carry = t >> 32;
    }
    store<u32>(out + (<usize>(n + 1) << 2), <u32>carry);
    this.length = n + 2;
    this.trim();
  }
}

// Scratch integers, allocated on first use (lazily, so a module that never converts a number does not allocate
// or link them).
// @ts-ignore: decorator
@lazy let bigDigits = new BigNat();
// @ts-ignore: decorator
@lazy let bigPower = new BigNat();
// @ts-ignore: decorator
@lazy let bigProduct = new BigNat();

// Multiplies `value` by 10^exponent.
function multiplyByPow10(value: BigNat, exponent: i32): void {
  while (exponent >= 9) {
    value.mulAdd(1000000000, 0);
    exponent -= 9;
  }
  let last: u32 = 1;
  for (let i = 0; i < exponent; i++) last *= 10;
  if (last != 1) value.mulAdd(last, 0);
}

// The double nearest to q × 2^lsbExponent (plus a little more when `sticky`), ties to even; subnormals and
// overflow (Infinity) included.
function roundToDouble(q: u64, lsbExponent: i32, sticky: bool): f64 {
  if (q == 0) return 0;
  let bits = 64 - <i32>clz(q);
  let topExponent = bits - 1 + lsbExponent;
  if (topExponent > 1023) return Infinity;
  // Mantissa bits available at this exponent: 53 for normal numbers, fewer for subnormals.
  let keep = topExponent >= -1022 ? 53 : topExponent + 1075;
  if (keep < 0) return 0;
  let drop = bits - keep;
  let mantissa: u64;
  if (drop <= 0) {
    mantissa = q << <u64>(-drop);
  } else {
    mantissa = drop >= 64 ? 0 : q >> <u64>drop;
    let rest = drop >= 64 ? q : q & ((<u64>1 << <u64>drop) - 1);
    let half = <u64>1 << <u64>(drop - 1);
    if (rest > half || (rest == half && (sticky || (mantissa & 1) != 0))) mantissa++;
  }
  if (topExponent < -1022) {
    // Subnormal: the mantissa counts units of 2^-1074; reaching 2^52 is the smallest normal, same bits.
    return reinterpret<f64>(mantissa);
  }
  if (mantissa == (<u64>1 << 53)) {
    mantissa >>= 1;
    topExponent++;
    if (topExponent > 1023) return Infinity;
  }
  return reinterpret<f64>((<u64>(topExponent + 1023) << 52) | (mantissa & ((<u64>1 << 52) - 1)));
}

// Exact conversion of D × 10^exponent (D in bigDigits, non-zero), `truncated` when digits were dropped:
// with N / M = D × 10^exponent (N = D × 10^exponent, M = 1 when exponent >= 0; N = D, M = 10^-exponent
// otherwise), scale by a power of two so the quotient has 55..57 bits, divide exactly, round.
function exactToDouble(exponent: i32, truncated: bool): f64 {
  let numerator = bigDigits;
  let divisor = bigPower;
  divisor.setSmall(1);
  if (exponent >= 0) multiplyByPow10(numerator, exponent);
  else multiplyByPow10(divisor, -exponent);
  let scale = 56 + divisor.bitLength() - numerator.bitLength();
  if (scale >= 0) numerator.shiftLeft(scale);
  else divisor.shiftLeft(-scale);
  // Estimate the quotient from the leading bits (relative error below 2^-50), then correct it exactly. The
  // scaling made bitLength(numerator) - bitLength(divisor) exactly 56.
  let scaled = (<f64>numerator.top64() / <f64>divisor.top64()) * 72057594037927936.0;
  // In range by construction (below 2^58); the guard keeps the float → integer conversion from trapping.
  let estimate: u64 = scaled > 0 && scaled < 1.8e19 ? <u64>scaled : <u64>1 << 56;
  let product = bigProduct;
  product.setProduct(divisor, estimate);
  while (product.compare(numerator) > 0) {
    product.subtract(divisor);
    estimate--;
  }
  numerator.subtract(product);
  while (numerator.compare(divisor) >= 0) {
    numerator.subtract(divisor);
    estimate++;
  }
  return roundToDouble(estimate, -scale, truncated || !numerator.isZero());
}

// Results of the last scanDecimal call (globals, not an object: the scan allocates nothing).
let scanNegative = false;
/** The first 19 significant digits as an integer. */
let scanMantissa: u64 = 0;
/** Number of significant digits (leading zeros excluded). */
let scanSignificant = 0;
/** The value is in [10^(magnitude-1), 10^magnitude) (when it is not zero). */
let scanMagnitude = 0;
let scanDigitsStart: usize = 0;
let scanDigitsEnd: usize = 0;

// Scans `len` bytes of JSON number text at `ptr` (validated by json.ts) into the scan* globals.
function scanDecimal(ptr: usize, len: usize): void {
  let p = ptr;
  let end = ptr + len;
  let negative = p < end && load<u8>(p) == 0x2D;
  if (negative) p++;
  // The first 19 significant digits as an integer (fast path), how many significant digits there are, and
  // `point`: the value is 0.d1d2d3... × 10^point.
  let mantissa: u64 = 0;
  let significant = 0;
  let point = 0;
  let sawPoint = false;
  scanDigitsStart = p;
  while (p < end) {
    let c = <u32>load<u8>(p);
    if (c == 0x2E) {
      sawPoint = true;
      p++;
      continue;
    }
    if (c < 0x30 || c > 0x39) break;
    p++;
    let digit = c - 0x30;
    if (significant == 0 && digit == 0) {
      // Leading zero: after the point it lowers the exponent, before it means nothing.
      if (sawPoint) point--;
      continue;
    }
    if (!sawPoint) point++;
    if (significant < 19) mantissa = mantissa * 10 + <u64>digit;
    significant++;
  }
  scanDigitsEnd = p;
  // Exponent, clamped far outside the double range so huge exponents cannot overflow i32.
  let exponent = 0;
  if (p < end) {
    p++; // 'e' or 'E'
    let negativeExponent = false;
    let sign = p < end ? load<u8>(p) : 0;
    if (sign == 0x2D || sign == 0x2B) {
      negativeExponent = sign == 0x2D;
      p++;
    }
    while (p < end) {
      let c = <i32>load<u8>(p) - 0x30;
      if (exponent < 100000) exponent = exponent * 10 + c;
      p++;
    }
    if (negativeExponent) exponent = -exponent;
  }
  scanNegative = negative;
  scanMantissa = mantissa;
  scanSignificant = significant;
  scanMagnitude = point + exponent;
}

/**
 * Converts `len` bytes at `ptr`, which must match the JSON number grammar (RFC 8259 §6:
 * `-? (0 | [1-9][0-9]*) (\.[0-9]+)? ([eE][+-]?[0-9]+)?`; json.ts validates before calling), to the nearest
 * double, ties to even. Returns ±Infinity when the magnitude is beyond the largest double (after rounding);
 * values below half the smallest subnormal round to ±0. Never traps, for any length or exponent.
 */
// @ts-ignore: decorator
@unsafe
export function parseDecimalUnsafe(ptr: usize, len: usize): f64 {
  scanDecimal(ptr, len);
  let significant = scanSignificant;
  let magnitude = scanMagnitude;
  let mantissa = scanMantissa;
  let result: f64;
  if (significant == 0 || magnitude < -342) {
    result = 0;
  } else if (magnitude > 310) {
    result = Infinity;
  } else {
    let power = magnitude - significant;
    if (significant <= 19 && mantissa <= (<u64>1 << 53) && power >= -22 && power <= 22) {
      // Clinger: both operands exact, one correctly rounded operation.
      result = power < 0 ? <f64>mantissa / exactPow10(-power) : <f64>mantissa * exactPow10(power);
    } else {
      result = slowPath(scanDigitsStart, scanDigitsEnd, significant, magnitude);
    }
  }
  return scanNegative ? -result : result;
}

/**
 * The decimal digits of 2^1024 - 2^970, the smallest value that rounds to Infinity (the largest double plus
 * half its ulp; the tie rounds to the even neighbour, 2^1024): 309 digits, as 3 then 34 groups of 9.
 */
// @ts-ignore: decorator
@lazy const OVERFLOW_DIGITS: StaticArray<u32> = [
  179, 769313486, 231580793, 728971405, 303415079, 934132710, 37826936, 173778980, 444968292, 764750946, 649017977,
  587207096, 330286416, 692887910, 946555547, 851940402, 630657488, 671505820, 681908902, 708383, 676273854,
  845817711, 531764475, 730270069, 855571366, 959622842, 914819860, 834936475, 292719074, 168444365, 510704342,
  711559699, 508093042, 880177904, 174497792,
];

/**
 * For the digits of a JSON number whose value is in [10^308, 10^309) (`[start, end)`: its integer and fraction
 * digits, the point included, no sign or exponent): true when the value is at least {@link OVERFLOW_DIGITS}, i.e.
 * exactly when {@link parseDecimalUnsafe} would round it to ±Infinity. json.ts decides the other magnitudes
 * itself (above 10^309 always overflows, below 10^308 never does), so the parser never needs the conversion.
 */
// @ts-ignore: decorator
@unsafe
export function reachesOverflowUnsafe(start: usize, end: usize): bool {
  let p = start;
  // Compare the digits (zero-padded) group by group with the threshold's.
  let started = false;
  for (let group = 0; group < 35; group++) {
    let value: u32 = 0;
    for (let n = group == 0 ? 3 : 9; n > 0; n--) {
      let digit: u32 = 0;
      while (p < end) {
        let c = <u32>load<u8>(p++);
        if (c == 0x2E || (!started && c == 0x30)) continue; // the point, leading zeros
        started = true;
        digit = c - 0x30;
        break;
      }
      value = value * 10 + digit;
    }
    let threshold = unchecked(OVERFLOW_DIGITS[group]);
    if (value != threshold) return value > threshold;
  }
  return true; // equal to the threshold in all 309 digits (anything after only adds): rounds to Infinity
}

// Exact powers of ten 10^0..10^22 (all exactly representable as doubles).
function exactPow10(n: i32): f64 {
  let r = 1.0;
  for (let i = 0; i < n; i++) r *= 10.0;
  return r;
}

// Reads up to MAX_DIGITS significant digits from [start, end) into bigDigits and converts exactly.
function slowPath(start: usize, end: usize, significant: i32, magnitude: i32): f64 {
  let digits = bigDigits;
  digits.setSmall(0);
  let used = 0;
  let truncated = false;
  let chunk: u32 = 0;
  let chunkDigits = 0;
  for (let p = start; p < end; p++) {
    let c = <u32>load<u8>(p);
    if (c == 0x2E) continue;
    let digit = c - 0x30;
    if (used == 0 && digit == 0) continue; // leading zeros
    if (used == MAX_DIGITS) {
      if (digit != 0) truncated = true;
      continue;
    }
    chunk = chunk * 10 + digit;
    chunkDigits++;
    used++;
    if (chunkDigits == 9) {
      digits.mulAdd(1000000000, chunk);
      chunk = 0;
      chunkDigits = 0;
    }
  }
  if (chunkDigits > 0) {
    let scale: u32 = 1;
    for (let i = 0; i < chunkDigits; i++) scale *= 10;
    digits.mulAdd(scale, chunk);
  }
  return exactToDouble(magnitude - used, truncated);
}
