/**
 * The probe's checks (scripts/probe/history/checker.ts, scripts/probe/state-check.ts) on
 * small hand-made histories: each check fires on the history that breaks its rule, and stays
 * quiet on the nearest history that does not (concurrent, indeterminate, or deleted first).
 */
import { describe, expect, it } from "vitest";
import { encodeEntry } from "../../src/cache/entry";
import { checkHistory, countOps } from "../../scripts/probe/history/checker";
import type { FinalRow, Op, Seen } from "../../scripts/probe/history/types";
import { compareCache, compareReads, type DbRow, type StateInput } from "../../scripts/probe/state-check";
import { digestOf, type ProductContent } from "../../scripts/probe/content";

const P = "product-1";

/** A history builder: ops get increasing seq numbers; times are given explicitly (ms). */
function history() {
  const ops: Op[] = [];
  const add = (op: Omit<Op, "seq" | "client" | "instance" | "wallStart" | "wallEnd">) => {
    const full: Op = { seq: ops.length, client: 0, instance: ops.length % 3, wallStart: op.start, wallEnd: op.end, ...op };
    ops.push(full);
    return full;
  };
  /** A write that set content `tag` (name and stock derive from it) and was answered `outcome`, at `version` when 2xx. */
  const write = (
    kind: "create" | "patch" | "put",
    start: number,
    end: number,
    version: number,
    tag: number,
    outcome: Op["outcome"] = kind === "create" ? 201 : 200,
  ) =>
    add({
      kind,
      productId: P,
      start,
      end,
      outcome,
      intent: { name: `name ${tag}`, stock: tag },
      ...(typeof outcome === "number" && outcome < 300 ? { result: seen(version, tag) } : {}),
    });
  const remove = (start: number, end: number, outcome: Op["outcome"] = 204) => add({ kind: "delete", productId: P, start, end, outcome });
  const get = (start: number, end: number, version: number | 404, tag = version === 404 ? 0 : version) =>
    add({
      kind: "get",
      productId: P,
      start,
      end,
      outcome: version === 404 ? 404 : 200,
      ...(version === 404 ? {} : { result: seen(version, tag) }),
    });
  const list = (start: number, end: number, items: { id: string; version: number; tag: number }[], total = items.length) =>
    add({
      kind: "list",
      start,
      end,
      outcome: 200,
      page: items.map((item) => ({ id: item.id, version: item.version, digest: seen(item.version, item.tag).digest })),
      total,
    });
  return { ops, write, remove, get, list };
}

/** What a response showed for content `tag`: the digest names the content, name and stock the markers. */
function seen(version: number, tag: number): Seen {
  return { version, digest: `content-${tag}`, name: `name ${tag}`, stock: tag };
}

const final = (row: FinalRow) => new Map<string, FinalRow>([[P, row]]);

describe("probe checker: acknowledged writes lost", () => {
  it("a history the database kept passes", () => {
    const h = history();
    h.write("create", 0, 1, 1, 1);
    h.write("patch", 2, 3, 2, 2);
    const verdict = checkHistory(h.ops, final({ version: 2, digest: "content-2" }));
    expect(verdict).toMatchObject({ lost: [], phantom: [], stale: [], backwards: [], deletedServed: [] });
  });

  it("fires when the database is below the highest acknowledged version", () => {
    const h = history();
    h.write("create", 0, 1, 1, 1);
    const patch = h.write("patch", 2, 3, 2, 2);
    const verdict = checkHistory(h.ops, final({ version: 1, digest: "content-1" }));
    expect(verdict.lost.map((f) => f.seq)).toEqual([patch.seq]);
  });

  it("fires when the database holds the acknowledged version with other content", () => {
    const h = history();
    h.write("create", 0, 1, 1, 1);
    h.write("patch", 2, 3, 2, 2);
    expect(checkHistory(h.ops, final({ version: 2, digest: "content-9" })).lost).toHaveLength(1);
  });

  it("fires when one version is acknowledged twice with different content, whatever the database holds", () => {
    const h = history();
    h.write("create", 0, 1, 1, 1);
    h.write("patch", 2, 4, 2, 2);
    const second = h.write("patch", 3, 5, 2, 3);
    h.write("patch", 6, 7, 3, 4);
    const verdict = checkHistory(h.ops, final({ version: 3, digest: "content-4" }));
    expect(verdict.lost.map((f) => f.seq)).toEqual([second.seq]);
    expect(checkHistory(h.ops).lost).toHaveLength(1);
  });

  it("fires when the row is gone although no delete was sent, and when an acknowledged delete left it", () => {
    const gone = history();
    gone.write("create", 0, 1, 1, 1);
    expect(checkHistory(gone.ops, final(null)).lost).toHaveLength(1);

    const kept = history();
    kept.write("create", 0, 1, 1, 1);
    const remove = kept.remove(2, 3);
    expect(checkHistory(kept.ops, final({ version: 1, digest: "content-1" })).lost.map((f) => f.seq)).toEqual([remove.seq]);
  });

  it("does not hold an indeterminate write against the database, and accepts a higher version it may have made", () => {
    const h = history();
    h.write("create", 0, 1, 1, 1);
    h.write("patch", 2, 3, 0, 2, 503);
    h.write("patch", 4, 9, 0, 3, "timeout");
    expect(checkHistory(h.ops, final({ version: 2, digest: "content-3" })).lost).toEqual([]);
    expect(checkHistory(h.ops, final({ version: 1, digest: "content-1" })).lost).toEqual([]);
  });

  it("a deleted row after an indeterminate delete is not a loss", () => {
    const h = history();
    h.write("create", 0, 1, 1, 1);
    h.remove(2, 3, "timeout");
    expect(checkHistory(h.ops, final(null)).lost).toEqual([]);
  });
});

