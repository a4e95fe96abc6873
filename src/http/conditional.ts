/**
 * @module
 * HTTP validators for cached reads and guarded writes (RFC 9110 §13). A read's ETag is
 * `"<version>.<schema>"`, a list's `"g<generation>.<schema>"`: known from the cache entry's
 * header, so answering If-None-Match costs no parse. `Cache-Control: public, no-cache`: any
 * cache may keep a response but must revalidate it, so a write is never hidden behind a
 * stored copy (API.md: after a 2xx write no read returns the old value).
 */
import type { Context } from "hono";
import { ProductNotFoundError } from "../catalogue/catalogue";
import { AppError } from "../errors";
import type { AppEnv } from "./env";
import { setHeader } from "./response-headers";

const READ_CACHE_CONTROL = "public, no-cache";
const OUR_TAG = /^(?:W\/)?"(\d+)\.\d+"$/;

/** Sets the ETag of a state (a read's, or what a write made); resolves to it. */
export function setETag(c: Context<AppEnv>, tag: string): string {
  const etag = `"${tag}"`;
  setHeader(c, "ETag", etag);
  return etag;
}

/**
 * Whether an If-None-Match field value names `etag`, or any (`*`): weak comparison, as for GET
 * (a cache that recompressed a response may have weakened its tag).
 */
export function noneMatch(header: string | undefined, etag: string): boolean {
  return (
    header?.split(",").some((candidate) => {
      const trimmed = candidate.trim();
      return trimmed === "*" || trimmed.replace(/^W\//, "") === etag;
    }) ?? false
  );
}

/** Sets ETag and Cache-Control; true when the request's If-None-Match already names this state (answer 304). */
export function validateRead(c: Context<AppEnv>, tag: string): boolean {
  const etag = setETag(c, tag);
  setHeader(c, "Cache-Control", READ_CACHE_CONTROL);
  return noneMatch(c.req.header("if-none-match"), etag);
}

/** An If-Match field value: "*" or a comma-separated list of entity tags (RFC 9110 §8.8.3, empty list elements allowed). */
const ENTITY_TAG = /(?:W\/)?"[\x21\x23-\x7E\x80-\xFF]*"/g;
const TAG_LIST = /^[\s,]*(?:W\/)?"[\x21\x23-\x7E\x80-\xFF]*"(?:[ \t]*,[\s,]*(?:W\/)?"[\x21\x23-\x7E\x80-\xFF]*")*[\s,]*$/;

/**
 * The version a write's If-Match names: undefined without the header, "*" for any existing
 * state. One of our tags is expected (compression may have weakened it: W/ is accepted); a
 * tag that is not ours can never match. A list matches when any of its tags does (RFC 9110
 * §13.1.1): with several of our versions listed, the product's current one is looked up and
 * passed on when listed, so the write's own check (one statement with it) decides. Nothing
 * of ours listed: 412 at once.
 * @example await ifMatchVersion(c, id) // If-Match: "9.1", "1.1" on a product at version 1 → 1
 */
export async function ifMatchVersion(c: Context<AppEnv>, id: string): Promise<number | "*" | undefined> {
  const header = c.req.header("if-match")?.trim();
  if (header === undefined) return undefined;
  if (header === "*") return "*";
  const versions = TAG_LIST.test(header)
    ? [...new Set((header.match(ENTITY_TAG) ?? []).flatMap((tag) => OUR_TAG.exec(tag)?.[1] ?? []).map(Number))]
    : [];
  const [first] = versions;
  if (first === undefined) throw new AppError(412, "PRECONDITION_FAILED", "If-Match names no version of this product; read it again");
  if (versions.length === 1) return first;
  // Not found is the write's own answer (404), as with one tag.
  const current = await c
    .get("services")
    .catalogue.get(id, { background: c.get("background") })
    .then(
      (read) => Number(OUR_TAG.exec(`"${read.tag}"`)?.[1]),
      (error: unknown) => {
        if (error instanceof ProductNotFoundError) return first;
        throw error;
      },
    );
  return versions.includes(current) ? current : first;
}
