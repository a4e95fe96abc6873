/**
 * @module
 * Bytes and text for tokens, hashes and keys: base64url, random bytes, SHA-256 and SHA-1,
 * and a comparison in constant time, on web APIs only (WebCrypto, btoa) so that every runtime
 * runs the same code.
 */

/** base64url without padding, for tokens and hashes that travel in cookies, headers and keys. */
export function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromBase64Url(text: string): Uint8Array {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

export function randomBytes(length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length));
}

export async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/**
 * Whether `candidate` equals `secret`, comparing every byte of the secret whatever the first
 * difference: the time depends on the secret's length only, so it reveals nothing about
 * where the inputs differ, nor about the candidate's length.
 */
export function constantTimeEqual(candidate: Uint8Array, secret: Uint8Array): boolean {
  let difference = candidate.length ^ secret.length;
  for (let i = 0; i < secret.length; i++) difference |= (candidate[i] ?? 0) ^ secret[i]!;
  return difference === 0;
}

/** Lowercase hex SHA-1, the form Redis names scripts by (EVALSHA). */
export async function sha1Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text)));
  return [...digest].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
