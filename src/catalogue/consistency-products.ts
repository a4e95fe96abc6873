/**
 * @module
 * The consistency run's product pass: every cached product, walked with SCAN from the saved
 * cursor a page at a time. A page is read with one MGET and its rows with one `IN (…)` query on
 * the primary; each value is judged (./consistency-decision.ts) and the page's repairs go in
 * one round trip. A pass that reaches its page budget saves its cursor; the next run continues there.
 */
import { judgeCachedProduct } from "./consistency-decision";
import { applyRepairs, repairCommand, type ConsistencyContext, type Tally } from "./consistency-pass";
import { ops } from "../redis/commands";
import { scanPages } from "../redis/scan";

export interface ProductPassBudget {
  /** Keys per SCAN page, per MGET and per database query. */
  batchSize: number;
  /** Most SCAN pages read. */
  maxBatches: number;
}

/** Judges and repairs the cached products into `tally`; true when the walk reached the end (its cursor is then cleared). */
export async function checkProducts(
  context: ConsistencyContext,
  tally: Tally,
  { batchSize, maxBatches }: ProductPassBudget,
): Promise<boolean> {
  const { redis, cacheRedis, keys, logger } = context;
  let cursor = (await redis.run(ops.get(keys.consistency.cursor))) ?? "0";
  let batches = 0;
  for await (const page of scanPages(cacheRedis, keys.products, batchSize, cursor)) {
    cursor = page.cursor;
    // Every page counts, empty ones too: each is a round trip (a subrequest on Workers), and
    // SCAN MATCH over a namespace of mostly other keys returns many empty pages.
    batches += 1;
    if (page.keys.length > 0) {
      await checkProductPage(context, tally, page.keys).catch((error: unknown) => {
        tally.errors += 1;
        logger.warn("consistency batch failed", { error });
      });
    }
    if (batches >= maxBatches) break;
  }
  const complete = cursor === "0";
  if (complete) await redis.run(ops.del(keys.consistency.cursor));
  else await redis.run(ops.set(keys.consistency.cursor, cursor));
  return complete;
}

async function checkProductPage(
  { cacheRedis, keys, products, productPolicy, readPrimary }: ConsistencyContext,
  tally: Tally,
  pageKeys: string[],
): Promise<void> {
  const idOf = (key: string) => key.slice(keys.product("").length);
  const raws = await cacheRedis.run(ops.mget(pageKeys));
  const rows = new Map((await readPrimary(() => products.findByIds(pageKeys.map(idOf)))).map((row) => [row.id, row]));
  const repairs: ReturnType<typeof repairCommand>[] = [];
  for (const [index, key] of pageKeys.entries()) {
    const decision = judgeCachedProduct(raws[index], rows.get(idOf(key)), productPolicy, Date.now());
    if (!decision) continue;
    tally[decision.verdict] += 1;
    if (decision.verdict !== "consistent") repairs.push(repairCommand(key, decision.repair, productPolicy.freshMs + productPolicy.graceMs));
  }
  await applyRepairs(cacheRedis, repairs, tally);
}
