import { beforeAll, describe, expect, it } from "vitest";
import type { Product } from "../../src/catalogue/types";
import { data, json, type Harness, type Send } from "./harness";

const ADMIN_TOKEN = "http-semantics-admin-token";
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const sample = () => ({
  name: "Conditional Clock",
  description: "A clock that knows which version it is.",
  price: 42,
  stock: 3,
  category: `etag-${crypto.randomUUID().slice(0, 8)}`,
});

/** Validators, preconditions and method errors through the front door; the same assertions run on Node and in workerd. */
export function httpSemanticsScenarios(harness: Harness) {
  let send: Send;
  beforeAll(async () => {
    send = await harness.app({ ADMIN_TOKEN });
  });
  const create = async () => data<Product>(await send("/api/products", json(sample(), admin)));
  const patch = (id: string, body: unknown, headers: Record<string, string> = {}) =>
    send(`/api/products/${id}`, {
      method: "PATCH",
      headers: { "content-type": "application/json", ...admin, ...headers },
      body: JSON.stringify(body),
    });

  describe("errors", () => {
    it("no cache keeps an error: every error envelope is Cache-Control: no-store, front-door refusals too", async () => {
      const limited = await harness.app({ ADMIN_TOKEN, RATE_LIMIT_MAX: "1", REDIS_PREFIX: `errors-${crypto.randomUUID().slice(0, 8)}` });
      const foreignCookieWrite = await send("/api/cache", {
        method: "DELETE",
        headers: { cookie: "sid=not-a-session", origin: "https://evil.example" },
      });
      await limited("/api/products?limit=1"); // the one request the limit admits
      const refusals = [
        await send("/nope"),
        await send(`/api/products/${crypto.randomUUID()}`),
        await send("/api/products?limit=0"),
        await send("/api/products", {
          method: "POST",
          headers: { "content-type": "application/json", ...admin },
          body: JSON.stringify({ name: "x".repeat(70_000) }),
        }),
        foreignCookieWrite,
        await limited("/api/products?limit=1"),
      ];
      expect(refusals.map((response) => response.status)).toEqual([404, 404, 400, 413, 403, 429]);
      for (const response of refusals) expect(response.headers.get("cache-control"), String(response.status)).toBe("no-store");
    });
  });

  describe("conditional reads", () => {
    it("a product read carries an ETag and Cache-Control; If-None-Match with it is 304 without a body, on a hit too", async () => {
      const product = await create();
      const first = await send(`/api/products/${product.id}`);
      const etag = first.headers.get("etag")!;
      expect(etag).toMatch(/^"1\.\d+"$/);
      expect(first.headers.get("cache-control")).toBe("public, no-cache");
      const revalidated = await send(`/api/products/${product.id}`, { headers: { "if-none-match": etag } });
      expect(revalidated.status).toBe(304);
      expect(revalidated.headers.get("x-cache")).toBe("HIT");
      expect(revalidated.headers.get("etag")).toBe(etag);
      expect(await revalidated.text()).toBe("");
      // After a write the old tag no longer matches: the new version comes back.
      expect((await patch(product.id, { stock: 9 })).status).toBe(200);
      const changed = await send(`/api/products/${product.id}`, { headers: { "if-none-match": etag } });
      expect(changed.status).toBe(200);
      expect((await data<Product>(changed)).stock).toBe(9);
      expect(changed.headers.get("etag")).not.toBe(etag);
    });

    it("a list page is revalidated the same way, and any product write changes its tag", async () => {
      const product = await create();
      const path = `/api/products?category=${product.category}`;
      const etag = (await send(path)).headers.get("etag")!;
      expect((await send(path, { headers: { "if-none-match": `W/${etag}, "other"` } })).status).toBe(304);
      await create();
      expect((await send(path, { headers: { "if-none-match": etag } })).status).toBe(200);
    });
  });

  describe("preconditions on writes (If-Match)", () => {
    it("PATCH, PUT and DELETE with the current ETag succeed; with an older one they are 412 and change nothing", async () => {
      const product = await create();
      const v1 = (await send(`/api/products/${product.id}`)).headers.get("etag")!;
      const updated = await patch(product.id, { stock: 4 }, { "if-match": v1 });
      expect(updated.status).toBe(200);
      const v2 = updated.headers.get("etag")!;
      expect(v2).toMatch(/^"2\.\d+"$/);

      const stale = await patch(product.id, { stock: 5 }, { "if-match": v1 });
      expect(stale.status).toBe(412);
      expect(await stale.json()).toMatchObject({ code: "PRECONDITION_FAILED" });
      const { name, description, price, category, images, isActive } = product;
      const replaced = await send(`/api/products/${product.id}`, {
        method: "PUT",
        headers: { "content-type": "application/json", ...admin, "if-match": v1 },
        body: JSON.stringify({ name, description, price, stock: 6, category, images, isActive }),
      });
      expect(replaced.status).toBe(412);
      expect((await send(`/api/products/${product.id}`, { method: "DELETE", headers: { ...admin, "if-match": v1 } })).status).toBe(412);
      expect(await data<Product>(await send(`/api/products/${product.id}`))).toMatchObject({ version: 2, stock: 4 });

      expect((await patch(product.id, { stock: 7 }, { "if-match": "not-a-tag" })).status).toBe(412);
      expect((await patch(crypto.randomUUID(), { stock: 7 }, { "if-match": "*" })).status).toBe(412);
      expect((await send(`/api/products/${product.id}`, { method: "DELETE", headers: { ...admin, "if-match": v2 } })).status).toBe(204);
      expect((await send(`/api/products/${product.id}`)).status).toBe(404);
    });
  });

  describe("If-Match lists (RFC 9110 §13.1.1: a list matches when any of its tags does)", () => {
    it('If-Match: "9.1", "1.1" on a product at version 1 writes; a list naming only other versions is 412 and changes nothing', async () => {
      const product = await create();
      const current = (await send(`/api/products/${product.id}`)).headers.get("etag")!; // "1.<schema>"
      const schema = current.slice(3, -1);
      const future = `"9.${schema}"`;
      const listed = await patch(product.id, { stock: 11 }, { "if-match": `${future}, ${current}` });
      expect(listed.status).toBe(200);
      expect(await data<Product>(listed)).toMatchObject({ version: 2, stock: 11 });
      // Now at version 2: a list of older and foreign tags does not match.
      const stale = await patch(product.id, { stock: 12 }, { "if-match": `${current}, "not-ours", W/${future}` });
      expect(stale.status).toBe(412);
      // Order, weak forms, spaces and empty list elements do not matter; DELETE takes a list too.
      const v2 = listed.headers.get("etag")!;
      expect((await patch(product.id, { stock: 13 }, { "if-match": ` , "x", W/${v2} ,${future}` })).status).toBe(200);
      const v3 = `"3.${schema}"`;
      expect(
        (await send(`/api/products/${product.id}`, { method: "DELETE", headers: { ...admin, "if-match": `${current}, ${v3}` } })).status,
      ).toBe(204);
      // A missing product is 404 with a list as with one tag.
      expect((await patch(product.id, { stock: 14 }, { "if-match": `${current}, ${v3}` })).status).toBe(404);
    });
  });

  describe("the index", () => {
    it("GET / links to the docs, the OpenAPI document, the dashboard and health, each of which answers", async () => {
      const index = await send("/");
      expect(index.status).toBe(200);
      const { links } = await data<{ links: Record<string, string> }>(index);
      expect(links).toMatchObject({ docs: "/docs", openapi: "/openapi.json", dashboard: "/dashboard", health: "/health" });
      for (const path of Object.values(links)) expect((await send(path)).status).toBe(200);
    });
  });

  describe("methods", () => {
    it("a wrong method on a known path is 405 with Allow; an unknown path stays 404", async () => {
      const product = await create();
      const wrong = await send(`/api/products/${product.id}/wishlist`, { method: "GET" });
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get("allow")).toBe("POST");
      expect(await wrong.json()).toMatchObject({ status: "error", code: "METHOD_NOT_ALLOWED" });
      const health = await send("/health", { method: "DELETE" });
      expect(health.status).toBe(405);
      expect(health.headers.get("allow")).toBe("GET, HEAD");
      expect((await send("/api/nothing-here")).status).toBe(404);
    });
  });
}
