const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * `text` (unpadded base64url whose last character carries unused low bits, e.g. a 16-byte
 * MAC's 22 characters) with that last character swapped for a non-canonical one: the lowest
 * unused bit set. It decodes to the same bytes (decoders drop those bits), but it is not the
 * string we issued.
 */
export function nonCanonicalLast(text: string): string {
  const last = ALPHABET.indexOf(text.at(-1) ?? "");
  const unusedBits = (text.length * 6) % 8;
  if (last < 0 || unusedBits === 0) throw new Error(`no unused bits at the end of ${text}`);
  return `${text.slice(0, -1)}${ALPHABET[last ^ 1]}`;
}
