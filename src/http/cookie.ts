import type { Context } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "./env";

export const SESSION_COOKIE = "sid";

/** Secure on https (as the client sees it: X-Forwarded-Proto counts behind a trusted proxy) or when COOKIE_SECURE=true. */
function isSecure(c: Context<AppEnv>): boolean {
  const { COOKIE_SECURE, TRUST_PROXY } = c.get("services").config;
  const forwardedProto = TRUST_PROXY ? c.req.header("x-forwarded-proto")?.split(",")[0]?.trim() : undefined;
  return COOKIE_SECURE || (forwardedProto ?? new URL(c.req.url).protocol.replace(":", "")) === "https";
}

/** HttpOnly, SameSite=Lax, Path=/; Max-Age follows the sliding session lifetime. */
export function setSessionCookie(c: Context<AppEnv>, token: string): void {
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "Lax",
    path: "/",
    secure: isSecure(c),
    maxAge: c.get("services").config.SESSION_TTL_S,
  });
}

export function clearSessionCookie(c: Context<AppEnv>): void {
  deleteCookie(c, SESSION_COOKIE, { httpOnly: true, sameSite: "Lax", path: "/", secure: isSecure(c) });
}
