/**
 * The native Envoy HTTP filters the scenario format can put in front of the Wasm plugins, simulated:
 *
 * - `envoy.filters.http.jwt_authn` laid out as Istio's RequestAuthentication (one provider, local JWKS,
 *   `payload_in_metadata: payload`, `forward: true`, a missing token allowed). A verified token's claims become
 *   dynamic metadata `envoy.filters.http.jwt_authn` → `payload`; a bad token gets the filter's local reply: 401 (403
 *   for audiences) with the status text as body, `www-authenticate: Bearer realm="<uri>", error="invalid_token"`
 *   and details `jwt_authn_access_denied{<status_with_underscores>}` (Envoy `jwt_authn/filter.cc onComplete`).
 * - `envoy.filters.http.set_filter_state` setting `io.istio.peer_principal` (Istio waypoints).
 *
 * Signatures are not computed: tokens the harness minted (`mintJwt`) verify unless marked bad; any other token
 * fails verification, as a token signed with an unknown key would in Envoy.
 */
import { Buffer } from "node:buffer";
import type { HeaderMap } from "../state/header-map";
import type { StructObject, StructValue } from "../properties/protobuf";
import { FilterHeadersStatus, type HttpFilter, type HttpFilterCallbacks } from "./types";

export interface JwtProvider {
  issuer: string;
  audiences?: string[];
}

interface MintedJwt {
  claims: Record<string, unknown>;
  badSignature: boolean;
}

const b64url = (s: string): string => Buffer.from(s, "utf8").toString("base64url");

/** Registry of tokens minted by one simulated Envoy process. */
export class JwtRegistry {
  private readonly minted = new Map<string, MintedJwt>();
  private seq = 0;

  /** `signer`: makes the token string (e.g. a real RS256 signature, as the Envoy scenario runner sends). */
  constructor(private readonly signer?: (claims: Record<string, unknown>, badSignature: boolean) => string) {}

  /**
   * A compact JWS the harness will recognise: the signer's, or `header.payload.signature` with an RS256 header and
   * a placeholder signature.
   */
  mint(claims: Record<string, unknown>, badSignature = false): string {
    let token: string;
    if (this.signer) token = this.signer(claims, badSignature);
    else {
      const header = b64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid: "harness" }));
      const payload = b64url(JSON.stringify(claims));
      const signature = b64url(`harness-signature-${++this.seq}${badSignature ? "-bad" : ""}`);
      token = `${header}.${payload}.${signature}`;
    }
    this.minted.set(token, { claims, badSignature });
    return token;
  }

  lookup(token: string): MintedJwt | undefined {
    return this.minted.get(token);
  }
}

/** jwt_verify_lib status strings. */
const JWT_STATUS = {
  verificationFail: "Jwt verification fails",
  unknownIssuer: "Jwt issuer is not configured",
  expired: "Jwt is expired",
  notYetValid: "Jwt not yet valid",
  audienceNotAllowed: "Audiences in Jwt are not allowed",
} as const;

/** Envoy's default `clock_skew_seconds`. */
const CLOCK_SKEW_SECONDS = 60;

export class JwtAuthnFilter implements HttpFilter {
  readonly name = "envoy.filters.http.jwt_authn";
  private cb: HttpFilterCallbacks | null = null;

  constructor(
    private readonly provider: JwtProvider,
    private readonly registry: JwtRegistry,
    private readonly clock: { wallMs(): number },
  ) {}

  setCallbacks(cb: HttpFilterCallbacks): void {
    this.cb = cb;
  }

  private verify(token: string): { ok: true; claims: Record<string, unknown> } | { ok: false; status: string } {
    const minted = this.registry.lookup(token);
    if (!minted) return { ok: false, status: JWT_STATUS.verificationFail };
    const c = minted.claims;
    if (c.iss !== this.provider.issuer) return { ok: false, status: JWT_STATUS.unknownIssuer };
    const now = this.clock.wallMs() / 1000;
    if (typeof c.exp === "number" && now > c.exp + CLOCK_SKEW_SECONDS) return { ok: false, status: JWT_STATUS.expired };
    if (typeof c.nbf === "number" && now + CLOCK_SKEW_SECONDS < c.nbf) return { ok: false, status: JWT_STATUS.notYetValid };
    const allowed = this.provider.audiences;
    if (allowed && allowed.length > 0) {
      const aud = Array.isArray(c.aud) ? c.aud : c.aud === undefined ? [] : [c.aud];
      if (!aud.some((a) => allowed.includes(String(a)))) return { ok: false, status: JWT_STATUS.audienceNotAllowed };
    }
    if (minted.badSignature) return { ok: false, status: JWT_STATUS.verificationFail };
    return { ok: true, claims: c };
  }

  decodeHeaders(headers: HeaderMap): FilterHeadersStatus {
    const auth = headers.get("authorization");
    const m = auth === undefined ? null : /^Bearer\s+(\S+)$/i.exec(auth);
    if (!m) return FilterHeadersStatus.Continue; // missing token: allowed
    const result = this.verify(m[1]!);
    const cb = this.cb!;
    if (result.ok) {
      cb.streamInfo.dynamicMetadata.set("envoy.filters.http.jwt_authn", { payload: toStruct(result.claims) as StructObject });
      return FilterHeadersStatus.Continue;
    }
    const uri = `${headers.get("x-forwarded-proto") ?? ""}://${headers.get(":authority") ?? ""}${(headers.get(":path") ?? "").slice(0, 256)}`;
    const code = result.status === JWT_STATUS.audienceNotAllowed ? 403 : 401;
    cb.sendLocalReply(
      code,
      result.status,
      (h) => h.set("www-authenticate", `Bearer realm="${uri}", error="invalid_token"`),
      null,
      `jwt_authn_access_denied{${result.status.replace(/[ \t\n\v\f\r]/g, "_")}}`,
    );
    return FilterHeadersStatus.StopIteration;
  }
}

function toStruct(v: unknown): StructValue {
  if (v === null || v === undefined) return null;
  if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") return v;
  if (Array.isArray(v)) return v.map(toStruct);
  if (typeof v === "object") {
    const out: StructObject = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = toStruct(x);
    return out;
  }
  return String(v);
}

/** `envoy.filters.http.set_filter_state`: a string object under `key` (Envoy's string accessor). */
export class SetFilterStateFilter implements HttpFilter {
  readonly name = "envoy.filters.http.set_filter_state";
  private cb: HttpFilterCallbacks | null = null;

  constructor(
    private readonly key: string,
    private readonly value: string,
  ) {}

  setCallbacks(cb: HttpFilterCallbacks): void {
    this.cb = cb;
  }

  decodeHeaders(): FilterHeadersStatus {
    this.cb!.streamInfo.filterState.set(this.key, { kind: "object", serialized: this.value });
    return FilterHeadersStatus.Continue;
  }
}
