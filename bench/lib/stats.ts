/**
 * How repeated measurements are summarised: the median of the valid rounds with their min and max. A figure with
 * no valid round is still summarised (over every round) but marked invalid, so a report always has every row
 * and says which ones are not to be trusted.
 */

export interface Summary {
  median: number;
  min: number;
  max: number;
  /** Rounds the figure is computed from. */
  n: number;
  /** false when no round passed the validity gates (the figure then uses every round). */
  valid: boolean;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Summarises `samples`; `valid[i]` false excludes sample i unless no sample is valid. Non-finite samples are dropped. */
export function summarize(samples: readonly number[], valid?: readonly boolean[]): Summary {
  const finite = samples.map((value, i) => ({ value, ok: valid ? valid[i] !== false : true })).filter((s) => Number.isFinite(s.value));
  const good = finite.filter((s) => s.ok);
  const used = good.length > 0 ? good : finite;
  const values = used.map((s) => s.value);
  return {
    median: median(values),
    min: values.length ? Math.min(...values) : Number.NaN,
    max: values.length ? Math.max(...values) : Number.NaN,
    n: values.length,
    valid: good.length > 0,
  };
}

/** `items` rotated left by `by` (round r of an interleaved benchmark visits the variants in this order). */
export function rotate<T>(items: readonly T[], by: number): T[] {
  if (items.length === 0) return [];
  const k = ((by % items.length) + items.length) % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}
