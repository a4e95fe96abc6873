import type { D1Migration } from "cloudflare:test";

declare global {
  namespace Cloudflare {
    interface Env {
      DB: D1Database;
      REPLICA_DB: D1Database;
      REPLICATED_UPSTASH_URL: string;
      REPLICATED_UPSTASH_TOKEN: string;
      REPLICATION_CONTROL_URL: string;
      TEST_MIGRATIONS: D1Migration[];
    }
  }
}
