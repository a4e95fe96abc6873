/**
 * @module
 * Read-your-writes middleware: the client's position (src/client-position.ts) read from its
 * signed X-Consistency-Token or `consistency` cookie, every Redis command and database query
 * of the request made at it, and the new position handed back after a write that moved it.
 * Only where Redis or the database answers from replicas (Upstash; D1 on the Worker).
 */
import type { Context } from "hono";
import { generateCookie, getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import { verifyMac, type Mac } from "../../auth/mac";
import { fromBase64Url, toBase64Url } from "../../encoding";
import { startingPosition, type ClientPosition, type PositionContext } from "../../client-position";
import { isSecure } from "../cookie";
import type { AppEnv } from "../env";
import { isSafeMethod } from "../methods";
import { appendCookie } from "../response-headers";

export const CONSISTENCY_HEADER = "X-Consistency-Token";
const CONSISTENCY_COOKIE = "consistency";

/** Past this a position is dropped: replicas catch up within seconds, and a token must not live on. */
const TOKEN_LIFETIME_S = 600;
/** base64url(JSON position) . expiry (epoch s) . MAC: anything else is not a token of ours. */
const TOKEN_PATTERN = /^([A-Za-z0-9_-]{1,1024})\.(\d{10})\.([A-Za-z0-9_-]{22})$/;

const signed = (payload: string, expires: string) => `consistency.${payload}.${expires}`;

/** Where the client's last write left each store: `r`, the Upstash sync token; `d`, the D1 bookmark. */
interface Presented {
  redis?: string;
  database?: string;
}

const PositionPayload = z.object({ r: z.string().optional(), d: z.string().optional() });

/** A signed payload that is not a position object (another version's format) reads as no position. */
function decodePosition(payload: string): Presented {
  let decoded: unknown;
  try {
    decoded = JSON.parse(new TextDecoder().decode(fromBase64Url(payload)));
  } catch {
    return {};
  }
  const parsed = PositionPayload.safeParse(decoded);
  return parsed.success ? { redis: parsed.data.r, database: parsed.data.d } : {};
}

/**
 * The position a client presented, when we issued it and it has not expired. Signed because
 * it is sent on to Upstash and D1: a made-up position far ahead would make a replica wait
 * for it, and every round trip that fails so counts against the shared circuit breaker.
 */
async function presentedPosition(c: Context<AppEnv>, mac: Mac): Promise<Presented> {
  const presented = c.req.header(CONSISTENCY_HEADER) ?? getCookie(c, CONSISTENCY_COOKIE);
  const parts = presented === undefined ? null : TOKEN_PATTERN.exec(presented);
  if (!parts || Number(parts[2]) * 1000 < Date.now()) return {};
  const [, payload = "", expires = "", tag = ""] = parts;
  // Only the canonical spelling of the MAC (src/auth/mac.ts). No key (Redis down, no SESSION_SECRET): read as if no token came.
  const valid = await verifyMac(mac, signed(payload, expires), tag).catch(() => false);
  return valid ? decodePosition(payload) : {};
}

async function issue(position: Presented, mac: Mac): Promise<string> {
  const payload = toBase64Url(new TextEncoder().encode(JSON.stringify({ r: position.redis, d: position.database })));
  const expires = String(Math.floor(Date.now() / 1000) + TOKEN_LIFETIME_S);
  return `${payload}.${expires}.${toBase64Url(await mac(signed(payload, expires)))}`;
}

/**
 * The client's position after a request that may change state, when it moved: a Redis write
 * (the sync token after it) or a database session (its latest bookmark, which is at least
 * where the client started). What did not move is carried over.
 */
function movedPosition(position: ClientPosition): Presented | undefined {
  if (!position.trackWrites) return undefined;
  const database = position.database.reached?.();
  const moved = position.redis.wroteAt !== undefined || (database !== undefined && database !== position.database.readAt);
  return moved ? { redis: position.redis.wroteAt ?? position.redis.readAt, database: database ?? position.database.readAt } : undefined;
}

/**
 * Read-your-writes across replicas (src/client-position.ts). Every Redis command and database
 * query of the request is made at the position the client presented (X-Consistency-Token, or
 * the `consistency` cookie). A response to a request that may change state (not
 * GET/HEAD/OPTIONS) that moved it carries the new position in both: browsers keep the
 * cookie, other clients send the header back; such a response is `Cache-Control: no-store`
 * (appendCookie). Reads never set it, so cached reads stay cookie-free and shareable.
 */
export function readYourWrites(positions: PositionContext, mac: Mac) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const position = startingPosition(await presentedPosition(c, mac), !isSafeMethod(c.req.method));
    await positions.run(position, next);
    const moved = movedPosition(position);
    if (moved === undefined) return;
    const token = await issue(moved, mac).catch(() => undefined);
    if (token === undefined) return;
    // Now rather than through the gathered headers: those hold one Set-Cookie (the session's).
    appendCookie(
      c,
      generateCookie(CONSISTENCY_COOKIE, token, {
        httpOnly: true,
        sameSite: "Lax",
        path: "/",
        secure: isSecure(c),
        maxAge: TOKEN_LIFETIME_S,
      }),
    );
    c.res.headers.set(CONSISTENCY_HEADER, token);
  });
}
