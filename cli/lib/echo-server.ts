/**
 * The default upstream of `as-proxy run`: answers every request with 200 and a JSON description of what
 * reached it (method, path, headers in order, body), so the developer sees what the filter forwarded.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface EchoServer {
  port: number;
  close(): Promise<void>;
}

export async function startEchoServer(port = 0): Promise<EchoServer> {
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const headers: Array<[string, string]> = [];
      for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) headers.push([request.rawHeaders[i]!.toLowerCase(), request.rawHeaders[i + 1]!]);
      const body = JSON.stringify({ method: request.method, path: request.url, headers, body: Buffer.concat(chunks).toString("utf8") }, null, 2);
      response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      response.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
