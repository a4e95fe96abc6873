import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import type { AppEnv } from "../env";
import { SESSION_COOKIE } from "./cookie";
import { constantTimeEqual, sha256 } from "./encoding";

/** What the caller presented: a token and how it came, and whether it is the operator's ADMIN_TOKEN. */
export interface Credentials {
  token: string;
  via: "cookie" | "bearer";
  operator: boolean;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** Comparing digests keeps the comparison constant-time whatever the candidate's length. */
async function isAdminToken(candidate: string, adminToken: string | undefined): Promise<boolean> {
  return adminToken !== undefined && constantTimeEqual(await sha256(candidate), await sha256(adminToken));
}

/** `Authorization: Bearer <token>` first, else the `sid` cookie; null when neither is there. */
export async function readCredentials(c: Context<AppEnv>): Promise<Credentials | null> {
  const bearer = BEARER.exec(c.req.header("authorization") ?? "")?.[1];
  const token = bearer ?? getCookie(c, SESSION_COOKIE);
  if (token === undefined) return null;
  const via = bearer !== undefined ? "bearer" : "cookie";
  return { token, via, operator: via === "bearer" && (await isAdminToken(token, c.get("services").config.ADMIN_TOKEN)) };
}
