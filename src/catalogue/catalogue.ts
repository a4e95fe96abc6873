/**
 * @module
 * The catalogue's use cases: create, get, list, update (PATCH and PUT), delete and toggle
 * wishlist, plus the caller's wishlist. Reads are cache-aside through the cache service.
 *
 * A write, in three steps: (1) one round trip marks the product's entry as being written by
 * this writer, opens the list write window and bumps the list generation; (2) the database
 * commit; (3) one round trip writes the new product through to the cache (a tombstone for
 * a delete), bumps the generation again and leaves the window. Lists filled between (1) and
 * (3) may have read the database before the commit: (3)'s bump outdates them, and should (3)
 * never arrive (the instance died), they were filled for seconds only, because the window
 * was open. A commit that fails takes its marker off and leaves the window at once.
 *
 * No HTTP here (src/http/routes/products.ts); the consistency run is ./consistency.ts.
 */
import { sha256, toBase64Url } from "../encoding";
import {
  WriteNotConfirmedError,
  type CacheChange,
  type CachePolicy,
  type CacheService,
  type CacheStatus,
  type Found,
  type Loaded,
} from "../cache/cache-service";
import { bumpGeneration, decrementToZero } from "../cache/scripts";
import type { Metrics } from "../cache/metrics";
import type { ProductRepository } from "../catalogue/repository";
import type { Background } from "../background";
import { AppError } from "../errors";
import type { Logger } from "../logger";
import { ops } from "../redis/commands";
import type { RedisKeys } from "../redis/keys";
import type { RedisPort } from "../redis/port";
import { CACHE_SCHEMA, type Product, type ProductInput, type ProductListQuery, type ProductPage, type WishlistToggle } from "./types";

/** A read's value and how the cache answered it (the X-Cache header). */
export interface Cached<T> {
  data: T;
  cache: CacheStatus;
  /** Names this state of the data (version and cache schema), for an ETag; made without parsing. */
  tag: string;
}

/**
 * A product's cache entry read as early as a request knows the id, so that the read shares
 * a round trip with the request's other Redis work; `get` then uses it.
 */
export interface ProductReadAhead {
  id: string;
  raw: Promise<string | null>;
}

/** Per-request context for reads: where background work (refreshes) goes, and what was read ahead. */
export interface ReadScope {
  background: Background;
  readAhead?: ProductReadAhead;
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
  /**
   * Runs a database read on the primary, not a read replica: for list loads. A list entry is
   * versioned by the Redis generation, which a replica's rows cannot be checked against (a
   * replica behind the write that bumped it would fill the new generation with old rows, and
   * every reader, the writer too, would be served them until the entry expires).
   */
  readPrimary: <T>(read: () => Promise<T>) => Promise<T>;
  /**
   * CACHE_CONSISTENCY. `strict`: a write whose marker Redis did not take is refused before
   * the database is touched, and one whose write-through Redis did not take in time is not
   * acknowledged (503), so no instance serves the previous version after a 2xx. `available`:
   * both go on; other instances may serve the previous version until the owed write-through lands.
   */
  consistency: "strict" | "available";
}

/** How long list fills made while a product write is in progress stay servable (a few seconds at most). */
const LIST_FILL_IN_WINDOW_MS = 2_000;
/** How long the list write window stays open after the last write began, if none closes it (longer than any commit takes). */
const LIST_WRITE_WINDOW_MS = 10_000;

/** Seconds a client is told to wait before retrying a write refused because Redis is unreachable. */
const RETRY_AFTER_S = 1;

/** No product has the id: a 404, or a 412 to a write that asked only that it exist (If-Match: *). */
export class ProductNotFoundError extends AppError {
  constructor() {
    super(404, "PRODUCT_NOT_FOUND", "Product not found");
  }
}

