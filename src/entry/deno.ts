/**
 * @module
 * `npm run start:deno`: the API on Deno's own server, otherwise as `npm start` (src/entry/node.ts).
 */
import { denoServer } from "./deno-server";
import { runSelfHosted } from "./self-hosted-server";

await runSelfHosted(denoServer);
