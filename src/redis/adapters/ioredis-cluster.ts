/**
 * @module
 * The ioredis adapter for Redis Cluster: one batch becomes one pipeline per master it touches,
 * sent at once; multi-key commands whose keys fall in several slots are split per slot, and
 * keyless ones (SCAN, INFO, DBSIZE) go to every master, their replies put back together.
 */
import calculateSlot from "cluster-key-slot";
import { Cluster, type Redis } from "ioredis";
import { keysOf, toArgs, type RedisCommand } from "../commands";
import { refuseAfterDeadline, type RawReply, type RedisTransport } from "../port";
import { connectionsSplitByWait, hostAndPort, rawReplies } from "./ioredis";

/** Where a part of a command goes: the master of a slot, or one master by name (keyless commands). */
type Target = { slot: number } | { master: string };

/** A command as the cluster runs it: parts for one node each, and how their replies make its reply. */
interface Plan {
  parts: { command: RedisCommand; target: Target }[];
  merge(replies: RawReply[]): RawReply;
}

const failed = (replies: RawReply[]) => replies.find((reply): reply is Extract<RawReply, { ok: false }> => !reply.ok);
const values = (replies: RawReply[]) => replies.map((reply) => (reply as Extract<RawReply, { ok: true }>).value);

/** Keys grouped by slot, remembering each key's position. */
function bySlot(keys: readonly string[]): Map<number, { keys: string[]; positions: number[] }> {
  const groups = new Map<number, { keys: string[]; positions: number[] }>();
  keys.forEach((key, position) => {
    const slot = calculateSlot(key);
    const group = groups.get(slot) ?? { keys: [], positions: [] };
    group.keys.push(key);
    group.positions.push(position);
    groups.set(slot, group);
  });
  return groups;
}

/** `name:value` of INFO memory, summed over the masters (each holds part of the data). */
function sumInfo(replies: unknown[]): string {
  const total = (field: string) =>
    replies.reduce<number>((sum, reply) => sum + Number(new RegExp(`^${field}:(\\d+)`, "m").exec(String(reply))?.[1] ?? 0), 0);
  return `# Memory\r\nused_memory:${total("used_memory")}\r\nmaxmemory:${total("maxmemory")}\r\n`;
}

/**
 * How one command runs on the cluster. Multi-key commands whose keys fall in several slots
 * (MGET, DEL, UNLINK of a SCAN page) are split per slot and their replies put back together;
 * DBSIZE and INFO ask every master; SCAN walks the masters one after another under a cursor
 * `<master index>:<cursor>`, so callers iterate the whole keyspace as on one server. Scripts go
 * to their first key's slot: their keys must share it (hash tags, src/redis/keys.ts).
 */
function plan(command: RedisCommand, masters: readonly string[]): Plan {
  const single = (target: Target): Plan => ({ parts: [{ command, target }], merge: (replies) => replies[0]! });
  switch (command.name) {
    case "mget":
    case "del":
    case "unlink": {
      const groups = [...bySlot(command.keys).entries()];
      if (groups.length === 1) return single({ slot: groups[0]![0] });
      return {
        parts: groups.map(([slot, group]) => ({ command: { ...command, keys: group.keys }, target: { slot } })),
        merge(replies) {
          const error = failed(replies);
          if (error) return error;
          if (command.name !== "mget") return { ok: true, value: values(replies).reduce<number>((sum, count) => sum + Number(count), 0) };
          const merged: unknown[] = new Array(command.keys.length);
          for (const [index, reply] of values(replies).entries()) {
            for (const [i, value] of (reply as unknown[]).entries()) merged[groups[index]![1].positions[i]!] = value;
          }
          return { ok: true, value: merged };
        },
      };
    }
    case "dbsize":
    case "info":
      return {
        parts: masters.map((master) => ({ command, target: { master } })),
        merge(replies) {
          const error = failed(replies);
          if (error) return error;
          const all = values(replies);
          return { ok: true, value: command.name === "dbsize" ? all.reduce<number>((sum, count) => sum + Number(count), 0) : sumInfo(all) };
        },
      };
    case "scan": {
      const [indexText, cursor] = command.cursor.includes(":") ? command.cursor.split(":") : ["0", command.cursor];
      const index = Number(indexText);
      const master = masters[index];
      // A cursor from before a topology change may name a master that is gone: the walk ends.
      if (master === undefined) return { parts: [], merge: () => ({ ok: true, value: ["0", []] }) };
      return {
        parts: [{ command: { ...command, cursor: cursor ?? "0" }, target: { master } }],
        merge(replies) {
          const reply = replies[0]!;
          if (!reply.ok) return reply;
          const [next, keys] = reply.value as [string, string[]];
          const cursorOut = next !== "0" ? `${index}:${next}` : index + 1 < masters.length ? `${index + 1}:0` : "0";
          return { ok: true, value: [cursorOut, keys] };
        },
      };
    }
    default: {
      const [key] = keysOf(command);
      return single(key === undefined ? { master: masters[0]! } : { slot: calculateSlot(key) });
    }
  }
}

const address = (node: Redis) => `${node.options.host}:${node.options.port}`;

/**
 * WAIT's parts are placed per batch (send), on the masters with a replica to wait for; the
 * answer is the fewest acknowledgements any of them gave. A batch whose masters have no
 * replica has nothing a failover could lose (no replica to promote): it needs no wait, and
 * the answer is the number asked for.
 */
const waitMerge =
  (asked: number) =>
  (replies: RawReply[]): RawReply => {
    const error = failed(replies);
    if (error) return error;
    return { ok: true, value: replies.length === 0 ? asked : Math.min(...values(replies).map(Number)) };
  };

