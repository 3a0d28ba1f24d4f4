/**
 * Downstream clients: exactly what a scenario's request says goes on the wire.
 *
 * HTTP/1.1 is a raw-socket client: node:http would validate and rewrite the request (reject odd paths, add
 * `connection`, choose chunked encoding), while attack scenarios need exact bytes (`/a/../b`, `%2F`, repeated
 * headers in a given order). It writes the request line, `host`, the scenario's headers in order, and
 * `content-length` for a non-empty body unless the scenario sets `content-length` or `transfer-encoding`;
 * then it parses the response (content-length, chunked with trailers, or read-to-close).
 *
 * HTTP/2 uses node:http2 (`:method`, `:scheme`, `:authority`, `:path`, then the scenario's headers; repeated
 * names are sent as separate fields, grouped at the first occurrence's position — node:http2 takes an object),
 * `content-length` under the same rule, and request trailers.
 *
 * Each request uses a new connection. It stays open until the caller's `holdOpen` promise settles: closing
 * it as soon as the last response byte arrives could race Envoy's own end of stream (the upstream's
 * END_STREAM may follow its last DATA frame) and turn a complete exchange into `downstream_remote_disconnect`.
 */
import http2 from "node:http2";
import net from "node:net";
import tls from "node:tls";
import type { HeaderList } from "../scenario/types";

export interface ClientTls {
  /** PEM of the CA that signed Envoy's server certificate. */
  ca: string;
  /** Client certificate and key (PEM), absent for TLS without a client certificate. */
  cert?: string;
  key?: string;
  /** SNI; absent sends none. */
  servername?: string;
}

export interface ClientRequest {
  protocol: "http1" | "http2";
  port: number;
  method: string;
  path: string;
  authority: string;
  headers: HeaderList;
  body: string;
  trailers: HeaderList;
  tls?: ClientTls;
  timeoutMs?: number;
}

export interface ClientResponse {
  status: number;
  /** Lower-case names, in order, repeated fields separate. */
  headers: HeaderList;
  body: string;
  trailers: HeaderList;
}

/**
 * Sends `request` and returns the response. `holdOpen`, when given, is awaited after the response is complete
 * and before the connection is closed (its rejection propagates).
 */
export function send(request: ClientRequest, holdOpen?: (response: ClientResponse) => Promise<void>): Promise<ClientResponse> {
  return request.protocol === "http2" ? sendHttp2(request, holdOpen) : sendHttp1(request, holdOpen);
}

function needsContentLength(request: ClientRequest): boolean {
  if (request.body.length === 0) return false;
  return !request.headers.some(([name]) => /^(content-length|transfer-encoding)$/i.test(name));
}

