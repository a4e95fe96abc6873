/** The probe's HTTP client: every request bounded in time, every failure an outcome rather than a throw. */
import type { Outcome } from "./history/types";

export const REQUEST_TIMEOUT_MS = 5_000;

export interface Reply {
  outcome: Outcome;
  /** The parsed JSON body, when there was one. */
  body: unknown;
  headers?: Headers;
}

export async function send(url: string, init: RequestInit = {}, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Reply> {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    let body: unknown;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { outcome: response.status, body, headers: response.headers };
  } catch (error) {
    // The body read can time out too; either way the request's effect is unknown.
    return { outcome: (error as Error).name === "TimeoutError" ? "timeout" : "unreachable", body: undefined };
  }
}

/** `data` of a success envelope, `code` of an error one. */
export const dataOf = <T>(reply: Reply): T | undefined => (reply.body as { data?: T } | undefined)?.data;
export const codeOf = (reply: Reply): string | undefined => (reply.body as { code?: string } | undefined)?.code;

export const jsonInit = (method: string, body: unknown, authorization?: string): RequestInit => ({
  method,
  headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
  body: JSON.stringify(body),
});

/** The Authorization header product writes carry, and how to get a new one after a 401. */
export interface WriteAuth {
  header(): string;
  /** After a 401: sign in again (one attempt at a time, shared by every client). */
  renew(): Promise<void>;
}

/** ADMIN_TOKEN: admin without a session, so writes do not depend on Redis to authenticate. */
export function operatorAuth(token: string): WriteAuth {
  return { header: () => `Bearer ${token}`, renew: async () => {} };
}

/**
 * An admin session (POST /api/auth/login), as an operator's tooling would use: sessions live
 * in Redis, so one that Redis lost (a restart) answers 401 and is renewed.
 */
export async function sessionAuth(baseUrl: string, email: string, password: string): Promise<WriteAuth> {
  let token = "";
  let renewing: Promise<void> | undefined;
  const login = async () => {
    const reply = await send(`${baseUrl}/api/auth/login`, jsonInit("POST", { email, password }));
    const next = dataOf<{ token: string }>(reply)?.token;
    if (reply.outcome !== 200 || !next)
      throw new Error(`admin sign-in at ${baseUrl} failed: ${String(reply.outcome)} ${codeOf(reply) ?? ""}`);
    token = next;
  };
  await login();
  return {
    header: () => `Bearer ${token}`,
    renew: () =>
      (renewing ??= login()
        .catch(() => {}) // Redis may still be down: the next 401 tries again
        .finally(() => (renewing = undefined))),
  };
}
