// Loader module for path.test.ts: exposes assembly/util/path.ts to @assemblyscript/loader.
import { normalizePath, PathOptions, PathResult } from "../../../assembly/util/path";

let last: PathResult = normalizePath("/");

/** Option bits: 1 decodeSlashes, 2 normalize, 4 backslashToSlash, 8 mergeSlashes. Returns true on success. */
export function normalize(raw: string, options: i32): bool {
  last = normalizePath(raw, new PathOptions((options & 1) != 0, (options & 2) != 0, (options & 4) != 0, (options & 8) != 0));
  return last.error === null;
}

/** Istio mode: 0 NONE, 1 BASE, 2 MERGE_SLASHES, 3 DECODE_AND_MERGE_SLASHES. */
export function normalizeIstio(raw: string, mode: i32): bool {
  let options = mode == 0 ? PathOptions.none()
    : mode == 1 ? PathOptions.base()
    : mode == 2 ? PathOptions.mergeSlashes()
    : PathOptions.decodeAndMergeSlashes();
  last = normalizePath(raw, options);
  return last.error === null;
}

/** Same as normalizeIstio with the default options (BASE). */
export function normalizeDefault(raw: string): bool {
  last = normalizePath(raw);
  return last.error === null;
}

export function resultPath(): string | null {
  return last.path;
}

export function resultQuery(): string | null {
  return last.query;
}

export function resultFragment(): string | null {
  return last.fragment;
}

export function resultError(): string | null {
  return last.error;
}

export function resultOffset(): i32 {
  return last.offset;
}
