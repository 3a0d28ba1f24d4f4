// Route templates: map a concrete request path to a low-cardinality template such as `/users/{id}`, for the
// `http.route` field and the `route` metric tag (OpenTelemetry: http.route "MUST be low-cardinality").
//
// Template syntax (checked once at configure time by `compileRouteTemplate`):
//   /literal/segments        a segment matches only itself (case-sensitive)
//   {name}                   exactly one non-empty segment
//   {name...}                last segment only: one or more remaining segments
// The path that is matched has its query and fragment removed; it is matched as the client sent it. Dot
// segments or doubled slashes simply make a path not match (the recorder is not an authorization filter:
// a path that matches no template is recorded with no `http.route` and tagged `route="_other"` in metrics).

import { splitAt } from "../../assembly";

import { sanitizeTagValue } from "./metrics";

const SEGMENT_LITERAL: u8 = 0;
const SEGMENT_ONE: u8 = 1;
const SEGMENT_REST: u8 = 2;

/** One compiled template. */
@final
export class RouteTemplate {
  constructor(
    /** The template as configured; recorded as `http.route`. */
    public readonly template: string,
    /** The metric tag value for this route (configured `metricTag`, else derived from the template). */
    public readonly metricTag: string,
    private readonly kinds: StaticArray<u8>,
    private readonly literals: StaticArray<string>,
  ) {}

  /** Whether `segments` (from {@link splitPathSegments}) match this template. */
  matches(segments: string[]): bool {
    const count = this.kinds.length;
    const available = segments.length;
    for (let i = 0; i < count; i++) {
      const kind = unchecked(this.kinds[i]);
      if (kind == SEGMENT_REST) return available > i && segments[i].length > 0;
      if (i >= available) return false;
      const segment = unchecked(segments[i]);
      if (kind == SEGMENT_ONE) {
        if (segment.length == 0) return false;
      } else if (segment != unchecked(this.literals[i])) return false;
    }
    return count == available;
  }
}

/** The result of compiling a template: the template, or an error message (no trap on bad input). */
export class RouteTemplateResult {
  constructor(public readonly route: RouteTemplate | null, public readonly error: string | null) {}
}

/** Splits `/a/b/c?x#y` into `["a","b","c"]`; `/` gives `[""]`. The query and fragment are dropped. */
export function splitPathSegments(path: string): string[] {
  let end = path.length;
  const query = path.indexOf("?");
  if (query >= 0) end = query;
  const fragment = path.indexOf("#");
  if (fragment >= 0 && fragment < end) end = fragment;
  const start = path.startsWith("/") ? 1 : 0;
  return splitAt(path.substring(start, end), 0x2F);
}

/**
 * Compiles `template`. Errors (returned, never thrown): not starting with `/`, an empty segment (`//` or a
 * trailing `/` after a variable), a variable without a name or with characters other than
 * `[A-Za-z0-9_]`, a `{name...}` that is not the last segment, `{` or `}` inside a literal segment, or a
 * literal containing `?` or `#`.
 */
export function compileRouteTemplate(template: string, metricTag: string | null): RouteTemplateResult {
  if (!template.startsWith("/")) return new RouteTemplateResult(null, "must start with \"/\"");
  const segments = splitPathSegments(template);
  if (template.indexOf("?") >= 0 || template.indexOf("#") >= 0) {
    return new RouteTemplateResult(null, "must not contain \"?\" or \"#\"");
  }
  const count = segments.length;
  const kinds = new StaticArray<u8>(count);
  const literals = new StaticArray<string>(count);
  for (let i = 0; i < count; i++) {
    const segment = segments[i];
    literals[i] = segment;
    if (segment.startsWith("{") && segment.endsWith("}")) {
      let name = segment.substring(1, segment.length - 1);
      let kind = SEGMENT_ONE;
      if (name.endsWith("...")) {
        name = name.substring(0, name.length - 3);
        kind = SEGMENT_REST;
        if (i != count - 1) {
          return new RouteTemplateResult(null, "a \"{name...}\" variable must be the last segment");
        }
      }
      if (!isVariableName(name)) {
        return new RouteTemplateResult(null, "variable names must match [A-Za-z0-9_]+");
      }
      kinds[i] = kind;
    } else {
      if (segment.indexOf("{") >= 0 || segment.indexOf("}") >= 0) {
        return new RouteTemplateResult(null, "\"{\" and \"}\" are allowed only around a whole segment");
      }
      if (segment.length == 0 && !(count == 1)) {
        return new RouteTemplateResult(null, "must not contain empty segments");
      }
      kinds[i] = SEGMENT_LITERAL;
    }
  }
  const tag = metricTag !== null ? metricTag : sanitizeTagValue(template);
  return new RouteTemplateResult(new RouteTemplate(template, tag, kinds, literals), null);
}

function isVariableName(name: string): bool {
  if (name.length == 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f;
    if (!ok) return false;
  }
  return true;
}

/** The first template matching `path`, or null. */
export function matchRoute(routes: RouteTemplate[], path: string): RouteTemplate | null {
  if (routes.length == 0 || !path.startsWith("/")) return null;
  const segments = splitPathSegments(path);
  for (let i = 0; i < routes.length; i++) {
    const route = unchecked(routes[i]);
    if (route.matches(segments)) return route;
  }
  return null;
}
