/**
 * One of several OS processes on one database file, for test/node/shared-database.test.ts.
 * Run as `node --import tsx test/support/shared-database-process.ts <mode>` with the app's
 * environment. It prints "ready" once set up and waits for a line on stdin (so the test can
 * let all processes go at once), then:
 *
 *   start   starts the server as `npm start` does (first start: migrate, seed, development
 *           admin), prints `RESULT {"port", "developmentAdmin"}` and serves until stdin closes;
 *   patch   sends PATCHES PATCHes of PRODUCT_ID through the app, two at a time, setting stock
 *           to STOCK_BASE + i, and prints `RESULT [{status, version, stock}, …]`.
 */
import { createInterface } from "node:readline";
import { createApp } from "../../src/app";
import type { Product } from "../../src/catalogue/types";
import { parseConfig } from "../../src/config";
import { createNodeServices, startNodeServer } from "../../src/entry/node-server";

const lines = createInterface({ input: process.stdin });
/** Whenever stdin ends (also while the server is still starting). */
const stdinClosed = new Promise<void>((resolve) => lines.once("close", () => resolve()));
const result = (value: unknown) => console.log(`RESULT ${JSON.stringify(value)}`);

/** Says "ready", resolves on the test's go-ahead. */
function ready(): Promise<void> {
  console.log("ready");
  return new Promise((resolve) => lines.once("line", () => resolve()));
}

async function start(): Promise<void> {
  await ready();
  const running = await startNodeServer(process.env, { developmentDefaults: true });
  result({ port: running.port, developmentAdmin: running.developmentAdmin ?? null });
  await stdinClosed;
  await running.close();
  process.exit(0);
}

async function patch(): Promise<void> {
  const { services, close } = await createNodeServices(parseConfig(process.env));
  const app = createApp(services);
  const count = Number(process.env.PATCHES);
  const base = Number(process.env.STOCK_BASE);
  await ready();
  const answers: { status: number; version?: number; stock?: number }[] = [];
  const send = async (i: number) => {
    const response = await app.request(`/api/products/${process.env.PRODUCT_ID}`, {
      method: "PATCH",
      headers: { "content-type": "application/json", authorization: `Bearer ${process.env.ADMIN_TOKEN}` },
      body: JSON.stringify({ stock: base + i }),
    });
    const body = (await response.json()) as { data?: Product };
    answers.push({ status: response.status, version: body.data?.version, stock: body.data?.stock });
  };
  for (let i = 0; i < count; i += 2) await Promise.all([send(i), ...(i + 1 < count ? [send(i + 1)] : [])]);
  await close();
  result(answers);
  process.exit(0);
}

const modes: Record<string, () => Promise<void>> = { start, patch };
const mode = modes[process.argv[2] ?? ""];
if (!mode) throw new Error(`unknown mode ${process.argv[2]}`);
await mode();
