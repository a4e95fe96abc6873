/**
 * Reads the state the final checks compare: the database (directly, with @libsql/client),
 * the cache (directly, SCAN + MGET), and every product and the list through every instance.
 */
import { createClient, type Client } from "@libsql/client";
import { Redis } from "ioredis";
import { createRedisKeys, type RedisKeys } from "../../src/redis/keys";
import { CACHE_SCHEMA } from "../../src/catalogue/types";
import type { Cluster } from "./cluster";
import { contentOfRow, digestOf, seenOf, type ApiProduct, type ProductRow } from "./content";
import type { FinalRow } from "./history/types";
import { dataOf, send } from "./http";
import {
  compareCache,
  compareReads,
  idsInCache,
  type CacheSnapshot,
  type Mismatch,
  type DbRow,
  type ExpectedList,
  type InstanceListRead,
  type InstanceRead,
  type StateInput,
} from "./state-check";
import { LIST_LIMIT, listPath } from "./workload";

const SCAN_COUNT = 500;

export async function withDatabase<T>(url: string, use: (db: Client) => Promise<T>): Promise<T> {
  const db = createClient({ url });
  try {
    // The instances may hold the write lock for a moment: wait for it rather than fail.
    await db.execute("PRAGMA busy_timeout = 5000");
    return await use(db);
  } finally {
    db.close();
  }
}

export async function withRedis<T>(url: string, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url, { maxRetriesPerRequest: 2, connectTimeout: 2_000, commandTimeout: 5_000 });
  redis.on("error", () => {});
  try {
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

export async function readRows(db: Client, ids: Iterable<string>): Promise<Map<string, ProductRow>> {
  const result = await db.execute({
    sql: "SELECT * FROM products WHERE id IN (SELECT value FROM json_each(?))",
    args: [JSON.stringify([...ids])],
  });
  return new Map(result.rows.map((row) => [String(row.id), row as unknown as ProductRow]));
}

export const dbRowOf = (row: ProductRow): DbRow => ({ version: row.version, digest: digestOf(contentOfRow(row)) });

/** The probe's list query (category, first page, default sort -createdAt with ties by id) run on the database. */
export async function readExpectedList(db: Client, category: string): Promise<ExpectedList> {
  const key = category.toLowerCase();
  const ids = await db.execute({
    sql: "SELECT id FROM products WHERE category_key = ? ORDER BY created_at DESC, id DESC LIMIT ?",
    args: [key, LIST_LIMIT],
  });
  const total = await db.execute({ sql: "SELECT count(*) AS n FROM products WHERE category_key = ?", args: [key] });
  return { ids: ids.rows.map((row) => String(row.id)), total: Number(total.rows[0]?.n ?? 0) };
}

async function scanValues(redis: Redis, pattern: string): Promise<{ key: string; raw: string }[]> {
  const values: { key: string; raw: string }[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", SCAN_COUNT);
    cursor = next;
    if (keys.length === 0) continue;
    const raws = await redis.mget(keys);
    keys.forEach((key, index) => {
      const raw = raws[index];
      if (raw !== null && raw !== undefined) values.push({ key, raw });
    });
  } while (cursor !== "0");
  return values;
}

export async function readCacheSnapshot(redis: Redis, keys: RedisKeys): Promise<CacheSnapshot> {
  const products = (await scanValues(redis, keys.products)).map(({ key, raw }) => ({ id: key.slice(keys.product("").length), raw }));
  const lists = await scanValues(redis, keys.productLists);
  return { products, lists, generation: Number((await redis.get(keys.listGeneration)) ?? 0) };
}

/** Every id through every instance, then the list through every instance. */
export async function readThroughInstances(
  urls: string[],
  ids: string[],
  category: string,
): Promise<{ reads: InstanceRead[]; listReads: InstanceListRead[] }> {
  const reads: InstanceRead[] = [];
  const listReads: InstanceListRead[] = [];
  await Promise.all(
    urls.map(async (url, instance) => {
      for (const id of ids) {
        const reply = await send(`${url}/api/products/${id}`);
        const product = reply.outcome === 200 ? dataOf<ApiProduct>(reply) : undefined;
        reads.push({ instance, id, outcome: reply.outcome, ...(product ? { seen: seenOf(product) } : {}) });
      }
      const reply = await send(`${url}${listPath(category)}`);
      const page = reply.outcome === 200 ? dataOf<{ products: ApiProduct[]; total: number }>(reply) : undefined;
      listReads.push({
        instance,
        outcome: reply.outcome,
        ...(page ? { items: page.products.map((p) => ({ id: p.id, ...seenOf(p) })), total: page.total } : {}),
      });
    }),
  );
  return { reads, listReads };
}

/** A list query as the catalogue caches it (src/catalogue/types.ts ProductListQuery): the probe's own? */
const isProbeQueryOf = (category: string) => (query: unknown) => {
  const q = query as Record<string, unknown>;
  const others = ["search", "isActive", "minPrice", "maxPrice"].every((field) => q[field] === undefined || q[field] === null);
  return (
    q.page === 1 &&
    q.limit === LIST_LIMIT &&
    q.sort === "-createdAt" &&
    String(q.category).toLowerCase() === category.toLowerCase() &&
    others
  );
};

export interface FinalState {
  /** Each id's row (null: none), for the history's lost-write check; absent without database access. */
  rows?: Map<string, FinalRow>;
  /** Cache entries or instance answers that differ from the database; absent without database access. */
  mismatches?: Mismatch[];
}

/**
 * The final state after quiescence: the cache is compared with the database before and
 * after reading every product and the list through every instance (those reads fill the
 * cache, and what they fill must be right too).
 */
export async function readFinalState(cluster: Cluster, category: string, historyIds: Iterable<string>): Promise<FinalState> {
  const { databaseUrl, redisUrl } = cluster;
  if (!databaseUrl) return {};
  const keys = createRedisKeys(cluster.redisPrefix);
  const snapshot = () => (redisUrl ? withRedis(redisUrl, (redis) => readCacheSnapshot(redis, keys)) : Promise.resolve(undefined));
  return withDatabase(databaseUrl, async (db) => {
    const expectedList = await readExpectedList(db, category);
    const before = await snapshot();
    const ids = new Set([...historyIds, ...expectedList.ids, ...(before ? idsInCache(before, CACHE_SCHEMA) : [])]);
    const { reads, listReads } = await readThroughInstances(cluster.urls, [...ids], category);
    const after = await snapshot();
    for (const id of after ? idsInCache(after, CACHE_SCHEMA) : []) ids.add(id);
    for (const list of listReads) for (const item of list.items ?? []) ids.add(item.id);
    const rows = await readRows(db, ids);
    const input: StateInput = {
      schema: CACHE_SCHEMA,
      rows: new Map([...rows].map(([id, row]) => [id, dbRowOf(row)])),
      isProbeQuery: isProbeQueryOf(category),
      expectedList,
    };
    const mismatches = [
      ...(before ? compareCache(before, input) : []),
      ...compareReads(reads, listReads, input),
      ...(after ? compareCache(after, input) : []),
    ];
    const finalRows = new Map<string, FinalRow>([...ids].map((id) => [id, input.rows.get(id) ?? null]));
    return { rows: finalRows, mismatches };
  });
}
