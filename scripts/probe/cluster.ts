/**
 * What the probe runs against: its own redis-server and N app instances as separate OS
 * processes (`node --import tsx src/entry/node.ts`, as `npm start` runs it) sharing one
 * SQLite file — or instances already running (`--targets`), which it can only talk to.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Redis } from "ioredis";
import { findFreePort, startRedisServer, type RedisServerHandle } from "../../test/support/redis-server";
import { randomToken } from "./random";

export type ConsistencyMode = "strict" | "available";

const ENTRY = fileURLToPath(new URL("../../src/entry/node.ts", import.meta.url));
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 3_000;
const OUTPUT_TAIL_CHARS = 4_000;

/** Every app process still alive and every temp folder, killed and removed when the probe exits however it exits. */
const liveChildren = new Set<ChildProcess>();
const liveFolders = new Set<string>();
process.on("exit", () => {
  for (const child of liveChildren) child.kill("SIGKILL");
  for (const folder of liveFolders) rmSync(folder, { recursive: true, force: true });
});

export interface AppInstance {
  readonly url: string;
  /** SIGKILL: no shutdown, whatever it was doing is cut off. */
  kill(): Promise<void>;
  /** Starts it again on the same port with the same environment; resolves once it answers /health. */
  start(): Promise<void>;
  stop(): Promise<void>;
  recentOutput(): string;
}

/** Process control over the probe's redis-server (the pid comes from INFO: the handle does not expose it). */
export interface RedisControl {
  readonly url: string;
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** kill -9, then a new empty redis-server on the same port. */
  crashAndRestart(): Promise<void>;
}

export interface Cluster {
  urls: string[];
  /** Present when the probe started the instances itself (faults need them). */
  instances?: AppInstance[];
  redis?: RedisControl;
  /** For the final checks: read directly. */
  databaseUrl?: string;
  redisUrl?: string;
  redisPrefix: string;
  admin: { email?: string; password?: string; token?: string };
  stop(): Promise<void>;
}

async function healthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

function appInstance(port: number, env: Record<string, string>, cwd: string): AppInstance {
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = "";

  const start = async () => {
    output = "";
    const proc = spawn(process.execPath, ["--import", TSX_LOADER, ENTRY], {
      cwd,
      env: { ...env, PORT: String(port) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = proc;
    liveChildren.add(proc);
    let gone = false;
    exited = new Promise((resolve) =>
      proc.once("exit", () => {
        gone = true;
        liveChildren.delete(proc);
        resolve();
      }),
    );
    const keep = (chunk: Buffer) => (output = (output + chunk.toString("utf8")).slice(-OUTPUT_TAIL_CHARS));
    proc.stdout?.on("data", keep);
    proc.stderr?.on("data", keep);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await healthy(url))) {
      if (gone || Date.now() > deadline)
        throw new Error(`app instance on port ${port} ${gone ? "exited" : "did not answer /health"} while starting:\n${output}`);
      await sleep(100);
    }
  };
  const signalAndWait = async (signal: NodeJS.Signals) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await exited;
  };
  return {
    url,
    start,
    kill: () => signalAndWait("SIGKILL"),
    async stop() {
      const done = signalAndWait("SIGTERM");
      const late = setTimeout(() => child?.kill("SIGKILL"), STOP_GRACE_MS);
      await done;
      clearTimeout(late);
    },
    recentOutput: () => output,
  };
}

async function redisPid(url: string): Promise<number> {
  const client = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 2_000, commandTimeout: 2_000, lazyConnect: true });
  client.on("error", () => {});
  try {
    await client.connect();
    const info = await client.info("server");
    const pid = /process_id:(\d+)/.exec(info)?.[1];
    if (!pid) throw new Error("INFO server has no process_id");
    return Number(pid);
  } finally {
    client.disconnect();
  }
}

function redisControl(server: RedisServerHandle): RedisControl {
  let paused: number | undefined;
  return {
    url: server.url,
    async pause() {
      paused = await redisPid(server.url);
      process.kill(paused, "SIGSTOP");
    },
    async resume() {
      if (paused !== undefined) process.kill(paused, "SIGCONT");
      paused = undefined;
    },
    async crashAndRestart() {
      process.kill(await redisPid(server.url), "SIGKILL");
      await server.stop(); // waits for the exit the kill caused
      await server.start();
    },
  };
}

/**
 * Starts redis-server and `instances` app processes on one database file in a temp folder.
 * The first instance starts alone (it applies the migrations), then the others together.
 */
export async function startCluster(options: { instances: number; mode: ConsistencyMode }): Promise<Cluster> {
  const folder = mkdtempSync(join(tmpdir(), "jollyjet-probe-"));
  liveFolders.add(folder);
  const server = await startRedisServer();
  const redis = redisControl(server);
  const admin = { email: "probe-admin@example.test", password: randomToken(18), token: randomToken(24) };
  const databaseUrl = `file:${join(folder, "probe.db")}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
    REDIS_URL: server.url,
    DATABASE_URL: databaseUrl,
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
    ADMIN_TOKEN: admin.token,
    RATE_LIMIT_MAX: "1000000000",
    RATE_LIMIT_AUTH_MAX: "1000000000",
    CACHE_CONSISTENCY: options.mode,
    LOG_LEVEL: "warn",
    // Only the probe's own runs: a cron run in the middle would repair what the probe is there to see.
    CONSISTENCY_CRON: "0 0 1 1 *",
  };
  const ports = await Promise.all(Array.from({ length: options.instances }, () => findFreePort()));
  // The instances' working folder is the temp folder, so a .env in the checkout cannot change their configuration.
  const instances = ports.map((port) => appInstance(port, env, folder));
  const stop = async () => {
    await redis.resume().catch(() => {});
    await Promise.all(instances.map((instance) => instance.stop()));
    await server.stop();
    rmSync(folder, { recursive: true, force: true });
    liveFolders.delete(folder);
  };
  try {
    await instances[0]!.start();
    await Promise.all(instances.slice(1).map((instance) => instance.start()));
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    urls: instances.map((instance) => instance.url),
    instances,
    redis,
    databaseUrl,
    redisUrl: server.url,
    redisPrefix: "jollyjet",
    admin,
    stop,
  };
}

/** Instances someone else runs: loopback only; final checks only with the database and Redis URLs given. */
export function targetCluster(options: {
  urls: string[];
  databaseUrl?: string;
  redisUrl?: string;
  redisPrefix?: string;
  admin: Cluster["admin"];
}): Cluster {
  for (const url of options.urls) {
    const host = new URL(url).hostname;
    if (!["127.0.0.1", "localhost", "[::1]"].includes(host)) throw new Error(`--targets: ${url} is not a loopback address`);
  }
  return {
    urls: options.urls.map((url) => url.replace(/\/$/, "")),
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}),
    redisPrefix: options.redisPrefix ?? "jollyjet",
    admin: options.admin,
    stop: async () => {},
  };
}
