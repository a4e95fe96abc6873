import { existsSync } from "node:fs";
import { ConfigError } from "../config";
import { startNodeServer } from "./node-server";

/**
 * `npm start`: the API on Node, configured from process.env; stops cleanly on SIGINT/SIGTERM.
 * A fresh local (file:) database outside production gets the demo catalogue before the
 * server listens, so there is something to look at.
 */
try {
  // A .env file beside the project is read (variables already set win), as `node --env-file` would.
  if (existsSync(".env")) process.loadEnvFile(".env");
  const running = await startNodeServer(process.env, { developmentDefaults: true });
  if (running.developmentAdmin) {
    const { email, password } = running.developmentAdmin;
    // Shown once, on the start that made it (the log redacts passwords on purpose).
    console.error(`jollyjet: development admin created — email ${email}, password ${password} (shown once; set ADMIN_EMAIL/ADMIN_PASSWORD to choose your own)`);
  }
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
