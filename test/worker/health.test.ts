import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker, { type WorkerEnv } from "../../src/entry/worker";
import { workerEnv } from "./harness";

async function fetchWorker(path: string, environment: WorkerEnv = workerEnv, headers: Record<string, string> = {}) {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`https://jollyjet.test${path}`, { headers }) as Parameters<typeof worker.fetch>[0],
    environment,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the Worker (workerd, D1, Upstash adapter through the local REST endpoint)", () => {
  it("serves /health with D1 and Upstash up", async () => {
    const response = await fetchWorker("/health");
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toBeTruthy();
    expect(await response.json()).toMatchObject({
      status: "success",
      data: {
        status: "ok",
        runtime: "workerd",
        services: { database: { status: "up" }, redis: { status: "up", adapter: "upstash" } },
      },
    });
  });

  it("answers 500 BAD_ENVIRONMENT naming the variable when configuration is invalid", async () => {
    const response = await fetchWorker("/health", { ...workerEnv, RATE_LIMIT_MAX: "abc" });
    expect(response.status).toBe(500);
    const body = (await response.json()) as { code: string; message: string };
    expect(body.code).toBe("BAD_ENVIRONMENT");
    expect(body.message).toMatch(/RATE_LIMIT_MAX/);
  });

  it("refuses to run without the Upstash settings", async () => {
    const { UPSTASH_REDIS_REST_URL: _url, ...withoutRedis } = workerEnv;
    const response = await fetchWorker("/health", withoutRedis);
    expect(response.status).toBe(500);
    expect(((await response.json()) as { message: string }).message).toMatch(/UPSTASH_REDIS_REST_URL/);
  });

  it("runs the scheduled handler for the cron trigger", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)));
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "*/5 * * * *", scheduledTime: Date.now() }), workerEnv, ctx);
    await waitOnExecutionContext(ctx);
    const records = lines.map((line) => JSON.parse(line) as { message: string; cron?: string });
    expect(records).toContainEqual(expect.objectContaining({ message: "scheduled event", cron: "*/5 * * * *" }));
    expect(records).toContainEqual(expect.objectContaining({ message: "consistency run", trigger: "cron" }));
    // The cron's report is what the operations endpoint shows.
    const reports = await fetchWorker(
      "/api/cache/consistency",
      { ...workerEnv, ADMIN_TOKEN: "scheduled-test-token" },
      { authorization: "Bearer scheduled-test-token" },
    );
    expect(reports.status).toBe(200);
    const { data } = (await reports.json()) as { data: { latest: { trigger: string; finishedAt: string } } };
    expect(data.latest.trigger).toBe("cron");
    expect(Date.parse(data.latest.finishedAt)).toBeGreaterThan(Date.now() - 60_000);
  });
});
