/**
 * Local Redis for `npm run dev` (wrangler dev): starts a redis-server on a free port and the
 * Upstash-REST-compatible endpoint over it on a fixed port, so the Worker's Upstash adapter
 * talks to real Redis. Values match `.dev.vars.example`. Stop with Ctrl-C.
 *
 *   npm run dev:redis            # terminal 1
 *   npm run dev                  # terminal 2
 */
import { startRedisServer } from "../test/support/redis-server";
import { startUpstashRestServer } from "../test/support/upstash-rest-server";

const port = Number(process.env.DEV_REST_PORT ?? 8079);
const token = process.env.DEV_REST_TOKEN ?? "local-dev-token";

const redis = await startRedisServer();
const rest = await startUpstashRestServer({ redisUrl: redis.url, token, port });
console.log(`redis-server           ${redis.url}`);
console.log(`Upstash REST endpoint  ${rest.url}  (token: ${token})`);
console.log("\nPut these in .dev.vars (see .dev.vars.example):");
console.log(`UPSTASH_REDIS_REST_URL=${rest.url}\nUPSTASH_REDIS_REST_TOKEN=${token}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void rest
      .close()
      .then(() => redis.stop())
      .then(() => process.exit(0));
  });
}
