/**
 * What the benchmark's orchestrator (scripts/bench.ts) and its child servers
 * (scripts/bench/server.ts) say to each other over the fork() IPC channel.
 */

/** How a child is started: passed as JSON in the BENCH_CHILD environment variable. */
export type ChildSpec =
  | {
      /** Bare Hono handler: one ioredis GET of `{productPrefix}:cache:product:{id}`, returned as is. */
      mode: "baseline";
      redisUrl: string;
      productPrefix: string;
    }
  | {
      /**
       * Diagnostic: bare Hono handler doing exactly the Redis work of the app's cached read
       * (the `default` rate-limit check and the product GET in one pipeline through the app's
       * RedisPort and RateLimiter), then decodeEntry + c.json; none of the app's middleware.
       */
      mode: "redis-layer";
      redisUrl: string;
      /** Prefix for this child's own rate-limit keys. */
      prefix: string;
      /** Prefix whose cached products it reads (the cached app's). */
      productPrefix: string;
      rateLimitMax: number;
    }
  | {
      /** The full app (createNodeServices + createApp), served like startNodeServer does. */
      mode: "app";
      env: Record<string, string>;
      /** Added before every ProductRepository.findById/findByIds. */
      dbLatencyMs: number;
      /** false: the product cache never hits and is never filled (see productCacheDisabled). */
      productCache: boolean;
    }
  | {
      /** Inserts `total` products, caches them all, then times one consistency run. */
      mode: "consistency";
      env: Record<string, string>;
      total: number;
      chunk: number;
    };

export interface RedisCounters {
  /** send() calls the app made on its transport, and the commands in them. */
  issuedRoundTrips: number;
  issuedCommands: number;
  /** What actually reached redis-server (differs only when commands are answered locally). */
  roundTrips: number;
  commands: number;
}

export interface ChildStats extends RedisCounters {
  /** HTTP requests the child's server received. */
  served: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  /** CPU time of the main (JavaScript) thread alone, µs, from /proc (undefined where there is no /proc). */
  mainThreadCpuUs?: number;
  /** ProductRepository.findById + findByIds calls (the wrapper's count of database loads). */
  loads: number;
  /** Cache counters from services.metrics.totals() (app children, when asked). */
  metrics?: Record<string, number>;
}

export interface ConsistencyResult {
  total: number;
  insertSeconds: number;
  cacheFillSeconds: number;
  runSeconds: number;
  report: { scanned: number; consistent: number; stale: number; orphaned: number; corrupt: number; score: number; complete: boolean; errors: number };
  rssBefore: number;
  rssPeak: number;
  heapBefore: number;
  heapPeak: number;
  /** After the run and a forced GC: what the run left behind. */
  rssAfterGc: number;
  heapAfterGc: number;
  samples: number;
  largestBatch: number;
  batches: number;
}

export type ParentMessage =
  | { id: number; type: "stats"; metrics?: boolean }
  | { id: number; type: "profile-start"; intervalUs: number }
  | { id: number; type: "profile-stop"; file: string }
  | { id: number; type: "set-latency"; ms: number }
  | { id: number; type: "exit" };

export type ChildMessage =
  | { type: "ready"; port: number }
  | { type: "failed"; error: string }
  | { type: "consistency"; result: ConsistencyResult }
  | { id: number; type: "reply"; stats?: ChildStats; error?: string };
