/**
 * @module
 * The app's error type, thrown at every layer: AppError, with the HTTP status and stable code
 * it answers with. src/http/errors.ts alone turns it into a response.
 */
export interface FieldError {
  field: string;
  message: string;
}

/** The statuses an AppError answers with (API.md lists what each code means). */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 412 | 413 | 415 | 422 | 429 | 503;

/**
 * The app's one error type: an HTTP status, a stable machine-readable `code`, a message
 * safe to show the client, and (for validation) the failing fields. A plain Error, so the
 * layers that throw it know nothing of HTTP frameworks; src/http/errors.ts turns it into the
 * response.
 * @example throw new AppError(404, "NOT_FOUND", "Product not found");
 */
export class AppError extends Error {
  constructor(
    readonly status: ErrorStatus,
    readonly code: string,
    message: string,
    readonly errors?: FieldError[],
    cause?: unknown,
    /** Sent as Retry-After (seconds): when the client may try again (e.g. a 503 while a dependency is down). */
    readonly options: { retryAfterS?: number } = {},
  ) {
    super(message, { cause });
  }
}
