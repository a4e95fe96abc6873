/**
 * The probe (`npm run probe`, scripts/probe/) in short form: three app processes on one
 * SQLite file and one redis-server, a few seconds of mixed traffic on random instances, the
 * history checked. Strict mode, no fault, Redis paused, Redis killed and restarted, and drift
 * repaired by the consistency run: no acknowledged write lost, no read older than an
 * acknowledged write, none going backwards, no deleted product served, the cache equal to
 * the database after quiescence, no 5xx but strict refusals (503). Counts, never timings.
 */
import { describe, expect, it } from "vitest";
import type { Fault } from "../../scripts/probe/faults";
import { runProbe } from "../../scripts/probe/probe";
import { details, tableHeader, tableRow } from "../../scripts/probe/report";

const SCENARIO_TIMEOUT_MS = 180_000;

async function probe(fault: Fault) {
  const result = await runProbe({ mode: "strict", fault, instances: 3, clients: 8, seconds: 8, products: 12, auth: "mixed" });
  console.log(`[faults] probe\n${tableHeader()}\n${tableRow(result)}\n${details(result)}`);
  return result;
}

describe("probe: three processes, strict mode", () => {
  for (const fault of ["none", "redis-pause", "redis-restart", "drift"] as const) {
    it(
      `${fault}: nothing lost, nothing stale, cache = database`,
      async () => {
        const result = await probe(fault);
        // The run did something: writes were acknowledged and reads answered.
        expect(result.counts.ackedWrites).toBeGreaterThan(0);
        expect(result.counts.okReads).toBeGreaterThan(0);
        expect({
          lost: result.lost,
          phantomReads: result.phantomReads,
          stale: result.stale,
          backwards: result.backwards,
          deletedServed: result.deletedServed,
          cacheVsDb: result.cacheVsDb,
          other5xx: result.counts.other5xx,
          ...(fault === "drift" ? { secondRunScore: result.drift?.secondScore } : {}),
        }).toEqual({
          lost: 0,
          phantomReads: 0,
          stale: 0,
          backwards: 0,
          deletedServed: 0,
          cacheVsDb: 0,
          other5xx: 0,
          ...(fault === "drift" ? { secondRunScore: 100 } : {}),
        });
        if (fault === "redis-pause" || fault === "redis-restart") expect(result.faultEvents.length).toBeGreaterThan(0);
      },
      SCENARIO_TIMEOUT_MS,
    );
  }
});
