import { describe, expect, it } from "vitest";
import type { CachePolicy } from "../../src/cache/cache-service";
import { judgeCachedList, judgeCachedProduct, type Verdict } from "../../src/catalogue/consistency-decision";
import type { Product, ProductPage } from "../../src/catalogue/types";

const NOW = 1_700_000_000_000;
const POLICY: CachePolicy = { freshMs: 60_000, graceMs: 30_000, missingMs: 10_000, schema: 1 };

const product = (version: number, changes: Partial<Product> = {}): Product => ({
  id: "p1",
  name: "Lamp",
  description: "A desk lamp.",
  price: 19.99,
  stock: 3,
  category: "lighting",
  images: [],
  isActive: true,
  wishlistCount: 0,
  version,
  createdAt: "2024-01-01T00:00:00.000Z",
  updatedAt: "2024-01-02T00:00:00.000Z",
  ...changes,
});
const V3 = product(3);

/** Stored values spelled out as Redis holds them (src/cache/entry.ts), not built with the code under test. */
const entry = (version: number, payload: unknown, schema = 1, freshUntil = NOW + 5_000) =>
  `E|${version}|${freshUntil}|${schema}|${JSON.stringify(payload)}`;
/** The row as the run writes it back: fresh for `freshMs` from now. */
const REFILLED_V3 = `E|3|1700000060000|1|${JSON.stringify(V3)}`;

type Expected = undefined | { verdict: "consistent" } | { verdict: Exclude<Verdict, "consistent">; becomes: string | null };

/** [case, cached value, the primary's row, expected: left alone (undefined), consistent, or a verdict and what replaces the value (null: deleted)] */
const PRODUCT_CASES: [name: string, cached: string | null | undefined, row: Product | undefined, expected: Expected][] = [
  ["nothing (expired between SCAN and MGET), the row exists", null, V3, undefined],
  ["nothing read at all, no row", undefined, undefined, undefined],
  ["an entry of the row's version and content", entry(3, V3), V3, { verdict: "consistent" }],
  ["an entry of an older version", entry(2, product(2)), V3, { verdict: "stale", becomes: REFILLED_V3 }],
  [
    "an entry of the row's version with other content (changed behind the cache)",
    entry(3, product(3, { price: 5 })),
    V3,
    { verdict: "stale", becomes: REFILLED_V3 },
  ],
  [
    "an entry of the row's version and fields, stored in another order",
    entry(3, Object.fromEntries(Object.entries(V3).reverse())),
    V3,
    { verdict: "stale", becomes: REFILLED_V3 },
  ],
  [
    "the row's payload in other bytes (spacing): compared as stored",
    `E|3|${NOW}|1|${JSON.stringify(V3, null, 1)}`,
    V3,
    { verdict: "stale", becomes: REFILLED_V3 },
  ],
  ["the row's payload under an older version header", entry(2, V3), V3, { verdict: "stale", becomes: REFILLED_V3 }],
  [
    "an entry ahead of the row (a lost write)",
    entry(9, product(9, { name: "Never Written" })),
    V3,
    { verdict: "ahead", becomes: REFILLED_V3 },
  ],
  ["an entry of a product the primary does not have", entry(3, V3), undefined, { verdict: "orphaned", becomes: "T|4|1700000090000|" }],
  ["a tombstone, no row", `T|4|${NOW}|`, undefined, { verdict: "consistent" }],
  ["a tombstone at or below a live row", `T|3|${NOW}|`, V3, { verdict: "stale", becomes: REFILLED_V3 }],
  ["a tombstone above a live row (404 everywhere)", `T|4|${NOW}|`, V3, { verdict: "ahead", becomes: REFILLED_V3 }],
  ["a floor at the row's version (the next read fills)", "F|3|0|", V3, undefined],
  ["a floor below the row's version", "F|1|0|", V3, undefined],
  ["a floor above the row (no read could ever fill)", "F|8|0|", V3, { verdict: "ahead", becomes: REFILLED_V3 }],
  ["a floor of a product the primary does not have", "F|6|0|", undefined, { verdict: "orphaned", becomes: "T|7|1700000090000|" }],
  ["a write in progress, even above the row", `P|9|${NOW}|writer|`, V3, undefined],
  ["a write in progress, no row", `P|1|${NOW}|writer|`, undefined, undefined],
  [
    "an entry of another deploy's schema at the row's version",
    entry(3, { title: "other shape" }, 2),
    V3,
    { verdict: "stale", becomes: REFILLED_V3 },
  ],
  [
    "an entry of another deploy's schema ahead of the row",
    entry(5, { title: "other shape" }, 2),
    V3,
    { verdict: "ahead", becomes: REFILLED_V3 },
  ],
  ["an entry of another deploy's schema, no row", entry(3, { title: "other shape" }, 2), undefined, { verdict: "stale", becomes: null }],
  [
    "an entry whose payload was cut short (its header whole)",
    `E|3|${NOW}|1|{"id":"p1","na`,
    V3,
    { verdict: "stale", becomes: REFILLED_V3 },
  ],
  ["unparseable bytes, the row exists", "{not an entry", V3, { verdict: "corrupt", becomes: null }],
  ["unparseable bytes, no row", "{not an entry", undefined, { verdict: "corrupt", becomes: null }],
  ["an empty string", "", V3, { verdict: "corrupt", becomes: null }],
  ["a tombstone with trailing bytes", `T|4|${NOW}|x`, undefined, { verdict: "corrupt", becomes: null }],
];

