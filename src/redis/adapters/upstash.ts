import { Redis } from "@upstash/redis/cloudflare";
import type { RedisCommand } from "../commands";
import type { RawReply, RedisTransport, ReplicaSync } from "../port";

type UpstashPipeline = ReturnType<Redis["pipeline"]>;

/** Queues one command on an @upstash/redis pipeline through the client's typed methods. */
function enqueue(pipeline: UpstashPipeline, command: RedisCommand): void {
  switch (command.name) {
    case "get":
      pipeline.get(command.key);
      return;
    case "set": {
      const { key, value, pxMs, nx, xx } = command;
      const expiry = pxMs === undefined ? {} : { px: pxMs };
      if (nx) pipeline.set(key, value, { ...expiry, nx: true });
      else if (xx) pipeline.set(key, value, { ...expiry, xx: true });
      else pipeline.set(key, value, expiry);
      return;
    }
    case "del":
      pipeline.del(...command.keys);
      return;
    case "unlink":
      pipeline.unlink(...command.keys);
      return;
    case "mget":
      pipeline.mget(...command.keys);
      return;
    case "incrby":
      pipeline.incrby(command.key, command.by);
      return;
    case "hincrby":
      pipeline.hincrby(command.key, command.field, command.by);
      return;
    case "hgetall":
      pipeline.hgetall(command.key);
      return;
    case "pexpire":
      pipeline.pexpire(command.key, command.ms);
      return;
    case "pttl":
      pipeline.pttl(command.key);
      return;
    case "scan":
      pipeline.scan(command.cursor, { match: command.match, count: command.count });
      return;
    case "sadd":
      pipeline.sadd(command.key, ...(command.members as [string, ...string[]]));
      return;
    case "srem":
      pipeline.srem(command.key, ...command.members);
      return;
    case "smembers":
      pipeline.smembers(command.key);
      return;
    case "lpush":
      pipeline.lpush(command.key, ...command.values);
      return;
    case "ltrim":
      pipeline.ltrim(command.key, command.start, command.stop);
      return;
    case "lrange":
      pipeline.lrange(command.key, command.start, command.stop);
      return;
    case "evalsha":
      pipeline.evalsha(command.sha, command.keys, command.args);
      return;
    case "eval":
      pipeline.eval(command.source, command.keys, command.args);
      return;
    case "ping":
      pipeline.ping();
      return;
    case "dbsize":
      pipeline.dbsize();
      return;
    case "info":
      // @upstash/redis has no INFO method; a script asks the server the same question.
      pipeline.eval(INFO_SCRIPT, [], [command.section]);
      return;
    case "wait":
      // Upstash replicates by itself; configuration refuses REDIS_WAIT_REPLICAS with this adapter.
      throw new Error("WAIT is not available over Upstash REST");
  }
}

const INFO_SCRIPT = "return redis.call('INFO', ARGV[1])";

/**
 * The edge adapter: Upstash's Redis REST API through @upstash/redis. A batch is one explicit
 * `/pipeline` request. Automatic JSON deserialization is off so values come back exactly as
 * stored, the same as from the other adapters; the client's own retries are off because the
 * port bounds every call with its timeout and the caller decides what a failure means.
 *
 * Read-your-writes: the library keeps one sync token per client object, which concurrent
 * requests of different users would overwrite. So the shared client sends none, and a batch
 * given a ReplicaSync goes through a client object of its own (about 20 µs to make), whose
 * token is set before and read after that one request.
 */
export function createUpstashTransport(options: { url: string; token: string; timeoutMs: number }): RedisTransport {
  const newClient = (readYourWrites: boolean) =>
    new Redis({
      url: options.url,
      token: options.token,
      automaticDeserialization: false,
      enableTelemetry: false,
      retry: false,
      readYourWrites,
      // Abort each HTTP request when the port stops waiting for it, so none lingers.
      signal: () => AbortSignal.timeout(options.timeoutMs),
    });
  const shared = newClient(false);
  return {
    adapter: "upstash",
    async send(commands: readonly RedisCommand[], deadline: number, sync?: ReplicaSync): Promise<RawReply[]> {
      if (Date.now() >= deadline) throw new Error("Redis deadline passed before sending");
      const client = sync ? newClient(true) : shared;
      if (sync) client.readYourWritesSyncToken = sync.token ?? "";
      const pipeline = client.pipeline();
      for (const command of commands) enqueue(pipeline, command);
      const replies: { error?: string; result?: unknown }[] = await pipeline.exec({ keepErrors: true });
      if (sync) sync.token = client.readYourWritesSyncToken || sync.token;
      return replies.map((reply) => (reply.error ? { ok: false, error: new Error(reply.error) } : { ok: true, value: reply.result }));
    },
    async close() {},
  };
}