describe("probe checker: reads of content no write produced", () => {
  it("fires on a read of an acknowledged version with other content", () => {
    const h = history();
    h.write("create", 0, 1, 1, 1);
    h.write("patch", 2, 3, 2, 2);
    const read = h.get(4, 5, 2, 7);
    expect(checkHistory(h.ops).phantom.map((f) => f.seq)).toEqual([read.seq]);
  });

  it("fires on content no write sent, not on content an indeterminate write sent", () => {
    const h = history();
    h.write("create", 0, 1, 1, 1);
    h.write("patch", 2, 3, 0, 5, 503);
    h.get(4, 5, 2, 5);
    expect(checkHistory(h.ops).phantom).toEqual([]);
    const made = h.get(6, 7, 3, 6);
    expect(checkHistory(h.ops).phantom.map((f) => f.seq)).toEqual([made.seq]);
  });
});

describe("probe checker: stale reads", () => {
  it("fires on a read that started after an ack and returned an older version, with its age", () => {
    const h = history();
    h.write("create", 0, 1, 1, 1);
    h.write("patch", 2, 10, 2, 2);
    const stale = h.get(25, 26, 1);
    const verdict = checkHistory(h.ops);
    expect(verdict.stale.map((f) => f.seq)).toEqual([stale.seq]);
    expect(verdict.maxStaleAgeMs).toBe(15);
  });

  it("does not fire on a read concurrent with the write", () => {
    const h = history();
    h.write("create", 0, 1, 1, 1);
    h.write("patch", 2, 10, 2, 2);
    h.get(9, 12, 1);
    expect(checkHistory(h.ops).stale).toEqual([]);
  });

  it("fires on a 404 after the create's ack, not when a delete was sent before the read ended", () => {
    const h = history();
    h.write("create", 0, 1, 1, 1);
    const missing = h.get(2, 3, 404);
    expect(checkHistory(h.ops).stale.map((f) => f.seq)).toEqual([missing.seq]);
    h.remove(2.5, 20, "timeout");
    expect(checkHistory(h.ops).stale).toEqual([]);
  });

  it("fires on a list page holding an older version, or missing a product although it holds every match", () => {
    const older = history();
    older.write("create", 0, 1, 1, 1);
    older.write("patch", 2, 3, 2, 2);
    older.list(4, 5, [{ id: P, version: 1, tag: 1 }]);
    expect(checkHistory(older.ops).stale).toHaveLength(1);

    const missing = history();
    missing.write("create", 0, 1, 1, 1);
    missing.list(2, 3, [{ id: "other", version: 1, tag: 9 }]);
    expect(checkHistory(missing.ops).stale).toHaveLength(1);
    // A page that does not hold every match (total above its length) may leave it out.
    missing.ops.at(-1)!.total = 101;
    expect(checkHistory(missing.ops).stale).toEqual([]);
  });
});

describe("probe checker: reads going backwards", () => {
  it("fires on a read lower than one that ended before it started, not on overlapping reads", () => {
    const h = history();
    h.write("create", 0, 1, 1, 1);
    h.write("patch", 2, 20, 2, 2); // both reads are concurrent with the write: neither is stale
    h.get(3, 5, 2);
    h.get(4, 6, 1);
    expect(checkHistory(h.ops).backwards).toEqual([]);
    const back = h.get(7, 8, 1);
    expect(checkHistory(h.ops).backwards.map((f) => f.seq)).toEqual([back.seq]);
    expect(checkHistory(h.ops).stale).toEqual([]);
  });

  it("counts a product found again after a read found it gone", () => {
    const h = history();
    h.write("create", 0, 1, 1, 1);
    h.remove(2, 30, "timeout");
    h.get(3, 4, 404);
    h.get(5, 6, 1);
    expect(checkHistory(h.ops).backwards).toHaveLength(1);
  });
});

describe("probe checker: deleted products served", () => {
  it("fires on a GET and a list holding the product after the delete's 204, and counts them apart from stale reads", () => {
    const h = history();
    h.write("create", 0, 1, 1, 1);
    h.remove(2, 3);
    h.get(2.5, 4, 1); // concurrent with the delete: fine
    expect(checkHistory(h.ops).deletedServed).toEqual([]);
    h.get(10, 11, 1);
    h.list(12, 13, [{ id: P, version: 1, tag: 1 }]);
    const verdict = checkHistory(h.ops);
    expect(verdict.deletedServed).toHaveLength(2);
    expect(verdict.stale).toEqual([]);
    expect(verdict.maxStaleAgeMs).toBe(9);
  });
});

