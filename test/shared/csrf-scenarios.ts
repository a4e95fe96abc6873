import { beforeAll, describe, expect, it } from "vitest";
import { nonCanonicalLast } from "./base64url";
import { json, uniqueEmail, type Harness, type Send } from "./harness";

const password = "correct horse battery";

async function register(send: Send) {
  const response = await send("/api/auth/register", json({ email: uniqueEmail("mac"), password }));
  expect(response.status).toBe(201);
  return ((await response.json()) as { data: { token: string } }).data;
}

/**
 * Issue 23, points 6 and 11, through the front door on both runtimes: the CSRF check applies
 * exactly when the session cookie is the credential that authenticates (never turned off by
 * an Authorization header that is not a bearer token), origins compare by scheme, host and
 * port, CORS_ORIGINS may make credentialed writes, refused origins get no CORS grant, and a
 * MAC counts only in the canonical base64url form we issue.
 */
export function csrfScenarios(harness: Harness) {
  describe("CSRF and CORS: the credential that authenticated decides", () => {
    const shop = "https://shop.example";
    const adminPassword = "admin password for csrf";
    const adminToken = "csrf-scenarios-admin-token";
    let app: Send;
    let adminCookie: string;
    beforeAll(async () => {
      const email = uniqueEmail("csrf-admin");
      // Own Redis namespace: a flush that slipped through would touch no other test's cache.
      app = await harness.app({
        ADMIN_EMAIL: email,
        ADMIN_PASSWORD: adminPassword,
        ADMIN_TOKEN: adminToken,
        CORS_ORIGINS: shop,
        REDIS_PREFIX: `csrf-${crypto.randomUUID().slice(0, 8)}`,
      });
      const login = await app("/api/auth/login", json({ email, password: adminPassword }));
      expect(login.status).toBe(200);
      adminCookie = ((await login.json()) as { data: { token: string } }).data.token;
    });
    const flush = (headers: Record<string, string>) => app("/api/cache", { method: "DELETE", headers });
    const code = async (response: Response) => ((await response.json()) as { code: string }).code;

    it("an Authorization header that is not a bearer token does not turn the check off for the admin cookie", async () => {
      const refused = await flush({
        authorization: "Basic YWRtaW46YWRtaW4=",
        cookie: `sid=${adminCookie}`,
        origin: "https://evil.example",
      });
      expect(refused.status).toBe(403);
      expect(await code(refused)).toBe("CSRF_REJECTED");
      // The same with no Authorization header at all, and with the browser's Sec-Fetch-Site alone.
      expect((await flush({ cookie: `sid=${adminCookie}`, origin: "https://evil.example" })).status).toBe(403);
      expect((await flush({ authorization: "Digest x", cookie: `sid=${adminCookie}`, "sec-fetch-site": "cross-site" })).status).toBe(403);
      expect((await flush({ cookie: `sid=${adminCookie}`, origin: "null" })).status).toBe(403);
    });

    it("a bearer token that authenticates is exempt from the check; one that does not leaves the cookie unused", async () => {
      const operator = await flush({ authorization: `Bearer ${adminToken}`, cookie: `sid=${adminCookie}`, origin: "https://evil.example" });
      expect(operator.status).toBe(200);
      const session = await flush({ authorization: `Bearer ${adminCookie}`, origin: "https://evil.example" });
      expect(session.status).toBe(200);
      // A made-up bearer beside the admin cookie: the cookie is never consulted, so nobody is signed in.
      const madeUp = await flush({ authorization: "Bearer made-up", cookie: `sid=${adminCookie}`, origin: "https://evil.example" });
      expect(madeUp.status).toBe(401);
    });

    it("an Origin that differs from the request's own only by scheme or port is foreign", async () => {
      const own = new URL(harness.origin);
      const otherScheme = `${own.protocol === "https:" ? "http" : "https"}://${own.host}`;
      const otherPort = `${own.protocol}//${own.hostname}:8443`;
      for (const origin of [otherScheme, otherPort, `${own.protocol}//sub.${own.host}`]) {
        const response = await flush({ cookie: `sid=${adminCookie}`, origin });
        expect(response.status, origin).toBe(403);
        expect(await code(response)).toBe("CSRF_REJECTED");
      }
      expect((await flush({ cookie: `sid=${adminCookie}`, origin: own.origin, "sec-fetch-site": "same-origin" })).status).toBe(200);
    });

    it("an origin listed in CORS_ORIGINS makes credentialed writes and reads the answer", async () => {
      const response = await flush({ cookie: `sid=${adminCookie}`, origin: shop, "sec-fetch-site": "cross-site" });
      expect(response.status).toBe(200);
      expect(response.headers.get("access-control-allow-origin")).toBe(shop);
      expect(response.headers.get("access-control-allow-credentials")).toBe("true");
      expect(response.headers.get("vary")).toMatch(/\borigin\b/i);

      const preflight = await app("/api/cache", {
        method: "OPTIONS",
        headers: { origin: shop, "access-control-request-method": "DELETE" },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get("access-control-allow-origin")).toBe(shop);
      expect(preflight.headers.get("access-control-allow-credentials")).toBe("true");
      expect(preflight.headers.get("access-control-allow-methods")).toContain("DELETE");
    });

    it("a refused origin gets neither Access-Control-Allow-Origin nor Access-Control-Allow-Credentials", async () => {
      const preflight = await app("/api/cache", {
        method: "OPTIONS",
        headers: { origin: "https://evil.example", "access-control-request-method": "DELETE" },
      });
      expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
      expect(preflight.headers.get("access-control-allow-credentials")).toBeNull();
      const read = await app("/api/products?limit=1", { headers: { origin: "https://evil.example" } });
      expect(read.status).toBe(200);
      expect(read.headers.get("access-control-allow-origin")).toBeNull();
      expect(read.headers.get("access-control-allow-credentials")).toBeNull();
      expect(read.headers.get("vary")).toMatch(/\borigin\b/i);
    });
  });

  describe("token MACs", () => {
    it("a session token whose MAC ends in a non-canonical character is not ours: it spends no one's per-user budget", async () => {
      const limited = await harness.app(harness.clientAddressing);
      const { token } = await register(limited);
      const from = harness.from(`198.51.100.${Math.floor(Math.random() * 200) + 20}`);
      const remaining = async (presented: string) => {
        const response = await limited("/api/auth/me", { headers: { authorization: `Bearer ${presented}`, ...from } });
        return { status: response.status, remaining: Number(response.headers.get("x-ratelimit-remaining")) };
      };
      const altered = nonCanonicalLast(token);
      expect(altered).not.toBe(token);
      const before = await remaining(token);
      expect(before.status).toBe(200);
      expect((await remaining(altered)).status).toBe(401);
      // Had the altered token's MAC passed, it would have been limited as the user (same budget).
      const after = await remaining(token);
      expect(after.remaining).toBe(before.remaining - 1);
    });
  });
}
