/**
 * @module
 * Decoders of raw Redis replies. A reply arrives RESP2-shaped from the ioredis family and as
 * JSON from Upstash REST; each decoder turns both into one typed value, so every adapter
 * answers alike, and throws a RedisReplyError on any other shape.
 */

class RedisReplyError extends Error {
  override readonly name = "RedisReplyError";
}

function unexpected(what: string, reply: unknown): never {
  throw new RedisReplyError(`unexpected ${what} reply: ${JSON.stringify(reply)}`);
}

export const asNullableString = (reply: unknown): string | null =>
  reply === null || reply === undefined
    ? null
    : typeof reply === "string"
      ? reply
      : typeof reply === "number"
        ? String(reply)
        : unexpected("string", reply);

export const asInteger = (reply: unknown): number => {
  const value = typeof reply === "string" ? Number(reply) : reply;
  return typeof value === "number" && Number.isInteger(value) ? value : unexpected("integer", reply);
};

export const asStrings = (reply: unknown): string[] =>
  Array.isArray(reply) ? reply.map((item) => asNullableString(item) ?? unexpected("array item", reply)) : unexpected("array", reply);

export const asNullableStrings = (reply: unknown): (string | null)[] =>
  Array.isArray(reply) ? reply.map(asNullableString) : unexpected("array", reply);

/** ioredis turns HGETALL into an object; Upstash REST keeps the flat field/value array. */
export const asHash = (reply: unknown): Record<string, string> => {
  if (Array.isArray(reply)) {
    const hash: Record<string, string> = {};
    for (let i = 0; i + 1 < reply.length; i += 2) hash[asStrings([reply[i]])[0]!] = asStrings([reply[i + 1]])[0]!;
    return hash;
  }
  if (reply !== null && typeof reply === "object") {
    return Object.fromEntries(Object.entries(reply).map(([field, value]) => [field, asNullableString(value) ?? ""]));
  }
  return unexpected("hash", reply);
};

export const asScanPage = (reply: unknown): { cursor: string; keys: string[] } => {
  if (!Array.isArray(reply) || reply.length !== 2) return unexpected("scan", reply);
  return { cursor: String(reply[0]), keys: asStrings(reply[1]) };
};

/** INFO's `field:value` lines (sections headed by `# Name`, CRLF-separated) as an object. */
export const asInfo = (reply: unknown): Record<string, string> => {
  if (typeof reply !== "string") return unexpected("info", reply);
  const fields: Record<string, string> = {};
  for (const line of reply.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0 && !line.startsWith("#")) fields[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return fields;
};

export const isOk = (reply: unknown): boolean => reply === "OK";
export const asBoolean = (reply: unknown): boolean => asInteger(reply) === 1;
export const isPong = (reply: unknown): true => reply === "PONG" || unexpected("PONG", reply);
export const passThrough = (reply: unknown): unknown => reply;
