import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../src/config";

describe("configuration", () => {
  it("applies the documented defaults and picks the embedded store without Redis settings", () => {
    const config = parseConfig({});
    expect(config).toMatchObject({
      PORT: 8787,
      DATABASE_URL: "file:./.data/jollyjet.db",
      REDIS_PREFIX: "jollyjet",
      RATE_LIMIT_MAX: 100,
      RATE_LIMIT_WINDOW_S: 60,
      RATE_LIMIT_AUTH_MAX: 5,
      RATE_LIMIT_AUTH_WINDOW_S: 900,
      RATE_LIMIT_FAIL_MODE: "open",
      RATE_LIMIT_AUTH_FAIL_MODE: "closed",
      TRUST_PROXY: false,
      TRUST_PROXY_HOPS: 1,
      CACHE_TTL_PRODUCT_S: 1800,
      CACHE_TTL_LIST_S: 600,
      SESSION_TTL_S: 86400,
      CONSISTENCY_CRON: "*/5 * * * *",
      LOG_LEVEL: "info",
      redis: { adapter: "embedded" },
    });
  });

  it("selects ioredis for REDIS_URL, its Cluster client for REDIS_CLUSTER_NODES and Upstash for the REST pair", () => {
    expect(parseConfig({ REDIS_URL: "redis://127.0.0.1:6379" }).redis).toEqual({ adapter: "ioredis", url: "redis://127.0.0.1:6379" });
    expect(parseConfig({ REDIS_CLUSTER_NODES: " 10.0.0.1:7000, redis-b:7001 " }).redis).toEqual({
      adapter: "ioredis",
      clusterNodes: ["10.0.0.1:7000", "redis-b:7001"],
    });
    expect(parseConfig({ REDIS_SENTINELS: "s1:26379,s2:26379", REDIS_SENTINEL_NAME: "main" }).redis).toEqual({
      adapter: "ioredis",
      sentinels: ["s1:26379", "s2:26379"],
      sentinelName: "main",
    });
    expect(parseConfig({ UPSTASH_REDIS_REST_URL: "https://x.example", UPSTASH_REDIS_REST_TOKEN: "t" }).redis).toEqual({
      adapter: "upstash",
      url: "https://x.example",
      token: "t",
    });
  });

  it("waits for one replica's acknowledgement of write-throughs with Sentinel or Cluster, none otherwise, unless REDIS_WAIT_REPLICAS says", () => {
    const sentinel = { REDIS_SENTINELS: "s1:26379", REDIS_SENTINEL_NAME: "main" };
    expect(parseConfig(sentinel).REDIS_WAIT_REPLICAS).toBe(1);
    expect(parseConfig({ ...sentinel, REDIS_WAIT_REPLICAS: "0" }).REDIS_WAIT_REPLICAS).toBe(0);
    expect(parseConfig({ REDIS_CLUSTER_NODES: "a:7000" }).REDIS_WAIT_REPLICAS).toBe(1);
    expect(parseConfig({ REDIS_CLUSTER_NODES: "a:7000", REDIS_WAIT_REPLICAS: "0" }).REDIS_WAIT_REPLICAS).toBe(0);
    expect(parseConfig({ REDIS_CLUSTER_NODES: "a:7000", REDIS_WAIT_REPLICAS: "2" }).REDIS_WAIT_REPLICAS).toBe(2);
    expect(parseConfig({}).REDIS_WAIT_REPLICAS).toBe(0);
  });

  it.each([
    [{ RATE_LIMIT_MAX: "abc" }, /RATE_LIMIT_MAX/],
    [{ RATE_LIMIT_MAX: "0" }, /RATE_LIMIT_MAX/],
    [{ PORT: "70000" }, /PORT/],
    [{ RATE_LIMIT_FAIL_MODE: "sometimes" }, /RATE_LIMIT_FAIL_MODE/],
    [{ TRUST_PROXY: "yes" }, /TRUST_PROXY/],
    [{ TRUST_PROXY_HOPS: "0" }, /TRUST_PROXY_HOPS/],
    [{ TRUST_PROXY: "true", TRUST_PROXY_CIDRS: "10.0.0.0/8, proxy.example" }, /TRUST_PROXY_CIDRS/],
    [{ TRUST_PROXY: "true", TRUST_PROXY_CIDRS: "10.0.0.0/33" }, /TRUST_PROXY_CIDRS/],
    [{ TRUST_PROXY_CIDRS: "10.0.0.0/8" }, /TRUST_PROXY_CIDRS: set TRUST_PROXY=true/],
    [{ REDIS_URL: "redis://a", REDIS_CACHE_URL: "http://cache" }, /REDIS_CACHE_URL/],
    [{ REDIS_CACHE_URL: "redis://cache" }, /REDIS_CACHE_URL: only with/],
    [{ RATE_LIMIT_AUTH_FAIL_MODE: "sometimes" }, /RATE_LIMIT_AUTH_FAIL_MODE/],
    [{ SESSION_SECRET: "too short" }, /SESSION_SECRET/],
    [{ LOG_LEVEL: "loud" }, /LOG_LEVEL/],
    [{ REDIS_URL: "http://nope" }, /REDIS_URL/],
    [{ DATABASE_URL: "postgres://x" }, /DATABASE_URL/],
    [{ UPSTASH_REDIS_REST_URL: "https://x.example" }, /UPSTASH_REDIS_REST_TOKEN/],
    [{ REDIS_URL: "redis://a", UPSTASH_REDIS_REST_URL: "https://x.example", UPSTASH_REDIS_REST_TOKEN: "t" }, /REDIS_URL and UPSTASH/],
    [{ REDIS_URL: "redis://a", REDIS_CLUSTER_NODES: "a:7000" }, /REDIS_URL and REDIS_CLUSTER_NODES/],
    [{ REDIS_CLUSTER_NODES: "a:7000,not a node" }, /REDIS_CLUSTER_NODES/],
    [{ REDIS_SENTINELS: "s1:26379" }, /REDIS_SENTINEL_NAME is required/],
    [
      { REDIS_SENTINELS: "s1:26379", REDIS_SENTINEL_NAME: "main", REDIS_CLUSTER_NODES: "a:7000" },
      /REDIS_CLUSTER_NODES and REDIS_SENTINELS/,
    ],
    [{ REDIS_URL: "redis://a", REDIS_WAIT_REPLICAS: "-1" }, /REDIS_WAIT_REPLICAS/],
    [
      { UPSTASH_REDIS_REST_URL: "https://x.example", UPSTASH_REDIS_REST_TOKEN: "t", REDIS_WAIT_REPLICAS: "1" },
      /REDIS_WAIT_REPLICAS: only with/,
    ],
    [{ REDIS_WAIT_REPLICAS: "1" }, /REDIS_WAIT_REPLICAS: only with/],
    [{ NODE_ENV: "production" }, /NODE_ENV=production/],
    [{ NODE_ENV: "production", REDIS_URL: "redis://127.0.0.1:6379" }, /admin decision.*ADMIN_TOKEN/],
  ])("refuses %o with a message naming the variable", (environment, message) => {
    expect(() => parseConfig(environment)).toThrow(ConfigError);
    expect(() => parseConfig(environment)).toThrow(message);
  });

  it("ignores non-string values such as Worker bindings", () => {
    expect(parseConfig({ DB: { prepare() {} }, RATE_LIMIT_MAX: "7" }).RATE_LIMIT_MAX).toBe(7);
  });
});
