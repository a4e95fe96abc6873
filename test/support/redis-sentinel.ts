/**
 * A real Sentinel setup on loopback for tests: a primary, one replica and three sentinels
 * watching them (quorum 2, 1 s to call the primary down), all child processes; ready once
 * every sentinel knows the primary and its replica.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { startRedisServer, type RedisServerHandle } from "./redis-server";
import { startReplicationLink, type ReplicationLink } from "./replication-link";

const run = promisify(execFile);
const READY_TIMEOUT_MS = 20_000;
export const SENTINEL_NAME = "jollyjet";

export interface RedisSentinelHandle {
  /** `host:port` of every sentinel, as REDIS_SENTINELS takes them. */
  readonly sentinels: string[];
  readonly primary: RedisServerHandle;
  readonly replica: RedisServerHandle;
  /** With `replicationLink`: the relay between primary and replica, which can hold the replica back. */
  readonly link: ReplicationLink | undefined;
  /** The address the sentinels give for the primary now. */
  currentPrimary(): Promise<string>;
  /** Resolves once the current primary has a replica in sync again (after a failover, the old primary rejoining). */
  replicaInSync(): Promise<void>;
  stop(): Promise<void>;
}

async function askSentinel(port: number, ...args: string[]): Promise<string> {
  return (await run("redis-cli", ["-p", String(port), "sentinel", ...args])).stdout;
}

/** `replicationLink`: the replica follows the primary through a relay the test can hold (test/support/replication-link.ts). */
export async function startRedisSentinel(options: { replicationLink?: boolean } = {}): Promise<RedisSentinelHandle> {
  const folder = await mkdtemp(join(tmpdir(), "jollyjet-sentinel-"));
  const started: RedisServerHandle[] = [];
  let link: ReplicationLink | undefined;
  const stopAll = async () => {
    await Promise.all(started.map((server) => server.stop()));
    await link?.close();
    await rm(folder, { recursive: true, force: true });
  };
  try {
    // No delay before the replica's first full sync (Redis waits 5 s for more replicas by default).
    const primary = await startRedisServer({ extraArgs: ["--repl-diskless-sync-delay", "0"] });
    started.push(primary);
    if (options.replicationLink) link = await startReplicationLink(primary.port);
    const replica = await startRedisServer({ extraArgs: ["--replicaof", "127.0.0.1", String(link?.port ?? primary.port)] });
    started.push(replica);
    const sentinels: RedisServerHandle[] = [];
    for (let i = 0; i < 3; i++) {
      const configFile = join(folder, `sentinel-${i}.conf`);
      await writeFile(
        configFile,
        [
          `sentinel monitor ${SENTINEL_NAME} 127.0.0.1 ${primary.port} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_NAME} 1000`,
          // Also how long a replica may follow another address than the primary's before the
          // sentinels repoint it (+fix-slave-config): through the relay it must stay so.
          `sentinel failover-timeout ${SENTINEL_NAME} ${link ? 180_000 : 5000}`,
          `sentinel parallel-syncs ${SENTINEL_NAME} 1`,
          "",
        ].join("\n"),
      );
      const sentinel = await startRedisServer({ configFile, extraArgs: ["--sentinel", "--dir", folder] });
      started.push(sentinel);
      sentinels.push(sentinel);
    }
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (const sentinel of sentinels) {
      while (!/num-slaves\s+1\b/.test((await askSentinel(sentinel.port, "master", SENTINEL_NAME)).replace(/\n/g, " "))) {
        if (Date.now() > deadline) throw new Error(`sentinel ${sentinel.port} did not see the replica within ${READY_TIMEOUT_MS / 1000} s`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    const currentPrimary = async () => {
      const [host, port] = (await askSentinel(sentinels[0]!.port, "get-master-addr-by-name", SENTINEL_NAME)).trim().split("\n");
      return `${host}:${port}`;
    };
    const replicaInSync = async () => {
      const until = Date.now() + READY_TIMEOUT_MS;
      for (;;) {
        const port = (await currentPrimary()).split(":")[1]!;
        const info = (await run("redis-cli", ["-p", port, "info", "replication"])).stdout;
        if (/slave0:.*state=online/.test(info)) return;
        if (Date.now() > until) throw new Error(`no replica in sync with the primary within ${READY_TIMEOUT_MS / 1000} s`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    // The sentinels count the replica before its first sync is done: wait for that too.
    await replicaInSync();
    return {
      sentinels: sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`),
      primary,
      replica,
      link,
      currentPrimary,
      replicaInSync,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
