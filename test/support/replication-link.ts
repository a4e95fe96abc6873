/**
 * A TCP relay in front of a Redis primary that can hold its replication stream: the replica
 * is started with `--replicaof 127.0.0.1 <link.port>`, and other clients may connect through
 * the link too (a Sentinel setup monitors the link's address, so the replica follows exactly
 * the address the sentinels know). While held, the primary's writes reach the relay but not
 * the replica, so the replica lags for real and answers reads from before them; released, it
 * catches up with everything in order. Only replication connections (those that sent
 * REPLCONF or PSYNC) are held; every other connection passes through untouched.
 */
import { execFile } from "node:child_process";
import { createServer, connect, type Socket } from "node:net";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface ReplicationLink {
  readonly port: number;
  /** Stop passing the primary's stream to replicas (buffered, not lost, while the primary lives). */
  hold(): void;
  /** Pass on what was held and everything after it. */
  release(): void;
  close(): Promise<void>;
}

export async function startReplicationLink(primaryPort: number): Promise<ReplicationLink> {
  let held = false;
  const pipes: { toClient: Socket; replication: boolean; buffered: Buffer[] }[] = [];
  const server = createServer((clientSide) => {
    const primarySide = connect(primaryPort, "127.0.0.1");
    const pipe = { toClient: clientSide, replication: false, buffered: [] as Buffer[] };
    pipes.push(pipe);
    clientSide.on("data", (chunk: Buffer) => {
      // A replica's handshake sends each command alone and waits for its reply, so one chunk holds it whole.
      if (/\b(REPLCONF|PSYNC)\b/i.test(chunk.toString("latin1"))) pipe.replication = true;
      primarySide.write(chunk);
    });
    primarySide.on("data", (chunk: Buffer) => (held && pipe.replication ? pipe.buffered.push(chunk) : clientSide.write(chunk)));
    const end = () => {
      clientSide.destroy();
      primarySide.destroy();
      if (pipes.includes(pipe)) pipes.splice(pipes.indexOf(pipe), 1);
    };
    clientSide.on("close", end).on("error", end);
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
      for (const pipe of pipes) for (const chunk of pipe.buffered.splice(0)) pipe.toClient.write(chunk);
    },
    async close() {
      for (const pipe of [...pipes]) pipe.toClient.destroy();
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

/**
 * Resolves once the primary on `primaryPort` reports a replica online that has acknowledged
 * everything it has written (replicas acknowledge once a second), for helpers that know the
 * primary only.
 */
export async function untilPrimaryHasReplicaInSync(primaryPort: number, timeoutMs: number): Promise<void> {
  for (const giveUpAt = Date.now() + timeoutMs; ; await new Promise((resolve) => setTimeout(resolve, 100))) {
    const info = await replicationInfo(primaryPort);
    const written = Number(/master_repl_offset:(\d+)/.exec(info)?.[1]);
    const acknowledged = [...info.matchAll(/slave\d+:.*state=online,offset=(\d+)/g)].map((match) => Number(match[1]));
    if (acknowledged.some((offset) => offset >= written)) return;
    if (Date.now() > giveUpAt) throw new Error(`the primary on port ${primaryPort} had no replica in sync within ${timeoutMs / 1000} s`);
  }
}

/** How many clients of the redis-server on `port` are blocked in a WAIT right now (CLIENT LIST). */
export async function clientsBlockedInWait(port: number): Promise<number> {
  const { stdout } = await run("redis-cli", ["-p", String(port), "client", "list"]);
  return stdout.split("\n").filter((line) => / flags=\w*b\w* /.test(line) && / cmd=wait /.test(line)).length;
}
