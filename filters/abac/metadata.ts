/**
 * Reads Envoy dynamic metadata (`get_property(["metadata"])`: an `envoy.config.core.v3.Metadata` message in
 * protobuf wire format, Envoy context.cc serializeValue for a message) into a small typed tree.
 *
 * Why the whole message: below `metadata.filter_metadata.<ns>`, Envoy turns a `google.protobuf.Struct` into a CEL
 * map and serializes maps and lists as untyped pairs, so a string claim, a list claim and a number cannot be told
 * apart. The message keeps the types (Struct / Value / ListValue). Only the namespace asked for is decoded; the
 * rest is skipped. Malformed input gives null, never a trap; depth is bounded.
 *
 *   Metadata  { map<string, Struct> filter_metadata = 1; … }           map entry = { 1: key, 2: value }
 *   Struct    { map<string, Value> fields = 1; }
 *   Value     { oneof { NullValue null_value = 1; double number_value = 2; string string_value = 3;
 *                       bool bool_value = 4; Struct struct_value = 5; ListValue list_value = 6; } }
 *   ListValue { repeated Value values = 1; }
 */
import { decodeUtf8Lossy } from "../../assembly";

export enum MetaKind {
  Null = 0,
  Number = 1,
  String = 2,
  Bool = 3,
  Struct = 4,
  List = 5,
}

@final
export class MetaValue {
  kind: MetaKind = MetaKind.Null;
  str: string = "";
  /** Struct fields (parallel arrays) or list items (`items`). */
  keys: string[] = [];
  items: MetaValue[] = [];

  /** Field `key` of a Struct; null when absent or not a Struct. */
  field(key: string): MetaValue | null {
    if (this.kind != MetaKind.Struct) return null;
    for (let i = 0, n = this.keys.length; i < n; i++) {
      if (unchecked(this.keys[i]) == key) return unchecked(this.items[i]);
    }
    return null;
  }
}

const MAX_DEPTH = 32;

/** Byte cursor over a buffer, with the error flag every read checks. */
class Reader {
  pos: usize;
  ok: bool = true;
  constructor(
    public base: usize,
    public end: usize,
  ) {
    this.pos = base;
  }

  varint(): u64 {
    let result: u64 = 0;
    let shift: u64 = 0;
    while (true) {
      if (this.pos >= this.end || shift > 63) {
        this.ok = false;
        return 0;
      }
      let b = load<u8>(this.pos++);
      result |= (<u64>(b & 0x7f)) << shift;
      if ((b & 0x80) == 0) return result;
      shift += 7;
    }
  }

  /** Length of a length-delimited field; sets !ok when it overruns. */
  length(): usize {
    let n = this.varint();
    if (!this.ok || n > <u64>(this.end - this.pos)) {
      this.ok = false;
      return 0;
    }
    return <usize>n;
  }

  skip(wireType: u32): void {
    switch (wireType) {
      case 0:
        this.varint();
        break;
      case 1:
        if (this.end - this.pos < 8) this.ok = false;
        else this.pos += 8;
        break;
      case 2: {
        let n = this.length();
        if (this.ok) this.pos += n;
        break;
      }
      case 5:
        if (this.end - this.pos < 4) this.ok = false;
        else this.pos += 4;
        break;
      default:
        this.ok = false;
    }
  }
}

/**
 * The Struct stored under `filter_metadata[namespace]`, or null when the namespace is absent or the bytes are not
 * a valid Metadata message.
 */
export function decodeFilterMetadata(data: ArrayBuffer, namespace: string): MetaValue | null {
  let r = new Reader(changetype<usize>(data), changetype<usize>(data) + <usize>data.byteLength);
  let found: MetaValue | null = null;
  while (r.ok && r.pos < r.end) {
    let tag = <u32>r.varint();
    if (!r.ok) return null;
    if (tag >> 3 == 1 && (tag & 7) == 2) {
      let n = r.length();
      if (!r.ok) return null;
      let entryEnd = r.pos + n;
      let key: string | null = null;
      let valueStart: usize = 0;
      let valueEnd: usize = 0;
      let entry = new Reader(r.pos, entryEnd);
      while (entry.ok && entry.pos < entry.end) {
        let t = <u32>entry.varint();
        if (!entry.ok) return null;
        if (t == ((1 << 3) | 2)) {
          let m = entry.length();
          if (!entry.ok) return null;
          key = decodeUtf8Lossy(entry.pos, m);
          entry.pos += m;
        } else if (t == ((2 << 3) | 2)) {
          let m = entry.length();
          if (!entry.ok) return null;
          valueStart = entry.pos;
          valueEnd = entry.pos + m;
          entry.pos += m;
        } else {
          entry.skip(t & 7);
        }
      }
      if (!entry.ok) return null;
      if (key !== null && key == namespace) {
        let s = decodeStruct(new Reader(valueStart, valueEnd), 0);
        if (s === null) return null;
        found = s; // a later duplicate entry wins, as in protobuf map parsing
      }
      r.pos = entryEnd;
    } else {
      r.skip(tag & 7);
    }
  }
  return r.ok ? found : null;
}

