// Loader module for no-trap.test.ts: runs every helper in assembly/util on arbitrary input. Any trap (an
// abort, an out-of-bounds access, unreachable) surfaces in the test as a thrown error.
import { Base64Alphabet, base64Decode, base64Encode, Base64Padding } from "../../../assembly/util/base64";
import { parseCidr, parseIp, parseIpPort } from "../../../assembly/util/cidr";
import { ConfigReader } from "../../../assembly/util/config";
import { jsonQuote, parseJsonBytes, parseJson, JSON_ASCII_ONLY, JSON_ESCAPE_HTML } from "../../../assembly/util/json";
import { normalizePath, PathOptions } from "../../../assembly/util/path";
import { decodeUtf8, decodeUtf8Lossy, encodeUtf8, findInvalidUtf8, isWellFormedUtf16 } from "../../../assembly/util/utf8";

function exerciseString(text: string): i32 {
  let score = 0;
  for (let a = 0; a < 2; a++) {
    for (let p = 0; p < 3; p++) {
      let decoded = base64Decode(text, <Base64Alphabet>a, <Base64Padding>p);
      if (decoded.value !== null) score += base64Encode(decoded.value!, <Base64Alphabet>a, p == 0).length;
    }
  }
  if (parseIp(text).value !== null) score++;
  let cidr = parseCidr(text).value;
  if (cidr !== null) score += cidr.toString().length;
  if (parseIpPort(text).value !== null) score++;
  let presets = [PathOptions.none(), PathOptions.base(), PathOptions.mergeSlashes(), PathOptions.decodeAndMergeSlashes()];
  for (let i = 0; i < presets.length; i++) {
    let result = normalizePath(text, presets[i]);
    if (result.path !== null) score += result.path!.length;
  }
  let parsed = parseJson(text);
  if (parsed.value !== null) score += parsed.value!.toJson(JSON_ESCAPE_HTML | JSON_ASCII_ONLY).length;
  score += jsonQuote(text, JSON_ASCII_ONLY).length;
  score += encodeUtf8(text).byteLength;
  if (isWellFormedUtf16(text)) score++;
  let config = ConfigReader.parseText(text);
  let root = config.root();
  root.optionalString("a", "");
  root.optionalInt("b", 0, 0, 10);
  root.optionalStringArray("c");
  root.unknownKeys(["a", "b", "c"]);
  score += config.summary().length;
  return score;
}

/** Runs every byte-level helper on `data`, then every string-level helper on its lossy decoding. */
export function exerciseBytes(data: ArrayBuffer): i32 {
  let score = findInvalidUtf8(data);
  if (decodeUtf8(data).value !== null) score++;
  let text = decodeUtf8Lossy(data);
  let parsed = parseJsonBytes(data);
  if (parsed.value !== null) score += parsed.value!.toJson().length;
  score += base64Encode(data, Base64Alphabet.Url, false).length;
  score += ConfigReader.parse(data).errorCount;
  return score + exerciseString(text);
}

/** Runs every string-level helper on `text` (which may contain lone surrogates). */
export function exerciseText(text: string): i32 {
  return exerciseString(text);
}
