/**
 * A TCP relay between a Redis replica and its primary (the replica is started with
 * `--replicaof 127.0.0.1 <link.port>`) that can hold the replication stream: while held, the
 * primary's writes reach the relay but not the replica, so the replica lags for real and
 * answers reads from before them; released, it catches up with everything in order.
 */
import { execFile } from "node:child_process";
import { createServer, connect, type Socket } from "node:net";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface ReplicationLink {
  readonly port: number;
  /** Stop passing the primary's stream to the replica (buffered, not lost). */
  hold(): void;
  /** Pass on what was held and everything after it. */
  release(): void;
  close(): Promise<void>;
}

export async function startReplicationLink(primaryPort: number): Promise<ReplicationLink> {
  let held = false;
  const pipes: { toReplica: Socket; buffered: Buffer[] }[] = [];
  const server = createServer((replicaSide) => {
    const primarySide = connect(primaryPort, "127.0.0.1");
    const pipe = { toReplica: replicaSide, buffered: [] as Buffer[] };
    pipes.push(pipe);
    replicaSide.on("data", (chunk) => primarySide.write(chunk));
    primarySide.on("data", (chunk: Buffer) => (held ? pipe.buffered.push(chunk) : replicaSide.write(chunk)));
    const end = () => {
      replicaSide.destroy();
      primarySide.destroy();
      pipes.splice(pipes.indexOf(pipe), 1);
    };
    replicaSide.on("close", end).on("error", end);
    primarySide.on("close", end).on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("replication link: no port");
  return {
    port: address.port,
    hold: () => (held = true),
    release() {
      held = false;
      for (const pipe of pipes) for (const chunk of pipe.buffered.splice(0)) pipe.toReplica.write(chunk);
    },
    async close() {
      for (const pipe of [...pipes]) pipe.toReplica.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `INFO replication` of the redis-server on `port` (redis-cli: no client library to load in a global setup). */
const replicationInfo = async (port: number) => (await run("redis-cli", ["-p", String(port), "info", "replication"])).stdout;

/** Resolves once the replica on `replicaPort` is linked and has processed everything the primary on `primaryPort` has. */
export async function untilReplicaInSync(primaryPort: number, replicaPort: number): Promise<void> {
  const offset = (info: string) => Number(/master_repl_offset:(\d+)/.exec(info)?.[1]);
  for (const giveUpAt = Date.now() + 10_000; ; await new Promise((resolve) => setTimeout(resolve, 20))) {
    const [primary, replica] = await Promise.all([replicationInfo(primaryPort), replicationInfo(replicaPort)]);
    if (/master_link_status:up/.test(replica) && offset(replica) >= offset(primary)) return;
    if (Date.now() > giveUpAt) throw new Error("the replica did not catch up");
  }
}
