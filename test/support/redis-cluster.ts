/**
 * A real Redis Cluster on loopback for tests: three masters (and optionally a replica of
 * each) started as child processes with `--cluster-enabled yes`, joined by
 * `redis-cli --cluster create` (all 16,384 slots assigned), ready once every node reports
 * `cluster_state:ok`.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { findFreePort, startRedisServer, type RedisServerHandle } from "./redis-server";
import { untilPrimaryHasReplicaInSync } from "./replication-link";

const run = promisify(execFile);
const READY_TIMEOUT_MS = 20_000;

export interface RedisClusterHandle {
  /** `host:port` of every node, as REDIS_CLUSTER_NODES takes them. */
  readonly nodes: string[];
  readonly servers: RedisServerHandle[];
  /** The servers that are masters now (after a failover, a promoted replica is one). */
  masters(): Promise<RedisServerHandle[]>;
  /** Resolves once every running node says `cluster_state:ok`. */
  healthy(timeoutMs?: number): Promise<void>;
  /** Resolves once every master has a replica in sync (after a failover, the old master rejoining as one). */
  replicasInSync(): Promise<void>;
  stop(): Promise<void>;
}

async function clusterState(port: number): Promise<string> {
  const { stdout } = await run("redis-cli", ["-p", String(port), "cluster", "info"]);
  return /cluster_state:(\w+)/.exec(stdout)?.[1] ?? "unknown";
}

/**
 * Whether CLUSTER SLOTS on `port` lists `replicas` replicas for every slot range: what clients
 * read to know whom to wait for. A replica is listed only once its replication offset has
 * reached that node by gossip, seconds after it synced.
 */
async function listsReplicas(port: number, replicas: number): Promise<boolean> {
  const ranges = JSON.parse((await run("redis-cli", ["-2", "--json", "-p", String(port), "cluster", "slots"])).stdout) as unknown[][];
  return ranges.every((range) => range.length - 3 >= replicas);
}

async function isMaster(port: number): Promise<boolean> {
  const { stdout } = await run("redis-cli", ["-p", String(port), "role"]);
  return stdout.startsWith("master");
}

export async function startRedisCluster(options: { masters?: number; replicasPerMaster?: number } = {}): Promise<RedisClusterHandle> {
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 0;
  const folder = await mkdtemp(join(tmpdir(), "jollyjet-cluster-"));
  const servers: RedisServerHandle[] = [];
  try {
    for (let i = 0; i < masters * (1 + replicas); i++) {
      const port = await findFreePort();
      servers.push(
        await startRedisServer({
          port,
          extraArgs: [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            join(folder, `nodes-${port}.conf`),
            "--cluster-node-timeout",
            "2000",
            "--dir",
            folder,
          ],
        }),
      );
    }
    const nodes = servers.map((server) => `127.0.0.1:${server.port}`);
    await run("redis-cli", ["--cluster", "create", ...nodes, "--cluster-replicas", String(replicas), "--cluster-yes"], {
      timeout: READY_TIMEOUT_MS,
    });
    const healthy = async (timeoutMs = READY_TIMEOUT_MS) => {
      const deadline = Date.now() + timeoutMs;
      for (const server of servers) {
        for (;;) {
          const state = await clusterState(server.port).catch(() => "stopped");
          if (state === "ok" || state === "stopped") break;
          if (Date.now() > deadline) throw new Error(`cluster node ${server.port} not ok within ${timeoutMs / 1000} s`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    };
    await healthy();
    // Replicas report ok before they have synced: wait for every replica's link to its master.
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (const server of servers) {
      while (
        !(await isMaster(server.port)) &&
        !/master_link_status:up/.test((await run("redis-cli", ["-p", String(server.port), "info", "replication"])).stdout)
      ) {
        if (Date.now() > deadline) throw new Error(`replica ${server.port} did not sync within ${READY_TIMEOUT_MS / 1000} s`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    for (const server of servers) {
      while (!(await listsReplicas(server.port, replicas))) {
        if (Date.now() > deadline)
          throw new Error(`cluster node ${server.port} did not list every replica within ${READY_TIMEOUT_MS / 1000} s`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    const currentMasters = async () => {
      const roles = await Promise.all(servers.map((server) => isMaster(server.port).catch(() => false)));
      return servers.filter((_, i) => roles[i]);
    };
    return {
      nodes,
      servers,
      healthy,
      masters: currentMasters,
      async replicasInSync() {
        const until = Date.now() + READY_TIMEOUT_MS;
        for (const master of await currentMasters()) await untilPrimaryHasReplicaInSync(master.port, Math.max(0, until - Date.now()));
      },
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
