/**
 * Free TCP ports on 127.0.0.1 for Envoy's admin, listeners and "down" clusters.
 *
 * The kernel picks a free ephemeral port (bind to port 0), the socket is closed and the number handed to
 * Envoy. Between close and Envoy's bind another process could take the port; on a test machine that race is
 * rare, and every number handed out by this process is remembered so two callers here never get the same one.
 */
import net from "node:net";

const handedOut = new Set<number>();

function bindEphemeral(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Returns a port on 127.0.0.1 that was free a moment ago and was not returned before by this process. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await bindEphemeral();
    if (port > 0 && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error("could not find a free TCP port on 127.0.0.1 after 50 attempts");
}
