/**
 * Checks a recorded history (pure: ops in, findings out). What the API promises (API.md):
 * a 2xx write is in the database, and after a 2xx write no read, on any instance, returns
 * the previous value. "After" is real time as the probe saw it: a read that started after
 * the write's response arrived. Writes that failed without a 4xx (5xx, timeout, connection
 * lost) may or may not have applied, so they can explain what a read shows but are never
 * required to be seen. Every product in the history belongs to the category the probe's
 * list reads filter on, so a complete list page must hold every product known to exist.
 */
import { isAcked, isIndeterminate, type FinalRow, type ListItem, type Op } from "./types";

export type FindingKind = "lost" | "phantom" | "stale" | "backwards" | "deleted-served";

export interface Finding {
  kind: FindingKind;
  productId: string;
  /** The op the finding is about (the write lost, the read that was wrong). */
  seq: number;
  detail: string;
  /** Stale and deleted-served reads: how long after the acknowledgement it missed the read started (ms). */
  ageMs?: number;
  /** Stale and deleted-served reads: when the read started (performance.now()), to place it among the fault's events. */
  readStart?: number;
}

export interface HistoryVerdict {
  /** Acknowledged writes the database did not keep, or two acknowledgements of one version with different content. */
  lost: Finding[];
  /** Reads of a (version, content) that no write produced. */
  phantom: Finding[];
  /** Reads older than a write acknowledged before they started (a 404 after a create's ack; a list missing or behind). */
  stale: Finding[];
  /** Reads older than another read of the same product that ended before they started. */
  backwards: Finding[];
  /** A product (or a list holding it) served after its delete was acknowledged. */
  deletedServed: Finding[];
  maxStaleAgeMs: number;
}

interface ProductOps {
  writes: Op[];
  reads: Op[];
}

const refused = (op: Op) => typeof op.outcome === "number" && op.outcome >= 400 && op.outcome < 500;
/** A write that may have applied: acknowledged, or failed without a 4xx. */
const mayHaveApplied = (op: Op) => isAcked(op) || isIndeterminate(op);
const ackedVersionWrites = (p: ProductOps) => p.writes.filter((op) => op.kind !== "delete" && isAcked(op) && op.result);
const ackedDeletes = (p: ProductOps) => p.writes.filter((op) => op.kind === "delete" && isAcked(op));
const version = (op: Op) => op.result!.version;
const earliestEnd = (ops: Op[]) => Math.min(...ops.map((op) => op.end));

function groupByProduct(ops: readonly Op[]): Map<string, ProductOps> {
  const byProduct = new Map<string, ProductOps>();
  const of = (id: string) => byProduct.get(id) ?? byProduct.set(id, { writes: [], reads: [] }).get(id)!;
  for (const op of ops) {
    if (op.productId === undefined) continue;
    if (op.kind === "get") of(op.productId).reads.push(op);
    else if (op.kind !== "list") of(op.productId).writes.push(op);
  }
  return byProduct;
}

function lostWrites(id: string, p: ProductOps, final: ReadonlyMap<string, FinalRow> | undefined): Finding[] {
  const lost = new Map<number, Finding>();
  const flag = (op: Op, detail: string) => lost.has(op.seq) || lost.set(op.seq, { kind: "lost", productId: id, seq: op.seq, detail });
  const acked = ackedVersionWrites(p).sort((a, b) => a.end - b.end);

  const firstAtVersion = new Map<number, Op>();
  for (const op of acked) {
    const first = firstAtVersion.get(version(op));
    if (!first) firstAtVersion.set(version(op), op);
    else if (first.result!.digest !== op.result!.digest)
      flag(op, `v${version(op)} acknowledged twice with different content (ops ${first.seq}, ${op.seq})`);
  }

  if (!final?.has(id)) return [...lost.values()];
  const row = final.get(id)!;
  const deletes = ackedDeletes(p);
  if (row === null) {
    if (!p.writes.some((op) => op.kind === "delete" && mayHaveApplied(op))) {
      for (const op of acked) flag(op, `acknowledged v${version(op)}; the database has no row and no delete was sent`);
    } else if (deletes.length > 0) {
      // Ids are never reused: a write acknowledged after the delete's 204 cannot be in the database.
      const deletedAt = earliestEnd(deletes);
      for (const op of acked)
        if (op.start > deletedAt) flag(op, `acknowledged v${version(op)} after the delete's 204; the database has no row`);
    }
    return [...lost.values()];
  }
  for (const op of deletes) flag(op, `delete acknowledged; the database still has the row at v${row.version}`);
  for (const op of acked) {
    if (version(op) > row.version) flag(op, `acknowledged v${version(op)}; the database is at v${row.version}`);
    else if (version(op) === row.version && op.result!.digest !== row.digest)
      flag(op, `acknowledged v${version(op)}; the database holds other content at v${row.version}`);
  }
  return [...lost.values()];
}