function connect(request: ClientRequest, alpn: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = request.tls
      ? tls.connect({
          host: "127.0.0.1",
          port: request.port,
          ca: request.tls.ca,
          cert: request.tls.cert,
          key: request.tls.key,
          // An empty string disables SNI in node:tls.
          servername: request.tls.servername ?? "",
          ALPNProtocols: [alpn],
          // The server certificate is for localhost/envoy.test; scenarios may send any SNI.
          checkServerIdentity: () => undefined,
        })
      : net.connect({ host: "127.0.0.1", port: request.port });
    socket.once(request.tls ? "secureConnect" : "connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

async function sendHttp1(
  request: ClientRequest,
  holdOpen?: (response: ClientResponse) => Promise<void>,
): Promise<ClientResponse> {
  if (request.trailers.length > 0) {
    throw new Error("request trailers need listener.protocol http2 (Envoy drops HTTP/1.1 trailers by default)");
  }
  const lines = [`${request.method} ${request.path} HTTP/1.1`, `host: ${request.authority}`];
  for (const [name, value] of request.headers) lines.push(`${name}: ${value}`);
  if (needsContentLength(request)) lines.push(`content-length: ${Buffer.byteLength(request.body)}`);
  const head = Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1");
  const socket = await connect(request, "http/1.1");
  try {
    const parser = new Http1ResponseParser(request.method === "HEAD");
    const done = new Promise<ClientResponse>((resolve, reject) => {
      socket.on("data", (chunk: Buffer) => {
        try {
          const response = parser.push(chunk);
          if (response) resolve(response);
        } catch (error) {
          reject(error);
        }
      });
      socket.on("end", () => {
        try {
          resolve(parser.end());
        } catch (error) {
          reject(error);
        }
      });
      socket.on("error", reject);
    });
    socket.write(Buffer.concat([head, Buffer.from(request.body, "utf8")]));
    const response = await withTimeout(done, request.timeoutMs ?? 15_000, `${request.method} ${request.path}`);
    await holdOpen?.(response);
    return response;
  } finally {
    socket.destroy();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no complete response to ${what} within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Incremental HTTP/1.1 response parser: status line, header fields, then a body delimited by
 * content-length, chunked encoding (with trailers) or the end of the connection. 1xx responses are skipped.
 */
export class Http1ResponseParser {
  private buffer = Buffer.alloc(0);
  private status = 0;
  private headers: HeaderList = [];
  private phase: "head" | "length" | "chunked" | "close" = "head";
  private remaining = 0;
  private readonly body: Buffer[] = [];
  private trailers: HeaderList = [];

  constructor(private readonly headRequest = false) {}

  /** Feeds bytes; returns the response once it is complete. */
  push(chunk: Buffer): ClientResponse | undefined {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.phase === "head") {
        const end = this.buffer.indexOf("\r\n\r\n");
        if (end < 0) return undefined;
        const lines = this.buffer.subarray(0, end).toString("latin1").split("\r\n");
        this.buffer = this.buffer.subarray(end + 4);
        const statusLine = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0] ?? "");
        if (!statusLine) throw new Error(`malformed HTTP/1.1 status line: ${JSON.stringify(lines[0])}`);
        this.status = Number(statusLine[1]);
        this.headers = parseFields(lines.slice(1));
        if (this.status < 200) continue; // interim response (100 Continue): the real one follows
        const encoding = this.header("transfer-encoding");
        const length = this.header("content-length");
        if (this.headRequest || this.status === 204 || this.status === 304) return this.complete();
        if (encoding !== undefined && /chunked/i.test(encoding)) this.phase = "chunked";
        else if (length !== undefined) {
          this.phase = "length";
          this.remaining = Number(length);
        } else this.phase = "close";
      }
      if (this.phase === "length") {
        const take = Math.min(this.remaining, this.buffer.length);
        this.body.push(this.buffer.subarray(0, take));
        this.buffer = this.buffer.subarray(take);
        this.remaining -= take;
        return this.remaining === 0 ? this.complete() : undefined;
      }
      if (this.phase === "chunked") {
        const lineEnd = this.buffer.indexOf("\r\n");
        if (lineEnd < 0) return undefined;
        const size = parseInt(this.buffer.subarray(0, lineEnd).toString("latin1").split(";")[0]!, 16);
        if (Number.isNaN(size)) throw new Error("malformed chunk size in HTTP/1.1 response");
        if (size === 0) {
          const end = this.buffer.indexOf("\r\n\r\n", lineEnd);
          const bare = this.buffer.subarray(lineEnd, lineEnd + 4).toString("latin1") === "\r\n\r\n";
          if (bare) return this.complete();
          if (end < 0) return undefined;
          this.trailers = parseFields(this.buffer.subarray(lineEnd + 2, end).toString("latin1").split("\r\n"));
          return this.complete();
        }
        if (this.buffer.length < lineEnd + 2 + size + 2) return undefined;
        this.body.push(this.buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
        this.buffer = this.buffer.subarray(lineEnd + 2 + size + 2);
        continue;
      }
      if (this.phase === "close") {
        this.body.push(this.buffer);
        this.buffer = Buffer.alloc(0);
        return undefined;
      }
    }
  }

  /** The connection ended: completes a read-to-close body, otherwise the response was truncated. */
  end(): ClientResponse {
    if (this.phase === "close") return this.complete();
    throw new Error(`connection closed before the HTTP/1.1 response was complete (status ${this.status || "none"})`);
  }

  private header(name: string): string | undefined {
    return this.headers.find(([n]) => n === name)?.[1];
  }

  private complete(): ClientResponse {
    return {
      status: this.status,
      headers: this.headers,
      body: Buffer.concat(this.body).toString("utf8"),
      trailers: this.trailers,
    };
  }
}

function parseFields(lines: string[]): HeaderList {
  const fields: HeaderList = [];
  for (const line of lines) {
    if (!line) continue;
    const colon = line.indexOf(":");
    if (colon <= 0) throw new Error(`malformed HTTP/1.1 header line: ${JSON.stringify(line)}`);
    fields.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return fields;
}

function pairs(raw: string[] | undefined): HeaderList {
  const list: HeaderList = [];
  for (let i = 0; raw && i + 1 < raw.length; i += 2) list.push([raw[i]!.toLowerCase(), raw[i + 1]!]);
  return list;
}

async function sendHttp2(
  request: ClientRequest,
  holdOpen?: (response: ClientResponse) => Promise<void>,
): Promise<ClientResponse> {
  const scheme = request.tls ? "https" : "http";
  const session = http2.connect(`${scheme}://127.0.0.1:${request.port}`, {
    createConnection: request.tls ? () => tlsSocketFor(request) : undefined,
  });
  try {
    const outgoing: http2.OutgoingHttpHeaders = {
      ":method": request.method,
      ":scheme": scheme,
      ":authority": request.authority,
      ":path": request.path,
    };
    for (const [rawName, value] of request.headers) {
      const name = rawName.toLowerCase();
      const existing = outgoing[name];
      if (existing === undefined) outgoing[name] = value;
      else outgoing[name] = [...(Array.isArray(existing) ? existing : [String(existing)]), value];
    }
    if (needsContentLength(request)) outgoing["content-length"] = String(Buffer.byteLength(request.body));
    const hasBody = request.body.length > 0;
    const hasTrailers = request.trailers.length > 0;
    const stream = session.request(outgoing, {
      endStream: !hasBody && !hasTrailers,
      waitForTrailers: hasTrailers,
    });
    if (hasTrailers) {
      stream.on("wantTrailers", () => {
        const trailers: http2.OutgoingHttpHeaders = {};
        for (const [name, value] of request.trailers) trailers[name.toLowerCase()] = value;
        stream.sendTrailers(trailers);
      });
    }
    const done = new Promise<ClientResponse>((resolve, reject) => {
      let status = 0;
      let headers: HeaderList = [];
      let trailers: HeaderList = [];
      const body: Buffer[] = [];
      stream.on("response", (responseHeaders, _flags, rawHeaders?: string[]) => {
        status = Number(responseHeaders[":status"]);
        headers = pairs(rawHeaders).filter(([name]) => name !== ":status");
      });
      stream.on("trailers", (_trailers, _flags, rawTrailers?: string[]) => {
        trailers = pairs(rawTrailers);
      });
      stream.on("data", (chunk: Buffer) => body.push(chunk));
      stream.on("end", () => resolve({ status, headers, body: Buffer.concat(body).toString("utf8"), trailers }));
      stream.on("error", reject);
      session.on("error", reject);
    });
    if (hasBody || hasTrailers) stream.end(request.body);
    const response = await withTimeout(done, request.timeoutMs ?? 15_000, `${request.method} ${request.path} (HTTP/2)`);
    await holdOpen?.(response);
    return response;
  } finally {
    session.destroy();
  }
}

function tlsSocketFor(request: ClientRequest): tls.TLSSocket {
  const options = request.tls!;
  return tls.connect({
    host: "127.0.0.1",
    port: request.port,
    ca: options.ca,
    cert: options.cert,
    key: options.key,
    servername: options.servername ?? "",
    ALPNProtocols: ["h2"],
    checkServerIdentity: () => undefined,
  });
}
