/**
 * @module
 * Structured logs: one JSON object per line, secret fields and session tokens redacted, and
 * child loggers whose every line carries a request's fields.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** Whether lines of `level` are written (to skip building fields that would be dropped). */
  enabled(level: LogLevel): boolean;
  /** A logger whose lines all carry `fields` (e.g. the request id). */
  child(fields: LogFields): Logger;
}

const severity: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Fields whose values never reach a log line, at any depth. */
const SECRET_FIELD = /pass(word)?|token|secret|authorization|cookie|^sid$/i;
/** Session tokens (`<uuid>.<43 base64url>.<22 base64url>`) wherever they appear in text. */
const SESSION_TOKEN = /[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}(\.[A-Za-z0-9_-]{22})?/g;
const REDACTED = "[REDACTED]";

/**
 * Makes a value safe to log: secrets by field name and session tokens in text are
 * redacted, errors keep name, message and stack (never shown to clients, useful here).
 */
function serialise(value: unknown, depth = 0): unknown {
  if (value instanceof Error)
    return {
      name: value.name,
      message: serialise(value.message, depth + 1),
      stack: serialise(value.stack, depth + 1),
      cause: value.cause === undefined ? undefined : serialise(value.cause, depth + 1),
    };
  if (typeof value === "string") return value.replace(SESSION_TOKEN, REDACTED);
  if (value === null || typeof value !== "object" || depth > 6) return value;
  if (Array.isArray(value)) return value.map((item) => serialise(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, SECRET_FIELD.test(key) ? REDACTED : serialise(item, depth + 1)]),
  );
}

/**
 * A logger writing one JSON object per line on stdout (Workers Logs and any Node log
 * shipper read it), or to `write`. A child costs one small object, nothing copied (request
 * loggers are made per request); fields are merged only when a line is actually written.
 * @example const logger = createLogger({ level: "info" }); logger.child({ requestId }).warn("slow", { ms: 120 });
 */
export function createLogger(options: { level: LogLevel; fields?: LogFields; write?: (line: string) => void }): Logger {
  return new JsonLogger(severity[options.level], options.write ?? ((line: string) => console.log(line)), options.fields ?? {}, {});
}

class JsonLogger implements Logger {
  constructor(
    private readonly minimum: number,
    private readonly write: (line: string) => void,
    private readonly inherited: LogFields,
    private readonly fields: LogFields,
  ) {}

  enabled(level: LogLevel): boolean {
    return severity[level] >= this.minimum;
  }
  debug(message: string, fields?: LogFields) {
    this.emit("debug", message, fields);
  }
  info(message: string, fields?: LogFields) {
    this.emit("info", message, fields);
  }
  warn(message: string, fields?: LogFields) {
    this.emit("warn", message, fields);
  }
  error(message: string, fields?: LogFields) {
    this.emit("error", message, fields);
  }
  child(fields: LogFields): Logger {
    return new JsonLogger(this.minimum, this.write, { ...this.inherited, ...this.fields }, fields);
  }

  private emit(level: LogLevel, message: string, fields: LogFields = {}) {
    if (!this.enabled(level)) return;
    const record: LogFields = { time: new Date().toISOString(), level, message: serialise(message), ...this.inherited, ...this.fields };
    for (const [key, value] of Object.entries(fields)) record[key] = SECRET_FIELD.test(key) ? REDACTED : serialise(value);
    this.write(JSON.stringify(record));
  }
}
