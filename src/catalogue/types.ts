/**
 * @module
 * The catalogue's data as the API and the cache see it: products and their writable fields,
 * list queries and pages, wishlist toggles; the schema number of what is cached; and money's
 * conversion to and from the database's integer cents.
 */

/** The writable fields. */
export interface ProductInput {
  name: string;
  description: string;
  /** Currency units with at most two decimals; stored exactly as integer cents. */
  price: number;
  stock: number;
  category: string;
  images: string[];
  isActive: boolean;
}

/**
 * The shape of what the catalogue caches (Product, and pages of them): bump it with any change
 * to either, so entries written by another deploy are misses instead of being served.
 */
export const CACHE_SCHEMA = 1;

/** A product as the API shows it (and as the cache stores it): the writable fields plus the read-only ones. */
export interface Product extends ProductInput {
  id: string;
  wishlistCount: number;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export const SORTS = ["createdAt", "-createdAt", "price", "-price", "name", "-name"] as const;
type ProductSort = (typeof SORTS)[number];

export interface ProductListQuery {
  page: number;
  limit: number;
  category?: string;
  search?: string;
  isActive?: boolean;
  minPrice?: number;
  maxPrice?: number;
  sort: ProductSort;
}

export interface ProductPage {
  products: Product[];
  total: number;
  page: number;
  limit: number;
  totalPages: number;
}

export interface WishlistToggle {
  productId: string;
  wishlisted: boolean;
  wishlistCount: number;
}

/** Money crosses the API as a number and the database as integer cents, never as a float sum. */
export const toCents = (price: number): number => Math.round(price * 100);
export const fromCents = (cents: number): number => cents / 100;
