import { ConfigError } from "../config";
import { startNodeServer } from "./node-server";

/**
 * `npm start`: the API on Node, configured from process.env; stops cleanly on SIGINT/SIGTERM.
 * A fresh local (file:) database outside production gets the demo catalogue before the
 * server listens, so there is something to look at.
 */
try {
  const running = await startNodeServer(process.env, { seedDemoCatalogue: true });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      running.services.logger.info("shutting down", { signal });
      void running.close().then(() => process.exit(0));
    });
  }
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`jollyjet: ${error.message}`);
  process.exit(1);
}
