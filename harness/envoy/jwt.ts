/**
 * JWT signing for scenarios with `listener.jwt` / `request.jwt`: RS256 with a fixed, test-only key whose
 * public half Envoy's `jwt_authn` gets as an inline `local_jwks`. RS256 (RSASSA-PKCS1-v1_5) signatures are
 * deterministic, so a scenario's token — which reaches the plugin and the upstream in `authorization` — is the
 * same string in every run and in both runners (the harness signs with this module too).
 *
 * The key below is a TEST FIXTURE generated for this repository; it protects nothing.
 */
import { createPrivateKey, createPublicKey, sign, type KeyObject } from "node:crypto";

export const JWT_KEY_ID = "as-proxy-runtime-test";

/** Test-only RSA 2048 private key (PKCS#8 PEM). Never use it for anything but tests. */
export const TEST_JWT_SIGNING_KEY = `
-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCY+rSUrOgjjuJF
pSLBUHrMZqjJHBg/91cu1YkKMJMtV1KeOxpYwCR0DRqrf8wm45fjR9/F9KLfhQ6S
aexpCA6lUgtwBJjbGAkbejcBMpvEWONGfgezyAO78CKwUUcPHt/O4LA9wX3gyHpm
P0tNxnIwOU1/fJlkfpFsA7SbjbgZcQGEho3s3mDCmN76RaVo3aYOs4CCgXeGexVn
KxIhoh1a8F6i/r2Ov5Qx5TVjTDTyGPGkYdNF9/+Naj8aeLTLlsO4flfUf0MiuM/m
OLU1nKlCTd+9KI4M95yT0sXcoUyJFZRpaIjOU8xYO55VkDY/pgIkdfKpx2L39GAo
tvW1uvGjAgMBAAECggEABVSkcD3U2lBYoCFQpGMqiZmA2NPVddJ87jvbSkibsvZv
rDsrqttfKdAUatTJh11iOzWTnZvtr6jnnhXPesV2GoVRCAvmS6l7FRhddvmNe0+2
87Y2jH7ev8YZX1glsr2FAk91X2GGV7aEqrAamVDd78I/ahQsate3jN0AMR9vbSt4
yBeat5H+m3UO0ArzTHUZ8/3Gt/UxNd456CpxfwRLAVPDLh2vMXs9yrUQdLoCixGe
wEam2HIsThoEUQmvcOMyoNuKE+4mLPIZqbPlmLZrQwQPAl7dXymSrs9yyPc7g3mO
IkrKmD61hpI0JLc8qAY/4OoOxk3oVHjNJRFK9/5bgQKBgQDIcTzZvH3P6h3kmv0r
wiMRlYpPOF3MDMzBcrAdAABuqpXaTMG8NtSyxfPCHfKtPrF62M1yzSl3/sA7lQPV
xglLGKQlA6YnyL8yArcpHcRYWAFlWgFxG37z3dUk4IiYv0eHnO2dMgTMt4VZ20aC
AUBgDhDK7MFDo320++eVAE4MYwKBgQDDYaPkL4zTWGMblHuOAgIqhyqbjaI/7UhE
XdDAlFV9Lt3EXB69p0+EH1t6nkSTDS2j8iv12ntETbjNLxBzRC650sO1/tI4MCF0
zqrXZMgQe8Tokj/ERM41gOC3BakSPz21YKXeFGioa2t9u4/8mAzvaxzipNiJ24ej
h4/2VKVpwQKBgQC3DUsgIhbX6RvxqWWqL7qtFV9hZ72pWssno6CYa2b5qgn+efi3
9W8b8NHjJkx40PdulE5UGG9Vqa5O+5CsCxZzoYZOU13LmXaaqoYxI4ErmPt1XtRQ
QmcXOTCtY+z7ajxd6f/KfmKJvtQmsq1ajuAGmPHXEI6TQdzMivz8Q3IDtwKBgDAY
qCSzA+K+/l66tZOmsOvRLE7wlcFQ4xpZUdsmaMkRMWx2FOcw+aUXpwhPT6g3dUXH
hsTVzMRqsZRpAo6teScrWBxEJ3HHf2Tmvy2Y1JsiLL3nyqTBH1YSbL8BOLaSNNmi
ehJqSb0z/FkORAq1T3Hcl1a/p8J/9SrvYyQLgFDBAoGBAL+dTzXXBxxyb74EFw3r
gaXwur7ZZOBZO5vRHOuvcdzAy8USW8boJ595eXEAbog3sfEf+G4Ija+pZHhMUVBW
u8lZhrISuBBrLFv2bqqjDWhyjSwggBI9G3teQ0rIG91qbDx91oAJ9NnLTfQVQjRq
+3vZJL48UKQlbSynjNBPI81h
-----END PRIVATE KEY-----
`;

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString("base64url");
}

export class JwtSigner {
  private readonly privateKey: KeyObject;
  /** The JWKS document (JSON text) Envoy verifies tokens against. */
  readonly jwks: string;

  constructor(privateKeyPem: string = TEST_JWT_SIGNING_KEY) {
    this.privateKey = createPrivateKey(privateKeyPem.trim());
    const jwk = createPublicKey(this.privateKey).export({ format: "jwk" }) as { n: string; e: string };
    this.jwks = JSON.stringify({ keys: [{ kty: "RSA", alg: "RS256", use: "sig", kid: JWT_KEY_ID, n: jwk.n, e: jwk.e }] });
  }

  /**
   * A compact JWS over `claims` (serialized with JSON.stringify, in the given key order). With
   * `badSignature` the last signature byte is flipped, so the token is well-formed but fails verification.
   */
  sign(claims: Record<string, unknown>, options: { badSignature?: boolean } = {}): string {
    const header = base64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid: JWT_KEY_ID }));
    const payload = base64url(JSON.stringify(claims));
    const signature = sign("sha256", Buffer.from(`${header}.${payload}`), this.privateKey);
    if (options.badSignature) signature[signature.length - 1]! ^= 0xff;
    return `${header}.${payload}.${base64url(signature)}`;
  }
}

/** The token a scenario's `request.jwt` becomes (shared by both runners). */
export function scenarioToken(jwt: { claims: Record<string, unknown>; badSignature?: boolean }): string {
  return defaultSigner().sign(jwt.claims, { badSignature: jwt.badSignature });
}

let signer: JwtSigner | undefined;
function defaultSigner(): JwtSigner {
  return (signer ??= new JwtSigner());
}
