import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export interface FieldError {
  field: string;
  message: string;
}

/**
 * The app's one error type: an HTTP status, a stable machine-readable `code`, a message
 * safe to show the client, and (for validation) the failing fields.
 * @example throw new AppError(404, "NOT_FOUND", "Product not found");
 */
export class AppError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly errors?: FieldError[],
    cause?: unknown,
    /** Sent as Retry-After (seconds): when the client may try again (e.g. a 503 while a dependency is down). */
    readonly options: { retryAfterS?: number } = {},
  ) {
    super(status, { message, cause });
  }
}
