/**
 * @module
 * Bodies that do not change for the life of an app, made once and served as they are: each
 * in every coding the runtime compresses to, with an ETag per representation, chosen by
 * Accept-Encoding and answered with 304 when If-None-Match names it.
 */
import type { Context } from "hono";
import { toBase64Url } from "../encoding";
import { noneMatch } from "./conditional";
import { CONTENT_CODINGS, type Compressor, type ContentCoding } from "./docs-assets";
import type { AppEnv } from "./env";

/** One representation of a static body: its bytes, its coding (none: identity) and its strong ETag. */
interface Representation {
  readonly body: Uint8Array;
  readonly etag: string;
  readonly coding?: ContentCoding;
}

/**
 * A body that does not change for the life of an app (Swagger UI's files, the OpenAPI
 * document, the dashboard's files), made once: its identity bytes and each coding the runtime
 * compresses to, every representation with its own ETag (a hash of its bytes, so every
 * instance of a deployment agrees on it).
 */
export interface StaticBody {
  readonly contentType: string;
  readonly cacheControl: string;
  readonly identity: Representation;
  /** In the server's order of preference (CONTENT_CODINGS); only those smaller than the identity bytes. */
  readonly encoded: readonly Representation[];
}

/** A name for these bytes, the same wherever they are hashed (a SHA-256 prefix, base64url): for ETags and content-addressed URLs. */
export async function contentHash(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return toBase64Url(digest.subarray(0, 18));
}

const etagOf = async (bytes: Uint8Array): Promise<string> => `"${await contentHash(bytes)}"`;

/**
 * Encodes `body` in every coding `compress` makes (none without it) and tags each result.
 * @example const spec = await makeStaticBody(bytes, { contentType: "application/json", cacheControl: "public, no-cache", compress });
 */
export async function makeStaticBody(
  body: Uint8Array,
  options: { contentType: string; cacheControl: string; compress?: Compressor },
): Promise<StaticBody> {
  const { compress } = options;
  const [identity, ...encoded] = await Promise.all([
    etagOf(body).then((etag): Representation => ({ body, etag })),
    ...(compress
      ? CONTENT_CODINGS.map(async (coding): Promise<Representation> => {
          const bytes = await compress(body, coding);
          return { body: bytes, etag: await etagOf(bytes), coding };
        })
      : []),
  ]);
  return {
    contentType: options.contentType,
    cacheControl: options.cacheControl,
    identity: identity!,
    encoded: encoded.filter((representation) => representation.body.length < body.length),
  };
}

const QUALITY = /^\s*q\s*=\s*([0-9.]+)\s*$/i;

/**
 * The representation Accept-Encoding prefers (RFC 9110 §12.5.3): the coding with the highest
 * weight above 0, named or through `*`, ties to the server's order; the identity bytes when
 * none is acceptable, or when `identity` is weighted above every coding.
 */
function negotiate(acceptEncoding: string | undefined, body: StaticBody): Representation {
  if (!acceptEncoding || body.encoded.length === 0) return body.identity;
  const weights = new Map<string, number>();
  for (const entry of acceptEncoding.split(",")) {
    const [name = "", ...parameters] = entry.split(";");
    const quality = parameters.map((parameter) => QUALITY.exec(parameter)?.[1]).find((value) => value !== undefined);
    const weight = quality === undefined ? 1 : Number(quality);
    weights.set(name.trim().toLowerCase(), Number.isFinite(weight) ? weight : 0);
  }
  let best: Representation | undefined;
  let bestWeight = 0;
  for (const representation of body.encoded) {
    const weight = weights.get(representation.coding!) ?? weights.get("*") ?? 0;
    if (weight > bestWeight) {
      best = representation;
      bestWeight = weight;
    }
  }
  return best && bestWeight >= (weights.get("identity") ?? 0) ? best : body.identity;
}

/**
 * Answers with the stored representation the client prefers, as it is (the Content-Encoding
 * it was made in, `Vary: Accept-Encoding`, its ETag), or 304 when If-None-Match already names
 * it. Nothing is compressed here: compression() leaves these paths alone.
 * @example app.get("/openapi.json", async (c) => serveStaticBody(c, await document()));
 */
export function serveStaticBody(c: Context<AppEnv>, body: StaticBody): Response {
  const chosen = negotiate(c.req.header("accept-encoding"), body);
  const headers: Record<string, string> = { "Cache-Control": body.cacheControl, ETag: chosen.etag, Vary: "Accept-Encoding" };
  if (noneMatch(c.req.header("if-none-match"), chosen.etag)) return c.body(null, 304, headers);
  headers["Content-Type"] = body.contentType;
  headers["Content-Length"] = String(chosen.body.length);
  if (chosen.coding) headers["Content-Encoding"] = chosen.coding;
  return c.body(chosen.body as Uint8Array<ArrayBuffer>, 200, headers);
}
