// Test credentials: certificates signed by the test CA with the requested SANs (openssl CLI), and JWTs that
// verify against the published JWKS (or, with badSignature, do not).
import { X509Certificate, createPublicKey, verify } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { CertificateAuthority, SERVER_CERTIFICATE_SUBJECT } from "../../../harness/envoy/certs";
import { JwtSigner, scenarioToken } from "../../../harness/envoy/jwt";

describe("CertificateAuthority", () => {
  const directories: string[] = [];
  afterAll(async () => Promise.all(directories.map((d) => rm(d, { recursive: true, force: true }))));

  test("issues client certificates with SPIFFE URI SANs, verifiable against the CA, cached per subject", async () => {
    const directory = await mkdtemp(path.join(tmpdir(), "as-proxy-certs-"));
    directories.push(directory);
    const ca = await CertificateAuthority.create(directory);
    const spec = { uriSans: ["spiffe://cluster.local/ns/a/sa/b"], dnsSans: ["b.a.svc"], commonName: "b/with slash" };
    const files = await ca.clientCertificate(spec);
    const certificate = new X509Certificate(files.cert);
    expect(certificate.subjectAltName).toBe("URI:spiffe://cluster.local/ns/a/sa/b, DNS:b.a.svc");
    expect(certificate.subject).toBe("CN=b/with slash");
    expect(certificate.verify(new X509Certificate(ca.files.cert).publicKey)).toBe(true);
    expect(await ca.clientCertificate(spec)).toBe(files);
    const server = new X509Certificate((await ca.serverCertificate()).cert);
    expect(server.subjectAltName).toContain(`URI:${SERVER_CERTIFICATE_SUBJECT.uriSans![0]}`);
    expect(server.checkIP("127.0.0.1")).toBe("127.0.0.1");
  });
});

describe("JwtSigner", () => {
  const signer = new JwtSigner();
  const publicKey = createPublicKey({ key: JSON.parse(signer.jwks).keys[0], format: "jwk" });
  const verifies = (token: string): boolean => {
    const [header, payload, signature] = token.split(".");
    return verify("sha256", Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature!, "base64url"));
  };

  test("signs RS256 tokens that verify against the JWKS, with the claims as given", () => {
    const token = signer.sign({ iss: "i", sub: "s", scope: "a b" });
    expect(verifies(token)).toBe(true);
    expect(JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString())).toEqual({ iss: "i", sub: "s", scope: "a b" });
    expect(JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString())).toMatchObject({ alg: "RS256", kid: "as-proxy-runtime-test" });
  });

  test("tokens are deterministic (fixed test key, RS256): the same claims give the same string in every run", () => {
    expect(scenarioToken({ claims: { sub: "x" } })).toBe(new JwtSigner().sign({ sub: "x" }));
    expect(signer.sign({ sub: "x" })).toBe(signer.sign({ sub: "x" }));
  });

  test("badSignature yields a well-formed token that does not verify", () => {
    expect(verifies(signer.sign({ sub: "s" }, { badSignature: true }))).toBe(false);
  });
});
