/**
 * The workload: seed K products, then C clients, each looping on random instances over
 * writes (PATCH stock, PATCH name + description, PUT, DELETE then a POST recreate) and reads
 * (GET one, GET the list page of the probe's category), recording every operation. Each write
 * puts a unique marker in (a stock value never used before, a name never used before), so
 * the content a read returns names the writes it came from.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { seenOf, type ApiProduct } from "./content";
import type { ListItem, Op, OpKind, Seen } from "./history/types";
import { codeOf, dataOf, jsonInit, send, type Reply, type WriteAuth } from "./http";
import { pick, randomInt, randomToken } from "./random";

export interface WorkloadOptions {
  urls: string[];
  /** Client i writes with auths[i % length]. */
  auths: WriteAuth[];
  clients: number;
  seconds: number;
  products: number;
  /** Every product the probe writes has it; list reads filter on it. */
  category: string;
  /** Started with the clients (after seeding) and awaited with them: the fault. */
  alongside?: () => Promise<void>;
}

/** Each client rests this long (plus up to as much again at random) between operations: load stays modest. */
const THINK_MS = 15;
/** A GET goes to a recently deleted product this often, so deleted products get read after their 204. */
const READ_DELETED_SHARE = 0.1;
const RECENTLY_DELETED = 20;
const SEED_ATTEMPTS_PER_PRODUCT = 10;
const SEED_RETRY_MS = 50;
/** Each list read asks for one page that holds every product of the probe's category. */
export const LIST_LIMIT = 100;

export const listPath = (category: string) => `/api/products?category=${encodeURIComponent(category)}&limit=${LIST_LIMIT}`;

/** Runs the workload; the history it returns holds the seeding too. */
export async function runWorkload(options: WorkloadOptions): Promise<Op[]> {
  const { urls, auths, category } = options;
  /** Seeding (client -1) writes with the first. */
  const authOf = (client: number) => auths[Math.max(0, client) % auths.length]!;
  const ops: Op[] = [];
  const live: string[] = [];
  const deleted: string[] = [];
  let creating = 0;
  const runTag = randomToken(3);
  let markers = 0;
  const nextMarker = () => (markers += 1);

  /** Sends one request and records it; `describe` turns a reply into what the history keeps. */
  async function perform(
    client: number,
    kind: OpKind,
    productId: string | undefined,
    path: string,
    init: RequestInit,
    extra: Partial<Op> = {},
    describe?: (reply: Reply) => Partial<Op>,
  ): Promise<Op> {
    const instance = randomInt(urls.length);
    const wallStart = Date.now();
    const start = performance.now();
    const reply = await send(`${urls[instance]}${path}`, init);
    const end = performance.now();
    const op: Op = {
      seq: ops.length,
      client,
      instance,
      kind,
      start,
      end,
      wallStart,
      wallEnd: wallStart + (end - start),
      outcome: reply.outcome,
      ...extra,
    };
    if (productId !== undefined) op.productId = productId;
    const code = codeOf(reply);
    if (code !== undefined) op.code = code;
    const xCache = reply.headers?.get("x-cache");
    if (xCache) op.xCache = xCache;
    Object.assign(op, describe?.(reply));
    ops.push(op);
    // A session Redis lost: sign in again for the next write (this one is recorded as refused).
    if (reply.outcome === 401) await authOf(client).renew();
    return op;
  }
  const productResult = (reply: Reply): Partial<Op> => {
    const product = typeof reply.outcome === "number" && reply.outcome < 300 ? dataOf<ApiProduct>(reply) : undefined;
    return product ? { result: seenOf(product) } : {};
  };

  const fullBody = (marker: number) => ({
    name: `Probe ${runTag} ${marker}`,
    description: `Probe product ${runTag} ${marker}, written by the consistency probe.`,
    price: 10 + (marker % 90),
    stock: marker,
    category,
    images: [],
    isActive: true,
  });

  async function create(client: number): Promise<void> {
    creating += 1;
    const body = fullBody(nextMarker());
    try {
      const op = await perform(
        client,
        "create",
        undefined,
        "/api/products",
        jsonInit("POST", body, authOf(client).header()),
        { intent: { name: body.name, stock: body.stock } },
        (reply) => {
          const product = reply.outcome === 201 ? dataOf<ApiProduct>(reply) : undefined;
          return product ? { productId: product.id, result: seenOf(product) } : {};
        },
      );
      if (op.productId !== undefined) live.push(op.productId);
    } finally {
      creating -= 1;
    }
  }

  const write = (client: number, kind: "patch" | "put", id: string, body: object, intent: Op["intent"]) =>
    perform(
      client,
      kind,
      id,
      `/api/products/${id}`,
      jsonInit(kind.toUpperCase(), body, authOf(client).header()),
      { intent: intent ?? {} },
      productResult,
    );

  async function deleteAndRecreate(client: number): Promise<void> {
    const id = live.splice(randomInt(live.length), 1)[0];
    if (id === undefined) return;
    deleted.push(id);
    if (deleted.length > RECENTLY_DELETED) deleted.shift();
    await perform(client, "delete", id, `/api/products/${id}`, { method: "DELETE", headers: { authorization: authOf(client).header() } });
    await create(client);
  }

  const read = (client: number, id: string) => perform(client, "get", id, `/api/products/${id}`, {}, {}, productResult);

  const readList = (client: number) =>
    perform(client, "list", undefined, listPath(category), {}, {}, (reply) => {
      const page = reply.outcome === 200 ? dataOf<{ products: ApiProduct[]; total: number }>(reply) : undefined;
      if (!page) return {};
      const items: ListItem[] = page.products.map((product) => {
        const seen: Seen = seenOf(product);
        return { id: product.id, version: seen.version, digest: seen.digest };
      });
      return { page: items, total: page.total };
    });

  async function step(client: number): Promise<void> {
    // Below K products (recreates refused), half the steps create: refused creates must not crowd out the rest.
    if (live.length === 0 || (live.length + creating < options.products && Math.random() < 0.5)) return create(client);
    const id = pick(live);
    if (id === undefined) return;
    const roll = Math.random();
    if (roll < 0.4) {
      const target = Math.random() < READ_DELETED_SHARE ? (pick(deleted) ?? id) : id;
      await read(client, target);
    } else if (roll < 0.55) await readList(client);
    else if (roll < 0.7) {
      const marker = nextMarker();
      await write(client, "patch", id, { stock: marker }, { stock: marker });
    } else if (roll < 0.8) {
      const { name, description } = fullBody(nextMarker());
      await write(client, "patch", id, { name, description }, { name });
    } else if (roll < 0.9) {
      const body = fullBody(nextMarker());
      await write(client, "put", id, body, { name: body.name, stock: body.stock });
    } else await deleteAndRecreate(client);
  }

  // Seed, one create at a time until K exist: a refused create is retried a little later.
  for (let attempts = 0; live.length < options.products; attempts++) {
    if (attempts >= options.products * SEED_ATTEMPTS_PER_PRODUCT)
      throw new Error(`could not seed ${options.products} products: ${live.length} created in ${attempts} attempts`);
    const before = live.length;
    await create(-1);
    if (live.length === before) await sleep(SEED_RETRY_MS);
  }

  const deadline = performance.now() + options.seconds * 1000;
  await Promise.all([
    options.alongside?.(),
    ...Array.from({ length: options.clients }, async (_, client) => {
      while (performance.now() < deadline) {
        await step(client);
        await sleep(THINK_MS + Math.random() * THINK_MS);
      }
    }),
  ]);
  return ops;
}
