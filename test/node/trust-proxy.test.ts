import { afterAll, describe, expect, it } from "vitest";
import { spoofed, stableWindowSeconds } from "../shared/harness";
import { createTestApp } from "../support/node-app";

const closers: (() => Promise<void>)[] = [];
afterAll(() => Promise.all(closers.map((close) => close())));

/** An app behind `hops` trusted proxies that admits 3 requests per client in a window no boundary falls within. */
async function behindProxies(hops: number) {
  const { app, close } = await createTestApp({
    TRUST_PROXY: "true",
    TRUST_PROXY_HOPS: String(hops),
    RATE_LIMIT_MAX: "3",
    RATE_LIMIT_WINDOW_S: String(stableWindowSeconds()),
    REDIS_PREFIX: `proxy-${crypto.randomUUID().slice(0, 8)}`,
  });
  closers.push(close);
  return async (forwardedFor: string) =>
    (await app.request("/api/products?limit=1", { headers: { "x-forwarded-for": forwardedFor } })).status;
}

describe("client address behind trusted proxies (TRUST_PROXY_HOPS)", () => {
  it("with one hop, a client's own X-Forwarded-For entries do not give it a new identity", async () => {
    const status = await behindProxies(1);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await status(`${spoofed()}, 203.0.113.9`));
    expect(statuses).toEqual([200, 200, 200, 429]);
    // The proxy's entry is the identity: the same address without a spoofed prefix is limited too.
    expect(await status("203.0.113.9")).toBe(429);
    expect(await status(`${spoofed()}, 203.0.113.10`)).toBe(200);
  });

  it("with two hops, the client is the second entry from the right", async () => {
    const status = await behindProxies(2);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await status(`${spoofed()}, 203.0.113.20, 10.0.0.1`));
    expect(statuses).toEqual([200, 200, 200, 429]);
    // Another client through the same proxy is its own identity; a header shorter than the hops names its leftmost entry.
    expect(await status(`${spoofed()}, 203.0.113.21, 10.0.0.1`)).toBe(200);
    expect(await status("203.0.113.20")).toBe(429);
  });
});

describe("one identity per address however written (and per IPv6 /64)", () => {
  it("spellings of one IPv4 address share a budget: mapped into IPv6, with a port", async () => {
    const status = await behindProxies(1);
    const spellings = ["203.0.113.5", "::ffff:203.0.113.5", "203.0.113.5:1234", "[::ffff:203.0.113.5]:443"];
    const statuses = [];
    for (const spelling of spellings) statuses.push(await status(spelling));
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(await status("203.0.113.6")).toBe(200);
  });

  it("an IPv6 client's whole /64 is one client; another /64 is another", async () => {
    const status = await behindProxies(1);
    const statuses = [];
    for (const spelling of ["2001:DB8::1", "2001:db8:0:0:0:0:0:1", "2001:db8::ffff:9", "2001:db8:0:0:1234::1"])
      statuses.push(await status(spelling));
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(await status("2001:db8:0:1::1")).toBe(200);
  });
});
