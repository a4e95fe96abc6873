/**
 * @module
 * How a request that fails its route's schema is answered: 422 for the body, 400 for
 * anything else, with the failing fields.
 */
import type { Hook } from "@hono/zod-openapi";
import type { AppEnv } from "./env";
import { AppError } from "../errors";

type Issue = { path: PropertyKey[]; message: string };

/**
 * The zod hook for every route: a body that fails its schema is 422, anything else the
 * client sent (query string, path parameters, headers) is 400. Field names are prefixed
 * with where they came from, e.g. `body.name`, `query.limit`.
 */
export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (result.success) return;
  const where = result.target === "json" ? "body" : result.target;
  const issues = (result.error as { issues: Issue[] }).issues;
  const errors = issues.map((issue) => ({
    field: [where, ...issue.path.map(String)].join("."),
    message: issue.message,
  }));
  if (result.target === "json") throw new AppError(422, "VALIDATION_FAILED", "The request body is invalid", errors);
  throw new AppError(400, "BAD_REQUEST", `Invalid ${where}`, errors);
};
