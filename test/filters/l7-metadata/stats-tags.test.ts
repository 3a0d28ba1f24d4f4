// The stats_tags snippet shipped with the recorder (filters/l7-metadata/node/stats-tags.ts): each regex must pull
// exactly its tag out of a name built with the SDK's metricName convention (`<tag>=.=<value>;.;`), the way Envoy's
// TagSpecifier does (first group removed from the name, second group = value; host-behaviour.md §C.5). The e2e
// test puts the same entries in a real Envoy bootstrap and reads the tags back from /stats/prometheus.
import { describe, expect, test } from "vitest";
import { L7_METRIC_TAGS, l7StatsTags, l7StatsTagsYaml, statsTagRegex } from "../../../filters/l7-metadata/node/stats-tags";

/** What Envoy does with a list of tag specifiers: extract each, strip its first group from the name. */
function extract(name: string): { name: string; tags: Record<string, string> } {
  const tags: Record<string, string> = {};
  let rest = name;
  for (const { tag_name, regex } of l7StatsTags()) {
    const match = new RegExp(regex).exec(rest);
    if (!match) continue;
    tags[tag_name] = match[2]!;
    rest = rest.replace(match[1]!, "");
  }
  return { name: rest, tags };
}

describe("stats_tags for the recorder's metric names", () => {
  test("every tag is extracted and the base name is left", () => {
    expect(extract("route=.=/users/{id};.;method=.=GET;.;status_class=.=2xx;.;policy=.=shop/deny-admin;.;l7.requests_total")).toEqual({
      name: "l7.requests_total",
      tags: { route: "/users/{id}", method: "GET", status_class: "2xx", policy: "shop/deny-admin" },
    });
  });
  test("a subset of tags (metrics.tags) is extracted the same way", () => {
    expect(extract("route=.=_other;.;l7.request_duration_milliseconds")).toEqual({ name: "l7.request_duration_milliseconds", tags: { route: "_other" } });
  });
  test("one entry per tag, and the YAML snippet carries the same regexes", () => {
    expect(l7StatsTags().map((t) => t.tag_name)).toEqual([...L7_METRIC_TAGS]);
    expect(l7StatsTagsYaml(["route"])).toBe('stats_config:\n  stats_tags:\n  - tag_name: route\n    regex: "(route=\\\\.=(.*?);\\\\.;)"\n');
  });
  test("tag names outside [A-Za-z0-9_] are refused (they would change the regex)", () => {
    expect(() => statsTagRegex("a.b")).toThrow(/must match/);
  });
});
