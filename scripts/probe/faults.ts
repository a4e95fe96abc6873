/**
 * Faults injected while the clients run, on a schedule spread over the run. Each resolves
 * once the fault is over (Redis answering again, the instance back), so what follows —
 * quiescence and the final checks — sees a healed system.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Cluster } from "./cluster";

export const FAULTS = ["none", "redis-pause", "redis-restart", "instance-kill", "drift"] as const;
export type Fault = (typeof FAULTS)[number];

/** Faults that need the probe's own processes, database and Redis: not available with --targets. */
export const needsOwnCluster = (fault: Fault): boolean => fault !== "none";

export interface FaultEvent {
  /** ms since the clients started. */
  atMs: number;
  /** performance.now() when it happened (the history's clock). */
  at: number;
  what: string;
  /** Redis answers again from here on (a SIGCONT, a restart). */
  redisBack?: true;
}

const PAUSE_MS = 2_000;
/** After a SIGKILL, how long the instance stays down before it is started again. */
const DOWN_MS = 1_000;

/** `count` moments evenly spread over the run (ms), none at its very start or end. */
const spread = (seconds: number, count: number) => Array.from({ length: count }, (_, i) => ((i + 1) * seconds * 1000) / (count + 1));

export async function injectFault(fault: Fault, cluster: Cluster, seconds: number, events: FaultEvent[]): Promise<void> {
  const started = performance.now();
  const log = (what: string, redisBack?: true) => {
    const at = performance.now();
    events.push({ atMs: Math.round(at - started), at, what, ...(redisBack ? { redisBack } : {}) });
  };
  const at = async (ms: number) => sleep(Math.max(0, ms - (performance.now() - started)));
  const { redis, instances } = cluster;
  if (fault === "none" || fault === "drift") return; // drift comes after the workload (drift.ts)
  if (!redis || !instances) throw new Error(`fault ${fault} needs the probe to run the processes (not --targets)`);

  if (fault === "redis-pause") {
    for (const moment of spread(seconds, Math.min(4, Math.max(1, Math.floor(seconds / 4))))) {
      await at(moment);
      await redis.pause();
      log("redis-server SIGSTOP");
      try {
        await sleep(PAUSE_MS);
      } finally {
        await redis.resume();
        log("redis-server SIGCONT", true);
      }
    }
  } else if (fault === "redis-restart") {
    for (const moment of spread(seconds, seconds >= 10 ? 2 : 1)) {
      await at(moment);
      await redis.crashAndRestart();
      log("redis-server killed (-9) and started again, empty", true);
    }
  } else {
    const victim = instances[instances.length - 1]!;
    await at(seconds * 300);
    await victim.kill();
    log(`instance ${instances.length - 1} SIGKILL`);
    await sleep(DOWN_MS);
    await victim.start();
    log(`instance ${instances.length - 1} started again`);
  }
}