const productNotFound = (): never => {
  throw new ProductNotFoundError();
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

/**
 * What a cached list page promises to be current (what the consistency run compares): every
 * field but those a wishlist toggle moves — `wishlistCount`, and the `version` and
 * `updatedAt` it bumps — which a page may show as of up to a list lifetime ago (a toggle
 * does not move the list generation). A product read by id is always current.
 */
export const listedContent = (page: ProductPage) => ({
  ...page,
  products: page.products.map(({ wishlistCount: _count, version: _version, updatedAt: _updated, ...catalogued }) => catalogued),
});

/** One page of the list from the database. */
export async function loadPage(products: ProductRepository, query: ProductListQuery): Promise<ProductPage> {
  const { products: page, total } = await products.list(query);
  return { products: page, total, page: query.page, limit: query.limit, totalPages: Math.ceil(total / query.limit) };
}

/**
 * The catalogue over its repository and the cache, built once per set of services.
 * @example const { data, cache } = await catalogue.get(id, { background });
 */
export function createCatalogue(deps: CatalogueDependencies) {
  const { products, cache, redis, keys, policies, metrics, logger, readPrimary, consistency } = deps;
  const bumpGenerationOp = () => ops.script(bumpGeneration, [keys.listGeneration], [Date.now() * 1000]);
  const writeWindowListPolicy: CachePolicy = {
    ...policies.list,
    freshMs: Math.min(policies.list.freshMs, LIST_FILL_IN_WINDOW_MS),
    graceMs: 0,
  };

  const loadProduct = async (id: string): Promise<Loaded<Product>> => {
    const product = await products.findById(id);
    return { value: product ?? null, version: product?.version ?? 0 };
  };

  /**
   * One product write (see the module overview). `id`: the product when it exists already (its entry gets
   * a marker); `commit`: the database write, undefined when there is no such product;
   * `toCache`: the write-through of what was committed. `listed`: whether lists must show the
   * change (not for a wishlist toggle, whose count and version lists may show up to a list
   * lifetime old: a toggle must not make every list page a miss). When Redis does not take step (1),
   * strict mode refuses the write (nothing committed); available mode goes on, readers
   * elsewhere bypassing a Redis they cannot reach. The window opens before the first bump,
   * so no reader sees the new generation without it; it stays open while any write is in
   * flight, and for LIST_WRITE_WINDOW_MS at most after one whose step (3) never came.
   */
  async function write<T>(
    id: string | undefined,
    commit: () => Promise<T | undefined>,
    toCache: (written: T, writer: string) => CacheChange,
    background: Background,
    listed = true,
  ): Promise<T> {
    const writer = cache.newWriter();
    const productKey = id === undefined ? undefined : keys.product(id);
    const leaveWindow: CacheChange[] = listed ? [{ key: keys.listWriters, op: ops.script(decrementToZero, [keys.listWriters], []) }] : [];
    const enterWindow = listed
      ? [ops.incrby(keys.listWriters), ops.pexpire(keys.listWriters, LIST_WRITE_WINDOW_MS), bumpGenerationOp()]
      : [];
    // Off the marker (which gives back the entry it replaced) and out of the window, at once.
    const withdraw = () =>
      redis
        .pipeline([
          ...(productKey ? [cache.abandonOp(productKey, policies.product, writer)] : []),
          ...leaveWindow.map((change) => change.op),
        ])
        .catch(() => {});
    try {
      await cache.announce([...(productKey ? [cache.markWriteOp(productKey, writer)] : []), ...enterWindow]);
    } catch (error) {
      metrics.count("errors");
      if (consistency === "strict") {
        // Part of it may have landed (or the replicas may not have it): take back what did.
        await withdraw();
        throw new AppError(
          503,
          "CACHE_UNAVAILABLE",
          "The cache cannot be told of this change right now, so it was not made; try again shortly",
          undefined,
          error,
          { retryAfterS: RETRY_AFTER_S },
        );
      }
      logger.warn("could not mark the product as being written", { error });
    }
    let written: T | undefined;
    try {
      written = await commit();
    } finally {
      // Nothing committed (the database failed, or no such product).
      if (written === undefined) await withdraw();
    }
    if (written === undefined) return productNotFound();
    const changes = [toCache(written, writer), ...(listed ? [{ key: keys.listGeneration, op: bumpGenerationOp() }] : []), ...leaveWindow];
    try {
      await cache.writeThrough(changes, background, { mustLand: consistency === "strict" });
    } catch (error) {
      if (!(error instanceof WriteNotConfirmedError)) throw error;
      throw new AppError(
        503,
        "WRITE_NOT_CONFIRMED",
        "The change was saved, but the cache could not be told of it in time, so other readers may not see it yet; read the product again before retrying",
        undefined,
        error,
        { retryAfterS: RETRY_AFTER_S },
      );
    }
    return written;
  }
  const tagOf = (version: number) => `${version}.${CACHE_SCHEMA}`;
  /** A guarded write that changed nothing: 412 if the product exists (its version moved), else undefined (404). */
  const versionMoved = async (id: string, ifVersion: number | undefined): Promise<undefined> => {
    if (ifVersion !== undefined && (await products.findById(id))) {
      throw new AppError(412, "PRECONDITION_FAILED", "The product has changed since that version (If-Match); read it again");
    }
    return undefined;
  };
  const putProduct = (product: Product, writer: string): CacheChange => ({
    key: keys.product(product.id),
    op: cache.putOp(keys.product(product.id), product.version, product, policies.product, writer),
  });

  return {
    /** The tag (see Cached) of a product as a write returned it. */
    tagOf: (product: Product) => tagOf(product.version),

    create: (input: ProductInput, scope: ReadScope): Promise<Product> =>
      write(undefined, () => products.create(input), putProduct, scope.background),

    readAhead(id: string): ProductReadAhead {
      const raw = redis.run(ops.get(keys.product(id)));
      raw.catch(() => {}); // `get` handles a failure; this keeps an unused one from going unhandled
      return { id, raw };
    },

    /** The product as found: its JSON text passes on unparsed when it came from the cache. */
    async get(id: string, scope: ReadScope): Promise<Cached<Found<Product>>> {
      const readAhead = scope.readAhead?.id === id ? scope.readAhead : undefined;
      const result = await cache.get(keys.product(id), policies.product, () => loadProduct(id), {
        background: scope.background,
        ...(readAhead ? { read: async () => ({ raw: await readAhead.raw }) } : {}),
      });
      return { data: result.found ?? productNotFound(), cache: result.status, tag: tagOf(result.version) };
    },

    async list(query: ProductListQuery, scope: ReadScope): Promise<Cached<ProductPage>> {
      const key = keys.productList(await listKeyHash(query));
      let generation = 0;
      const result = await cache.get(
        key,
        policies.list,
        async (): Promise<Loaded<CachedList>> => ({
          value: { query, page: await readPrimary(() => loadPage(products, query)) },
          version: generation,
        }),
        {
          background: scope.background,
          dependsOn: keys.listGeneration,
          // The generation is read with the entry, before any database query: a list filled
          // from a query that a later write made outdated carries the older generation.
          read: async () => {
            const [current, raw, writers] = await redis.run(ops.mget([keys.listGeneration, key, keys.listWriters]));
            generation = Number(current ?? 0);
            return { raw: raw ?? null, version: generation, ...(Number(writers ?? 0) > 0 ? { fillPolicy: writeWindowListPolicy } : {}) };
          },
        },
      );
      // A list's version is the generation it was read under; any product write moves it on.
      return { data: result.found!.value.page, cache: result.status, tag: `g${result.version}.${CACHE_SCHEMA}` };
    },

    /**
     * PATCH sends some writable fields, PUT all of them; either way the version goes up by one.
     * `ifVersion` (If-Match): only from that version, else 412.
     */
    update: (id: string, changes: Partial<ProductInput>, scope: ReadScope, ifVersion?: number): Promise<Product> =>
      write(
        id,
        async () => (await products.update(id, changes, ifVersion)) ?? (await versionMoved(id, ifVersion)),
        putProduct,
        scope.background,
      ),

    async remove(id: string, scope: ReadScope, ifVersion?: number): Promise<void> {
      // The deletion is a change too: the tombstone outranks every fill of the last version.
      const tombstone = (deleted: { version: number }, writer: string): CacheChange => ({
        key: keys.product(id),
        op: cache.tombstoneOp(keys.product(id), deleted.version + 1, policies.product, writer),
      });
      await write(
        id,
        async () => (await products.delete(id, ifVersion)) ?? (await versionMoved(id, ifVersion)),
        tombstone,
        scope.background,
      );
    },

    async toggleWishlist(userId: string, productId: string, scope: ReadScope): Promise<WishlistToggle> {
      const toggled = await write(
        productId,
        () => products.toggleWishlist(userId, productId),
        (result, writer) => putProduct(result.product, writer),
        scope.background,
        false,
      );
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
