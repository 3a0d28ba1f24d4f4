/**
 * A minimal protobuf wire-format writer for the argument messages of Envoy's foreign functions
 * (`declare_property`, `set_envoy_filter_state`; Envoy `source/extensions/common/wasm/ext/*.proto`).
 * Only what those messages need: varint fields (bool, enum) and length-delimited fields (string, bytes).
 * Proto3 default values are omitted, as every protobuf serializer does, so the output is canonical.
 */

import { encodeUtf8 } from "../util/utf8";

/** Wire type 0 (varint). */
// @ts-ignore: decorator
@inline const WIRE_VARINT: u32 = 0;
/** Wire type 2 (length-delimited). */
// @ts-ignore: decorator
@inline const WIRE_LENGTH_DELIMITED: u32 = 2;

/** Appends protobuf fields to a growing byte array; call {@link finish} for the message bytes. */
export class ProtobufWriter {
  private bytes: u8[] = [];

  private varint(value: u64): void {
    while (value >= 0x80) {
      this.bytes.push(<u8>((value & 0x7f) | 0x80));
      value >>= 7;
    }
    this.bytes.push(<u8>value);
  }

  private tag(field: u32, wireType: u32): void {
    this.varint((<u64>field << 3) | wireType);
  }

  /** A `string` field (UTF-8); omitted when empty. */
  string(field: u32, value: string): ProtobufWriter {
    if (value.length == 0) return this;
    return this.bytesField(field, encodeUtf8(value));
  }

  /** A `bytes` field; omitted when empty. */
  bytesField(field: u32, value: ArrayBuffer): ProtobufWriter {
    const length = value.byteLength;
    if (length == 0) return this;
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.varint(<u64>length);
    const data = Uint8Array.wrap(value);
    for (let i = 0; i < length; i++) this.bytes.push(unchecked(data[i]));
    return this;
  }

  /** A `bool` field; omitted when false. */
  bool(field: u32, value: bool): ProtobufWriter {
    if (!value) return this;
    this.tag(field, WIRE_VARINT);
    this.varint(1);
    return this;
  }

  /** An enum or uint field; omitted when 0. */
  uint(field: u32, value: u64): ProtobufWriter {
    if (value == 0) return this;
    this.tag(field, WIRE_VARINT);
    this.varint(value);
    return this;
  }

  /** The serialized message. */
  finish(): ArrayBuffer {
    const length = this.bytes.length;
    const out = new ArrayBuffer(length);
    if (length > 0) memory.copy(changetype<usize>(out), this.bytes.dataStart, <usize>length);
    return out;
  }
}
