/**
 * The drift fault, after a quiet workload: cache entries and database rows are changed
 * behind the app's back, in every way the consistency run must repair (shared/DESIGN.md),
 * then the run is triggered twice. The first must repair everything, so the second scores
 * 100; the final checks then hold every read and every cache entry to the database.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Client } from "@libsql/client";
import type { Redis } from "ioredis";
import { decodeEntry, encodeEntry } from "../../src/cache/entry";
import { CACHE_SCHEMA } from "../../src/catalogue/types";
import { createRedisKeys, type RedisKeys } from "../../src/redis/keys";
import type { Cluster } from "./cluster";
import { contentOfRow, type ProductRow } from "./content";
import { dataOf, send } from "./http";
import { randomToken } from "./random";
import { withDatabase, withRedis } from "./state";
import { listPath } from "./workload";

export interface DriftResult {
  /** What was changed, one line each. */
  injected: string[];
  /** Ids of made-up products the cache was given (the final checks read them too: 404 expected). */
  orphanIds: string[];
  /** The two runs' reports as the API returned them. */
  reports: Record<string, unknown>[];
  secondScore?: number;
  /** Drift that could not be injected (e.g. the database stayed locked by an instance). */
  failed: string[];
  /** Products and lists still differing from the database after the two runs (probe.ts fills it in). */
  leftAfterRuns?: number;
}

const ENTRY_TTL_MS = 3_600_000;
const RUN_ATTEMPTS = 20;
const CACHE_WAIT_ATTEMPTS = 30;

/** A product as the API shows it, from its row, with some fields made up. */
function productOf(row: ProductRow, overrides: Record<string, unknown> = {}) {
  return {
    id: row.id,
    ...contentOfRow(row),
    version: row.version,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    ...overrides,
  };
}

/** Reads the product through the first instance until its current version is what Redis holds (the DB changes behind this entry). */
async function cacheCurrent(url: string, redis: Redis, keys: RedisKeys, row: ProductRow): Promise<boolean> {
  for (let attempt = 0; attempt < CACHE_WAIT_ATTEMPTS; attempt++) {
    await send(`${url}/api/products/${row.id}`);
    const raw = await redis.get(keys.product(row.id));
    const entry = raw === null ? undefined : decodeEntry(raw, CACHE_SCHEMA);
    if (entry?.kind === "entry" && entry.version === row.version) return true;
    await sleep(100);
  }
  return false;
}

