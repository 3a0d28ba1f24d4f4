/**
 * Just enough protobuf to produce what Envoy returns for a property whose value is a message
 * (`Message::SerializeToString`, host-behaviour.md C.2): `google.protobuf.Struct`/`Value`/`ListValue`,
 * `envoy.config.core.v3.Metadata`, `Node` and `Locality`, plus reading the small argument messages of Envoy's
 * foreign functions (`declare_property`, `set_envoy_filter_state`). Map fields are written in insertion order;
 * C++ protobuf writes them in hash order, so byte-for-byte equality with Envoy holds only for maps of one entry.
 */
import { Buffer } from "node:buffer";

/** A JSON-like value as it sits in a `google.protobuf.Struct`. */
export type StructValue = null | boolean | number | string | StructValue[] | { [key: string]: StructValue };
export type StructObject = { [key: string]: StructValue };

class Writer {
  private parts: Buffer[] = [];
  private size = 0;

  varint(v: number | bigint): void {
    let n = BigInt.asUintN(64, BigInt(v));
    const bytes: number[] = [];
    while (n >= 0x80n) {
      bytes.push(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    bytes.push(Number(n));
    this.push(Buffer.from(bytes));
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  bytes(field: number, data: Uint8Array): void {
    this.tag(field, 2);
    this.varint(data.length);
    this.push(Buffer.from(data));
  }

  string(field: number, s: string): void {
    this.bytes(field, Buffer.from(s, "utf8"));
  }

  double(field: number, v: number): void {
    this.tag(field, 1);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    this.push(b);
  }

  private push(b: Buffer): void {
    this.parts.push(b);
    this.size += b.length;
  }

  finish(): Buffer {
    return Buffer.concat(this.parts, this.size);
  }
}

/** `google.protobuf.Value`. */
export function encodeValue(v: StructValue): Buffer {
  const w = new Writer();
  if (v === null) {
    w.tag(1, 0);
    w.varint(0);
  } else if (typeof v === "number") {
    w.double(2, v);
  } else if (typeof v === "string") {
    w.string(3, v);
  } else if (typeof v === "boolean") {
    w.tag(4, 0);
    w.varint(v ? 1 : 0);
  } else if (Array.isArray(v)) {
    w.bytes(6, encodeListValue(v));
  } else {
    w.bytes(5, encodeStruct(v));
  }
  return w.finish();
}

/** `google.protobuf.ListValue`. */
export function encodeListValue(list: readonly StructValue[]): Buffer {
  const w = new Writer();
  for (const item of list) w.bytes(1, encodeValue(item));
  return w.finish();
}

/** `google.protobuf.Struct` (`map<string, Value> fields = 1`). */
export function encodeStruct(obj: StructObject): Buffer {
  const w = new Writer();
  for (const [k, v] of Object.entries(obj)) w.bytes(1, mapEntry(k, encodeValue(v)));
  return w.finish();
}

function mapEntry(key: string, value: Uint8Array): Buffer {
  const w = new Writer();
  w.string(1, key);
  w.bytes(2, value);
  return w.finish();
}

/** `envoy.config.core.v3.Metadata` (`map<string, Struct> filter_metadata = 1`). */
export function encodeMetadata(filterMetadata: ReadonlyMap<string, StructObject>): Buffer {
  const w = new Writer();
  for (const [k, v] of filterMetadata) w.bytes(1, mapEntry(k, encodeStruct(v)));
  return w.finish();
}

export interface LocalityFacts {
  region?: string;
  zone?: string;
  subZone?: string;
}

/** `envoy.config.core.v3.Locality`. */
export function encodeLocality(l: LocalityFacts): Buffer {
  const w = new Writer();
  if (l.region) w.string(1, l.region);
  if (l.zone) w.string(2, l.zone);
  if (l.subZone) w.string(3, l.subZone);
  return w.finish();
}

export interface NodeFacts {
  id: string;
  cluster: string;
  metadata: StructObject;
  locality?: LocalityFacts;
  userAgentName?: string;
}

/** `envoy.config.core.v3.Node`: id 1, cluster 2, metadata 3, locality 4, user_agent_name 6. */
export function encodeNode(n: NodeFacts): Buffer {
  const w = new Writer();
  if (n.id) w.string(1, n.id);
  if (n.cluster) w.string(2, n.cluster);
  if (Object.keys(n.metadata).length > 0) w.bytes(3, encodeStruct(n.metadata));
  if (n.locality) w.bytes(4, encodeLocality(n.locality));
  if (n.userAgentName) w.string(6, n.userAgentName);
  return w.finish();
}

/** A decoded protobuf field: varints as bigint, length-delimited as bytes. */
export type ProtoField = { field: number; varint: bigint } | { field: number; bytes: Uint8Array };

/** Reads a flat message; returns null when the bytes are not a valid protobuf (`ParseFromString` false). */
export function decodeFields(data: Uint8Array): ProtoField[] | null {
  const out: ProtoField[] = [];
  let pos = 0;
  const varint = (): bigint | null => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= data.length || shift > 63n) return null;
      const b = data[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (pos < data.length) {
    const key = varint();
    if (key === null) return null;
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (field === 0) return null;
    if (wire === 0) {
      const v = varint();
      if (v === null) return null;
      out.push({ field, varint: v });
    } else if (wire === 2) {
      const len = varint();
      if (len === null || pos + Number(len) > data.length) return null;
      out.push({ field, bytes: data.subarray(pos, pos + Number(len)) });
      pos += Number(len);
    } else if (wire === 1) {
      if (pos + 8 > data.length) return null;
      pos += 8;
    } else if (wire === 5) {
      if (pos + 4 > data.length) return null;
      pos += 4;
    } else {
      return null;
    }
  }
  return out;
}

/** Encodes a flat message (varint and bytes fields only), for tests building foreign-function arguments. */
export function encodeFields(fields: ReadonlyArray<ProtoField>): Buffer {
  const w = new Writer();
  for (const f of fields) {
    if ("varint" in f) {
      w.tag(f.field, 0);
      w.varint(f.varint);
    } else {
      w.bytes(f.field, f.bytes);
    }
  }
  return w.finish();
}
