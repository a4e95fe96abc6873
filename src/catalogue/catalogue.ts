import type { ProductRepository } from "../db/products";
import { AppError } from "../errors";
import type { Product, ProductInput, ProductListQuery, ProductPage, WishlistToggle } from "./types";

const productNotFound = (): never => {
  throw new AppError(404, "PRODUCT_NOT_FOUND", "Product not found");
};

/**
 * The catalogue's use cases over the product repository: create, get, list, update (PATCH
 * and PUT), delete and toggle wishlist, plus the caller's wishlist.
 * @example const catalogue = createCatalogue({ products: createProductRepository(db) });
 */
export function createCatalogue({ products }: { products: ProductRepository }) {
  return {
    create: (input: ProductInput): Promise<Product> => products.create(input),

    get: async (id: string): Promise<Product> => (await products.findById(id)) ?? productNotFound(),

    async list(query: ProductListQuery): Promise<ProductPage> {
      const { products: page, total } = await products.list(query);
      return { products: page, total, page: query.page, limit: query.limit, totalPages: Math.ceil(total / query.limit) };
    },

    /** PATCH sends some writable fields, PUT all of them; either way the version goes up by one. */
    update: async (id: string, changes: Partial<ProductInput>): Promise<Product> => (await products.update(id, changes)) ?? productNotFound(),

    async remove(id: string): Promise<void> {
      if (!(await products.delete(id))) productNotFound();
    },

    async toggleWishlist(userId: string, productId: string): Promise<WishlistToggle> {
      const toggled = (await products.toggleWishlist(userId, productId)) ?? productNotFound();
      return { productId, wishlisted: toggled.wishlisted, wishlistCount: toggled.product.wishlistCount };
    },

    async wishlist(userId: string): Promise<{ products: Product[]; total: number }> {
      const list = await products.wishlistOf(userId);
      return { products: list, total: list.length };
    },
  };
}

export type Catalogue = ReturnType<typeof createCatalogue>;
