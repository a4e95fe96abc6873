/**
 * @module
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
import { Redis } from "@upstash/redis/cloudflare";
import { queueOnUpstash, type RedisCommand } from "../commands";
import { refuseAfterDeadline, type RawReply, type RedisTransport, type ReplicaSync } from "../port";

/** The Upstash REST transport for `url` and `token`; every call bounded by `timeoutMs`. */
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
      refuseAfterDeadline(deadline);
      const client = sync ? newClient(true) : shared;
      if (sync) client.readYourWritesSyncToken = sync.token ?? "";
      const pipeline = client.pipeline();
      for (const command of commands) queueOnUpstash(pipeline, command);
      const replies: { error?: string; result?: unknown }[] = await pipeline.exec({ keepErrors: true });
      if (sync) sync.token = client.readYourWritesSyncToken || sync.token;
      return replies.map((reply) => (reply.error ? { ok: false, error: new Error(reply.error) } : { ok: true, value: reply.result }));
    },
    async close() {},
  };
}
