/**
 * The Envoy bootstrap `stats_config.stats_tags` entries that turn the recorder's tagged metric names into real
 * tags (docs/OVERVIEW.md "Metric tags"; host-behaviour.md §C.5). The filter writes each tag as
 * `<tag>=.=<value>;.;` in front of the base name (`metricName` in assembly/hostcalls/metrics.ts), e.g.
 * `route=.=/users/{id};.;method=.=GET;.;status_class=.=2xx;.;policy=.=none;.;l7.requests_total`; Envoy shows it
 * as `l7.requests_total{route="/users/{id}",method="GET",status_class="2xx",policy="none"}`.
 *
 * The regex's first capture group is removed from the name, the second is the tag value (Envoy
 * `envoy.config.metrics.v3.TagSpecifier`). Tag names are fixed by the filter; only the metric prefix varies.
 */

/** Tags the recorder can put on its request metrics (configuration `metrics.tags`). */
export const L7_METRIC_TAGS = ["route", "method", "status_class", "policy"] as const;
export type L7MetricTag = (typeof L7_METRIC_TAGS)[number];

/** One `stats_config.stats_tags` entry. */
export interface StatsTag {
  tag_name: string;
  regex: string;
}

/** The regex that extracts `tag` from a name built with the SDK's `metricName` convention. */
export function statsTagRegex(tag: string): string {
  if (!/^[A-Za-z0-9_]+$/.test(tag)) throw new Error(`tag name ${JSON.stringify(tag)} must match [A-Za-z0-9_]+`);
  return `(${tag}=\\.=(.*?);\\.;)`;
}

/** The `stats_tags` entries for `tags` (default: all four). */
export function l7StatsTags(tags: readonly L7MetricTag[] = L7_METRIC_TAGS): StatsTag[] {
  return tags.map((tag) => ({ tag_name: tag, regex: statsTagRegex(tag) }));
}

/** The same as a bootstrap YAML snippet, ready to paste (the README shows its output). */
export function l7StatsTagsYaml(tags: readonly L7MetricTag[] = L7_METRIC_TAGS): string {
  const lines = ["stats_config:", "  stats_tags:"];
  for (const entry of l7StatsTags(tags)) {
    lines.push(`  - tag_name: ${entry.tag_name}`, `    regex: ${JSON.stringify(entry.regex)}`);
  }
  return lines.join("\n") + "\n";
}
