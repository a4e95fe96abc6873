/**
 * A real Sentinel setup on loopback for tests: a primary, one replica and three sentinels
 * watching them (quorum 2, 1 s to call the primary down), all child processes; ready once
 * every sentinel knows the primary and its replica in sync.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { startRedisServer, type RedisServerHandle } from "./redis-server";
import { startReplicationLink, untilPrimaryHasReplicaInSync, type ReplicationLink } from "./replication-link";

const run = promisify(execFile);
const READY_TIMEOUT_MS = 20_000;
/**
 * A failover's leader election can split (every sentinel votes for itself); the sentinels then
 * retry after twice the failover timeout (5 s here), so allow one retry and its election.
 */
const PROMOTION_TIMEOUT_MS = 30_000;
const FAILOVER_TIMEOUT_MS = 5_000;
export const SENTINEL_NAME = "jollyjet";

export interface RedisSentinelHandle {
  /** `host:port` of every sentinel, as REDIS_SENTINELS takes them. */
  readonly sentinels: string[];
  readonly primary: RedisServerHandle;
  readonly replica: RedisServerHandle;
  /** With `replicationLink`: the relay in front of the primary, which can hold the replica back. */
  readonly link: ReplicationLink | undefined;
  /** The address the sentinels give for the primary now. */
  currentPrimary(): Promise<string>;
  /** Stops the primary and resolves once the sentinels have promoted the replica. */
  killPrimaryAndAwaitPromotion(): Promise<void>;
  /** Resolves once the current primary has a replica that acknowledged all it wrote (after a failover: the old primary rejoined). */
  replicaInSync(): Promise<void>;
  stop(): Promise<void>;
}

async function askSentinel(port: number, ...args: string[]): Promise<string> {
  return (await run("redis-cli", ["-p", String(port), "sentinel", ...args])).stdout;
}

/**
 * `replicationLink`: the primary sits behind a relay the test can hold
 * (test/support/replication-link.ts); the sentinels and the replica know it by the relay's
 * address, so nothing looks misconfigured to the sentinels.
 */
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
    const primaryPort = link?.port ?? primary.port;
    const replica = await startRedisServer({ extraArgs: ["--replicaof", "127.0.0.1", String(primaryPort)] });
    started.push(replica);
    const sentinels: RedisServerHandle[] = [];
    for (let i = 0; i < 3; i++) {
      const configFile = join(folder, `sentinel-${i}.conf`);
      await writeFile(
        configFile,
        [
          `sentinel monitor ${SENTINEL_NAME} 127.0.0.1 ${primaryPort} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_NAME} 1000`,
          `sentinel failover-timeout ${SENTINEL_NAME} ${FAILOVER_TIMEOUT_MS}`,
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
    const replicaInSync = async () => untilPrimaryHasReplicaInSync(Number((await currentPrimary()).split(":")[1]), READY_TIMEOUT_MS);
    const killPrimaryAndAwaitPromotion = async () => {
      const before = await currentPrimary();
      await primary.stop();
      for (const giveUpAt = Date.now() + PROMOTION_TIMEOUT_MS; (await currentPrimary()) === before; ) {
        if (Date.now() > giveUpAt) {
          const logs = sentinels.map((sentinel) => `--- sentinel ${sentinel.port}\n${sentinel.recentOutput()}`).join("\n");
          throw new Error(`the sentinels promoted no replica within ${PROMOTION_TIMEOUT_MS / 1000} s\n${logs}`);
        }
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
      killPrimaryAndAwaitPromotion,
      replicaInSync,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
