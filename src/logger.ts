export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose lines all carry `fields` (e.g. the request id). */
  child(fields: LogFields): Logger;
}

const severity: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Errors are not JSON-serialisable; keep what helps an operator (never a stack in a response, but yes in logs). */
function serialise(value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value;
}

/**
 * One JSON object per line on stdout (Workers Logs and any Node log shipper read it).
 * @example const logger = createLogger({ level: "info" }); logger.child({ requestId }).warn("slow", { ms: 120 });
 */
export function createLogger(options: { level: LogLevel; fields?: LogFields; write?: (line: string) => void }): Logger {
  const write = options.write ?? ((line: string) => console.log(line));
  const base = options.fields ?? {};
  const emit = (level: LogLevel, message: string, fields: LogFields = {}) => {
    if (severity[level] < severity[options.level]) return;
    const record: LogFields = { time: new Date().toISOString(), level, message, ...base };
    for (const [key, value] of Object.entries(fields)) record[key] = serialise(value);
    write(JSON.stringify(record));
  };
  return {
    debug: (message, fields) => emit("debug", message, fields),
    info: (message, fields) => emit("info", message, fields),
    warn: (message, fields) => emit("warn", message, fields),
    error: (message, fields) => emit("error", message, fields),
    child: (fields) => createLogger({ ...options, write, fields: { ...base, ...fields } }),
  };
}
