/**
 * How probe plugins report what the SDK returned: one INFO log line per observation,
 * `<probe>: <what> = <result>`, written with `logMessage` (no level check, so the harness's log level never
 * hides a result). Tests assert on these exact lines. Not a probe itself (the build compiles only files
 * directly in test/probes/).
 */

import { LogLevel, Status, logMessage } from "../../../assembly";

/** Logs `<probe>: <what> = <result>`. */
export function report(probe: string, what: string, result: string): void {
  logMessage(LogLevel.Info, probe + ": " + what + " = " + result);
}

/** A string result: `"text"` (JSON-style escapes for `"`, `\`, and control characters) or `null`. */
export function quote(text: string | null): string {
  if (text === null) return "null";
  let out = '"';
  for (let i = 0, n = text.length; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c == 0x22) out += '\\"';
    else if (c == 0x5c) out += "\\\\";
    else if (c < 0x20) out += "\\u" + (c < 0x10 ? "000" : "00") + c.toString(16);
    else out += String.fromCharCode(c);
  }
  return out + '"';
}

/** Bytes as lower-case hex (`null` for null, `""` for empty). */
export function hex(data: ArrayBuffer | null): string {
  if (data === null) return "null";
  const bytes = Uint8Array.wrap(data);
  let out = "";
  for (let i = 0, n = bytes.length; i < n; i++) {
    const b = unchecked(bytes[i]);
    out += (b < 16 ? "0" : "") + b.toString(16);
  }
  return out;
}

/** Bytes from a hex string (two digits per byte; probes only parse their own fixed inputs). */
export function fromHex(text: string): ArrayBuffer {
  const out = new ArrayBuffer(text.length >> 1);
  const bytes = Uint8Array.wrap(out);
  for (let i = 0, n = bytes.length; i < n; i++) bytes[i] = <u8>I32.parseInt(text.substr(i << 1, 2), 16);
  return out;
}

/** The spec name of a status (`OK`, `NOT_FOUND`, …), so log lines read like the spec. */
export function statusName(status: Status): string {
  switch (status) {
    case Status.Ok: return "OK";
    case Status.NotFound: return "NOT_FOUND";
    case Status.BadArgument: return "BAD_ARGUMENT";
    case Status.SerializationFailure: return "SERIALIZATION_FAILURE";
    case Status.ParseFailure: return "PARSE_FAILURE";
    case Status.InvalidMemoryAccess: return "INVALID_MEMORY_ACCESS";
    case Status.Empty: return "EMPTY";
    case Status.CasMismatch: return "CAS_MISMATCH";
    case Status.InternalFailure: return "INTERNAL_FAILURE";
    case Status.BrokenConnection: return "BROKEN_CONNECTION";
    case Status.Unimplemented: return "UNIMPLEMENTED";
    default: return "STATUS_" + (<i32>status).toString();
  }
}

/** A UTF-8 string as bytes. */
export function utf8(text: string): ArrayBuffer {
  return String.UTF8.encode(text);
}
