import { sha256, toBase64Url } from "../auth/encoding";
import type { CachePolicy, CacheService, CacheStatus, Loaded } from "../cache/cache-service";
import type { Metrics } from "../cache/metrics";
import type { ProductRepository } from "../db/products";
import type { Background } from "../env";
import { AppError } from "../errors";
import type { Logger } from "../logger";
import { ops, type Op } from "../redis/commands";
import type { RedisKeys } from "../redis/keys";
import type { RedisPort } from "../redis/port";
import type { Product, ProductInput, ProductListQuery, ProductPage, WishlistToggle } from "./types";

/** A read's value and how the cache answered it (the X-Cache header). */
export interface Cached<T> {
  data: T;
  cache: CacheStatus;
}

/** Per-request context for reads: where background work (refreshes) goes. */
export interface ReadScope {
  background: Background;
  /** The product's raw cache value, when the caller already fetched it with other commands. */
  prefetchedProduct?: Promise<string | null>;
}

export interface CataloguePolicies {
  product: CachePolicy;
  list: CachePolicy;
}

export interface CatalogueDependencies {
  products: ProductRepository;
  cache: CacheService;
  redis: RedisPort;
  keys: RedisKeys;
  policies: CataloguePolicies;
  metrics: Metrics;
  logger: Logger;
}

const productNotFound = (): never => {
  throw new AppError(404, "PRODUCT_NOT_FOUND", "Product not found");
};

/** The list cache key: same filters, same key, however the query string was written. */
async function listKeyHash(query: ProductListQuery): Promise<string> {
  const normalised = [
    query.page,
    query.limit,
    query.sort,
    query.category?.toLowerCase() ?? null,
    query.search?.toLowerCase() ?? null,
    query.isActive ?? null,
    query.minPrice ?? null,
    query.maxPrice ?? null,
  ];
  return toBase64Url(await sha256(JSON.stringify(normalised)));
}

/** A cached list keeps its query, so the consistency run can re-run it and compare. */
export interface CachedList {
  query: ProductListQuery;
  page: ProductPage;
}

/** One page of the list from the database. */
export async function loadPage(products: ProductRepository, query: ProductListQuery): Promise<ProductPage> {
  const { products: page, total } = await products.list(query);
  return { products: page, total, page: query.page, limit: query.limit, totalPages: Math.ceil(total / query.limit) };
}

/**
 * The catalogue's use cases: create, get, list, update (PATCH and PUT), delete and toggle
 * wishlist, plus the caller's wishlist. Reads are cache-aside through the cache service.
 * A change to an existing product first marks its entry as being written, then commits to
 * the database, then (one round trip) writes the new product through to the cache — or a
 * tombstone for a delete — and bumps the list generation.
 * @example const { data, cache } = await catalogue.get(id, { background });
 */
export function createCatalogue(deps: CatalogueDependencies) {
  const { products, cache, redis, keys, policies, metrics, logger } = deps;

  const loadProduct = async (id: string): Promise<Loaded<Product>> => {
    const product = await products.findById(id);
    return { value: product ?? null, version: product?.version ?? 0 };
  };

  /** After a commit: the new state goes to the cache with the list generation bump, in one round trip. */
  const afterCommit = (key: string, change: Op<unknown>, background: Background) =>
    cache.writeThrough([{ key, op: change }, { key: keys.listGeneration, op: ops.incrby(keys.listGeneration) }], background);

  /** Before a change to an existing product: mark its entry (best effort; Redis down means readers bypass anyway). */
  const markPending = (id: string) =>
    redis.run(cache.pendingOp(keys.product(id))).catch((error: unknown) => {
      metrics.count("errors");
      logger.warn("could not mark the product as being written", { error });
    });
  const writeThrough = (product: Product, background: Background) =>
    afterCommit(keys.product(product.id), cache.putOp(keys.product(product.id), product.version, product, policies.product), background);

  return {
    async create(input: ProductInput, scope: ReadScope): Promise<Product> {
      const product = await products.create(input);
      await writeThrough(product, scope.background);
      return product;
    },

    async get(id: string, scope: ReadScope): Promise<Cached<Product>> {
      const prefetched = scope.prefetchedProduct;
      const result = await cache.get(keys.product(id), policies.product, () => loadProduct(id), {
        background: scope.background,
        ...(prefetched ? { read: async () => ({ raw: await prefetched }) } : {}),
      });
      return { data: result.value ?? productNotFound(), cache: result.status };
    },

    async list(query: ProductListQuery, scope: ReadScope): Promise<Cached<ProductPage>> {
      const key = keys.productList(await listKeyHash(query));
      let generation = 0;
      const result = await cache.get(
        key,
        policies.list,
        async (): Promise<Loaded<CachedList>> => ({ value: { query, page: await loadPage(products, query) }, version: generation }),
        {
          background: scope.background,
          dependsOn: keys.listGeneration,
          // The generation is read with the entry, before any database query: a list filled
          // from a query that a later write made outdated carries the older generation.
          read: async () => {
            const [current, raw] = await redis.run(ops.mget([keys.listGeneration, key]));
            generation = Number(current ?? 0);
            return { raw: raw ?? null, minVersion: generation };
          },
        },
      );
      return { data: result.value!.page, cache: result.status };
    },

    /** PATCH sends some writable fields, PUT all of them; either way the version goes up by one. */
    async update(id: string, changes: Partial<ProductInput>, scope: ReadScope): Promise<Product> {
      await markPending(id);
      const product = (await products.update(id, changes)) ?? productNotFound();
      await writeThrough(product, scope.background);
      return product;
    },

    async remove(id: string, scope: ReadScope): Promise<void> {
      await markPending(id);
      const deleted = (await products.delete(id)) ?? productNotFound();
      // The deletion is a change too: the tombstone outranks every fill of the last version.
      await afterCommit(keys.product(id), cache.tombstoneOp(keys.product(id), deleted.version + 1, policies.product), scope.background);
    },

    async toggleWishlist(userId: string, productId: string, scope: ReadScope): Promise<WishlistToggle> {
      await markPending(productId);
      const toggled = (await products.toggleWishlist(userId, productId)) ?? productNotFound();
      await writeThrough(toggled.product, scope.background);
      return { productId, wishlisted: toggled.wishlisted, wishlistCount: toggled.product.wishlistCount };
    },

    /** Per user and small: read from the database, not cached. */
    async wishlist(userId: string): Promise<{ products: Product[]; total: number }> {
      const list = await products.wishlistOf(userId);
      return { products: list, total: list.length };
    },
  };
}

export type Catalogue = ReturnType<typeof createCatalogue>;
