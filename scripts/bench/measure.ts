/** Load generation (autocannon, in the orchestrator) and the small statistics the report needs. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import autocannon from "autocannon";
import type { Redis } from "ioredis";

export interface CannonResult {
  seconds: number;
  responses: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** Bytes received (status line, headers and body) over all responses. */
  bytes: number;
  /** Every response's latency, ms (autocannon's own histogram only keeps whole milliseconds). */
  latencies: Float64Array;
  /** X-Cache values seen (only with collectCache). */
  cache: Record<string, number>;
}

/**
 * One autocannon run against 127.0.0.1:port. `path()` is asked for every request (e.g. to
 * rotate over product ids). Either `duration` (s) or `amount` (total requests, spread evenly
 * over the connections).
 */
export function cannon(options: { port: number; connections: number; duration?: number; amount?: number; path: () => string; collectCache?: boolean }): Promise<CannonResult> {
  const latencies: number[] = [];
  let bytes = 0;
  const cache: Record<string, number> = {};
  const onResponse = options.collectCache
    ? (_status: number, _body: string, _context: object, headers: Record<string, unknown> = {}) => {
        const entry = Object.entries(headers).find(([name]) => name.toLowerCase() === "x-cache");
        const value = String(entry?.[1] ?? "(none)");
        cache[value] = (cache[value] ?? 0) + 1;
      }
    : undefined;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${options.port}`,
        connections: options.connections,
        ...(options.amount !== undefined ? { amount: options.amount } : { duration: options.duration ?? 10 }),
        timeout: 10,
        requests: [
          {
            method: "GET",
            setupRequest: (request) => ({ ...request, path: options.path() }),
            ...(onResponse ? { onResponse: onResponse as NonNullable<autocannon.Request["onResponse"]> } : {}),
          },
        ],
      },
      (error, result) => {
        if (error) return reject(error);
        const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, stat.count ?? 0]));
        resolve({
          seconds: result.duration,
          responses: result.requests.total,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          statusCodes,
          bytes,
          latencies: Float64Array.from(latencies),
          cache,
        });
      },
    );
    instance.on("response", (_client, _status, responseBytes, ms) => {
      latencies.push(ms);
      bytes += responseBytes;
    });
  });
}

/** Nearest-rank percentile of an ascending-sorted array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export interface RedisServerSnapshot {
  /** used_cpu_user + used_cpu_sys of redis-server, µs. */
  cpuUs: number;
  /** INFO commandstats: calls and total µs per command (commands run inside scripts included). */
  commands: Record<string, { calls: number; usec: number }>;
}

export async function redisSnapshot(admin: Redis): Promise<RedisServerSnapshot> {
  const [cpu, stats] = await Promise.all([admin.info("cpu"), admin.info("commandstats")]);
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(cpu)?.[1] ?? 0);
  const commands: RedisServerSnapshot["commands"] = {};
  for (const match of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    commands[match[1]!] = { calls: Number(match[2]), usec: Number(match[3]) };
  }
  return { cpuUs: (field("used_cpu_user") + field("used_cpu_sys")) * 1e6, commands };
}

export function redisDelta(before: RedisServerSnapshot, after: RedisServerSnapshot): RedisServerSnapshot {
  const commands: RedisServerSnapshot["commands"] = {};
  for (const [name, now] of Object.entries(after.commands)) {
    const then = before.commands[name] ?? { calls: 0, usec: 0 };
    // INFO itself is the harness asking.
    if (name !== "info" && now.calls > then.calls) commands[name] = { calls: now.calls - then.calls, usec: now.usec - then.usec };
  }
  return { cpuUs: after.cpuUs - before.cpuUs, commands };
}

/** Busy CPU time of the whole machine so far, µs (from /proc/stat; undefined without it). */
export function machineBusyUs(clockTicks: number): number | undefined {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
    // cpu user nice system idle iowait irq softirq steal …
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    const busy = [user, nice, system, irq, softirq, steal].reduce<number>((total, value) => total + (value ?? 0), 0);
    return (busy * 1e6) / clockTicks;
  } catch {
    return undefined;
  }
}

/** Clock ticks per second of /proc's counters (getconf CLK_TCK; 100 on Linux by default). */
export function clockTicksPerSecond(): number {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
}
