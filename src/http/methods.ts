/**
 * @module
 * The HTTP methods by what they may do (RFC 9110 §9.2.1), for everything that treats a
 * request by its method: the cross-site check and the read-your-writes position (unsafe
 * requests only), the body limit and the API document's front-door errors.
 */

/** Methods that only read: no CSRF check, no new consistency position. */
const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);

/** The unsafe methods the API serves: the ones that carry a body and change state. */
export const UNSAFE_METHODS = ["POST", "PUT", "PATCH", "DELETE"] as const;

/** Whether `method` (either case: routes spell it lower-case) only reads; any other may change state. */
export const isSafeMethod = (method: string): boolean => SAFE_METHODS.has(method.toUpperCase());
