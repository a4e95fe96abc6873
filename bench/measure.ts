/** Load generation (autocannon, in the orchestrator's process), redis-server and machine readings, small statistics. */
import { readFileSync } from "node:fs";
import { cpus, release, totalmem, type as osType, arch } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import type { Redis } from "ioredis";

export interface CannonResult {
  seconds: number;
  responses: number;
  /** Non-2xx responses plus errors and timeouts. */
  failures: number;
  bytes: number;
  /** Every response's latency, ms, sorted (autocannon's own histogram keeps whole milliseconds only). */
  latencies: Float64Array;
}

/** A request other than a GET: its method and headers, and a body made for each request. */
export interface Sent {
  method: "PATCH" | "POST";
  headers: Record<string, string>;
  body: () => string;
}

/** One autocannon run against 127.0.0.1:port; `path()` is asked for every request (a GET unless `send` says). Either `duration` (s) or `amount`. */
export function cannon(o: {
  port: number;
  connections: number;
  duration?: number;
  amount?: number;
  path: () => string;
  send?: Sent;
}): Promise<CannonResult> {
  const latencies: number[] = [];
  let bytes = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${o.port}`,
        connections: o.connections,
        ...(o.amount !== undefined ? { amount: o.amount } : { duration: o.duration ?? 10 }),
        timeout: 10,
        requests: [
          o.send
            ? {
                method: o.send.method,
                headers: o.send.headers,
                setupRequest: (request) => ({ ...request, path: o.path(), body: o.send!.body() }),
              }
            : { method: "GET", setupRequest: (request) => ({ ...request, path: o.path() }) },
        ],
      },
      (error, result) => {
        if (error) return reject(error);
        resolve({
          seconds: result.duration,
          responses: result.requests.total,
          failures: result.non2xx + result.errors + result.timeouts,
          bytes,
          latencies: Float64Array.from(latencies).sort(),
        });
      },
    );
    instance.on("response", (_client, _status, responseBytes, ms) => {
      latencies.push(ms);
      bytes += responseBytes;
    });
  });
}

/** Nearest-rank percentile of an ascending array. */
export const percentile = (sorted: ArrayLike<number>, p: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length === 0 ? Number.NaN : sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export interface RedisReading {
  /** used_cpu_user + used_cpu_sys, µs. */
  cpuUs: number;
  /** INFO commandstats calls per command (commands scripts run with redis.call included). */
  calls: Record<string, number>;
}

export async function readRedis(admin: Redis): Promise<RedisReading> {
  const [cpu, stats] = await Promise.all([admin.info("cpu"), admin.info("commandstats")]);
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(cpu)?.[1] ?? 0);
  const calls = Object.fromEntries([...stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
  return { cpuUs: (field("used_cpu_user") + field("used_cpu_sys")) * 1e6, calls };
}

export function redisDelta(before: RedisReading, after: RedisReading): RedisReading {
  // INFO is the harness asking.
  const calls = Object.entries(after.calls).filter(([name, n]) => name !== "info" && n > (before.calls[name] ?? 0));
  return { cpuUs: after.cpuUs - before.cpuUs, calls: Object.fromEntries(calls.map(([name, n]) => [name, n - (before.calls[name] ?? 0)])) };
}

/** Busy CPU time of the whole machine so far, µs (/proc/stat, in USER_HZ = 100 ticks/s on Linux; NaN without it). */
export function machineBusyUs(): number {
  try {
    const [user, nice, system, , , irq, softirq, steal] = readFileSync("/proc/stat", "utf8")
      .split("\n", 1)[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    return (((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * 1e6) / 100;
  } catch {
    return Number.NaN;
  }
}

const readText = (file: string) => {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
};

const PACKAGES = [
  "autocannon",
  "hono",
  "@hono/node-server",
  "ioredis",
  "express",
  "express-rate-limit",
  "rate-limit-redis",
  "rate-limiter-flexible",
  "@libsql/client",
  "drizzle-orm",
  "@upstash/ratelimit",
  "tsx",
];

export function machine(root: string, redisVersion: string) {
  const version = (pkg: string) =>
    (JSON.parse(readText(join(root, "node_modules", pkg, "package.json")) || "{}") as { version?: string }).version ?? "?";
  return {
    cpu: /^model name\s*:\s*(.*)$/m.exec(readText("/proc/cpuinfo"))?.[1] ?? cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    ramGiB: totalmem() / 2 ** 30,
    node: process.version,
    os: `${/^PRETTY_NAME="?([^"\n]*)"?/m.exec(readText("/etc/os-release"))?.[1] ?? osType()} (${osType()} ${release()}, ${arch()})`,
    redis: redisVersion,
    packages: PACKAGES.map((pkg) => `${pkg} ${version(pkg)}`).join(", "),
    runtimes: `Node ${process.version}, Bun ${version("bun")} and Deno ${version("deno")} (the npm packages' binaries)`,
  };
}
