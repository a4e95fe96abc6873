/**
 * @module
 * Seeding the demo catalogue once when several processes start at the same time on one new
 * database file: a claim kept in the file itself. For `file:` databases only.
 */
import type { Client } from "@libsql/client";

/** A claim older than this is taken for one whose process died before finishing (and releasing it). */
const CLAIM_LIFETIME_MINUTES = 10;

const minutesNow = () => Math.floor(Date.now() / 60_000);

/**
 * Takes the claim to seed an empty database file, in one BEGIN IMMEDIATE transaction (so no
 * other process can check between our check and our claim): true when the products table
 * is empty and nobody holds a live claim. The claim is the minute it was taken, kept in
 * `PRAGMA user_version`, the integer SQLite's file header keeps for the application
 * (nothing else here uses it; a schema change would have to reach D1 as well).
 */
async function claim(client: Client): Promise<boolean> {
  const transaction = await client.transaction("write");
  try {
    const [products] = (await transaction.execute("SELECT EXISTS (SELECT 1 FROM products)")).rows;
    const [claimed] = (await transaction.execute("PRAGMA user_version")).rows;
    if (products?.[0] === 1 || minutesNow() - Number(claimed?.[0] ?? 0) < CLAIM_LIFETIME_MINUTES) return false;
    await transaction.execute(`PRAGMA user_version = ${minutesNow()}`);
    await transaction.commit();
    return true;
  } finally {
    transaction.close();
  }
}

/**
 * For seedIfEmpty: runs the seeding only in the one process that claims it, so several
 * processes starting at once on one new database file seed the demo catalogue once; the
 * others resolve to 0. The claim is released afterwards, so a catalogue emptied later is
 * seeded again as before. (A libSQL server or Turso keeps `user_version` read-only: use
 * this for files only.)
 * @example await seedIfEmpty(catalogue, background, claimingSeed(client));
 */
export function claimingSeed(client: Client) {
  return async (seed: () => Promise<number>): Promise<number> => {
    if (!(await claim(client))) return 0;
    try {
      return await seed();
    } finally {
      // Left in place (the database refused), the claim lapses after its lifetime.
      await client.execute("PRAGMA user_version = 0").catch(() => {});
    }
  };
}
