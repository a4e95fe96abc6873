import { bunServer } from "../../src/entry/bun-server";
import { denoServer } from "../../src/entry/deno-server";
import { nodeServer } from "../../src/entry/node-server";
import type { ServerAdapter } from "../../src/entry/self-hosted-server";

/** The server of the runtime this test process runs on (vitest under Bun, Deno or Node). */
export const runtimeServer: ServerAdapter = "Bun" in globalThis ? bunServer : "Deno" in globalThis ? denoServer : nodeServer;
