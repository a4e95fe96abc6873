/**
 * @module
 * The sign-in limits, on top of `default` (OWASP's advice on lockout: slow the attacker,
 * never refuse the owner outright). `auth` (RATE_LIMIT_AUTH_MAX) per client address, for
 * register and login alike: what one address may try, across all accounts. For login also
 * `auth-email` (RATE_LIMIT_AUTH_EMAIL_MAX, higher) per account, from every address it has
 * not signed in from in the last 30 days together: guessing spread over many addresses is
 * slowed, while strangers' failures cannot lock the owner out of their own address.
 */
import type { Context } from "hono";
import type { AppEnv } from "./env";
import { clientIdentity } from "./middleware/caller";
import { applyRateLimit, rateLimitUnavailable } from "./rate-limit-headers";
import { ops } from "../redis/commands";
import type { PolicyName } from "../ratelimit/rate-limiter";
import { normaliseEmail } from "../db/users";

/** How long an address an account signed in from stays exempt from that account's auth-email limit. */
const KNOWN_ADDRESS_MS = 30 * 24 * 60 * 60 * 1000;

/** The caller's address identity, and for an email the account's and the pair's (all hashed). */
async function identitiesOf(c: Context<AppEnv>, email: string) {
  const { hashIdentity } = c.get("services");
  const address = await clientIdentity(c, null);
  const account = `email:${await hashIdentity(normaliseEmail(email))}`;
  return { address, account, pair: await hashIdentity(`${account} ${address}`) };
}

async function enforce(c: Context<AppEnv>, policy: PolicyName, identity: string): Promise<void> {
  const { rateLimiter } = c.get("services");
  const decision = await rateLimiter.check(policy, identity, c.get("background")).catch((error: unknown) => error as Error);
  if (decision instanceof Error) rateLimitUnavailable(c, rateLimiter.policies[policy], decision);
  else applyRateLimit(c, decision);
}

/**
 * Spends the caller's `auth` budget and, for a login (`email`), the account's `auth-email`
 * budget unless the account signed in from this address in the last 30 days; throws when
 * refused (429, or 503 when Redis cannot answer and the policy fails closed). Called by the
 * handlers once the body is valid: a request refused with a 4xx before any credentials are
 * checked (malformed JSON, wrong content type, a body that fails validation) spends nothing.
 * @example await enforceAuthLimit(c, email); // then check the password
 */
export async function enforceAuthLimit(c: Context<AppEnv>, email?: string): Promise<void> {
  if (email === undefined) return enforce(c, "auth", await clientIdentity(c, null));
  const { redis, keys } = c.get("services");
  const { address, account, pair } = await identitiesOf(c, email);
  // One round trip: the address's check, and whether the account signed in from it before
  // (Redis unreachable: taken as not, so the auth policy's fail mode decides).
  const [, known] = await Promise.all([enforce(c, "auth", address), redis.run(ops.get(keys.knownSignIn(pair))).catch(() => null)]);
  if (known === null) await enforce(c, "auth-email", account);
}

/** After a successful sign-in: its address is exempt from the account's auth-email limit for 30 days (in the background). */
export async function rememberSignIn(c: Context<AppEnv>, email: string): Promise<void> {
  const { redis, keys } = c.get("services");
  const { pair } = await identitiesOf(c, email);
  c.get("background")("remember sign-in address", redis.run(ops.set(keys.knownSignIn(pair), "1", { pxMs: KNOWN_ADDRESS_MS })));
}
