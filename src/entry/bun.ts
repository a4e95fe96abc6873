/**
 * @module
 * `npm run start:bun`: the API on Bun's own server, otherwise as `npm start` (src/entry/node.ts).
 */
import { bunServer } from "./bun-server";
import { runSelfHosted } from "./self-hosted-server";

await runSelfHosted(bunServer);
