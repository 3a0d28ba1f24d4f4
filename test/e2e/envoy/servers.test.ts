// The echo upstream and the callout collector, driven by a plain node:http2 client.
import http2 from "node:http2";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { freePort } from "../../../harness/envoy/ports";
import { CalloutCollector, EchoUpstream } from "../../../harness/envoy/servers";

function request(port: number, headers: http2.OutgoingHttpHeaders, body = "") {
  return new Promise<{ headers: http2.IncomingHttpHeaders; body: string; trailers: http2.IncomingHttpHeaders }>((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const stream = session.request(headers, { endStream: body === "" });
    let response: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on("response", (h) => (response = h));
    stream.on("trailers", (t) => (trailers = t));
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => {
      session.close();
      resolve({ headers: response, body: Buffer.concat(chunks).toString(), trailers });
    });
    stream.on("error", reject);
    if (body !== "") stream.end(body);
  });
}

describe("EchoUpstream", () => {
  let upstream: EchoUpstream;
  beforeAll(async () => (upstream = await EchoUpstream.start()));
  afterAll(async () => upstream.close());

  test("echoes the request body with 200 and content-length, no date, and records the request", async () => {
    const response = await request(upstream.port, { ":method": "POST", ":path": "/p?q", "x-a": ["1", "2"] }, "body!");
    expect(response.headers[":status"]).toBe(200);
    expect(response.headers["content-length"]).toBe("5");
    expect(response.headers.date).toBeUndefined();
    expect(response.body).toBe("body!");
    const record = upstream.records.at(-1)!;
    expect(record).toMatchObject({ method: "POST", path: "/p?q", body: "body!" });
    expect(record.headers.filter(([name]) => name === "x-a")).toEqual([["x-a", "1"], ["x-a", "2"]]);
  });

  test("answers as scripted, trailers included, until the script changes", async () => {
    upstream.respondWith({ status: 418, headers: [["x-s", "1"]], body: "tea", trailers: [["x-t", "2"]] });
    const scripted = await request(upstream.port, { ":path": "/" });
    expect(scripted).toMatchObject({ body: "tea", trailers: { "x-t": "2" } });
    expect(scripted.headers).toMatchObject({ ":status": 418, "x-s": "1" });
    upstream.respondWith(undefined);
    expect((await request(upstream.port, { ":path": "/" })).headers[":status"]).toBe(200);
  });
});

describe("CalloutCollector", () => {
  test("records calls per cluster in order and answers with the cluster's script; a down cluster refuses", async () => {
    const collector = new CalloutCollector();
    try {
      const authz = await collector.addCluster("authz", { respond: { status: 202, body: "ok", headers: { "x-r": "1" } } }, freePort);
      const response = await request(authz, { ":method": "POST", ":path": "/check" }, "payload");
      expect(response).toMatchObject({ body: "ok", headers: { ":status": 202, "x-r": "1" } });
      expect(collector.calls.map(({ cluster, method, path, body }) => ({ cluster, method, path, body }))).toEqual([
        { cluster: "authz", method: "POST", path: "/check", body: "payload" },
      ]);
      const down = await collector.addCluster("down", { down: true }, freePort);
      const refused = await new Promise<string>((resolve) => {
        const socket = net.connect(down, "127.0.0.1");
        socket.on("connect", () => resolve("connected"));
        socket.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
      });
      expect(refused).toBe("ECONNREFUSED");
    } finally {
      await collector.close();
    }
  });
});
