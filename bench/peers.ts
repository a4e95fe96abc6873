/**
 * The peers: the same cached read on other stacks, written as a plain deployment of each stack
 * would serve it. Each reads the product's JSON text with one Redis GET, parses it and sends
 * the app's envelope `{"status":"success","data":<product>}` (parse + serialise, like the
 * app's `c.json`). The two limiter peers first check a Redis-backed limit per client IP
 * (limit high enough never to block). ioredis with RESP2, as the app's adapter.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import { createAdaptorServer } from "@hono/node-server";
import express from "express";
import { rateLimit } from "express-rate-limit";
import { Hono } from "hono";
import { Redis } from "ioredis";
import { RedisStore, type RedisReply } from "rate-limit-redis";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";

export type PeerName = "hono" | "node" | "express" | "flexible";

export interface PeerOptions {
  redisUrl: string;
  /** A product's JSON is at `${productPrefix}${id}`. */
  productPrefix: string;
  /** The limiter's own keys. */
  limiterPrefix: string;
  limit: number;
}

const PRODUCT_PATH = /^\/api\/products\/([A-Za-z0-9_-]{1,64})$/;
const envelope = (json: string) => ({ status: "success", data: JSON.parse(json) as unknown });
const NOT_FOUND = { status: "error", error: { code: "NOT_FOUND", message: "No such product" } };

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | number> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers }).end(text);
}

/** Returns the server (not yet listening) and what to close after it. */
export function createPeer(name: PeerName, o: PeerOptions): { server: Server; redis: Redis } {
  const redis = new Redis(o.redisUrl, { protocol: 2 });
  const product = (id: string) => redis.get(`${o.productPrefix}${id}`);

  if (name === "hono") {
    const app = new Hono();
    app.get("/api/products/:id", async (c) => {
      const json = await product(c.req.param("id"));
      return json === null ? c.json(NOT_FOUND, 404) : c.json(envelope(json));
    });
    return { server: createAdaptorServer({ fetch: app.fetch }) as Server, redis };
  }

  if (name === "express") {
    const app = express();
    const store = new RedisStore({
      prefix: o.limiterPrefix,
      sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<RedisReply>,
    });
    app.use("/api", rateLimit({ windowMs: 60_000, limit: o.limit, store }));
    app.get("/api/products/:id", async (req, res) => {
      const json = await product(req.params.id);
      if (json === null) res.status(404).json(NOT_FOUND);
      else res.json(envelope(json));
    });
    return { server: createServer(app), redis };
  }

  // node:http, bare or behind rate-limiter-flexible.
  const limiter =
    name === "flexible"
      ? new RateLimiterRedis({ storeClient: redis, keyPrefix: o.limiterPrefix, points: o.limit, duration: 60 })
      : undefined;
  const server = createServer(async (req, res) => {
    const id = req.method === "GET" ? PRODUCT_PATH.exec(req.url ?? "")?.[1] : undefined;
    if (!id) return sendJson(res, 404, NOT_FOUND);
    try {
      const headers: Record<string, number> = {};
      if (limiter) {
        const used = await limiter.consume(req.socket.remoteAddress ?? "unknown");
        Object.assign(headers, {
          "x-ratelimit-limit": o.limit,
          "x-ratelimit-remaining": used.remainingPoints,
          "x-ratelimit-reset": Math.ceil(used.msBeforeNext / 1000),
        });
      }
      const json = await product(id);
      sendJson(res, json === null ? 404 : 200, json === null ? NOT_FOUND : envelope(json), headers);
    } catch (error) {
      if (error instanceof RateLimiterRes) sendJson(res, 429, { status: "error" }, { "retry-after": Math.ceil(error.msBeforeNext / 1000) });
      else sendJson(res, 500, { status: "error" });
    }
  });
  return { server, redis };
}
