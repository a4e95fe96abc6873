/**
 * @module
 * The session cookie (`sid`): when it is Secure, and how sign-in sets it and sign-out clears
 * it. Reading it is ./credentials.ts's.
 */
import type { Context } from "hono";
import { generateCookie } from "hono/cookie";
import type { AppEnv } from "./env";
import { setHeader } from "./response-headers";

export const SESSION_COOKIE = "sid";

/** Secure on https (as the client sees it: X-Forwarded-Proto counts behind a trusted proxy) or when COOKIE_SECURE=true. */
export function isSecure(c: Context<AppEnv>): boolean {
  const { COOKIE_SECURE, TRUST_PROXY } = c.get("services").config;
  const forwardedProto = TRUST_PROXY ? c.req.header("x-forwarded-proto")?.split(",")[0]?.trim() : undefined;
  return COOKIE_SECURE || (forwardedProto ?? new URL(c.req.url).protocol.replace(":", "")) === "https";
}

/**
 * HttpOnly, SameSite=Lax, Path=/, and no Max-Age or Expires: a browser-session cookie. The
 * session's lifetime is kept by the server alone (SESSION_TTL_S after last use, sliding), so
 * extending it never needs the cookie sent again: the cookie is set only by sign-in (register,
 * login) and cleared by sign-out, on `no-store` responses, and never rides on a cached read.
 * (The gathered headers hold one Set-Cookie: the session's.)
 */
export function setSessionCookie(c: Context<AppEnv>, token: string): void {
  setHeader(c, "Set-Cookie", generateCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: "Lax", path: "/", secure: isSecure(c) }));
}

export function clearSessionCookie(c: Context<AppEnv>): void {
  setHeader(
    c,
    "Set-Cookie",
    generateCookie(SESSION_COOKIE, "", { httpOnly: true, sameSite: "Lax", path: "/", secure: isSecure(c), maxAge: 0 }),
  );
}
