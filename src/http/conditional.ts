import type { Context } from "hono";
import { AppError } from "../errors";
import type { AppEnv } from "./env";
import { setHeader } from "./response-headers";

/**
 * HTTP validators for cached reads and guarded writes (RFC 9110 §13). A read's ETag is
 * `"<version>.<schema>"` (a list's version is its generation): known from the cache entry's
 * header, so answering If-None-Match costs no parse. `Cache-Control: public, no-cache`: any
 * cache may keep a response but must revalidate it, so a write is never hidden behind a
 * stored copy (API.md: after a 2xx write no read returns the old value).
 */
const READ_CACHE_CONTROL = "public, no-cache";
const OUR_TAG = /^(?:W\/)?"(\d+)\.\d+"$/;

/** Sets the ETag of a state (a read's, or what a write made); resolves to it. */
export function setETag(c: Context<AppEnv>, tag: string): string {
  const etag = `"${tag}"`;
  setHeader(c, "ETag", etag);
  return etag;
}

/** Sets ETag and Cache-Control; true when the request's If-None-Match already names this state (answer 304). */
export function validateRead(c: Context<AppEnv>, tag: string): boolean {
  const etag = setETag(c, tag);
  setHeader(c, "Cache-Control", READ_CACHE_CONTROL);
  const noneMatch = c.req.header("if-none-match");
  return noneMatch !== undefined && noneMatch.split(",").some((candidate) => {
    const trimmed = candidate.trim();
    return trimmed === "*" || trimmed.replace(/^W\//, "") === etag;
  });
}

/**
 * The version a write's If-Match names: undefined without the header, "*" for any existing
 * state. One of our tags is expected (compression may have weakened it: W/ is accepted); a
 * tag that is not ours can never match, so 412 at once.
 */
export function ifMatchVersion(c: Context<AppEnv>): number | "*" | undefined {
  const header = c.req.header("if-match")?.trim();
  if (header === undefined) return undefined;
  if (header === "*") return "*";
  const version = OUR_TAG.exec(header)?.[1];
  if (version === undefined) throw new AppError(412, "PRECONDITION_FAILED", "If-Match names no version of this product; read it again");
  return Number(version);
}
