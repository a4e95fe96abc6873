import { createHash } from "node:crypto";
import type { Product } from "../../src/catalogue/types";
import type { Seen } from "./history/types";

/** The fields of a product its content is compared by (timestamps and id aside). */
export type ProductContent = Omit<Product, "id" | "version" | "createdAt" | "updatedAt">;

/** A product as the API answers it, as far as the probe reads it. */
export type ApiProduct = ProductContent & Pick<Product, "id" | "version">;

/** A short digest of a product's content: the same for the API's JSON, a cache payload and a database row. */
export function digestOf(p: ProductContent): string {
  const canonical = JSON.stringify([p.name, p.description, p.price, p.stock, p.category, p.images, p.isActive, p.wishlistCount]);
  return createHash("sha1").update(canonical).digest("hex").slice(0, 16);
}

/** A product object from a response or a cache payload, as the history records it. */
export function seenOf(product: ProductContent & { version: number }): Seen {
  return { version: product.version, digest: digestOf(product), name: product.name, stock: product.stock };
}

/** The database row's columns, as @libsql/client returns them (src/db/schema.ts). */
export interface ProductRow {
  id: string;
  name: string;
  description: string;
  price_cents: number;
  stock: number;
  category: string;
  category_key: string;
  images: string;
  is_active: number;
  wishlist_count: number;
  version: number;
  created_at: number;
  updated_at: number;
}

export function contentOfRow(row: ProductRow): ProductContent {
  return {
    name: row.name,
    description: row.description,
    price: row.price_cents / 100,
    stock: row.stock,
    category: row.category,
    images: JSON.parse(row.images) as string[],
    isActive: row.is_active !== 0,
    wishlistCount: row.wishlist_count,
  };
}
