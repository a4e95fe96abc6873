/**
 * @module
 * Database failures as the API answers them: 503 DATABASE_UNAVAILABLE, logged with its
 * cause, and no SQL or driver text for the client.
 */
import { AppError } from "../errors";
import type { Logger } from "../logger";

/**
 * Wraps a repository so that a call failing with anything but an AppError rejects with that
 * 503 instead. Expected outcomes (unknown id, taken email) are return values, not errors, so
 * only real failures arrive here.
 * @example const users = withDatabaseErrors(createUserRepository(db), logger);
 */
export function withDatabaseErrors<T extends object>(repository: T, logger: Logger): T {
  const wrapped = {} as Record<string, unknown>;
  for (const [name, method] of Object.entries(repository)) {
    wrapped[name] =
      typeof method === "function"
        ? async (...args: unknown[]) => {
            try {
              return await (method as (...a: unknown[]) => Promise<unknown>)(...args);
            } catch (error) {
              if (error instanceof AppError) throw error;
              logger.error("database call failed", { call: name, error });
              throw new AppError(503, "DATABASE_UNAVAILABLE", "The database is unavailable; try again shortly", undefined, error);
            }
          }
        : method;
  }
  return wrapped as T;
}
