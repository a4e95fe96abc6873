import { describe, expect, it } from "vitest";
import { backgroundRunner } from "../../src/background";
import { demoCatalogue, seedIfEmpty } from "../../src/catalogue/demo-catalogue";
import { CreateProductSchema } from "../../src/http/routes/product-schemas";
import { createTestApp } from "../support/node-app";

describe("demo catalogue", () => {
  it("is deterministic, large, varied and uniquely named", () => {
    const products = demoCatalogue();
    expect(demoCatalogue()).toEqual(products);
    expect(products.length).toBeGreaterThanOrEqual(200);
    expect(new Set(products.map((product) => product.category)).size).toBeGreaterThanOrEqual(6);
    expect(new Set(products.map((product) => product.name)).size).toBe(products.length);
    expect(products.some((product) => !product.isActive)).toBe(true);
    expect(products.some((product) => product.stock === 0)).toBe(true);
  });

  it("passes the API's create validation unchanged", () => {
    for (const product of demoCatalogue()) {
      const parsed = CreateProductSchema.safeParse(product);
      expect(parsed.error?.issues, product.name).toBeUndefined();
      expect(parsed.data).toEqual(product);
    }
  });

  it("seeds an empty database once", async () => {
    const { services, close } = await createTestApp();
    try {
      const products = services.catalogue;
      const background = backgroundRunner(services.logger);
      const expected = demoCatalogue().length;
      expect(await seedIfEmpty(products, background)).toBe(expected);
      expect(await seedIfEmpty(products, background)).toBe(0);
      const { total } = (await products.list({ page: 1, limit: 1, sort: "-createdAt" }, { background })).data;
      expect(total).toBe(expected);
    } finally {
      await close();
    }
  });
});
