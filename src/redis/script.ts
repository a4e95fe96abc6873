/**
 * @module
 * Lua scripts as values the port can send: the source and its SHA-1, for EVAL then EVALSHA.
 */
import { sha1Hex } from "../encoding";

/**
 * A Lua script the app runs through the Redis port. The SHA-1 (computed once with WebCrypto)
 * lets the port send EVALSHA, not the source, once the server has the script.
 */
export class LuaScript {
  #sha1: Promise<string> | undefined;

  constructor(readonly source: string) {}

  sha1(): Promise<string> {
    this.#sha1 ??= sha1Hex(this.source);
    return this.#sha1;
  }
}
