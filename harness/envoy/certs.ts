/**
 * X.509 material for downstream mTLS, generated per test run with the `openssl` CLI (node:crypto can make
 * keys but cannot sign certificates). Keys are EC P-256: fast to generate, accepted by Envoy's BoringSSL.
 *
 * Identity reaches the plugin through a real TLS handshake: Envoy verifies the client certificate against
 * the CA and exposes its SANs as `connection.uri_san_peer_certificate` etc.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import type { ClientCertificate } from "../scenario/types";

const run = promisify(execFile);

export interface CertificateFiles {
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
}

/** What a certificate says about its holder. */
export interface CertificateSubject {
  commonName?: string;
  uriSans?: string[];
  dnsSans?: string[];
  ipSans?: string[];
}

/**
 * The SANs of the server certificate Envoy presents on TLS listeners (observable by a plugin as
 * `connection.uri_san_local_certificate`, `connection.dns_san_local_certificate`,
 * `connection.subject_local_certificate`). Documented in docs/E2E.md so the harness can model them.
 */
export const SERVER_CERTIFICATE_SUBJECT: Readonly<CertificateSubject> = Object.freeze({
  commonName: "envoy.test",
  uriSans: ["spiffe://cluster.local/ns/default/sa/envoy"],
  dnsSans: ["localhost", "envoy.test"],
  ipSans: ["127.0.0.1"],
});

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run("openssl", args, { cwd });
  } catch (error) {
    const detail = error as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0]} failed: ${detail.stderr?.trim() || detail.message}`);
  }
}

/** `-subj` value: an empty subject when there is no common name; `/` `\` `+` `=` escaped. */
function subjectArgument(commonName: string | undefined): string {
  if (commonName === undefined) return "/";
  return `/CN=${commonName.replace(/[\\/+=]/g, (c) => `\\${c}`)}`;
}

function subjectAltNames(subject: CertificateSubject): string[] {
  const names: string[] = [];
  for (const uri of subject.uriSans ?? []) names.push(`URI:${uri}`);
  for (const dns of subject.dnsSans ?? []) names.push(`DNS:${dns}`);
  for (const ip of subject.ipSans ?? []) names.push(`IP:${ip}`);
  for (const name of names) {
    if (/[,\n]/.test(name)) throw new Error(`certificate SAN ${JSON.stringify(name)} must not contain ',' or a newline`);
  }
  return names;
}

/** A test CA that signs server and client certificates; files live in `directory`. */
export class CertificateAuthority {
  private issued = 0;
  private readonly cache = new Map<string, Promise<CertificateFiles>>();

  private constructor(
    readonly directory: string,
    readonly files: CertificateFiles,
  ) {}

  static async create(directory: string): Promise<CertificateAuthority> {
    await mkdir(directory, { recursive: true });
    await openssl(
      [
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=as-proxy-runtime test CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
      ],
      directory,
    );
    return new CertificateAuthority(directory, await readPair(directory, "ca"));
  }

  /** Issues (once per distinct subject and usage) a certificate signed by this CA. */
  issue(subject: CertificateSubject, usage: "serverAuth" | "clientAuth"): Promise<CertificateFiles> {
    const key = JSON.stringify([usage, subject.commonName ?? null, subject.uriSans, subject.dnsSans, subject.ipSans]);
    let files = this.cache.get(key);
    if (!files) {
      files = this.issueUncached(subject, usage);
      this.cache.set(key, files);
    }
    return files;
  }

  private async issueUncached(subject: CertificateSubject, usage: string): Promise<CertificateFiles> {
    const name = `cert-${++this.issued}`;
    const sans = subjectAltNames(subject);
    const extensions = [
      "basicConstraints=CA:FALSE",
      "keyUsage=critical,digitalSignature",
      `extendedKeyUsage=${usage}`,
      ...(sans.length > 0 ? [`subjectAltName=${sans.join(",")}`] : []),
    ];
    await writeFile(path.join(this.directory, `${name}.ext`), `${extensions.join("\n")}\n`);
    await openssl(
      [
        "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subjectArgument(subject.commonName),
      ],
      this.directory,
    );
    await openssl(
      [
        "x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key",
        "-set_serial", `0x${randomBytes(8).toString("hex")}`, "-days", "2",
        "-out", `${name}.crt`, "-extfile", `${name}.ext`,
      ],
      this.directory,
    );
    return readPair(this.directory, name);
  }

  /** The certificate Envoy presents on TLS listeners. */
  serverCertificate(): Promise<CertificateFiles> {
    return this.issue(SERVER_CERTIFICATE_SUBJECT, "serverAuth");
  }

  /** A client certificate for a scenario's `listener.tls.clientCertificate`. */
  clientCertificate(spec: ClientCertificate): Promise<CertificateFiles> {
    return this.issue(
      { commonName: spec.commonName, uriSans: spec.uriSans ?? [], dnsSans: spec.dnsSans ?? [] },
      "clientAuth",
    );
  }
}

async function readPair(directory: string, name: string): Promise<CertificateFiles> {
  const certPath = path.join(directory, `${name}.crt`);
  const keyPath = path.join(directory, `${name}.key`);
  return { certPath, keyPath, cert: await readFile(certPath, "utf8"), key: await readFile(keyPath, "utf8") };
}
