// The downstream clients: exact request bytes on HTTP/1.1, and a response parser for every framing Envoy uses.
import net from "node:net";
import type { AddressInfo } from "node:net";
import { describe, expect, test } from "vitest";
import { Http1ResponseParser, send } from "../../../harness/envoy/client";

function parse(...chunks: string[]) {
  const parser = new Http1ResponseParser();
  let response;
  for (const chunk of chunks) response = parser.push(Buffer.from(chunk, "latin1")) ?? response;
  return response;
}

describe("Http1ResponseParser", () => {
  test("a content-length body split across reads, repeated headers kept in order", () => {
    expect(parse("HTTP/1.1 200 OK\r\nX-A: 1\r\nx-a: 2\r\ncontent-length: 5\r\n\r\nhe", "llo")).toEqual({
      status: 200,
      headers: [["x-a", "1"], ["x-a", "2"], ["content-length", "5"]],
      body: "hello",
      trailers: [],
    });
  });

  test("a chunked body with trailers", () => {
    const response = parse("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext\r\nde\r\n0\r\nx-t: v\r\n\r\n");
    expect(response).toMatchObject({ body: "abcde", trailers: [["x-t", "v"]] });
  });

  test("a chunked body without trailers, delivered byte by byte", () => {
    const raw = "HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n";
    expect(parse(...raw.split(""))).toMatchObject({ status: 201, body: "z", trailers: [] });
  });

  test("skips a 100 Continue and reads the final response; 204 has no body", () => {
    expect(parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nx: y\r\n\r\n")).toMatchObject({ status: 204, body: "" });
  });

  test("a body delimited by the end of the connection", () => {
    const parser = new Http1ResponseParser();
    expect(parser.push(Buffer.from("HTTP/1.1 200 OK\r\n\r\npartial"))).toBeUndefined();
    expect(parser.end()).toMatchObject({ status: 200, body: "partial" });
  });

  test("rejects a malformed status line and a truncated response", () => {
    expect(() => parse("HTTP/2 200\r\n\r\n")).toThrow("malformed HTTP/1.1 status line");
    const parser = new Http1ResponseParser();
    parser.push(Buffer.from("HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\nabc"));
    expect(() => parser.end()).toThrow("connection closed before the HTTP/1.1 response was complete");
  });
});

describe("send (HTTP/1.1)", () => {
  async function capture(request: Partial<Parameters<typeof send>[0]>): Promise<string> {
    let received = "";
    const server = net.createServer((socket) => {
      socket.on("data", (chunk) => {
        received += chunk.toString("latin1");
        if (received.includes("\r\n\r\n")) socket.end("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      await send({
        protocol: "http1",
        port: (server.address() as AddressInfo).port,
        method: "GET",
        path: "/",
        authority: "example.com",
        headers: [],
        body: "",
        trailers: [],
        ...request,
      });
      return received;
    } finally {
      server.close();
    }
  }

  test("writes the request line, host, the headers in order, and content-length for a body", async () => {
    const bytes = await capture({ method: "POST", path: "/a/../b%2F?q", headers: [["X-One", "1"], ["x-one", "2"]], body: "hey" });
    expect(bytes).toBe("POST /a/../b%2F?q HTTP/1.1\r\nhost: example.com\r\nX-One: 1\r\nx-one: 2\r\ncontent-length: 3\r\n\r\nhey");
  });

  test("adds no content-length when the scenario sets its own framing", async () => {
    const bytes = await capture({ method: "POST", headers: [["content-length", "2"]], body: "ab" });
    expect(bytes.match(/content-length/g)).toHaveLength(1);
  });

  test("refuses request trailers on HTTP/1.1", async () => {
    await expect(capture({ trailers: [["t", "v"]] })).rejects.toThrow("request trailers need listener.protocol http2");
  });
});
