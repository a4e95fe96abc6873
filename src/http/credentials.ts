/**
 * @module
 * What credentials a request presents: a bearer token or the `sid` cookie, and whether the
 * bearer token is the operator's ADMIN_TOKEN. Whether a token names a live session is
 * ./middleware/caller.ts's to ask.
 */
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import type { AppEnv } from "./env";
import { SESSION_COOKIE } from "./cookie";
import { constantTimeEqual } from "../encoding";

/** What the caller presented: a token and how it came, and whether it is the operator's ADMIN_TOKEN. */
export interface Credentials {
  token: string;
  via: "cookie" | "bearer";
  operator: boolean;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

const encoder = new TextEncoder();
const isAdminToken = (candidate: string, adminToken: string | undefined): boolean =>
  adminToken !== undefined && constantTimeEqual(encoder.encode(candidate), encoder.encode(adminToken));

/** `Authorization: Bearer <token>` first, else the `sid` cookie; null when neither is there. */
export function readCredentials(c: Context<AppEnv>): Credentials | null {
  const bearer = BEARER.exec(c.req.header("authorization") ?? "")?.[1];
  const token = bearer ?? getCookie(c, SESSION_COOKIE);
  if (token === undefined) return null;
  const via = bearer !== undefined ? "bearer" : "cookie";
  return { token, via, operator: via === "bearer" && isAdminToken(token, c.get("services").config.ADMIN_TOKEN) };
}
