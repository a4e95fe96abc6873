import type { Context } from "hono";
import type { AppEnv } from "./env";
import { clientIdentity } from "./middleware/caller";
import { applyRateLimit, rateLimitUnavailable } from "./rate-limit-headers";

/**
 * The `auth` policy for register and login, on top of `default`: per client, and for login
 * also per submitted email (hashed), so one account cannot be brute-forced from many
 * addresses. Called by the handlers once the body is valid: a request refused with a 4xx
 * before any credentials are checked (malformed JSON, wrong content type, a body that fails
 * validation) spends nothing of the budget.
 * @example await enforceAuthLimit(c, email); // then check the password
 */
export async function enforceAuthLimit(c: Context<AppEnv>, email?: string): Promise<void> {
  const { rateLimiter, hashIdentity } = c.get("services");
  const identities = [await clientIdentity(c, null)];
  if (email !== undefined) identities.push(`email:${await hashIdentity(email.trim().toLowerCase())}`);
  for (const identity of identities) {
    const decision = await rateLimiter.check("auth", identity, c.get("background")).catch((error: unknown) => error as Error);
    if (decision instanceof Error) rateLimitUnavailable(c, rateLimiter.policies.auth, decision);
    else applyRateLimit(c, decision);
  }
}