function decodeStruct(r: Reader, depth: i32): MetaValue | null {
  if (depth > MAX_DEPTH) return null;
  let out = new MetaValue();
  out.kind = MetaKind.Struct;
  while (r.ok && r.pos < r.end) {
    let tag = <u32>r.varint();
    if (!r.ok) return null;
    if (tag != ((1 << 3) | 2)) {
      r.skip(tag & 7);
      continue;
    }
    let n = r.length();
    if (!r.ok) return null;
    let entry = new Reader(r.pos, r.pos + n);
    r.pos += n;
    let key = "";
    let value: MetaValue | null = new MetaValue();
    while (entry.ok && entry.pos < entry.end) {
      let t = <u32>entry.varint();
      if (!entry.ok) return null;
      if (t == ((1 << 3) | 2)) {
        let m = entry.length();
        if (!entry.ok) return null;
        key = decodeUtf8Lossy(entry.pos, m);
        entry.pos += m;
      } else if (t == ((2 << 3) | 2)) {
        let m = entry.length();
        if (!entry.ok) return null;
        value = decodeValue(new Reader(entry.pos, entry.pos + m), depth + 1);
        if (value === null) return null;
        entry.pos += m;
      } else {
        entry.skip(t & 7);
      }
    }
    if (!entry.ok || value === null) return null;
    // Duplicate keys: the last one wins (protobuf map semantics).
    let replaced = false;
    for (let i = 0, k = out.keys.length; i < k; i++) {
      if (unchecked(out.keys[i]) == key) {
        unchecked((out.items[i] = value));
        replaced = true;
      }
    }
    if (!replaced) {
      out.keys.push(key);
      out.items.push(value);
    }
  }
  return r.ok ? out : null;
}

function decodeValue(r: Reader, depth: i32): MetaValue | null {
  if (depth > MAX_DEPTH) return null;
  let out = new MetaValue();
  while (r.ok && r.pos < r.end) {
    let tag = <u32>r.varint();
    if (!r.ok) return null;
    let field = tag >> 3;
    let wire = tag & 7;
    if (field == 1 && wire == 0) {
      r.varint();
      out.kind = MetaKind.Null;
    } else if (field == 2 && wire == 1) {
      if (r.end - r.pos < 8) return null;
      out.kind = MetaKind.Number;
      r.pos += 8;
    } else if (field == 3 && wire == 2) {
      let n = r.length();
      if (!r.ok) return null;
      out.kind = MetaKind.String;
      out.str = decodeUtf8Lossy(r.pos, n);
      r.pos += n;
    } else if (field == 4 && wire == 0) {
      out.kind = MetaKind.Bool;
      out.str = r.varint() != 0 ? "true" : "false";
    } else if (field == 5 && wire == 2) {
      let n = r.length();
      if (!r.ok) return null;
      let s = decodeStruct(new Reader(r.pos, r.pos + n), depth + 1);
      if (s === null) return null;
      out = s;
      r.pos += n;
    } else if (field == 6 && wire == 2) {
      let n = r.length();
      if (!r.ok) return null;
      let list = new MetaValue();
      list.kind = MetaKind.List;
      let lr = new Reader(r.pos, r.pos + n);
      while (lr.ok && lr.pos < lr.end) {
        let t = <u32>lr.varint();
        if (!lr.ok) return null;
        if (t == ((1 << 3) | 2)) {
          let m = lr.length();
          if (!lr.ok) return null;
          let item = decodeValue(new Reader(lr.pos, lr.pos + m), depth + 1);
          if (item === null) return null;
          list.items.push(item);
          lr.pos += m;
        } else {
          lr.skip(t & 7);
        }
      }
      if (!lr.ok) return null;
      out = list;
      r.pos += n;
    } else {
      r.skip(wire);
    }
  }
  return r.ok ? out : null;
}
