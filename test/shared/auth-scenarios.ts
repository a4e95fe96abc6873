import { beforeAll, describe, expect, it } from "vitest";
import { json, sleep, uniqueEmail, type Harness, type Send } from "./harness";

interface AuthBody {
  status: string;
  data: { user: { id: string; email: string; roles: string[] }; token: string };
}

const password = "correct horse battery";

async function register(send: Send, email = uniqueEmail()) {
  const response = await send("/api/auth/register", json({ email, password }));
  expect(response.status).toBe(201);
  const body = (await response.json()) as AuthBody;
  return { email, token: body.data.token, user: body.data.user, cookie: response.headers.get("set-cookie") ?? "" };
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const cookie = (token: string, extra: Record<string, string> = {}) => ({ headers: { cookie: `sid=${token}`, ...extra } });
const me = (send: Send, token: string) => send("/api/auth/me", bearer(token));

/** Accounts and sessions through the front door; the same assertions run on Node and in workerd. */
export function authScenarios(harness: Harness) {
  let send: Send;
  beforeAll(async () => {
    send = await harness.app();
  });

  describe("register, me, logout", () => {
    it("registers, signs in with cookie and bearer alike, and logs out for good", async () => {
      const { token, user, cookie: setCookie, email } = await register(send);
      expect(user.email).toBe(email.toLowerCase());
      expect(user.roles).toEqual(["user"]);
      // The user id, 256 random bits, a 128-bit MAC.
      expect(token).toMatch(new RegExp(`^${user.id}\\.[A-Za-z0-9_-]{43}\\.[A-Za-z0-9_-]{22}$`));
      expect(setCookie).toContain(`sid=${token}`);

      const viaBearer = await me(send, token);
      expect(viaBearer.status).toBe(200);
      const body = (await viaBearer.json()) as { data: { user: { id: string }; session: Record<string, string> } };
      expect(body.data.user.id).toBe(user.id);
      expect(Date.parse(body.data.session.expiresAt!)).toBeGreaterThan(Date.now());
      expect((await send("/api/auth/me", cookie(token))).status).toBe(200);

      const logout = await send("/api/auth/logout", { method: "POST", ...cookie(token) });
      expect(logout.status).toBe(204);
      expect(logout.headers.get("set-cookie")).toMatch(/sid=;.*Max-Age=0/i);
      expect((await me(send, token)).status).toBe(401);
      expect((await send("/api/auth/me", cookie(token))).status).toBe(401);
    });

    it("compares emails case-insensitively: a differently cased duplicate is 409", async () => {
      const email = uniqueEmail("dup");
      await register(send, email);
      const again = await send("/api/auth/register", json({ email: email.toUpperCase(), password }));
      expect(again.status).toBe(409);
      expect(((await again.json()) as { code: string }).code).toBe("EMAIL_TAKEN");
    });

    it("answers 401 without a session and for a malformed or unknown token", async () => {
      expect((await send("/api/auth/me")).status).toBe(401);
      expect((await me(send, "not-a-token")).status).toBe(401);
      expect((await me(send, "A".repeat(43))).status).toBe(401);
      expect((await me(send, `${crypto.randomUUID()}.${"A".repeat(43)}`)).status).toBe(401);
      expect((await me(send, `${crypto.randomUUID()}.${"A".repeat(43)}.${"A".repeat(22)}`)).status).toBe(401);
    });
  });

  describe("login", () => {
    it("gives a new token every time; the cookie's previous session ends (no fixation)", async () => {
      const { email, token: first } = await register(send);
      const login = (headers: Record<string, string> = {}) =>
        send("/api/auth/login", json({ email: email.toUpperCase(), password }, headers));
      const second = (await (await login()).json()) as AuthBody;
      expect(second.data.token).not.toBe(first);
      expect((await me(send, first)).status).toBe(200); // another device's session is untouched

      const third = await login({ cookie: `sid=${second.data.token}` });
      expect(third.status).toBe(200);
      const thirdToken = ((await third.json()) as AuthBody).data.token;
      expect(thirdToken).not.toBe(second.data.token);
      expect((await me(send, second.data.token)).status).toBe(401);
      expect((await me(send, thirdToken)).status).toBe(200);
    });

    it("answers wrong password and unknown email with identical 401 bodies", async () => {
      const { email } = await register(send);
      const wrong = await send("/api/auth/login", json({ email, password: "wrong password!" }));
      const unknown = await send("/api/auth/login", json({ email: uniqueEmail("nobody"), password }));
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      const strip = ({ requestId: _r, ...rest }: Record<string, unknown>) => rest;
      const [a, b] = [strip((await wrong.json()) as Record<string, unknown>), strip((await unknown.json()) as Record<string, unknown>)];
      expect(a).toEqual(b);
      expect(a).toEqual({ status: "error", code: "INVALID_CREDENTIALS", message: "Invalid email or password" });
    });

    it("a user's logout kills that user's token only", async () => {
      const alice = await register(send);
      const bob = await register(send);
      expect((await send("/api/auth/logout", { method: "POST", ...bearer(bob.token) })).status).toBe(204);
      expect((await me(send, bob.token)).status).toBe(401);
      expect((await send("/api/auth/logout", { method: "POST", ...bearer(bob.token) })).status).toBe(204);
      expect((await me(send, alice.token)).status).toBe(200);
    });

    it("logout-all ends every session of the user and no one else's", async () => {
      const { email, token } = await register(send);
      const other = await register(send);
      const more = await Promise.all(
        [1, 2].map(async () => ((await (await send("/api/auth/login", json({ email, password }))).json()) as AuthBody).data.token),
      );
      expect((await send("/api/auth/logout-all", { method: "POST", ...bearer(token) })).status).toBe(204);
      for (const t of [token, ...more]) expect((await me(send, t)).status).toBe(401);
      expect((await me(send, other.token)).status).toBe(200);
    });
  });

  describe("logout-all racing a login", () => {
    it("a login that lands while logout-all runs leaves no session that a later logout-all misses", async () => {
      // Failure injection (timing): the first Redis reply about the user's session index is
      // held until a login has completed, so the login lands inside logout-all.
      const watch: { key?: string; reached?: () => void; release?: Promise<void> } = {};
      const app = await harness.instance(
        {},
        {
          wrapRedis: (inner) => ({
            ...inner,
            async send(commands, deadline) {
              const replies = await inner.send(commands, deadline);
              if (watch.key && JSON.stringify(commands).includes(watch.key)) {
                watch.key = undefined;
                watch.reached?.();
                await watch.release;
              }
              return replies;
            },
          }),
        },
      );
      const { email, token: first, user } = await register(app.send);
      let release!: () => void;
      const reached = new Promise<void>((resolve) => (watch.reached = resolve));
      watch.release = new Promise<void>((resolve) => (release = resolve));
      watch.key = app.services.keys.userSessions(user.id);

      const logoutAll = app.send("/api/auth/logout-all", { method: "POST", ...bearer(first) });
      await reached;
      const login = await app.send("/api/auth/login", json({ email, password }));
      expect(login.status).toBe(200);
      const { token: during } = ((await login.json()) as AuthBody).data;
      release();
      expect((await logoutAll).status).toBe(204);

      // The session made meanwhile may live on, but then it is indexed: logout-all ends it.
      expect((await me(app.send, first)).status).toBe(401);
      await app.send("/api/auth/logout-all", { method: "POST", ...bearer(during) });
      expect((await me(app.send, during)).status).toBe(401);
    });
  });

  describe("cookies and CSRF", () => {
    it("sets HttpOnly, SameSite=Lax, Path=/, and Secure only on https or with COOKIE_SECURE", async () => {
      const overHttp = await send("http://api.example.com/api/auth/register", json({ email: uniqueEmail(), password }));
      const plain = overHttp.headers.get("set-cookie") ?? "";
      expect(plain).toMatch(/HttpOnly/);
      expect(plain).toMatch(/SameSite=Lax/);
      expect(plain).toMatch(/Path=\//);
      expect(plain).not.toMatch(/Secure/);

      const https = await send("https://api.example.com/api/auth/register", json({ email: uniqueEmail(), password }));
      expect(https.headers.get("set-cookie")).toMatch(/Secure/);

      const forcedApp = await harness.app({ COOKIE_SECURE: "true" });
      const forced = await forcedApp("http://api.example.com/api/auth/register", json({ email: uniqueEmail(), password }));
      expect(forced.headers.get("set-cookie")).toMatch(/Secure/);
    });

    it("refuses a cookie-authenticated unsafe request from a foreign Origin, not a bearer one", async () => {
      const { token } = await register(send);
      const foreign = await send("/api/auth/logout", { method: "POST", ...cookie(token, { origin: "https://evil.example" }) });
      expect(foreign.status).toBe(403);
      expect(((await foreign.json()) as { code: string }).code).toBe("CSRF_REJECTED");
      expect((await me(send, token)).status).toBe(200);
      const crossSite = await send("/api/auth/logout", { method: "POST", ...cookie(token, { "sec-fetch-site": "cross-site" }) });
      expect(crossSite.status).toBe(403);

      const withBearer = await send("/api/auth/logout-all", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, origin: "https://evil.example" },
      });
      expect(withBearer.status).toBe(204);
    });

    it("accepts a same-origin cookie-authenticated request", async () => {
      const { token } = await register(send);
      const same = await send("/api/auth/logout", { method: "POST", ...cookie(token, { origin: harness.origin }) });
      expect(same.status).toBe(204);
    });
  });

  describe("bad input changes nothing", () => {
    const email = uniqueEmail("bad");
    it.each([
      ["malformed JSON", 400, { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" }],
      ["empty body", 400, { method: "POST", headers: { "content-type": "application/json" }, body: "" }],
      [
        "form content type",
        415,
        { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `email=${email}&password=${password}` },
      ],
      ["no content type", 415, { method: "POST", body: JSON.stringify({ email, password }) }],
      ["text body", 415, { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify({ email, password }) }],
      ["missing password", 422, json({ email })],
      ["missing email", 422, json({ password })],
      ["not an email", 422, json({ email: "nope", password })],
      ["overlong email", 422, json({ email: `${"a".repeat(250)}@x.io`, password })],
      ["short password", 422, json({ email, password: "short" })],
      ["overlong password", 422, json({ email, password: "p".repeat(129) })],
      ["wrong types", 422, json({ email: 42, password: ["x"] })],
      ["body over 64 KiB", 413, json({ email, password, padding: "x".repeat(70_000) })],
    ] as const)("%s → %i, and no account is created", async (_label, status, init) => {
      const response = await send("/api/auth/register", init as RequestInit);
      expect(response.status).toBe(status);
      const body = (await response.json()) as { status: string; code: string; requestId: string; errors?: { field: string }[] };
      expect(body.status).toBe("error");
      expect(body.requestId).toBe(response.headers.get("x-request-id"));
      if (status === 422) expect(body.errors?.[0]?.field).toMatch(/^body\./);
      const login = await send("/api/auth/login", json({ email, password }));
      expect(login.status).toBe(401);
    });
  });

  describe("session lifetime", () => {
    it("slides with use and then stays dead after expiry", async () => {
      const shortLived = await harness.app({ SESSION_TTL_S: "2" });
      const { token } = await register(shortLived);
      // Used every 0.7 s, the session outlives its 2 s idle lifetime...
      for (let i = 0; i < 5; i++) {
        await sleep(700);
        expect((await me(shortLived, token)).status).toBe(200);
      }
      // ...then, left idle past it, it is gone and using it again does not bring it back.
      await sleep(2_600);
      expect((await me(shortLived, token)).status).toBe(401);
      expect((await send("/api/auth/logout", { method: "POST", ...bearer(token) })).status).toBe(204);
      expect((await me(shortLived, token)).status).toBe(401);
    }, 20_000);
  });

  describe("when Redis is unreachable", () => {
    it("session endpoints answer 503 SESSIONS_UNAVAILABLE quickly; public ones keep working", async () => {
      const { token } = await register(send);
      const broken = await harness.app(harness.redisDown);
      const started = Date.now();
      const response = await me(broken, token);
      expect(response.status).toBe(503);
      expect(((await response.json()) as { code: string }).code).toBe("SESSIONS_UNAVAILABLE");
      expect(Date.now() - started).toBeLessThan(3_000);

      const email = uniqueEmail("down");
      const registration = await broken("/api/auth/register", json({ email, password }));
      expect(registration.status).toBe(503);
      expect((await broken("/health")).status).toBe(200);
      // The failed registration left nothing behind: the email is still free.
      expect((await send("/api/auth/register", json({ email, password }))).status).toBe(201);
    });
  });

  describe("session cookies and shared caches", () => {
    const ADMIN_TOKEN = "auth-scenarios-admin-token";
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const product = {
      name: "Cache Probe",
      description: "A product read by a signed-in caller.",
      price: 5,
      stock: 1,
      category: `cache-${crypto.randomUUID().slice(0, 8)}`,
    };
    const cacheControl = (response: Response) => response.headers.get("cache-control") ?? "";
    /** What a shared cache needs to know: a response with Set-Cookie, or one that depends on who asks, is never `public`. */
    const storableBySharedCache = (response: Response) =>
      /\bpublic\b/.test(cacheControl(response)) || !/\b(private|no-store)\b/.test(cacheControl(response));

    it("a cookie session due for its sliding refresh reads cached products and lists with no Set-Cookie, public, and its expiry still slides", async () => {
      // 2 s lifetime: a session is due for its refresh 0.5 s after its last one, so every read below is due.
      const app = await harness.app({ ADMIN_TOKEN, SESSION_TTL_S: "2" });
      const created = await app("/api/products", json(product, admin));
      expect(created.status).toBe(201);
      const { id } = ((await created.json()) as { data: { id: string } }).data;
      const reads = [`/api/products/${id}`, `/api/products?category=${product.category}`];
      // The anonymous reads fill the cache; what a signed-in caller gets must be the same shareable response.
      const anonymous = await Promise.all(reads.map(async (path) => (await app(path)).text()));
      const { token } = await register(app);
      const first = (await (await me(app, token)).json()) as { data: { session: { expiresAt: string } } };

      // Only cached product and list reads, every 0.7 s, for longer than the session's 2 s lifetime.
      for (let round = 0; round < 5; round++) {
        await sleep(700);
        for (const [index, path] of reads.entries()) {
          const response = await app(path, cookie(token, { "accept-encoding": "identity" }));
          expect(response.status).toBe(200);
          expect(response.headers.get("x-cache")).not.toBeNull();
          expect(response.headers.get("set-cookie")).toBeNull();
          expect(cacheControl(response)).toBe("public, no-cache");
          expect(response.headers.get("vary") ?? "").not.toMatch(/cookie|authorization/i);
          expect(await response.text()).toBe(anonymous[index]);
          // A revalidation (304) is the same shared response: no cookie either.
          const revalidated = await app(path, cookie(token, { "if-none-match": response.headers.get("etag") ?? "" }));
          expect(revalidated.status).toBe(304);
          expect(revalidated.headers.get("set-cookie")).toBeNull();
          expect(cacheControl(revalidated)).toBe("public, no-cache");
        }
      }
      // The reads alone kept the session alive past its lifetime, and moved its expiry.
      const later = await me(app, token);
      expect(later.status).toBe(200);
      const slid = ((await later.json()) as { data: { session: { expiresAt: string } } }).data.session.expiresAt;
      expect(Date.parse(slid)).toBeGreaterThan(Date.parse(first.data.session.expiresAt) + 2_000);
    }, 20_000);

    it("the sid cookie is a browser-session cookie: no Max-Age or Expires to refresh (the server keeps the sliding lifetime)", async () => {
      const response = await send("/api/auth/register", json({ email: uniqueEmail(), password }));
      expect(response.status).toBe(201);
      // (A write may add the consistency cookie, which has its own 10-minute Max-Age.)
      const sid = response.headers.getSetCookie().filter((value) => value.startsWith("sid="));
      expect(sid).toHaveLength(1);
      expect(sid[0]).not.toMatch(/Max-Age|Expires/i);
    });

    it("register, login, logout, logout-all and me answer Cache-Control: no-store, their errors too", async () => {
      const email = uniqueEmail("nostore");
      const registered = await send("/api/auth/register", json({ email, password }));
      const { token } = ((await registered.json()) as AuthBody).data;
      const login = await send("/api/auth/login", json({ email, password }));
      const { token: second } = ((await login.json()) as AuthBody).data;
      const responses = {
        register: registered,
        "register taken": await send("/api/auth/register", json({ email, password })),
        login,
        "login refused": await send("/api/auth/login", json({ email, password: "wrong password!" })),
        me: await me(send, token),
        "me by cookie": await send("/api/auth/me", cookie(token)),
        "me signed out": await send("/api/auth/me"),
        logout: await send("/api/auth/logout", { method: "POST", ...cookie(second) }),
        "logout-all": await send("/api/auth/logout-all", { method: "POST", ...bearer(token) }),
      };
      for (const [label, response] of Object.entries(responses)) {
        expect(`${label}: ${cacheControl(response)}`).toBe(`${label}: no-store`);
      }
      expect(responses.register.status).toBe(201);
      expect(responses["register taken"].status).toBe(409);
      expect(responses["login refused"].status).toBe(401);
      expect(responses["me signed out"].status).toBe(401);
    });

    it("no response that carries Set-Cookie, or answers for a signed-in caller, can be stored by a shared cache", async () => {
      const app = await harness.app({ ADMIN_TOKEN });
      const email = uniqueEmail("sweep");
      const registered = await app("/api/auth/register", json({ email, password }));
      const { token } = ((await registered.json()) as AuthBody).data;
      const created = await app("/api/products", json(product, { ...admin, origin: harness.origin }));
      const { id } = ((await created.json()) as { data: { id: string } }).data;
      const sent: [string, Response][] = [
        ["register", registered],
        ["login", await app("/api/auth/login", json({ email, password }))],
        ["create product (admin)", created],
        [
          "wishlist toggle (cookie)",
          await app(`/api/products/${id}/wishlist`, { method: "POST", ...cookie(token, { origin: harness.origin }) }),
        ],
        ["wishlist (cookie)", await app("/api/wishlist", cookie(token))],
        ["wishlist (bearer)", await app("/api/wishlist", bearer(token))],
        ["me (cookie)", await app("/api/auth/me", cookie(token))],
        ["cache metrics (admin)", await app("/api/cache/metrics", { headers: admin })],
        ["logout", await app("/api/auth/logout", { method: "POST", ...cookie(token) })],
      ];
      let cookies = 0;
      for (const [label, response] of sent) {
        if (response.headers.get("set-cookie") !== null) cookies++;
        expect({ label, cacheControl: cacheControl(response), storable: storableBySharedCache(response) }).toMatchObject({
          label,
          storable: false,
        });
      }
      expect(cookies).toBeGreaterThanOrEqual(3); // register, login, logout (and, where read-your-writes is on, the writes' consistency cookie)
    });
  });

  describe("admin bootstrap", () => {
    it("creates the ADMIN_EMAIL account with the admin role, and realigns its password", async () => {
      const email = uniqueEmail("admin");
      const first = await harness.app({ ADMIN_EMAIL: email, ADMIN_PASSWORD: "first admin password" });
      const login = await first("/api/auth/login", json({ email, password: "first admin password" }));
      expect(login.status).toBe(200);
      expect(((await login.json()) as AuthBody).data.user.roles).toEqual(["user", "admin"]);

      const second = await harness.app({ ADMIN_EMAIL: email, ADMIN_PASSWORD: "second admin password" });
      expect((await second("/api/auth/login", json({ email, password: "first admin password" }))).status).toBe(401);
      expect((await second("/api/auth/login", json({ email, password: "second admin password" }))).status).toBe(200);
    });
  });
}
