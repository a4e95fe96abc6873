import { afterAll, describe, expect, it } from "vitest";
import type { Product, ProductPage } from "../../src/catalogue/types";
import { json } from "../shared/harness";
import { createTestApp } from "../support/node-app";

const ADMIN_TOKEN = "concurrent-patch-admin-token";
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const data = async <T>(response: Response) => ((await response.json()) as { data: T }).data;

const closers: (() => Promise<void>)[] = [];
afterAll(() => Promise.all(closers.map((close) => close())));

describe("concurrent PATCHes of name and of description", () => {
  it("leave the product findable by its final name and its final description", async () => {
    const { app, close } = await createTestApp({ ADMIN_TOKEN });
    closers.push(close);
    const tag = crypto.randomUUID().slice(0, 8);
    const created = await app.request(
      "/api/products",
      json({ name: `start ${tag}`, description: `start description ${tag}`, price: 5, stock: 1, category: `patch-${tag}` }, admin),
    );
    expect(created.status).toBe(201);
    const { id } = await data<Product>(created);

    // Alternating fields, all at once: each PATCH derives the search text from the field it
    // does not send. Many pairs, so some are sure to interleave read and write.
    const patches = Array.from({ length: 100 }, (_, i) =>
      i % 2 === 0 ? { name: `name ${i} ${tag}` } : { description: `description ${i} ${tag}` },
    );
    const responses = await Promise.all(
      patches.map((patch) =>
        app.request(`/api/products/${id}`, {
          method: "PATCH",
          headers: { "content-type": "application/json", ...admin },
          body: JSON.stringify(patch),
        }),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(patches.map(() => 200));

    const final = await data<Product>(await app.request(`/api/products/${id}`));
    expect(final.version).toBe(1 + patches.length);
    const found = async (search: string) =>
      (await data<ProductPage>(await app.request(`/api/products?search=${encodeURIComponent(search)}`))).products.map((p) => p.id);
    expect(await found(final.name)).toEqual([id]);
    expect(await found(final.description)).toEqual([id]);
  });
});