function phantomReads(id: string, p: ProductOps): Finding[] {
  const ackedDigests = new Map<number, Set<string>>();
  for (const op of ackedVersionWrites(p))
    (ackedDigests.get(version(op)) ?? ackedDigests.set(version(op), new Set()).get(version(op))!).add(op.result!.digest);
  const names = new Set<string>();
  const stocks = new Set<number>();
  for (const op of p.writes.filter(mayHaveApplied)) {
    if (op.intent?.name !== undefined) names.add(op.intent.name);
    if (op.intent?.stock !== undefined) stocks.add(op.intent.stock);
  }
  const found: Finding[] = [];
  for (const read of p.reads) {
    const seen = read.result;
    if (!seen) continue;
    const acked = ackedDigests.get(seen.version);
    if (acked && !acked.has(seen.digest)) {
      found.push({
        kind: "phantom",
        productId: id,
        seq: read.seq,
        detail: `read v${seen.version} with content other than the acknowledged v${seen.version}`,
      });
    } else if (!acked && (!names.has(seen.name) || !stocks.has(seen.stock))) {
      found.push({
        kind: "phantom",
        productId: id,
        seq: read.seq,
        detail: `read v${seen.version} (name "${seen.name}", stock ${seen.stock}) that no write sent`,
      });
    }
  }
  return found;
}

/** What one observation of a product (a GET, or its entry in a list page) missed, relative to the acks before it. */
function judgeObservation(
  p: ProductOps,
  start: number,
  seen: { version: number },
): { kind: "stale" | "deleted-served"; ageMs: number; detail: string } | undefined {
  const deletes = ackedDeletes(p).filter((op) => op.end < start);
  if (deletes.length > 0)
    return { kind: "deleted-served", ageMs: start - earliestEnd(deletes), detail: `served v${seen.version} after the delete's 204` };
  const missed = ackedVersionWrites(p).filter((op) => op.end < start && version(op) > seen.version);
  if (missed.length === 0) return undefined;
  return {
    kind: "stale",
    ageMs: start - earliestEnd(missed),
    detail: `served v${seen.version} after v${Math.max(...missed.map(version))} was acknowledged`,
  };
}

/** A 404 (or a complete page without the product) although a write was acknowledged before and no delete was sent before it ended. */
function missedExisting(p: ProductOps, start: number, end: number): number | undefined {
  const acked = ackedVersionWrites(p).filter((op) => op.end < start);
  if (acked.length === 0) return undefined;
  if (p.writes.some((op) => op.kind === "delete" && !refused(op) && op.start < end)) return undefined;
  return start - earliestEnd(acked);
}

function staleProductReads(id: string, p: ProductOps): Finding[] {
  const found: Finding[] = [];
  for (const read of p.reads) {
    if (read.outcome === 200 && read.result) {
      const verdict = judgeObservation(p, read.start, read.result);
      if (verdict)
        found.push({
          kind: verdict.kind,
          productId: id,
          seq: read.seq,
          detail: `GET ${verdict.detail}`,
          ageMs: verdict.ageMs,
          readStart: read.start,
        });
    } else if (read.outcome === 404) {
      const ageMs = missedExisting(p, read.start, read.end);
      if (ageMs !== undefined)
        found.push({
          kind: "stale",
          productId: id,
          seq: read.seq,
          detail: "GET 404 after a write was acknowledged",
          ageMs,
          readStart: read.start,
        });
    }
  }
  return found;
}

/** One finding per list read at most of each kind; its age is the oldest of its entries'. */
function staleListReads(lists: readonly Op[], byProduct: ReadonlyMap<string, ProductOps>): Finding[] {
  const found: Finding[] = [];
  for (const list of lists) {
    const page = list.page;
    if (!page) continue;
    const worst = new Map<"stale" | "deleted-served", Finding>();
    const note = (kind: "stale" | "deleted-served", productId: string, ageMs: number, detail: string) => {
      const current = worst.get(kind);
      if (!current || (current.ageMs ?? 0) < ageMs)
        worst.set(kind, { kind, productId, seq: list.seq, detail: `list ${detail}`, ageMs, readStart: list.start });
    };
    const listed = new Map<string, ListItem>(page.map((item) => [item.id, item]));
    for (const item of page) {
      const p = byProduct.get(item.id);
      const verdict = p && judgeObservation(p, list.start, item);
      if (verdict) note(verdict.kind, item.id, verdict.ageMs, verdict.detail);
    }
    // Only a page holding every match can be expected to hold a given product.
    if (list.total !== undefined && list.total <= page.length) {
      for (const [id, p] of byProduct) {
        if (listed.has(id)) continue;
        const ageMs = missedExisting(p, list.start, list.end);
        if (ageMs !== undefined) note("stale", id, ageMs, "without a product whose create was acknowledged");
      }
    }
    found.push(...worst.values());
  }
  return found;
}

