/**
 * @module
 * The caller middleware: who is calling and whether the `default` rate limit admits them,
 * looked up together in one Redis round trip, and the rate-limit identity the other limits
 * share. Refusing a route to a caller is ./require-role.ts's.
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { Principal } from "../../auth/principal";
import { clientIdentityOf } from "../client-address";
import { readCredentials, type Credentials } from "../credentials";
import type { AppEnv } from "../env";
import { applyRateLimit, rateLimitUnavailable } from "../rate-limit-headers";
import { redisFailureLevel } from "../../redis/port";

/**
 * A caller's rate-limit identity: the operator, the user a token was issued to (its MAC
 * checked here, without Redis), or the (hashed) client address — also for a token we did
 * not issue, so made-up tokens neither get fresh budgets nor spend someone else's.
 */
export async function clientIdentity(c: Context<AppEnv>, credentials: Credentials | null): Promise<string> {
  if (credentials?.operator) return "operator";
  const { clientAddress, hashIdentity, sessions } = c.get("services");
  const userId = credentials ? await sessions.verifiedUserId(credentials.token) : undefined;
  if (userId) return `user:${userId}`;
  // One identity per address however written (an IPv6 client's /64); hashed: no addresses (personal data) in Redis keys.
  return `ip:${await hashIdentity(clientIdentityOf(clientAddress(c)))}`;
}

/** The session behind the credentials, as a principal; undefined when Redis could not be asked. */
async function lookUp(c: Context<AppEnv>, credentials: Credentials | null): Promise<Principal | null | undefined> {
  if (credentials === null) return null;
  if (credentials.operator) return { kind: "operator" };
  try {
    const session = await c.get("services").sessions.find(credentials.token);
    if (!session) return null;
    return {
      kind: "user",
      user: { id: session.userId, email: session.email, roles: session.roles },
      session,
      token: credentials.token,
      via: credentials.via,
    };
  } catch (error) {
    c.get("logger")[redisFailureLevel(error)]("session lookup failed", { error });
    return undefined;
  }
}

/**
 * Who is calling, and whether the `default` rate limit admits them, in one step: the
 * session lookup (when a token is presented) and the limit check are issued together, so
 * they share one Redis round trip, with anything else issued meanwhile (a route's read-ahead
 * registered before this middleware). Puts the `principal` (or null) on the context, or
 * `sessionsUnavailable` when Redis could not be asked, so guarded routes answer 503 while
 * public ones carry on; sets the rate-limit headers (429 when over the limit, fail mode when
 * Redis is down). A session that is due gets its sliding expiry extended in the background,
 * in Redis only: the cookie has no lifetime of its own to refresh (src/http/cookie.ts), so
 * no response here sets one, and a public cached read stays shareable.
 * @example app.use("/api/*", caller()); // then requireRole(...) on guarded routes
 */
export function caller() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const { rateLimiter, sessions } = c.get("services");
    c.set("rateLimits", []);
    const credentials = readCredentials(c);
    const found = lookUp(c, credentials);
    const identity = await clientIdentity(c, credentials);
    const decision = await rateLimiter.check("default", identity, c.get("background")).catch((error: unknown) => error as Error);
    const principal = await found;

    c.set("principal", principal ?? null);
    c.set("sessionsUnavailable", principal === undefined);
    if (decision instanceof Error) rateLimitUnavailable(c, rateLimiter.policies.default, decision);
    else applyRateLimit(c, decision);

    if (principal?.kind === "user" && sessions.isDueForTouch(principal.session))
      c.get("background")("session touch", sessions.touch(principal.session));
    await next();
  });
}