async function inject(cluster: Cluster, db: Client, redis: Redis, category: string): Promise<Omit<DriftResult, "reports">> {
  const failed: string[] = [];
  const keys = createRedisKeys(cluster.redisPrefix);
  const url = cluster.urls[0]!;
  const result = await db.execute({
    sql: "SELECT * FROM products WHERE category_key = ? ORDER BY version DESC, id",
    args: [category.toLowerCase()],
  });
  const rows = result.rows as unknown as ProductRow[];
  const [older, newer, garbage, truncated, otherSchema, tombstoned, bumped, unbumped] = rows;
  if (!older || older.version < 2 || !unbumped || !newer || !garbage || !truncated || !otherSchema || !tombstoned || !bumped) {
    throw new Error(`drift needs 8 products, one at version 2 or more; the workload left ${rows.length}`);
  }
  const injected: string[] = [];
  const freshUntil = Date.now() + ENTRY_TTL_MS;
  const set = (id: string, raw: string, what: string) => {
    injected.push(`${id}: ${what}`);
    return redis.set(keys.product(id), raw, "PX", ENTRY_TTL_MS);
  };
  const entry = (row: ProductRow, version: number, overrides: Record<string, unknown> = {}, schema = CACHE_SCHEMA) =>
    encodeEntry({ kind: "entry", version, freshUntil, schema, value: productOf(row, { version, ...overrides }) });

  await set(
    older.id,
    entry(older, older.version - 1, { name: `Drift older ${older.id.slice(0, 8)}` }),
    `entry at v${older.version - 1}, the database at v${older.version}`,
  );
  await set(
    newer.id,
    entry(newer, newer.version + 100, { name: "Drift made-up payload" }),
    `entry at v${newer.version + 100} with a made-up payload, the database at v${newer.version}`,
  );
  await set(garbage.id, "\u0000garbage, not a cache entry", "garbage");
  await set(truncated.id, entry(truncated, truncated.version).slice(0, 48), "an entry cut off inside its JSON");
  await set(otherSchema.id, entry(otherSchema, otherSchema.version, {}, CACHE_SCHEMA + 1), `an entry of cache schema ${CACHE_SCHEMA + 1}`);
  await set(
    tombstoned.id,
    encodeEntry({ kind: "tombstone", version: tombstoned.version + 1, freshUntil }),
    `tombstone at v${tombstoned.version + 1} over the live product at v${tombstoned.version}`,
  );
  const orphanIds = [`probe-orphan-${randomToken(6)}`, `probe-orphan-${randomToken(6)}`];
  for (const id of orphanIds)
    await set(id, entry({ ...older, id }, 3, { name: "Drift orphan" }), "an entry for an id the database does not have");

  // Behind the cache: entries (and a list page) hold the rows, then the rows change.
  const cached = (await cacheCurrent(url, redis, keys, bumped)) && (await cacheCurrent(url, redis, keys, unbumped));
  if (!cached) injected.push("(the products changed below were not all in the cache first)");
  await send(`${url}${listPath(category)}`);
  const rename = async (row: ProductRow, name: string, bump: boolean, what: string) => {
    try {
      await db.execute({
        sql: `UPDATE products SET name = ?, search_text = ?${bump ? ", version = version + 1" : ""} WHERE id = ?`,
        args: [name, `${name}\n${row.description}`.toLowerCase(), row.id],
      });
      injected.push(`${row.id}: ${what}`);
    } catch (error) {
      // An instance that never released its write lock keeps everyone else out: a finding in itself.
      failed.push(`${row.id}: could not change the row (${(error as Error).message})`);
    }
  };
  await rename(
    bumped,
    "Drift renamed behind the cache, bumped",
    true,
    `database row renamed and bumped to v${bumped.version + 1} behind its cache entry`,
  );
  await rename(
    unbumped,
    "Drift renamed behind the cache, same version",
    false,
    `database row renamed at the same version v${unbumped.version} behind its cache entry`,
  );
  return { injected, orphanIds, failed };
}

/** POST /api/cache/consistency/run (ADMIN_TOKEN); a run already in progress (409) is waited out. */
async function runConsistency(cluster: Cluster): Promise<Record<string, unknown>> {
  for (let attempt = 0; attempt < RUN_ATTEMPTS; attempt++) {
    const reply = await send(
      `${cluster.urls[0]}/api/cache/consistency/run`,
      { method: "POST", headers: { authorization: `Bearer ${cluster.admin.token}` } },
      60_000,
    );
    const report = dataOf<Record<string, unknown>>(reply);
    if (reply.outcome === 200 && report) return report;
    if (reply.outcome !== 409) throw new Error(`consistency run answered ${String(reply.outcome)}`);
    await sleep(500);
  }
  throw new Error("a consistency run stayed in progress");
}

export async function applyDrift(cluster: Cluster, category: string): Promise<DriftResult> {
  const { databaseUrl, redisUrl } = cluster;
  if (!databaseUrl || !redisUrl || !cluster.admin.token)
    throw new Error("drift needs the database, Redis and ADMIN_TOKEN (the probe's own cluster)");
  const injected = await withDatabase(databaseUrl, (db) => withRedis(redisUrl, (redis) => inject(cluster, db, redis, category)));
  const reports = [await runConsistency(cluster), await runConsistency(cluster)];
  const score = reports[1]?.score;
  return { ...injected, reports, ...(typeof score === "number" ? { secondScore: score } : {}) };
}