/** Per product: a read (or list entry) lower than another read that ended before it started; gone (404) ranks above every version. */
function backwardsReads(ops: readonly Op[]): Finding[] {
  const observations = new Map<string, { seq: number; start: number; end: number; rank: number }[]>();
  const observe = (id: string, op: Op, rank: number) =>
    (observations.get(id) ?? observations.set(id, []).get(id)!).push({ seq: op.seq, start: op.start, end: op.end, rank });
  for (const op of ops) {
    if (op.kind === "get" && op.productId !== undefined) {
      if (op.outcome === 200 && op.result) observe(op.productId, op, op.result.version);
      else if (op.outcome === 404) observe(op.productId, op, Number.POSITIVE_INFINITY);
    } else if (op.kind === "list") {
      for (const item of op.page ?? []) observe(item.id, op, item.version);
    }
  }
  const found: Finding[] = [];
  for (const [id, list] of observations) {
    const byEnd = [...list].sort((a, b) => a.end - b.end);
    const byStart = [...list].sort((a, b) => a.start - b.start);
    let next = 0;
    let highest: (typeof list)[number] | undefined;
    for (const obs of byStart) {
      while (next < byEnd.length && byEnd[next]!.end < obs.start) {
        const done = byEnd[next++]!;
        if (!highest || done.rank > highest.rank) highest = done;
      }
      if (highest && obs.rank < highest.rank) {
        const shown = (rank: number) => (rank === Number.POSITIVE_INFINITY ? "404" : `v${rank}`);
        found.push({
          kind: "backwards",
          productId: id,
          seq: obs.seq,
          detail: `read ${shown(obs.rank)} after op ${highest.seq} had read ${shown(highest.rank)}`,
        });
      }
    }
  }
  return found;
}

/**
 * Every check over one history. `final`: each product's database row after quiescence (the
 * lost-write check compares acknowledged writes with it); without it only what the
 * history itself shows is checked.
 */
export function checkHistory(ops: readonly Op[], final?: ReadonlyMap<string, FinalRow>): HistoryVerdict {
  const byProduct = groupByProduct(ops);
  const lost: Finding[] = [];
  const phantom: Finding[] = [];
  const productStale: Finding[] = [];
  for (const [id, p] of byProduct) {
    lost.push(...lostWrites(id, p, final));
    phantom.push(...phantomReads(id, p));
    productStale.push(...staleProductReads(id, p));
  }
  const lists = ops.filter((op) => op.kind === "list" && op.outcome === 200);
  const staleOrDeleted = [...productStale, ...staleListReads(lists, byProduct)];
  return {
    lost,
    phantom,
    stale: staleOrDeleted.filter((f) => f.kind === "stale"),
    backwards: backwardsReads(ops),
    deletedServed: staleOrDeleted.filter((f) => f.kind === "deleted-served"),
    maxStaleAgeMs: Math.max(0, ...staleOrDeleted.map((f) => f.ageMs ?? 0)),
  };
}

export interface OpCounts {
  ops: number;
  reads: number;
  /** Reads answered 200. */
  okReads: number;
  writes: number;
  ackedWrites: number;
  /** 503 answers, by error code (a strict refusal, sessions unavailable, …). */
  refused503: number;
  refused503ByCode: Record<string, number>;
  /** 5xx other than 503, by status. */
  other5xx: number;
  other5xxByStatus: Record<string, number>;
  timeouts: number;
  unreachable: number;
  xCache: Record<string, number>;
}

export function countOps(ops: readonly Op[]): OpCounts {
  const counts: OpCounts = {
    ops: ops.length,
    reads: 0,
    okReads: 0,
    writes: 0,
    ackedWrites: 0,
    refused503: 0,
    refused503ByCode: {},
    other5xx: 0,
    other5xxByStatus: {},
    timeouts: 0,
    unreachable: 0,
    xCache: {},
  };
  const bump = (record: Record<string, number>, key: string) => (record[key] = (record[key] ?? 0) + 1);
  for (const op of ops) {
    const isRead = op.kind === "get" || op.kind === "list";
    if (isRead) counts.reads += 1;
    else counts.writes += 1;
    if (isRead && op.outcome === 200) counts.okReads += 1;
    if (!isRead && isAcked(op)) counts.ackedWrites += 1;
    if (op.outcome === "timeout") counts.timeouts += 1;
    else if (op.outcome === "unreachable") counts.unreachable += 1;
    else if (op.outcome === 503) {
      counts.refused503 += 1;
      bump(counts.refused503ByCode, op.code ?? "none");
    } else if (op.outcome >= 500) {
      counts.other5xx += 1;
      bump(counts.other5xxByStatus, String(op.outcome));
    }
    if (op.xCache) bump(counts.xCache, op.xCache);
  }
  return counts;
}
