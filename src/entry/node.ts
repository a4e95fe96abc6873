/**
 * @module
 * `npm start`: the API on Node, configured from process.env; stops cleanly on SIGINT/SIGTERM.
 * A fresh local (file:) database outside production gets the demo catalogue before the
 * server listens, so there is something to look at.
 */
import { nodeServer } from "./node-server";
import { runSelfHosted } from "./self-hosted-server";

await runSelfHosted(nodeServer);
