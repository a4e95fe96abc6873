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

/** HttpOnly, SameSite=Lax, Path=/; Max-Age follows the sliding session lifetime. (The one cookie a response sets.) */
export function setSessionCookie(c: Context<AppEnv>, token: string): void {
  const attributes = { httpOnly: true, sameSite: "Lax", path: "/", secure: isSecure(c), maxAge: c.get("services").config.SESSION_TTL_S } as const;
  setHeader(c, "Set-Cookie", generateCookie(SESSION_COOKIE, token, attributes));
}

export function clearSessionCookie(c: Context<AppEnv>): void {
  setHeader(c, "Set-Cookie", generateCookie(SESSION_COOKIE, "", { httpOnly: true, sameSite: "Lax", path: "/", secure: isSecure(c), maxAge: 0 }));
}
