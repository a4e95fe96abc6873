/**
 * Starts a throwaway redis-server (no persistence) on a free loopback port as a
 * child process of the test process. Used by vitest globalSetup files (plain
 * Node and vitest-pool-workers) and by fault tests that stop/restart Redis.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RedisClient } from "./ioredis-class";

const REDIS_BINARY = "redis-server";
const READY_TIMEOUT_MS = 10_000;
const PING_TIMEOUT_MS = 500;
const POLL_INTERVAL_MS = 50;
const KILL_GRACE_MS = 3_000;
const OUTPUT_TAIL_CHARS = 4_000;

export interface RedisServerHandle {
  readonly url: string;
  readonly port: number;
  /** SIGTERM, wait for exit (SIGKILL after 3 s). No-op when not running. */
  stop(): Promise<void>;
  /** Restart on the same port after stop() (for fault tests). No-op when running. */
  start(): Promise<void>;
  /** The last few kilobytes the server logged, for a test's failure message. */
  recentOutput(): string;
}

/** Every redis-server we spawned and that is still alive; killed on process exit. */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of liveChildren) {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Ask the OS for a free loopback port: listen on port 0, read it, close. */
export async function findFreePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      if (address === null || typeof address === "string") {
        srv.close();
        reject(new Error("could not determine a free port"));
        return;
      }
      const { port } = address;
      srv.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

/** One PING with a short timeout; never hangs, always disconnects. */
async function pingOnce(port: number): Promise<boolean> {
  const client = new RedisClient({
    host: "127.0.0.1",
    port,
    protocol: 2,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    connectTimeout: PING_TIMEOUT_MS,
    commandTimeout: PING_TIMEOUT_MS,
    retryStrategy: () => null,
  });
  client.on("error", () => {
    // connection refused while the server boots: expected, swallow
  });
  try {
    await client.connect();
    const reply = await client.ping();
    return reply === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

function isEnoent(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "ENOENT";
}

function notFoundError(cause?: unknown): Error {
  return new Error(
    "redis-server not found on PATH; install it with `apt-get update && apt-get install -y redis-server`",
    cause === undefined ? undefined : { cause },
  );
}

class RedisServerProcess implements RedisServerHandle {
  readonly url: string;
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private output = "";
  /**
   * Its own working folder: a replica's full sync writes an RDB file there even with
   * persistence off, and a restarted server would load whatever dump.rdb it finds.
   */
  private readonly folder = mkdtempSync(join(tmpdir(), "jollyjet-redis-"));

  constructor(
    readonly port: number,
    private readonly extraArgs: readonly string[] = [],
    /** A config file, which redis-server takes as its first argument (Sentinel needs one to write to). */
    private readonly configFile?: string,
  ) {
    this.url = `redis://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    if (this.child) return;
    this.output = "";

    const child = spawn(
      REDIS_BINARY,
      [
        ...(this.configFile ? [this.configFile] : []),
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "no",
        "--dir",
        this.folder,
        ...this.extraArgs,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );

    const state: { exitInfo: string | null } = { exitInfo: null };
    let markExited: () => void = () => undefined;
    this.exited = new Promise<void>((resolve) => {
      markExited = resolve;
      child.once("exit", (code, signal) => {
        state.exitInfo = signal ? `signal ${signal}` : `code ${String(code)}`;
        liveChildren.delete(child);
        if (this.child === child) this.child = null;
        resolve();
      });
    });

    const keepTail = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString("utf8")).slice(-OUTPUT_TAIL_CHARS);
    };
    child.stdout?.on("data", keepTail);
    child.stderr?.on("data", keepTail);

    // Wait for either a successful spawn or a spawn error (ENOENT arrives asynchronously).
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.on("error", (err) => {
        markExited(); // no 'exit' event follows a failed spawn
        reject(isEnoent(err) ? notFoundError(err) : err);
      });
    });

    this.child = child;
    liveChildren.add(child);
    installExitHook();
    // Do not let a forgotten server keep the test process alive; the exit hook kills it.
    child.unref();
    (child.stdout as { unref?: () => void } | null)?.unref?.();
    (child.stderr as { unref?: () => void } | null)?.unref?.();

    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (state.exitInfo !== null) {
        throw new Error(`redis-server on port ${this.port} exited during startup (${state.exitInfo}). Output:\n${this.output}`);
      }
      if (await pingOnce(this.port)) return;
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(
          `redis-server on port ${this.port} did not answer PING within ${READY_TIMEOUT_MS / 1000} s. Output:\n${this.output}`,
        );
      }
      await delay(POLL_INTERVAL_MS);
    }
  }

  recentOutput(): string {
    return this.output;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) {
      await this.exited;
      return;
    }
    const exited = this.exited;
    child.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      exited.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), KILL_GRACE_MS);
      }),
    ]);
    if (timer) clearTimeout(timer);
    if (timedOut) {
      child.kill("SIGKILL");
      await exited;
    }
  }
}

/**
 * Spawn redis-server on a free loopback port (or `port`) and wait until it answers PING.
 * `extraArgs` are more redis-server options (cluster mode, replication, sentinel).
 */
export async function startRedisServer(
  options: { port?: number; extraArgs?: readonly string[]; configFile?: string } = {},
): Promise<RedisServerHandle> {
  const port = options.port ?? (await findFreePort());
  const server = new RedisServerProcess(port, options.extraArgs, options.configFile);
  await server.start();
  return server;
}
