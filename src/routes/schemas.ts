import { z } from "@hono/zod-openapi";

/** Shared OpenAPI/zod pieces: the error envelope every route documents. */
export const ErrorSchema = z
  .object({
    status: z.literal("error"),
    code: z.string().openapi({ example: "NOT_FOUND" }),
    message: z.string(),
    requestId: z.string(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .openapi("Error");

export const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorSchema } },
});

/** `{status: "success", data}` around a payload schema. */
export const success = <T extends z.ZodType>(data: T) => z.object({ status: z.literal("success"), data });

export const jsonContent = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

/** Routes that need a session accept the `sid` cookie or the same token as a bearer token. */
export const sessionSecurity: Record<string, string[]>[] = [{ cookieAuth: [] }, { bearerAuth: [] }];
