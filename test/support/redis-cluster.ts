/**
 * A real Redis Cluster on loopback for tests: three masters started as child processes with
 * `--cluster-enabled yes`, joined by `redis-cli --cluster create` (all 16,384 slots assigned),
 * ready once every node reports `cluster_state:ok`.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { findFreePort, startRedisServer, type RedisServerHandle } from "./redis-server";

const run = promisify(execFile);
const READY_TIMEOUT_MS = 20_000;

export interface RedisClusterHandle {
  /** `host:port` of every master, as REDIS_CLUSTER_NODES takes them. */
  readonly nodes: string[];
  readonly servers: RedisServerHandle[];
  stop(): Promise<void>;
}

async function clusterState(port: number): Promise<string> {
  const { stdout } = await run("redis-cli", ["-p", String(port), "cluster", "info"]);
  return /cluster_state:(\w+)/.exec(stdout)?.[1] ?? "unknown";
}

export async function startRedisCluster(masters = 3): Promise<RedisClusterHandle> {
  const folder = await mkdtemp(join(tmpdir(), "jollyjet-cluster-"));
  const servers: RedisServerHandle[] = [];
  try {
    for (let i = 0; i < masters; i++) {
      const port = await findFreePort();
      servers.push(
        await startRedisServer({
          port,
          extraArgs: ["--cluster-enabled", "yes", "--cluster-config-file", join(folder, `nodes-${port}.conf`), "--cluster-node-timeout", "2000", "--dir", folder],
        }),
      );
    }
    const nodes = servers.map((server) => `127.0.0.1:${server.port}`);
    await run("redis-cli", ["--cluster", "create", ...nodes, "--cluster-replicas", "0", "--cluster-yes"], { timeout: READY_TIMEOUT_MS });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (const server of servers) {
      while ((await clusterState(server.port)) !== "ok") {
        if (Date.now() > deadline) throw new Error(`cluster node ${server.port} not ok within ${READY_TIMEOUT_MS / 1000} s`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    return {
      nodes,
      servers,
      async stop() {
        await Promise.all(servers.map((server) => server.stop()));
        await rm(folder, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.all(servers.map((server) => server.stop()));
    await rm(folder, { recursive: true, force: true });
    throw error;
  }
}