describe("probe checker: counts", () => {
  it("tells 503 from other 5xx, and acknowledged writes from the rest", () => {
    const h = history();
    h.write("create", 0, 1, 1, 1);
    h.write("patch", 2, 3, 0, 2, 503);
    h.write("patch", 2, 3, 0, 3, 500);
    h.write("patch", 2, 3, 0, 4, "timeout");
    h.get(4, 5, 1);
    expect(countOps(h.ops)).toMatchObject({
      ops: 5,
      reads: 1,
      okReads: 1,
      writes: 4,
      ackedWrites: 1,
      refused503: 1,
      other5xx: 1,
      timeouts: 1,
    });
  });
});

describe("probe state check: cache and instances against the database", () => {
  const content: ProductContent = {
    name: "A product",
    description: "Its description.",
    price: 1,
    stock: 2,
    category: "probe",
    images: [],
    isActive: true,
    wishlistCount: 0,
  };
  const row: DbRow = { version: 3, digest: digestOf(content) };
  const input: StateInput = { schema: 1, rows: new Map([[P, row]]), isProbeQuery: () => true, expectedList: { ids: [P], total: 1 } };
  const entryOf = (version: number, overrides: Partial<ProductContent> = {}, id = P) =>
    encodeEntry({ kind: "entry", version, freshUntil: Date.now() + 60_000, schema: 1, value: { id, ...content, ...overrides, version } });
  const snapshot = (raw: string, id = P) => ({ products: [{ id, raw }], lists: [], generation: 1 });

  it("passes an entry equal to its row, and a write marker", () => {
    expect(compareCache(snapshot(entryOf(3)), input)).toEqual([]);
    expect(compareCache(snapshot("P|3|99999|writer|"), input)).toEqual([]);
  });

  it("fires on an entry behind, ahead, with other content, a tombstone over a live row, an orphan, and garbage", () => {
    for (const raw of [
      entryOf(2),
      entryOf(4),
      entryOf(3, { name: "Changed behind" }),
      encodeEntry({ kind: "tombstone", version: 4, freshUntil: Date.now() + 60_000 }),
      "garbage",
    ]) {
      expect(compareCache(snapshot(raw), input), raw).toHaveLength(1);
    }
    expect(compareCache(snapshot(entryOf(1, {}, "orphan"), "orphan"), input)).toHaveLength(1);
  });

  it("fires on a current list page that differs, not on one of an older generation", () => {
    const page = (version: number) => ({ products: [{ id: P, ...content, version }], total: 1 });
    const list = (generation: number, version: number) =>
      encodeEntry({
        kind: "entry",
        version: generation,
        freshUntil: Date.now() + 60_000,
        schema: 1,
        value: { query: {}, page: page(version) },
      });
    expect(compareCache({ products: [], lists: [{ key: "k", raw: list(5, 3) }], generation: 5 }, input)).toEqual([]);
    expect(compareCache({ products: [], lists: [{ key: "k", raw: list(5, 2) }], generation: 5 }, input)).toHaveLength(1);
    expect(compareCache({ products: [], lists: [{ key: "k", raw: list(4, 2) }], generation: 5 }, input)).toEqual([]);
  });

  it("fires on an instance answering another version, a 404 for a live row, or a list other than the database's", () => {
    const at = (version: number) => ({ version, digest: row.digest, name: content.name, stock: content.stock });
    expect(
      compareReads(
        [{ instance: 0, id: P, outcome: 200, seen: at(3) }],
        [{ instance: 0, outcome: 200, items: [{ id: P, ...at(3) }], total: 1 }],
        input,
      ),
    ).toEqual([]);
    expect(compareReads([{ instance: 1, id: P, outcome: 200, seen: at(2) }], [], input)).toHaveLength(1);
    expect(compareReads([{ instance: 2, id: P, outcome: 404 }], [], input)).toHaveLength(1);
    expect(compareReads([], [{ instance: 0, outcome: 200, items: [], total: 0 }], input)).toHaveLength(1);
  });

  it("fires on a list holding the database's products in another order", () => {
    const two: StateInput = {
      ...input,
      rows: new Map([
        [P, row],
        ["second", row],
      ]),
      expectedList: { ids: [P, "second"], total: 2 },
    };
    const item = (id: string) => ({ id, version: 3, digest: row.digest, name: content.name, stock: content.stock });
    expect(compareReads([], [{ instance: 0, outcome: 200, items: [item(P), item("second")], total: 2 }], two)).toEqual([]);
    expect(compareReads([], [{ instance: 0, outcome: 200, items: [item("second"), item(P)], total: 2 }], two)).toHaveLength(1);
  });
});
