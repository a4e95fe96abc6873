import { applyD1Migrations, env } from "cloudflare:test";

// The committed migrations, read by vitest.config.ts the way `wrangler d1 migrations apply` reads them.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