/**
 * The Redis Cluster adapter (`REDIS_CLUSTER_NODES`): ioredis's Cluster client, with a batch
 * sent as one pipeline per master it touches, all at once, so a request costs one round trip
 * per node it needs. Nothing is sent late, as with the single-node adapter: no offline queue,
 * no re-sending after a dropped connection. A master that fails answers its part of a batch
 * with errors while the others answer; a batch no master answered is a failed round trip.
 */
export function createIoRedisClusterTransport(nodes: readonly string[]): RedisTransport {
  const connections = connectionsSplitByWait(() => {
    const cluster = new Cluster(nodes.map(hostAndPort), {
      redisOptions: { protocol: 2, connectTimeout: 2000, maxRetriesPerRequest: 1, autoResendUnfulfilledCommands: false },
      enableOfflineQueue: false,
      // Failover: re-read the slot map quickly, and follow MOVED/ASK a few times at most.
      slotsRefreshTimeout: 1000,
      // Also re-read it every 5 s (ioredis documents this default but does not set it), so the
      // replicas WAIT counts on follow the cluster: one added, or one the cluster marked failed.
      slotsRefreshInterval: 5000,
      maxRedirections: 4,
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 100,
      clusterRetryStrategy: (attempt) => Math.min(attempt * 100, 500),
    });
    cluster.on("error", () => {});
    return cluster;
  });

  /** Runs one node's share of a batch as one pipeline; `reached` is false when the node could not be asked at all. */
  async function runOn(
    cluster: Cluster,
    node: string,
    commands: RedisCommand[],
    viaSlot: boolean,
  ): Promise<{ reached: boolean; replies: RawReply[] }> {
    try {
      const client = viaSlot ? cluster : cluster.nodes("master").find((master) => address(master) === node);
      if (!client) throw new Error(`Redis Cluster: no master ${node}`);
      return { reached: true, replies: rawReplies(await client.pipeline(commands.map(toArgs)).exec()) };
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      return { reached: false, replies: commands.map(() => ({ ok: false, error: failure })) };
    }
  }

  return {
    adapter: "ioredis",
    async send(commands: readonly RedisCommand[], deadline: number): Promise<RawReply[]> {
      const { client: cluster, connected } = connections.for(commands);
      await connected(deadline);
      refuseAfterDeadline(deadline);
      const masters = cluster.nodes("master").map(address).sort();
      const plans = commands.map(
        (command): Plan => (command.name === "wait" ? { parts: [], merge: waitMerge(command.replicas) } : plan(command, masters)),
      );
      // Group every part by the node that serves it: by slot through the cluster client (which
      // follows MOVED after a failover), keyless ones straight to the master they name.
      // `replicated`: the slot map lists a replica of that master (ioredis re-reads it every 5 s
      // and after a MOVED; a replica the cluster marked failed is not listed).
      const groups = new Map<
        string,
        { viaSlot: boolean; replicated: boolean; commands: RedisCommand[]; slots: { plan: number; part: number }[] }
      >();
      for (const [planIndex, planned] of plans.entries()) {
        for (const [partIndex, part] of planned.parts.entries()) {
          const viaSlot = "slot" in part.target;
          const served = "slot" in part.target ? cluster.slots[part.target.slot] : undefined;
          const node = "slot" in part.target ? (served?.[0] ?? masters[0] ?? "") : part.target.master;
          const key = `${viaSlot ? "slot" : "node"}:${node}`;
          const group = groups.get(key) ?? { viaSlot, replicated: (served?.length ?? 0) > 1, commands: [], slots: [] };
          group.commands.push(part.command);
          group.slots.push({ plan: planIndex, part: partIndex });
          groups.set(key, group);
        }
      }
      // A WAIT counts the writes before it on its connection: it goes last to every master the
      // batch writes through a slot and that has a replica. Keyless commands (SCAN, INFO,
      // DBSIZE) write nothing to wait for.
      const waits = commands.flatMap((command, index) => (command.name === "wait" ? [index] : []));
      for (const index of waits) {
        const command = commands[index]!;
        const parts = [...groups.values()]
          .filter((group) => group.viaSlot && group.replicated)
          .map((group, part) => {
            group.slots.push({ plan: index, part });
            group.commands.push(command);
            return { command, target: { master: "" } as Target };
          });
        plans[index] = { parts, merge: plans[index]!.merge };
      }
      const partReplies = plans.map((planned) => new Array<RawReply>(planned.parts.length));
      const sent = [...groups.entries()];
      const answered = await Promise.all(
        sent.map(([key, group]) => runOn(cluster, key.slice(key.indexOf(":") + 1), group.commands, group.viaSlot)),
      );
      // No node reachable: a failed round trip (the port's breaker counts it), not error replies.
      const unreachable = answered.find((result) => !result.reached);
      if (unreachable && answered.every((result) => !result.reached)) throw (unreachable.replies[0] as { error: Error }).error;
      for (const [groupIndex, [, group]] of sent.entries()) {
        for (const [i, { plan: p, part }] of group.slots.entries()) partReplies[p]![part] = answered[groupIndex]!.replies[i]!;
      }
      return plans.map((planned, index) => planned.merge(partReplies[index]!));
    },
    // Each master keeps its own script cache: the one a script reaches is its first key's
    // master (unknown until the slot map is read), or the master a keyless one goes to.
    scriptCache(command: RedisCommand): string | undefined {
      const { client: cluster } = connections.for([command]);
      const [part] = plan(command, cluster.nodes("master").map(address).sort()).parts;
      return part && ("slot" in part.target ? cluster.slots[part.target.slot]?.[0] : part.target.master);
    },
    close: connections.close,
  };
}
