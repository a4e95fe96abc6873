import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { Product, ProductPage as Page } from "../../src/catalogue/types";
import { data as body, json, uniqueEmail, type Harness, type Send } from "./harness";

const ADMIN_TOKEN = "catalogue-scenarios-admin-token";
const adminHeaders = { authorization: `Bearer ${ADMIN_TOKEN}` };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const marker = () => crypto.randomUUID().slice(0, 8);

const sample = (overrides: Record<string, unknown> = {}) => ({
  name: "Aviator Sunglasses",
  description: "Polarised lenses in a light titanium frame.",
  price: 19.99,
  stock: 7,
  category: `cat-${marker()}`,
  images: ["https://images.example.com/aviator.jpg"],
  isActive: true,
  ...overrides,
});

/** The catalogue through the front door; the same assertions run on Node and in workerd. */
export function catalogueScenarios(harness: Harness) {
  let send: Send;
  let userToken: string;
  beforeAll(async () => {
    send = await harness.app({ ADMIN_TOKEN });
    userToken = await signUp();
  });

  const signUp = async () =>
    body<{ token: string }>(await send("/api/auth/register", json({ email: uniqueEmail(), password: "catalogue password" }))).then(
      (d) => d.token,
    );
  const create = async (overrides: Record<string, unknown> = {}) => {
    const response = await send("/api/products", json(sample(overrides), adminHeaders));
    expect(response.status).toBe(201);
    return body<Product>(response);
  };
  const list = async (query: string) => {
    const response = await send(`/api/products?${query}`);
    expect(response.status).toBe(200);
    return body<Page>(response);
  };
  const write = (method: string, path: string, payload: unknown, headers: Record<string, string> = adminHeaders) =>
    send(path, { method, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(payload) });

  describe("create and read", () => {
    it("creates (201 + Location) and reads back the same product, price exact to the cent", async () => {
      const response = await send("/api/products", json(sample({ name: "  Padded Name  ", price: 19.99 }), adminHeaders));
      expect(response.status).toBe(201);
      const created = await body<Product>(response);
      expect(response.headers.get("location")).toBe(`/api/products/${created.id}`);
      expect(created).toMatchObject({ name: "Padded Name", price: 19.99, stock: 7, wishlistCount: 0, version: 1, isActive: true });
      expect(created.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
      const read = await send(`/api/products/${created.id}`);
      expect(read.status).toBe(200);
      expect(await body<Product>(read)).toEqual(created);
      for (const price of [0, 0.01, 0.1, 0.3, 1234.56, 999999999.99, 1_000_000_000]) {
        expect((await create({ price })).price).toBe(price);
      }
    });

    it("defaults images to [] and isActive to true", async () => {
      const { images: _i, isActive: _a, ...withoutDefaults } = sample();
      const created = await body<Product>(await send("/api/products", json(withoutDefaults, adminHeaders)));
      expect(created.images).toEqual([]);
      expect(created.isActive).toBe(true);
    });

    it("answers 404 for an unknown id and 400 for a malformed one", async () => {
      const unknown = await send(`/api/products/${crypto.randomUUID()}`);
      expect(unknown.status).toBe(404);
      expect(((await unknown.json()) as { code: string }).code).toBe("PRODUCT_NOT_FOUND");
      expect((await send("/api/products/not%20an%20id")).status).toBe(400);
      expect((await send(`/api/products/${"x".repeat(65)}`)).status).toBe(400);
    });
  });

  describe("who may write", () => {
    it("refuses writes without a session (401) and from a non-admin user (403); ADMIN_TOKEN and an admin session may", async () => {
      const product = await create();
      expect((await send("/api/products", json(sample()))).status).toBe(401);
      expect((await send("/api/products", json(sample(), bearer(userToken)))).status).toBe(403);
      expect((await write("PATCH", `/api/products/${product.id}`, { stock: 1 }, bearer(userToken))).status).toBe(403);
      expect((await send(`/api/products/${product.id}`, { method: "DELETE", headers: bearer(userToken) })).status).toBe(403);
      expect((await send(`/api/products/${product.id}`, { method: "DELETE" })).status).toBe(401);

      const email = uniqueEmail("catalogue-admin");
      const adminApp = await harness.app({ ADMIN_TOKEN, ADMIN_EMAIL: email, ADMIN_PASSWORD: "catalogue admin password" });
      const login = await body<{ token: string }>(await adminApp("/api/auth/login", json({ email, password: "catalogue admin password" })));
      expect((await adminApp("/api/products", json(sample(), bearer(login.token)))).status).toBe(201);
    });
  });

  describe("update", () => {
    it("PATCH changes only the sent fields and bumps the version by one each time", async () => {
      const product = await create();
      const patched = await body<Product>(await write("PATCH", `/api/products/${product.id}`, { stock: 99, price: 5.5 }));
      expect(patched).toMatchObject({ ...product, stock: 99, price: 5.5, version: 2, updatedAt: patched.updatedAt });
      const again = await body<Product>(await write("PATCH", `/api/products/${product.id}`, { name: "Renamed Product" }));
      expect(again).toMatchObject({ name: "Renamed Product", stock: 99, version: 3 });
      expect(await body<Product>(await send(`/api/products/${product.id}`))).toEqual(again);
    });

    it("PUT replaces every writable field, and refuses a body missing one (422)", async () => {
      const product = await create();
      const replacement = sample({ name: "Replaced", category: product.category, images: [], isActive: false, price: 1, stock: 0 });
      const replaced = await write("PUT", `/api/products/${product.id}`, replacement);
      expect(replaced.status).toBe(200);
      expect(await body<Product>(replaced)).toMatchObject({ ...replacement, version: 2 });
      const { images: _images, ...missingImages } = replacement;
      const incomplete = await write("PUT", `/api/products/${product.id}`, missingImages);
      expect(incomplete.status).toBe(422);
      expect(((await incomplete.json()) as { errors: { field: string }[] }).errors[0]!.field).toBe("body.images");
      expect((await body<Product>(await send(`/api/products/${product.id}`))).version).toBe(2);
    });

    it("PATCH and PUT of an unknown id are 404; an empty or read-only-field PATCH is 422", async () => {
      const product = await create();
      expect((await write("PATCH", `/api/products/${crypto.randomUUID()}`, { stock: 1 })).status).toBe(404);
      expect((await write("PUT", `/api/products/${crypto.randomUUID()}`, sample())).status).toBe(404);
      expect((await write("PATCH", `/api/products/${product.id}`, {})).status).toBe(422);
      expect((await write("PATCH", `/api/products/${product.id}`, { version: 10 })).status).toBe(422);
      expect((await write("PATCH", `/api/products/${product.id}`, { wishlistCount: 10 })).status).toBe(422);
      expect(await body<Product>(await send(`/api/products/${product.id}`))).toEqual(product);
    });
  });

  describe("delete", () => {
    it("deletes (204), then the product is 404 and a second delete is 404", async () => {
      const product = await create();
      expect((await send(`/api/products/${product.id}`, { method: "DELETE", headers: adminHeaders })).status).toBe(204);
      expect((await send(`/api/products/${product.id}`)).status).toBe(404);
      expect((await send(`/api/products/${product.id}`, { method: "DELETE", headers: adminHeaders })).status).toBe(404);
    });
  });

  describe("list", () => {
    let category: string;
    let items: Product[];
    beforeAll(async () => {
      category = `List-${marker()}`;
      const specs = [
        { name: "Alpha Lamp", price: 10, isActive: true, description: "A warm DESK lamp for reading." },
        { name: "beta chair", price: 250.5, isActive: true, description: "An office chair with lumbar support." },
        { name: "Gamma Desk", price: 99.99, isActive: false, description: "Standing desk, oak top, no drawers." },
        { name: "Delta Lamp", price: 10, isActive: true, description: "Floor lamp with a dimmer switch." },
        { name: "Epsilon Rug", price: 0.5, isActive: false, description: "Wool rug; 100% natural_fibre." },
      ];
      items = [];
      // Sequential: distinct createdAt order.
      for (const spec of specs) items.push(await create({ ...spec, category }));
    });
    const inCategory = (query = "") => list(`category=${encodeURIComponent(category.toUpperCase())}&${query}`);
    const names = (page: Page) => page.products.map((p) => p.name);

    it("filters by category case-insensitively, newest first by default", async () => {
      const page = await inCategory();
      expect(page.total).toBe(5);
      expect(names(page)).toEqual(["Epsilon Rug", "Delta Lamp", "Gamma Desk", "beta chair", "Alpha Lamp"]);
      expect(page).toMatchObject({ page: 1, limit: 20, totalPages: 1 });
    });

    it("honours isActive=true and isActive=false", async () => {
      expect(names(await inCategory("isActive=true")).sort()).toEqual(["Alpha Lamp", "Delta Lamp", "beta chair"]);
      expect(names(await inCategory("isActive=false")).sort()).toEqual(["Epsilon Rug", "Gamma Desk"]);
    });

    it("filters a price range, inclusive at both ends", async () => {
      expect(names(await inCategory("minPrice=10&maxPrice=99.99&sort=price")).sort()).toEqual(["Alpha Lamp", "Delta Lamp", "Gamma Desk"]);
      expect(names(await inCategory("minPrice=100"))).toEqual(["beta chair"]);
      expect(names(await inCategory("maxPrice=0.5"))).toEqual(["Epsilon Rug"]);
    });

    it("searches name and description case-insensitively; % and _ are literal", async () => {
      expect(names(await inCategory("search=LAMP")).sort()).toEqual(["Alpha Lamp", "Delta Lamp"]);
      expect(names(await inCategory("search=desk")).sort()).toEqual(["Alpha Lamp", "Gamma Desk"]);
      expect(names(await inCategory("search=100%25"))).toEqual(["Epsilon Rug"]);
      expect(names(await inCategory("search=l_mp"))).toEqual([]);
      expect(names(await inCategory("search=_fibre"))).toEqual(["Epsilon Rug"]);
    });

    it("sorts by price, name and createdAt both ways, ties broken by id", async () => {
      const tie = items
        .filter((p) => p.price === 10)
        .map((p) => p.id)
        .sort();
      const byPrice = await inCategory("sort=price");
      expect(byPrice.products.map((p) => p.price)).toEqual([0.5, 10, 10, 99.99, 250.5]);
      expect(byPrice.products.slice(1, 3).map((p) => p.id)).toEqual(tie);
      const byPriceDesc = await inCategory("sort=-price");
      expect(byPriceDesc.products.map((p) => p.price)).toEqual([250.5, 99.99, 10, 10, 0.5]);
      expect(byPriceDesc.products.slice(2, 4).map((p) => p.id)).toEqual([...tie].reverse());
      expect(names(await inCategory("sort=name"))).toEqual(["Alpha Lamp", "Delta Lamp", "Epsilon Rug", "Gamma Desk", "beta chair"]);
      expect(names(await inCategory("sort=-name"))).toEqual(["beta chair", "Gamma Desk", "Epsilon Rug", "Delta Lamp", "Alpha Lamp"]);
      expect(names(await inCategory("sort=createdAt"))).toEqual(["Alpha Lamp", "beta chair", "Gamma Desk", "Delta Lamp", "Epsilon Rug"]);
    });

    it("paginates stably: every product exactly once across pages, under every sort", async () => {
      for (const sort of ["createdAt", "-createdAt", "price", "-price", "name", "-name"]) {
        const seen: string[] = [];
        for (let page = 1; page <= 3; page++) {
          const result = await inCategory(`sort=${sort}&limit=2&page=${page}`);
          expect(result).toMatchObject({ total: 5, totalPages: 3, limit: 2, page });
          seen.push(...result.products.map((p) => p.id));
        }
        expect(seen).toHaveLength(5);
        expect(new Set(seen).size).toBe(5);
        expect((await inCategory(`sort=${sort}&limit=2&page=4`)).products).toEqual([]);
      }
    });

    it.each([
      "page=0",
      "page=abc",
      "page=1.5",
      "limit=0",
      "limit=101",
      "isActive=yes",
      "minPrice=-1",
      "minPrice=1.001",
      "maxPrice=abc",
      "minPrice=10&maxPrice=5",
      "sort=price,name",
      "sort=-id",
      "category=",
      "search=",
      "unknown=1",
      "page=1&page=2",
    ])("rejects ?%s with 400", async (query) => {
      const response = await send(`/api/products?${query}`);
      expect(response.status).toBe(400);
      const error = (await response.json()) as { code: string; errors: { field: string }[] };
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.errors[0]!.field).toMatch(/^query/);
    });
  });

  describe("wishlists", () => {
    it("toggling twice returns to the start; the version counts both changes", async () => {
      const product = await create();
      const toggle = () => send(`/api/products/${product.id}/wishlist`, { method: "POST", headers: bearer(userToken) });
      expect(await body(await toggle())).toEqual({ productId: product.id, wishlisted: true, wishlistCount: 1 });
      const listed = await body<{ products: Product[]; total: number }>(await send("/api/wishlist", { headers: bearer(userToken) }));
      expect(listed.products.map((p) => p.id)).toContain(product.id);
      expect(await body(await toggle())).toEqual({ productId: product.id, wishlisted: false, wishlistCount: 0 });
      const after = await body<Product>(await send(`/api/products/${product.id}`));
      expect(after).toMatchObject({ wishlistCount: 0, version: 3 });
      const wishlist = await body<{ products: Product[] }>(await send("/api/wishlist", { headers: bearer(userToken) }));
      expect(wishlist.products.map((p) => p.id)).not.toContain(product.id);
    });

    it("needs a session (401) and a known product (404)", async () => {
      const product = await create();
      expect((await send(`/api/products/${product.id}/wishlist`, { method: "POST" })).status).toBe(401);
      expect((await send("/api/wishlist")).status).toBe(401);
      expect((await send(`/api/products/${crypto.randomUUID()}/wishlist`, { method: "POST", headers: bearer(userToken) })).status).toBe(
        404,
      );
    });

    it("50 concurrent toggles by 50 users give wishlistCount 50; deleting removes it from every wishlist", async () => {
      const product = await create();
      const tokens = await Promise.all(Array.from({ length: 50 }, () => signUp()));
      const results = await Promise.all(
        tokens.map((token) => send(`/api/products/${product.id}/wishlist`, { method: "POST", headers: bearer(token) })),
      );
      expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
      const after = await body<Product>(await send(`/api/products/${product.id}`));
      expect(after.wishlistCount).toBe(50);
      expect(after.version).toBe(51);
      const first = await body<{ total: number; products: Product[] }>(await send("/api/wishlist", { headers: bearer(tokens[0]!) }));
      expect(first.products.map((p) => p.id)).toEqual([product.id]);

      expect((await send(`/api/products/${product.id}`, { method: "DELETE", headers: adminHeaders })).status).toBe(204);
      for (const token of tokens.slice(0, 5)) {
        const wishlist = await body<{ total: number }>(await send("/api/wishlist", { headers: bearer(token) }));
        expect(wishlist.total).toBe(0);
      }
    }, 60_000);
  });

  describe("properties", () => {
    // The API counts characters as Unicode code points (zod's rule), not UTF-16 units.
    const chars = (s: string) => [...s].length;
    const trimmedText = (min: number, max: number) =>
      fc
        .string({ unit: "grapheme", minLength: min, maxLength: max })
        .map((s) => s.trim())
        .filter((s) => chars(s) >= min && chars(s) <= max);
    const validBody = fc.record({
      name: trimmedText(3, 60),
      description: fc.string({ unit: "grapheme", minLength: 10, maxLength: 200 }).filter((s) => chars(s) >= 10 && chars(s) <= 5000),
      price: fc.integer({ min: 0, max: 100_000_000_000 }).map((cents) => cents / 100),
      stock: fc.integer({ min: 0, max: 1_000_000_000 }),
      category: trimmedText(1, 60),
      images: fc.array(
        fc.stringMatching(/^[a-z0-9-]{1,40}$/).map((path) => `https://img.example.com/${path}.jpg`),
        { maxLength: 10 },
      ),
      isActive: fc.boolean(),
    });

    it("any valid create body round-trips through create and get unchanged", async () => {
      await fc.assert(
        fc.asyncProperty(validBody, async (input) => {
          const response = await send("/api/products", json(input, adminHeaders));
          expect(response.status).toBe(201);
          const created = await body<Product>(response);
          const read = await body<Product>(await send(`/api/products/${created.id}`));
          expect(read).toEqual(created);
          expect(read).toMatchObject(input);
        }),
        { numRuns: 60 },
      );
    }, 60_000);

    it("any invalid create body is 422 and writes nothing", async () => {
      const breakages: [string, unknown][] = [
        ["name", "ab"],
        ["name", "x".repeat(121)],
        ["name", "   "],
        ["name", 42],
        ["description", "too short"],
        ["description", "d".repeat(5001)],
        ["description", "lone \ud800 surrogate"],
        ["price", -0.01],
        ["price", 1.001],
        ["price", 1_000_000_000.01],
        ["price", "19.99"],
        ["price", null],
        ["stock", 1.5],
        ["stock", -1],
        ["stock", 1_000_000_001],
        ["category", ""],
        ["category", "c".repeat(61)],
        ["images", "https://img.example.com/a.jpg"],
        ["images", Array(11).fill("https://img.example.com/a.jpg")],
        ["images", ["ftp://img.example.com/a.jpg"]],
        ["images", ["not a url"]],
        ["images", [`https://img.example.com/${"a".repeat(2048)}`]],
        ["isActive", "true"],
        ["id", "chosen-by-client"],
        ["version", 7],
        ["__proto__", { isAdmin: true }],
      ];
      await fc.assert(
        fc.asyncProperty(validBody, fc.constantFrom(...breakages), async (input, [field, value]) => {
          const tag = `inv${marker()}`;
          const broken = JSON.stringify({
            ...input,
            name: `${tag} ${input.name}`.slice(0, 120),
            description: `${tag} ${input.description}`,
          }).replace(/}$/, `,${JSON.stringify(field)}:${JSON.stringify(value) ?? "null"}}`);
          const response = await send("/api/products", {
            method: "POST",
            headers: { "content-type": "application/json", ...adminHeaders },
            body: broken,
          });
          expect(response.status).toBe(422);
          const error = (await response.json()) as { code: string; errors: { field: string }[] };
          expect(error.code).toBe("VALIDATION_FAILED");
          expect(error.errors.length).toBeGreaterThan(0);
          expect((await list(`search=${tag}`)).total).toBe(0);
        }),
        { numRuns: 60 },
      );
    }, 60_000);
  });
}
