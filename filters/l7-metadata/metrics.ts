// Request metrics with bounded-cardinality tags: a counter and a duration histogram per distinct tag set,
// the tags encoded in the metric name with the SDK's stats_tags convention so that Envoy's bootstrap
// `stats_config.stats_tags` regexes (README "Metrics") turn them into real tags.
//
// Cardinality is bounded three ways: every tag value comes from a closed set or from configuration (route
// templates, `_OTHER` for unknown methods, `Nxx` status classes, ABAC policy names), values are reduced to
// `[A-Za-z0-9_./{}-]` and 64 characters, and after `maxSeries` distinct tag sets every new one is counted under
// the single overflow series whose tags are all `_overflow`.

/** Tag value for a path that matched no route template. */
export const ROUTE_OTHER = "_other";
/** Tag value used for every tag once `maxSeries` tag sets exist. */
export const OVERFLOW = "_overflow";
/** Policy tag value when no ABAC policy was recorded for the request. */
export const POLICY_NONE = "none";
/** Maximum length of a tag value. */
export const MAX_TAG_LENGTH: i32 = 64;

/** Which tags the metrics carry (configuration `metrics.tags`). */
@final
export class MetricsSettings {
  constructor(
    public readonly prefix: string,
    public readonly tagRoute: bool,
    public readonly tagMethod: bool,
    public readonly tagStatusClass: bool,
    public readonly tagPolicy: bool,
    public readonly maxSeries: i32,
  ) {}
}

/** `Nxx` for an HTTP status, `none` when there was no response (status 0). */
export function statusClass(status: i32): string {
  if (status < 100 || status > 599) return "none";
  return unchecked(STATUS_CLASSES[status / 100 - 1]); // a constant: no string built per request
}

const STATUS_CLASSES: StaticArray<string> = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/**
 * A tag value reduced to `[A-Za-z0-9_./{}-]` (anything else becomes `_`) and {@link MAX_TAG_LENGTH}
 * characters, so it cannot contain `;` (the end of a tagged value in a stat name), `=`, spaces, quotes or controls. Empty
 * input gives `_`.
 */
export function sanitizeTagValue(value: string): string {
  const length = min(value.length, MAX_TAG_LENGTH);
  if (length == 0) return "_";
  let clean = true;
  for (let i = 0; i < length; i++) {
    if (!isTagChar(value.charCodeAt(i))) {
      clean = false;
      break;
    }
  }
  if (clean) return length == value.length ? value : value.substring(0, length);
  const codes = new Array<i32>(length);
  for (let i = 0; i < length; i++) {
    const c = value.charCodeAt(i);
    codes[i] = isTagChar(c) ? c : 0x5f;
  }
  return String.fromCharCodes(codes);
}

// @ts-ignore: decorator
@inline
function isTagChar(c: i32): bool {
  return (
    (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
    c == 0x5f || c == 0x2d || c == 0x2e || c == 0x2f || c == 0x7b || c == 0x7d
  );
}
