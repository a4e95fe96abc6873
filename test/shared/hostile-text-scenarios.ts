import { beforeAll, describe, expect, it } from "vitest";
import type { Product, ProductPage } from "../../src/catalogue/types";
import { data, json, uniqueEmail, type Harness, type Send } from "./harness";

const ADMIN_TOKEN = "hostile-text-admin-token";
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const marker = () => crypto.randomUUID().slice(0, 8);
const sample = (overrides: Record<string, unknown> = {}) => ({
  name: "Hostile Text Lamp",
  description: "A lamp whose fields were written by an attacker.",
  price: 12.5,
  stock: 3,
  category: `hostile-${marker()}`,
  images: ["https://images.example.com/lamp.jpg"],
  ...overrides,
});

type Failure = { status: string; code: string; errors?: { field: string; message: string }[] };

/**
 * Control characters in text through the front door (issue 23, point 7): refused (422 in a
 * body, 400 in a query) rather than stored, where U+0000 would be cut off at a storage
 * boundary; a description keeps its line breaks and tabs. Same assertions on Node and in workerd.
 */
export function hostileTextScenarios(harness: Harness) {
  let send: Send;
  beforeAll(async () => {
    send = await harness.app({ ADMIN_TOKEN });
  });
  const create = (overrides: Record<string, unknown>) => send("/api/products", json(sample(overrides), admin));
  const refusedField = async (response: Response, status: number, field: string) => {
    expect(response.status).toBe(status);
    const failure = (await response.json()) as Failure;
    expect(failure.errors?.map((error) => error.field)).toContain(field);
  };

  describe("control characters in text fields", () => {
    it('a name with U+0000 ("ab\\u0000cdefgh") is 422, not stored as "ab"; nothing is created', async () => {
      const category = `nul-${marker()}`;
      await refusedField(await create({ name: "ab\u0000cdefgh", category }), 422, "body.name");
      // The hidden tail finds nothing: the product was never stored.
      const page = await data<ProductPage>(await send(`/api/products?search=cdefgh&category=${category}`));
      expect(page.total).toBe(0);
    });

    it("names and categories refuse every control character (C0, DEL, C1), line breaks and tabs included", async () => {
      for (const character of ["\u0000", "\u0001", "\u0007", "\t", "\n", "\r", "\u001b", "\u007f", "\u0085", "\u009f"]) {
        await refusedField(await create({ name: `Lamp${character}Shade` }), 422, "body.name");
        await refusedField(await create({ category: `cat${character}${marker()}` }), 422, "body.category");
      }
      // Around the text too: trimming does not hide a control character at either end.
      await refusedField(await create({ name: "Lamp Shade\n" }), 422, "body.name");
    });

    it("a description keeps \\n and \\t, and refuses any other control character", async () => {
      const created = await create({ description: "Line one\n\tindented line two\nline three" });
      expect(created.status).toBe(201);
      expect((await data<Product>(created)).description).toBe("Line one\n\tindented line two\nline three");
      for (const character of ["\u0000", "\r", "\u000b", "\u000c", "\u001b", "\u007f", "\u0085"]) {
        await refusedField(await create({ description: `A description${character}with a control character` }), 422, "body.description");
      }
    });

    it("PATCH and PUT refuse them as POST does, and the product keeps its text", async () => {
      const product = await data<Product>(await create({}));
      const patched = await send(`/api/products/${product.id}`, {
        method: "PATCH",
        headers: { "content-type": "application/json", ...admin },
        body: JSON.stringify({ name: "Lamp\u0000" }),
      });
      await refusedField(patched, 422, "body.name");
      const { name, description, price, stock, category, images } = product;
      const replaced = await send(`/api/products/${product.id}`, {
        method: "PUT",
        headers: { "content-type": "application/json", ...admin },
        body: JSON.stringify({ name, description: `${description}\u0000`, price, stock, category, images, isActive: true }),
      });
      await refusedField(replaced, 422, "body.description");
      expect(await data<Product>(await send(`/api/products/${product.id}`))).toMatchObject({ name, description, version: 1 });
    });

    it("image URLs refuse spaces and control characters, and say http(s) only", async () => {
      for (const url of [
        "https://images.example.com/a\u0000.jpg",
        "https://images.example.com/a b.jpg",
        "https://images.example.com/\n",
        "ftp://images.example.com/a.jpg",
        "https://",
      ]) {
        await refusedField(await create({ images: [url] }), 422, "body.images.0");
      }
      expect((await create({ images: ["HTTPS://images.example.com/a.jpg?size=2#top"] })).status).toBe(201);
    });

    it("search and category filters with a control character are 400", async () => {
      for (const query of ["search=ab%00cd", "search=%07", "search=lamp%0A", "category=cat%00egory", "category=%C2%85"]) {
        const response = await send(`/api/products?${query}`);
        expect(response.status, query).toBe(400);
        expect(((await response.json()) as Failure).code).toBe("BAD_REQUEST");
      }
    });

    it("an email with a control character is 422 on register and on login", async () => {
      const email = uniqueEmail("ctl").replace("@", "\u0000@");
      for (const path of ["/api/auth/register", "/api/auth/login"]) {
        await refusedField(await send(path, json({ email, password: "hostile password" })), 422, "body.email");
      }
    });
  });
}
