import type { Context } from "hono";
import { generateCookie, getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import type { Mac } from "../../auth/mac";
import { constantTimeEqual, fromBase64Url, toBase64Url } from "../../encoding";
import type { ClientPosition, PositionContext } from "../../redis/client-position";
import { isSecure } from "../cookie";
import type { AppEnv } from "../env";
import { applyHeaders } from "../response-headers";

export const CONSISTENCY_HEADER = "X-Consistency-Token";
export const CONSISTENCY_COOKIE = "consistency";

/** Past this a position is dropped: replicas catch up within seconds, and a token must not live on. */
const TOKEN_LIFETIME_S = 600;
/** base64url(sync token) . expiry (epoch s) . MAC: anything else is not a token of ours. */
const TOKEN_PATTERN = /^([A-Za-z0-9_-]{1,512})\.(\d{10})\.([A-Za-z0-9_-]{22})$/;
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

const signed = (payload: string, expires: string) => `consistency.${payload}.${expires}`;

/**
 * The sync token a client presented, when we issued it and it has not expired. Signed because
 * it is sent on to Upstash: a made-up position far ahead would make a replica wait for it,
 * and every round trip that fails so counts against the shared circuit breaker.
 */
async function presentedSyncToken(c: Context<AppEnv>, mac: Mac): Promise<string | undefined> {
  const presented = c.req.header(CONSISTENCY_HEADER) ?? getCookie(c, CONSISTENCY_COOKIE);
  const parts = presented === undefined ? null : TOKEN_PATTERN.exec(presented);
  if (!parts || Number(parts[2]) * 1000 < Date.now()) return undefined;
  const [, payload = "", expires = "", tag = ""] = parts;
  const valid = await mac(signed(payload, expires)).then(
    (expected) => constantTimeEqual(fromBase64Url(tag), expected),
    () => false, // no key (Redis down, no SESSION_SECRET): read as if no token came
  );
  return valid ? new TextDecoder().decode(fromBase64Url(payload)) : undefined;
}

async function issue(syncToken: string, mac: Mac): Promise<string> {
  const payload = toBase64Url(new TextEncoder().encode(syncToken));
  const expires = String(Math.floor(Date.now() / 1000) + TOKEN_LIFETIME_S);
  return `${payload}.${expires}.${toBase64Url(await mac(signed(payload, expires)))}`;
}

/**
 * Read-your-writes across replicas (src/redis/client-position.ts). Every Redis command of the
 * request is sent at the position the client presented (X-Consistency-Token, or the
 * `consistency` cookie). A response to a request that may change state (not GET/HEAD/OPTIONS)
 * that wrote carries the new position in both: browsers keep the cookie,
 * other clients send the header back. Reads never set it, so cached reads stay cookie-free.
 */
export function readYourWrites(positions: PositionContext, mac: Mac) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const position: ClientPosition = { readAt: await presentedSyncToken(c, mac), trackWrites: !SAFE_METHODS.has(c.req.method), wroteAt: undefined };
    await positions.run(position, next);
    if (position.wroteAt === undefined) return;
    const token = await issue(position.wroteAt, mac).catch(() => undefined);
    if (token === undefined) return;
    // Now rather than through the gathered headers: those hold one Set-Cookie (the session's).
    applyHeaders(c);
    c.set("headersApplied", true);
    c.res.headers.set(CONSISTENCY_HEADER, token);
    c.res.headers.append(
      "Set-Cookie",
      generateCookie(CONSISTENCY_COOKIE, token, { httpOnly: true, sameSite: "Lax", path: "/", secure: isSecure(c), maxAge: TOKEN_LIFETIME_S }),
    );
  });
}
