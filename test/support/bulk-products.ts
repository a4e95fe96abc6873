import type { products } from "../../src/db/schema";

/**
 * Rows for the products table, generated in bulk for scale checks (the 20,000-key consistency
 * test, the 100,000-key benchmark): names and prices differ by number, created one
 * millisecond apart. Inserted directly, they skip the API on purpose (it would take minutes).
 */
export function bulkProductRows(options: { start: number; count: number; now: number; label: string }): (typeof products.$inferInsert)[] {
  const { start, count, now, label } = options;
  return Array.from({ length: count }, (_, i) => {
    const n = start + i;
    const name = `${label} Product ${n}`;
    const description = `Generated product number ${n} for ${label.toLowerCase()} checks.`;
    return {
      id: crypto.randomUUID(),
      name,
      description,
      priceCents: 100 + n,
      stock: n % 50,
      category: label,
      categoryKey: label.toLowerCase(),
      searchText: `${name}\n${description}`.toLowerCase(),
      images: [],
      isActive: true,
      createdAt: new Date(now - n),
      updatedAt: new Date(now - n),
    };
  });
}
