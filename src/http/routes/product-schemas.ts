/**
 * @module
 * Request and response schemas for the catalogue: they validate requests and generate the
 * OpenAPI document.
 */
import { z } from "@hono/zod-openapi";
import { SORTS } from "../../catalogue/types";

const MAX_AMOUNT = 1_000_000_000;

/**
 * At most two decimals: the number is exactly the double nearest to a whole number of cents
 * (19.99 passes although 19.99 * 100 is 1998.9999999999998 in binary; 1.001 does not).
 */
const hasAtMostTwoDecimals = (value: number) => Math.round(value * 100) / 100 === value;

const price = z
  .number()
  .min(0)
  .max(MAX_AMOUNT)
  .refine(hasAtMostTwoDecimals, "must have at most 2 decimal places")
  // multipleOf holds in decimal (19.99 is 1999 × 0.01); a validator dividing binary floats may need a tolerance for it.
  .openapi({ example: 24.5, multipleOf: 0.01, description: "At most 2 decimals (e.g. 19.99); stored exactly as cents" });

/** Lone UTF-16 surrogates cannot be stored as UTF-8: refuse them rather than store something else. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Control characters (Unicode category Cc: C0, DEL, C1) have no place in a name, a category
 * or a search: U+0000 in particular is cut off at storage boundaries, so a stored name could
 * differ from the validated one. A description may keep line breaks and tabs (\n, \t), no
 * other control character. The patterns are checked on the text as sent (before trimming)
 * and are the `pattern` of the OpenAPI document.
 * @example NO_CONTROL.test("ab\u0000cd") // false
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const NO_CONTROL = /^[^\u0000-\u001F\u007F-\u009F]*$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const NO_CONTROL_BUT_LINES = /^[^\u0000-\u0008\u000B-\u001F\u007F-\u009F]*$/;
const NO_CONTROL_MESSAGE = "must not contain control characters";

const text = (min: number, max: number, trim: boolean, allowed = NO_CONTROL) => {
  const raw = z
    .string()
    .regex(allowed, allowed === NO_CONTROL ? NO_CONTROL_MESSAGE : "must not contain control characters other than line feed and tab");
  return (trim ? raw.trim() : raw)
    .min(min)
    .max(max)
    .refine((value) => !LONE_SURROGATE.test(value), "must be valid Unicode text");
};

/**
 * An image is an absolute http(s) URL (any letter case in the scheme, as the URL parser
 * reads it) with a host and no spaces or control characters; the parser checks the rest.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const IMAGE_URL = /^[Hh][Tt][Tt][Pp][Ss]?:\/\/[^/?#\u0000-\u0020\u007F-\u009F]+(?:[/?#][^\u0000-\u0020\u007F-\u009F]*)?$/;
/** What the URL parser accepts as an http(s) URL (checked on the text as sent: z.url would trim it first). */
const isHttpUrl = (value: string) => {
  try {
    const { protocol } = new URL(value);
    return protocol === "http:" || protocol === "https:";
  } catch {
    return false;
  }
};

const fields = {
  name: text(3, 120, true).openapi({ example: "Aviator Sunglasses" }),
  description: text(10, 5000, false, NO_CONTROL_BUT_LINES).openapi({ example: "Polarised lenses in a light titanium frame." }),
  price,
  stock: z.number().int().min(0).max(MAX_AMOUNT).openapi({ example: 42 }),
  category: text(1, 60, true).openapi({ example: "Accessories", description: "Filters match it case-insensitively" }),
  images: z
    .array(
      z
        .string()
        .max(2048)
        .regex(IMAGE_URL, "must be an http(s) URL with a host and no spaces or control characters")
        .refine(isHttpUrl, "must be an http(s) URL")
        .openapi({ format: "uri" }),
    )
    .max(10)
    .openapi({ example: ["https://images.example.com/aviator.jpg"] }),
  isActive: z.boolean(),
};

export const CreateProductSchema = z
  .strictObject({ ...fields, images: fields.images.default([]), isActive: fields.isActive.default(true) })
  .openapi("CreateProduct");

export const ReplaceProductSchema = z.strictObject(fields).openapi("ReplaceProduct");

export const PatchProductSchema = z
  .strictObject(fields)
  .partial()
  .refine((changes) => Object.values(changes).some((value) => value !== undefined), "send at least one field to change")
  .openapi("PatchProduct", { minProperties: 1 });

export const ProductSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    price: z.number(),
    stock: z.number().int(),
    category: z.string(),
    images: z.array(z.string()),
    isActive: z.boolean(),
    wishlistCount: z.number().int().min(0).openapi({ description: "How many users have it on their wishlist (read-only)" }),
    version: z.number().int().min(1).openapi({ description: "1 on create, +1 on every change (read-only)" }),
    createdAt: z.string().openapi({ format: "date-time" }),
    updatedAt: z.string().openapi({ format: "date-time" }),
  })
  .openapi("Product");

/** What a product id looks like in a path. */
export const PRODUCT_ID = /^[A-Za-z0-9_-]{1,64}$/;

export const ProductIdParams = z.object({
  id: z
    .string()
    .regex(PRODUCT_ID, "must be a product id")
    .openapi({ param: { name: "id", in: "path" }, example: "3f6c1a0e-8d7b-4f43-9a55-1d1c2b3a4f5e" }),
});

/** A price bound: a number as for `price` (`null`, or an empty value, is not one: 400). */
const priceFilter = z
  .preprocess(
    (value) => (typeof value === "string" && value.trim() === "" ? Number.NaN : value),
    z.coerce.number().min(0).max(MAX_AMOUNT).refine(hasAtMostTwoDecimals, "must have at most 2 decimal places"),
  )
  // Stated: the generator would otherwise say `number | null`, without the two-decimal rule.
  .openapi({
    type: "number",
    minimum: 0,
    maximum: MAX_AMOUNT,
    multipleOf: 0.01,
    description: "At most 2 decimals, as for price; null or empty is 400",
  })
  .optional();

export const ProductListQuerySchema = z
  .strictObject({
    page: z.coerce.number().int().min(1).max(1_000_000).default(1).openapi({ example: 1 }),
    limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ example: 20 }),
    category: z.string().regex(NO_CONTROL, NO_CONTROL_MESSAGE).trim().min(1).max(60).optional(),
    search: z
      .string()
      .regex(NO_CONTROL, NO_CONTROL_MESSAGE)
      .trim()
      .min(1)
      .max(200)
      .optional()
      .openapi({ description: "Case-insensitive substring of name or description; no control characters" }),
    isActive: z
      .enum(["true", "false"])
      .transform((value) => value === "true")
      .optional(),
    minPrice: priceFilter,
    maxPrice: priceFilter,
    sort: z.enum(SORTS).default("-createdAt").openapi({ description: "Ties are broken by id" }),
  })
  .refine((query) => query.minPrice === undefined || query.maxPrice === undefined || query.minPrice <= query.maxPrice, {
    message: "minPrice must not exceed maxPrice",
    path: ["minPrice"],
  });

export const ProductPageSchema = z
  .object({
    products: z.array(ProductSchema),
    total: z.number().int(),
    page: z.number().int(),
    limit: z.number().int(),
    totalPages: z.number().int(),
  })
  .openapi("ProductPage");

export const WishlistToggleSchema = z
  .object({ productId: z.string(), wishlisted: z.boolean(), wishlistCount: z.number().int() })
  .openapi("WishlistToggle");

export const WishlistSchema = z.object({ products: z.array(ProductSchema), total: z.number().int() }).openapi("Wishlist");