/** What the decision returns for `expected`: a repair is a compare-and-swap on the exact value examined. */
const decisionFor = (cached: string | null | undefined, expected: Expected) =>
  expected === undefined || expected.verdict === "consistent"
    ? expected
    : { verdict: expected.verdict, repair: { examined: cached, replacement: expected.becomes } };

describe("the consistency run's decision for a cached product", () => {
  it.each(PRODUCT_CASES)("%s", (_name, cached, row, expected) => {
    expect(judgeCachedProduct(cached, row, POLICY, NOW)).toEqual(decisionFor(cached, expected));
  });
});

const page = (products: Product[], total = products.length): ProductPage => ({ products, total, page: 1, limit: 20, totalPages: 1 });
const LAMPS = page([product(3), product(4, { id: "p2", name: "Floor Lamp" })]);
const CACHED_LIST = "E|7|1700000005000|1|{}";

/** [case, the cached page, the page the same query gives now, expected] */
const LIST_CASES: [name: string, cached: ProductPage, fresh: ProductPage, expected: Expected][] = [
  ["the same page", LAMPS, page([product(3), product(4, { id: "p2", name: "Floor Lamp" })]), { verdict: "consistent" }],
  [
    "only what a wishlist toggle moves has changed (count, version, updatedAt)",
    LAMPS,
    page([product(5, { wishlistCount: 2, updatedAt: "2024-02-01T00:00:00.000Z" }), product(4, { id: "p2", name: "Floor Lamp" })]),
    { verdict: "consistent" },
  ],
  [
    "a product renamed",
    LAMPS,
    page([product(4, { name: "Desk Lamp" }), product(4, { id: "p2", name: "Floor Lamp" })]),
    { verdict: "stale", becomes: null },
  ],
  ["a product gone from the page", LAMPS, page([product(3)]), { verdict: "stale", becomes: null }],
  [
    "the same products, another total",
    LAMPS,
    page([product(3), product(4, { id: "p2", name: "Floor Lamp" })], 3),
    { verdict: "stale", becomes: null },
  ],
  [
    "the same products in another order",
    LAMPS,
    page([product(4, { id: "p2", name: "Floor Lamp" }), product(3)]),
    { verdict: "stale", becomes: null },
  ],
];

describe("the consistency run's decision for a cached list page", () => {
  it.each(LIST_CASES)("%s", (_name, cached, fresh, expected) => {
    expect(judgeCachedList(CACHED_LIST, cached, fresh)).toEqual(decisionFor(CACHED_LIST, expected));
  });
});
