/**
 * @module
 * The catalogue's port to its database (src/db/products.ts implements it, for libSQL and D1):
 * nothing on this side knows SQL.
 */
import type { Product, ProductInput, ProductListQuery } from "./types";

/** What the catalogue reads and writes in its database, in its own terms. */
export interface ProductRepository {
  create(input: ProductInput): Promise<Product>;
  findById(id: string): Promise<Product | undefined>;
  findByIds(ids: string[]): Promise<Product[]>;
  list(query: ProductListQuery): Promise<{ products: Product[]; total: number }>;
  /**
   * Applies `changes` and bumps `version` in the same statement; undefined when the id is
   * unknown. A change of only one of name/description is guarded by the other one as read
   * (409 CONFLICT if that kept changing under it). With `ifVersion`, only a row still at that
   * version changes (undefined otherwise): the precondition and the write are one statement.
   */
  update(id: string, changes: Partial<ProductInput>, ifVersion?: number): Promise<Product | undefined>;
  /** Deletes the product and its wishlist entries together; resolves to the deleted row's version. */
  delete(id: string, ifVersion?: number): Promise<{ version: number } | undefined>;
  /** Adds or removes the user's wishlist entry; the count is recomputed from the join table in the same batch. */
  toggleWishlist(userId: string, productId: string): Promise<{ product: Product; wishlisted: boolean } | undefined>;
  wishlistOf(userId: string): Promise<Product[]>;
}
