/**
 * The probe's history: every operation one client sent, as the client saw it. Times are
 * `performance.now()` of the probe process (one clock for every client, so "ended before
 * started" compares two real moments), plus the wall clock for reading logs side by side.
 */
export type OpKind = "create" | "patch" | "put" | "delete" | "get" | "list";

/** An HTTP status, or how the request failed without one (a write so failed may or may not have applied). */
export type Outcome = number | "timeout" | "unreachable";

/** A product as a response showed it: its version, a digest of its content, and the fields writes mark. */
export interface Seen {
  version: number;
  digest: string;
  name: string;
  stock: number;
}

/** One entry of a list page. */
export interface ListItem {
  id: string;
  version: number;
  digest: string;
}

export interface Op {
  seq: number;
  client: number;
  instance: number;
  kind: OpKind;
  /** The product; for a create, the id the 201 gave (absent when the create was not acknowledged). */
  productId?: string;
  start: number;
  end: number;
  wallStart: number;
  wallEnd: number;
  outcome: Outcome;
  /** The error envelope's `code`, for a non-2xx with one (tells strict refusals from other 503s). */
  code?: string;
  xCache?: string;
  /** What a 2xx write returned, or a 200 GET showed. */
  result?: Seen;
  /** The unique markers a write sent: the content they put in is the write's fingerprint. */
  intent?: { name?: string; stock?: number };
  /** List reads: the page's entries in order, and the total the response gave. */
  page?: ListItem[];
  total?: number;
}

/** A product's row in the database at the end, in the same terms as Seen (null: no such row). */
export type FinalRow = { version: number; digest: string } | null;

export const WRITE_KINDS: ReadonlySet<OpKind> = new Set(["create", "patch", "put", "delete"]);

export const isAcked = (op: Op): boolean => typeof op.outcome === "number" && op.outcome >= 200 && op.outcome < 300;

/** A write that may or may not have applied: 5xx, timeout, connection lost. (4xx applied nothing.) */
export const isIndeterminate = (op: Op): boolean => typeof op.outcome !== "number" || op.outcome >= 500;
