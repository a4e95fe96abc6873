/**
 * @module
 * The account and session routes under /api/auth: register, login, logout, logout-all and
 * me. Sessions themselves are src/auth/sessions.ts; the sign-in limits ../auth-rate-limit.ts.
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { clearSessionCookie, setSessionCookie } from "../cookie";
import { hashPassword, UNKNOWN_USER_HASH, verifyPassword } from "../../auth/password";
import { userPrincipal } from "../../auth/principal";
import { SessionsUnavailableError, type SessionUser } from "../../auth/sessions";
import type { AppEnv } from "../env";
import { AppError } from "../../errors";
import { enforceAuthLimit, rememberSignIn } from "../auth-rate-limit";
import { jsonBody } from "../middleware/json-body";
import { apiRoute } from "./api-route";
import { apiEmpty, apiJson, errorResponse, sessionSecurity, success } from "./schemas";

const CredentialsSchema = z
  .object({
    // The addresses accepted are a subset of what `format: email` allows (no quoted local
    // parts, no `|` or other rare specials, no address literals, no control characters):
    // the document states the exact pattern.
    email: z.email({ error: "must be an email address" }).max(254).openapi({
      example: "ada@example.com",
      pattern: z.regexes.email.source,
      description:
        "An address matching `pattern` (dot-atom local part of letters, digits and . _ ' + -; a domain name with a top-level label of letters)",
    }),
    password: z.string().min(8).max(128).openapi({ example: "correct horse battery" }),
  })
  .openapi("Credentials");

const UserSchema = z.object({ id: z.string(), email: z.string(), roles: z.array(z.enum(["user", "admin"])) }).openapi("User");

const AuthResultSchema = success(
  z.object({ user: UserSchema, token: z.string().openapi({ description: "Session token; also sent as the sid cookie" }) }),
);

const MeSchema = success(
  z.object({
    user: UserSchema,
    session: z.object({ createdAt: z.string(), lastAccessedAt: z.string(), expiresAt: z.string() }),
  }),
);

const credentialsBody = { content: { "application/json": { schema: CredentialsSchema } }, required: true };
const sessionCookie = {
  "Set-Cookie": {
    description:
      "sid=<token>; Path=/; HttpOnly; SameSite=Lax (Secure on https). A browser-session cookie, with no Max-Age or Expires: the session's sliding lifetime is kept server-side, so the cookie is never re-issued to extend it",
    schema: { type: "string" as const },
  },
};
const clearedCookie = { "Set-Cookie": { description: "sid=; Max-Age=0 (cookie cleared)", schema: { type: "string" as const } } };

const register = apiRoute({
  access: "public",
  noStore: true,
  method: "post",
  path: "/api/auth/register",
  operationId: "register",
  tags: ["Auth"],
  summary: "Create an account and sign in",
  description:
    "The new session's token comes back in the body and as the sid cookie. Counted by the auth rate limit as well as the default one.",
  middleware: [jsonBody()],
  request: { body: credentialsBody },
  responses: {
    201: apiJson(AuthResultSchema, "Registered and signed in", sessionCookie),
    409: errorResponse("Email already registered"),
    422: errorResponse("Invalid email or password length"),
    429: errorResponse("Rate limited (default or auth policy)"),
  },
});

const login = apiRoute({
  access: "public",
  noStore: true,
  method: "post",
  path: "/api/auth/login",
  operationId: "login",
  tags: ["Auth"],
  summary: "Sign in (a new session every time; the caller's previous session is ended)",
  description:
    "One message for an unknown email and a wrong password, answered in the same time. Counted by the auth rate limit as well as the default one.",
  middleware: [jsonBody()],
  request: { body: credentialsBody },
  responses: {
    200: apiJson(AuthResultSchema, "Signed in", sessionCookie),
    401: errorResponse("Invalid email or password (one message for both)"),
    429: errorResponse("Rate limited (default or auth policy)"),
  },
});

const logout = apiRoute({
  access: "public",
  noStore: true,
  method: "post",
  path: "/api/auth/logout",
  operationId: "logout",
  tags: ["Auth"],
  summary: "End the current session (idempotent: 204 without one too)",
  description: "Ends the session named by the sid cookie or bearer token, if any, and clears the cookie.",
  // A session is optional here.
  security: [{}, ...sessionSecurity],
  responses: { 204: apiEmpty("Signed out", clearedCookie) },
});

const logoutAll = apiRoute({
  access: "user",
  method: "post",
  path: "/api/auth/logout-all",
  operationId: "logoutAll",
  tags: ["Auth"],
  summary: "End every session of the signed-in user",
  description: "Every session of the caller ends at once, on every instance (one Redis script).",
  responses: { 204: apiEmpty("All sessions ended", clearedCookie) },
});

const me = apiRoute({
  access: "user",
  method: "get",
  path: "/api/auth/me",
  operationId: "getCurrentUser",
  tags: ["Auth"],
  summary: "The signed-in user and session",
  description:
    "Reading it slides the session's expiry forward, as any authenticated request does (public cached reads included); the expiry is extended server-side, and no response re-issues the cookie for it.",
  responses: { 200: apiJson(MeSchema, "Current user") },
});

const publicUser = (user: SessionUser) => ({ id: user.id, email: user.email, roles: user.roles });

const sessionsUnavailable = (error: unknown): never => {
  throw new SessionsUnavailableError(error);
};

/** The /api/auth routes, as a router to mount at `/`. */
export function authRoutes() {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(register, async (c) => {
    const { email, password } = c.req.valid("json");
    await enforceAuthLimit(c);
    const { users, sessions } = c.get("services");
    const user = await users.create({ email, passwordHash: await hashPassword(password), roles: ["user"] });
    if (!user) throw new AppError(409, "EMAIL_TAKEN", "An account with this email already exists");
    const created = await sessions.create(user).catch(async (error: unknown) => {
      // No half-registered accounts: without a session the request failed, so undo it.
      await users.delete(user.id);
      return sessionsUnavailable(error);
    });
    setSessionCookie(c, created.token);
    await rememberSignIn(c, email);
    return c.json({ status: "success" as const, data: { user: publicUser(user), token: created.token } }, 201);
  });

  app.openapi(login, async (c) => {
    const { email, password } = c.req.valid("json");
    await enforceAuthLimit(c, email);
    const { users, sessions } = c.get("services");
    const user = await users.findByEmail(email);
    // Unknown emails cost a full hash check too, so timing does not reveal which emails exist.
    const valid = await verifyPassword(password, user?.passwordHash ?? UNKNOWN_USER_HASH);
    if (!user || !valid) throw new AppError(401, "INVALID_CREDENTIALS", "Invalid email or password");
    const previous = c.get("principal");
    const created = await sessions.create(user).catch(sessionsUnavailable);
    // No fixation: the session this client held before is ended, not left usable.
    if (previous?.kind === "user") {
      await sessions
        .revoke(previous.session)
        .catch((error: unknown) => c.get("logger").warn("could not end the previous session", { error }));
    }
    setSessionCookie(c, created.token);
    await rememberSignIn(c, email);
    return c.json({ status: "success" as const, data: { user: publicUser(user), token: created.token } }, 200);
  });

  app.openapi(logout, async (c) => {
    const principal = c.get("principal");
    if (principal?.kind === "user") await c.get("services").sessions.revoke(principal.session).catch(sessionsUnavailable);
    else if (c.get("sessionsUnavailable")) sessionsUnavailable(new Error("session lookup failed"));
    clearSessionCookie(c);
    return c.body(null, 204);
  });

  app.openapi(logoutAll, async (c) => {
    const { user } = userPrincipal(c.get("principal"));
    await c.get("services").sessions.revokeAll(user.id).catch(sessionsUnavailable);
    clearSessionCookie(c);
    return c.body(null, 204);
  });

  app.openapi(me, async (c) => {
    const { session } = userPrincipal(c.get("principal"));
    const user = await c.get("services").users.findById(session.userId);
    if (!user) throw new AppError(401, "UNAUTHORIZED", "This account no longer exists");
    const { createdAt, lastAccessedAt, expiresAt } = session;
    return c.json({ status: "success" as const, data: { user: publicUser(user), session: { createdAt, lastAccessedAt, expiresAt } } }, 200);
  });

  return app;
}
