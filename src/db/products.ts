/**
 * @module
 * The catalogue's repository on drizzle (libSQL and D1): products and wishlists, with money as
 * integer cents and the derived columns (category key, search text) kept in step with the
 * fields they come from.
 */
import { and, asc, count, desc, eq, gte, lte, sql, type SQL } from "drizzle-orm";
import type { ProductRepository } from "../catalogue/repository";
import { fromCents, toCents, type Product, type ProductInput, type ProductListQuery } from "../catalogue/types";
import { AppError } from "../errors";
import type { AppDatabase } from "./database";
import { products, wishlists } from "./schema";

type Row = typeof products.$inferSelect;

const toProduct = (row: Row): Product => ({
  id: row.id,
  name: row.name,
  description: row.description,
  price: fromCents(row.priceCents),
  stock: row.stock,
  category: row.category,
  images: row.images,
  isActive: row.isActive,
  wishlistCount: row.wishlistCount,
  version: row.version,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

/** Attempts (read, then guarded write) of a name-only or description-only update before it gives up. */
const UPDATE_ATTEMPTS = 10;
/** Attempt n first waits a random 0 to n × this many ms. */
const RETRY_JITTER_MS = 5;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const searchTextOf = (name: string, description: string) => `${name}\n${description}`.toLowerCase();

/** Column values for the writable fields present in `input`, with the derived columns kept in step. */
function columnsFor(input: Partial<ProductInput>, current?: Row): Partial<typeof products.$inferInsert> {
  const columns: Partial<typeof products.$inferInsert> = {};
  if (input.name !== undefined) columns.name = input.name;
  if (input.description !== undefined) columns.description = input.description;
  if (input.price !== undefined) columns.priceCents = toCents(input.price);
  if (input.stock !== undefined) columns.stock = input.stock;
  if (input.category !== undefined) {
    columns.category = input.category;
    columns.categoryKey = input.category.toLowerCase();
  }
  if (input.images !== undefined) columns.images = input.images;
  if (input.isActive !== undefined) columns.isActive = input.isActive;
  if (input.name !== undefined || input.description !== undefined) {
    columns.searchText = searchTextOf(input.name ?? current?.name ?? "", input.description ?? current?.description ?? "");
  }
  return columns;
}

const sortColumns = {
  createdAt: products.createdAt,
  price: products.priceCents,
  name: products.name,
} as const;

function filtersOf(query: ProductListQuery): SQL | undefined {
  const conditions: SQL[] = [];
  if (query.category !== undefined) conditions.push(eq(products.categoryKey, query.category.toLowerCase()));
  if (query.isActive !== undefined) conditions.push(eq(products.isActive, query.isActive));
  if (query.minPrice !== undefined) conditions.push(gte(products.priceCents, toCents(query.minPrice)));
  if (query.maxPrice !== undefined) conditions.push(lte(products.priceCents, toCents(query.maxPrice)));
  // instr, not LIKE: the user's % and _ are plain characters.
  if (query.search !== undefined) conditions.push(sql`instr(${products.searchText}, ${query.search.toLowerCase()}) > 0`);
  return conditions.length > 0 ? and(...conditions) : undefined;
}

/** @example const repo = createProductRepository(db); await repo.list({ page: 1, limit: 20, sort: "-createdAt" }); */
export function createProductRepository(db: AppDatabase): ProductRepository {
  return {
    async create(input) {
      const now = new Date();
      const [row] = await db
        .insert(products)
        .values({
          id: crypto.randomUUID(),
          name: input.name,
          description: input.description,
          priceCents: toCents(input.price),
          stock: input.stock,
          category: input.category,
          categoryKey: input.category.toLowerCase(),
          searchText: searchTextOf(input.name, input.description),
          images: input.images,
          isActive: input.isActive,
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      return toProduct(row!);
    },

    async findById(id) {
      const [row] = await db.select().from(products).where(eq(products.id, id)).limit(1);
      return row && toProduct(row);
    },

    async findByIds(ids) {
      if (ids.length === 0) return [];
      // One bound parameter however many ids: D1 refuses a query with more than 100 (a consistency batch has 500).
      return (
        await db
          .select()
          .from(products)
          .where(sql`${products.id} in (select value from json_each(${JSON.stringify(ids)}))`)
      ).map(toProduct);
    },

    async list(query) {
      const where = filtersOf(query);
      const descending = query.sort.startsWith("-");
      const column = sortColumns[query.sort.replace("-", "") as keyof typeof sortColumns];
      const order = descending ? [desc(column), desc(products.id)] : [asc(column), asc(products.id)];
      const [rows, [totals]] = await db.batch([
        db
          .select()
          .from(products)
          .where(where)
          .orderBy(...order)
          .limit(query.limit)
          .offset((query.page - 1) * query.limit),
        db.select({ total: count() }).from(products).where(where),
      ]);
      return { products: rows.map(toProduct), total: totals?.total ?? 0 };
    },

    async update(id, changes, ifVersion) {
      const bumped = { version: sql`${products.version} + 1`, updatedAt: new Date() };
      const atVersion = ifVersion === undefined ? undefined : eq(products.version, ifVersion);
      if ((changes.name === undefined) === (changes.description === undefined)) {
        const [row] = await db
          .update(products)
          .set({ ...columnsFor(changes), ...bumped })
          .where(and(eq(products.id, id), atVersion))
          .returning();
        return row && toProduct(row);
      }
      // searchText needs the field the PATCH leaves alone, read from the row: the update
      // applies only if that field is still as read, so a concurrent change of it never
      // leaves searchText with its old value; otherwise read again. (Guarding on the field,
      // not the version, lets every other concurrent change, a stock update or a wishlist
      // toggle, through without a retry.)
      for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
        // Concurrent losers would otherwise retry in lockstep, and each round only one wins.
        if (attempt > 0) await sleep(Math.random() * RETRY_JITTER_MS * attempt);
        const [current] = await db.select().from(products).where(eq(products.id, id)).limit(1);
        if (!current || (ifVersion !== undefined && current.version !== ifVersion)) return undefined;
        const [row] = await db
          .update(products)
          .set({ ...columnsFor(changes, current), ...bumped })
          .where(
            and(
              eq(products.id, id),
              atVersion,
              changes.name === undefined ? eq(products.name, current.name) : eq(products.description, current.description),
            ),
          )
          .returning();
        if (row) return toProduct(row);
      }
      throw new AppError(409, "CONFLICT", "The product is changing too often to update; try again");
    },

    async delete(id, ifVersion) {
      // One atomic batch: the product (if still at `ifVersion`), then its wishlist entries
      // only if it is gone, so a refused precondition leaves the wishlists alone.
      const [deleted] = await db.batch([
        db
          .delete(products)
          .where(and(eq(products.id, id), ifVersion === undefined ? undefined : eq(products.version, ifVersion)))
          .returning({ version: products.version }),
        db
          .delete(wishlists)
          .where(and(eq(wishlists.productId, id), sql`NOT EXISTS (SELECT 1 FROM ${products} WHERE ${products.id} = ${id})`)),
      ]);
      return deleted[0];
    },

    async toggleWishlist(userId, productId) {
      const now = new Date();
      const entry = and(eq(wishlists.userId, userId), eq(wishlists.productId, productId));
      // One atomic batch: remove the entry if present; otherwise (changes() = 0: the delete
      // removed nothing) add it, if the product exists; then recount from the join table, so
      // the count can never drift from the entries.
      const [, , updated, membership] = await db.batch([
        db.delete(wishlists).where(entry),
        db.insert(wishlists).select(
          db
            .select({
              userId: sql<string>`${userId}`.as("user_id"),
              productId: products.id,
              createdAt: sql<Date>`${now.getTime()}`.as("created_at"),
            })
            .from(products)
            .where(and(eq(products.id, productId), sql`changes() = 0`)),
        ),
        db
          .update(products)
          .set({
            wishlistCount: sql`(SELECT count(*) FROM ${wishlists} WHERE product_id = ${productId})`,
            version: sql`${products.version} + 1`,
            updatedAt: now,
          })
          .where(eq(products.id, productId))
          .returning(),
        db.select({ entries: count() }).from(wishlists).where(entry),
      ]);
      const row = updated[0];
      return row && { product: toProduct(row), wishlisted: (membership[0]?.entries ?? 0) > 0 };
    },

    async wishlistOf(userId) {
      const rows = await db
        .select({ product: products })
        .from(wishlists)
        .innerJoin(products, eq(wishlists.productId, products.id))
        .where(eq(wishlists.userId, userId))
        .orderBy(desc(wishlists.createdAt), asc(products.id));
      return rows.map(({ product }) => toProduct(product));
    },
  };
}
