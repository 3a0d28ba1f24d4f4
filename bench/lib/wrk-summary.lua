-- wrk `done` hook: prints the run's summary as one JSON line prefixed with WRK_JSON, for bench/lib/loadgen.ts.
-- Latencies are in microseconds. errors.status counts responses with a status above 399.
-- Only `done` is defined: without a `response` function wrk does not hand responses to Lua (no per-request cost).
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"durationUs":%d,"connectErrors":%d,"readErrors":%d,"writeErrors":%d,' ..
    '"statusErrors":%d,"timeouts":%d,"p50Us":%d,"p90Us":%d,"p99Us":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
