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

const run = promisify(execFile);
const READY_TIMEOUT_MS = 20_000;
export const SENTINEL_NAME = "jollyjet";

export interface RedisSentinelHandle {
  /** `host:port` of every sentinel, as REDIS_SENTINELS takes them. */
  readonly sentinels: string[];
  readonly primary: RedisServerHandle;
  readonly replica: RedisServerHandle;
  /** The address the sentinels give for the primary now. */
  currentPrimary(): Promise<string>;
  stop(): Promise<void>;
}

async function askSentinel(port: number, ...args: string[]): Promise<string> {
  return (await run("redis-cli", ["-p", String(port), "sentinel", ...args])).stdout;
}

export async function startRedisSentinel(): Promise<RedisSentinelHandle> {
  const folder = await mkdtemp(join(tmpdir(), "jollyjet-sentinel-"));
  const started: RedisServerHandle[] = [];
  const stopAll = async () => {
    await Promise.all(started.map((server) => server.stop()));
    await rm(folder, { recursive: true, force: true });
  };
  try {
    const primary = await startRedisServer();
    started.push(primary);
    const replica = await startRedisServer({ extraArgs: ["--replicaof", "127.0.0.1", String(primary.port)] });
    started.push(replica);
    const sentinels: RedisServerHandle[] = [];
    for (let i = 0; i < 3; i++) {
      const configFile = join(folder, `sentinel-${i}.conf`);
      await writeFile(
        configFile,
        [
          `sentinel monitor ${SENTINEL_NAME} 127.0.0.1 ${primary.port} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_NAME} 1000`,
          `sentinel failover-timeout ${SENTINEL_NAME} 5000`,
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
    return {
      sentinels: sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`),
      primary,
      replica,
      async currentPrimary() {
        const [host, port] = (await askSentinel(sentinels[0]!.port, "get-master-addr-by-name", SENTINEL_NAME)).trim().split("\n");
        return `${host}:${port}`;
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
