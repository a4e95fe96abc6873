/**
 * A Lua script the app runs through the Redis port. The SHA-1 (computed once with WebCrypto)
 * lets the port send EVALSHA first and fall back to EVAL only when the server answers NOSCRIPT.
 */
export class LuaScript {
  #sha1: Promise<string> | undefined;

  constructor(readonly source: string) {}

  sha1(): Promise<string> {
    this.#sha1 ??= crypto.subtle
      .digest("SHA-1", new TextEncoder().encode(this.source))
      .then((digest) => [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join(""));
    return this.#sha1;
  }
}
