/**
 * probe-metrics: proxy_define_metric, proxy_increment_metric, proxy_record_metric, proxy_get_metric through
 * Counter, Gauge and Histogram, including Envoy's refusals (counter increment ≤ 0, reading a histogram) and
 * the tag naming convention. Metrics are defined in onConfigure; each request updates them.
 */

export * from "../../assembly/exports";
import { Action, Counter, Gauge, Histogram, HttpContext, RootContext, TagPair, metricName, registerRootContext } from "../../assembly";
import { report, statusName } from "./lib/report";

const P = "metrics";

class MetricsRoot extends RootContext {
  requests: Counter = new Counter(0);
  inFlight: Gauge = new Gauge(0);
  sizes: Histogram = new Histogram(0);
  tagged: Counter = new Counter(0);

  onConfigure(pluginConfigurationSize: usize): bool {
    this.requests = Counter.define("probe_requests_total");
    this.inFlight = Gauge.define("probe_in_flight");
    this.sizes = Histogram.define("probe_request_size");
    this.tagged = Counter.define(metricName("probe_tagged_total", [new TagPair("method", "GET"), new TagPair("status_class", "2xx")]));
    report(P, "ids defined", this.requests.id != 0 && this.inFlight.id != 0 && this.sizes.id != 0 ? "true" : "false");
    const again = Counter.define("probe_requests_total");
    report(P, "redefine gives a new id", again.id != this.requests.id ? "true" : "false");
    return true;
  }

  createHttpContext(contextId: u32): HttpContext | null {
    return new MetricsProbe(contextId, this);
  }
}

class MetricsProbe extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const root = <MetricsRoot>this.root;
    report(P, "counter increment", statusName(root.requests.increment()));
    report(P, "counter increment 0", statusName(root.requests.increment(0)));
    report(P, "counter get", root.requests.get().toString());
    report(P, "gauge increment 5", statusName(root.inFlight.increment(5)));
    report(P, "gauge increment -2", statusName(root.inFlight.increment(-2)));
    report(P, "gauge get", root.inFlight.get().toString());
    report(P, "gauge record 42", statusName(root.inFlight.record(42)));
    report(P, "gauge get after record", root.inFlight.get().toString());
    report(P, "histogram record", statusName(root.sizes.record(123)));
    report(P, "tagged increment", statusName(root.tagged.increment(2)));
    report(P, "undefined metric", statusName(new Counter(0).increment()));
    return Action.Continue;
  }
}

registerRootContext("", (contextId: u32): RootContext => new MetricsRoot(contextId));
