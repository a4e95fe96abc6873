import type { TestProject } from "vitest/node";
import type { SchemaObject } from "../shared/schema";
import { schemaFromMigrationFiles } from "./migration-schema";
import { createServer } from "node:http";
import { startRedisServer } from "./redis-server";
import { startReplicationLink, untilReplicaInSync } from "./replication-link";
import { startUpstashRestServer } from "./upstash-rest-server";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
    upstashUrl: string;
    upstashToken: string;
    replicatedUpstashUrl: string;
    replicatedUpstashToken: string;
    replicationControlUrl: string;
    migrationSchema: SchemaObject[];
  }
}

/**
 * Once per test run, for both projects: a real redis-server on a free port, and the local
 * Upstash-REST endpoint over it, which the Worker reaches over fetch (tests isolate by key
 * prefix); and the schema the committed migrations describe, for both runtimes to match. (One setup for both projects: loading ioredis in two projects' setups within one
 * vitest process fails with "Cannot redefine property: default".)
 */
export default async function setup(project: TestProject) {
  const redis = await startRedisServer();
  const rest = await startUpstashRestServer({ redisUrl: redis.url });
  const replicated = await startReplicatedUpstash();
  project.provide("redisUrl", redis.url);
  project.provide("upstashUrl", rest.url);
  project.provide("upstashToken", rest.token);
  project.provide("replicatedUpstashUrl", replicated.url);
  project.provide("replicatedUpstashToken", replicated.token);
  project.provide("replicationControlUrl", replicated.controlUrl);
  project.provide("migrationSchema", await schemaFromMigrationFiles("migrations"));
  return async () => {
    await replicated.close();
    await rest.close();
    await redis.stop();
  };
}

/**
 * Upstash Global stood in for, for the Worker (test/worker/upstash-replicas.test.ts): the
 * local REST endpoint over a real primary and a replica behind a replication link, and a
 * control endpoint the Worker's tests reach over fetch: POST /hold stops the replica's
 * stream, POST /release passes it on and answers once the replica has caught up.
 */
async function startReplicatedUpstash() {
  // No delay before the replica's first full sync (Redis waits 5 s for more replicas by default).
  const primary = await startRedisServer({ extraArgs: ["--repl-diskless-sync-delay", "0"] });
  const link = await startReplicationLink(primary.port);
  const replica = await startRedisServer({ extraArgs: ["--replicaof", "127.0.0.1", String(link.port)] });
  const rest = await startUpstashRestServer({ redisUrl: primary.url, replicaUrl: replica.url, replicaWaitMs: 200 });
  await untilReplicaInSync(primary.port, replica.port);
  const control = createServer((req, res) => {
    const answer = (status: number) => res.writeHead(status).end();
    if (req.method === "POST" && req.url === "/hold") {
      link.hold();
      answer(204);
    } else if (req.method === "POST" && req.url === "/release") {
      link.release();
      untilReplicaInSync(primary.port, replica.port).then(
        () => answer(204),
        () => answer(500),
      );
    } else {
      answer(404);
    }
  });
  await new Promise<void>((resolve) => control.listen(0, "127.0.0.1", resolve));
  const address = control.address();
  if (address === null || typeof address === "string") throw new Error("replication control: no port");
  return {
    url: rest.url,
    token: rest.token,
    controlUrl: `http://127.0.0.1:${address.port}`,
    async close() {
      await new Promise<void>((resolve) => control.close(() => resolve()));
      await rest.close();
      await link.close();
      await Promise.all([replica.stop(), primary.stop()]);
    },
  };
}
