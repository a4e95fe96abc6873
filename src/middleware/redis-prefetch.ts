import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { readCredentials } from "../auth/credentials";
import type { AppEnv } from "../env";
import { ops } from "../redis/commands";

/** GET /api/products/:id: the one route whose cache entry is known from the URL alone. */
const PRODUCT_PATH = /^\/api\/products\/([A-Za-z0-9_-]{1,64})$/;

/**
 * A caller's rate-limit identity: the operator, the user a token was issued to (its MAC
 * checked here, without Redis), or the (hashed) client address — also for a token we did
 * not issue, so made-up tokens neither get fresh budgets nor spend someone else's.
 */
export async function clientIdentity(c: Context<AppEnv>, token: { token: string; operator: boolean } | null): Promise<string> {
  if (token?.operator) return "operator";
  const { clientAddress, hashIdentity, sessions } = c.get("services");
  const userId = token ? await sessions.verifiedUserId(token.token) : undefined;
  if (userId) return `user:${userId}`;
  // Hashed: no addresses (personal data) in Redis keys.
  return `ip:${await hashIdentity(clientAddress(c) ?? "unknown")}`;
}

/**
 * The hot path's single round trip: every Redis read this request needs that is known up
 * front — the `default` rate-limit check, the session (when a token is presented) and, for
 * GET /api/products/:id, the cached product — leaves in one pipeline. Later middleware and
 * the route await their part (`c.get("prefetch")`); each handles its own failure.
 * @example app.use("/api/*", redisPrefetch(), rateLimit(), authenticate());
 */
export function redisPrefetch() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const { redis, sessions, rateLimiter, keys } = c.get("services");
    const credentials = await readCredentials(c);
    const identity = await clientIdentity(c, credentials);
    const sessionKey = credentials && !credentials.operator ? await sessions.keyFor(credentials.token) : undefined;
    const productId = c.req.method === "GET" ? PRODUCT_PATH.exec(c.req.path)?.[1] : undefined;

    const batch = redis.batch();
    const rateLimit = rateLimiter.check(batch, "default", identity, c.get("background"));
    const session = sessionKey ? batch.run(ops.get(sessionKey)) : undefined;
    const product = productId ? { key: keys.product(productId), raw: batch.run(ops.get(keys.product(productId))) } : undefined;
    batch.flush();
    // Consumers handle failures; these keep an unconsumed rejection from going unhandled.
    for (const pending of [rateLimit, session, product?.raw]) pending?.catch(() => {});

    c.set("prefetch", { credentials, identity, rateLimit, session, product });
    await next();
  });
}
