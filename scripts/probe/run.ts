/**
 * `npm run probe [-- options]`: a history-checking workload against several real instances
 * of the app (issue 22). Prints one markdown table row per run on stdout (details on
 * stderr); exits non-zero when a run fails (probe.ts, failuresOf).
 *
 *   --mode strict|available   CACHE_CONSISTENCY of the instances (default strict)
 *   --fault none|redis-pause|redis-restart|instance-kill|drift   (default none)
 *   --all                     every fault in both modes (the table in RELIABILITY.md)
 *   --seconds 20 --clients 12 --products 20 --instances 3
 *   --auth mixed|session|operator   product writes as a signed-in admin, with ADMIN_TOKEN,
 *                             or half the clients each way (default)
 *   --json <file>             the results, for machines
 *   --targets <url,url>       running instances (loopback) instead: fault none only; with
 *                             --admin-email/--admin-password (or --admin-token), and
 *                             --database-url/--redis-url[/--redis-prefix] for the final checks
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { ConsistencyMode } from "./cluster";
import { FAULTS, type Fault } from "./faults";
import { runProbe, type ProbeOptions, type ProbeResult } from "./probe";
import { details, errorRow, tableHeader, tableRow } from "./report";

const MODES: readonly ConsistencyMode[] = ["strict", "available"];

const { values } = parseArgs({
  options: {
    mode: { type: "string", default: "strict" },
    fault: { type: "string", default: "none" },
    all: { type: "boolean", default: false },
    seconds: { type: "string", default: "20" },
    clients: { type: "string", default: "12" },
    products: { type: "string", default: "20" },
    instances: { type: "string", default: "3" },
    auth: { type: "string", default: "mixed" },
    json: { type: "string" },
    targets: { type: "string" },
    "admin-email": { type: "string" },
    "admin-password": { type: "string" },
    "admin-token": { type: "string" },
    "database-url": { type: "string" },
    "redis-url": { type: "string" },
    "redis-prefix": { type: "string" },
  },
});

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`--${name}: one of ${allowed.join(", ")}`);
  return value as T;
}

function count(name: string, value: string, max: number): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > max) throw new Error(`--${name}: a whole number from 1 to ${max}`);
  return parsed;
}

function optionsFor(mode: ConsistencyMode, fault: Fault): ProbeOptions {
  const targets = values.targets
    ?.split(",")
    .map((url) => url.trim())
    .filter(Boolean);
  return {
    mode,
    fault,
    // Load stays modest (the machine is shared): the bounds keep it so.
    seconds: count("seconds", values.seconds, 600),
    clients: count("clients", values.clients, 64),
    products: count("products", values.products, 90),
    instances: targets?.length ?? count("instances", values.instances, 8),
    auth: oneOf("auth", values.auth, ["mixed", "session", "operator"] as const),
    ...(targets && {
      targets: {
        urls: targets,
        ...(values["database-url"] && { databaseUrl: values["database-url"] }),
        ...(values["redis-url"] && { redisUrl: values["redis-url"] }),
        ...(values["redis-prefix"] && { redisPrefix: values["redis-prefix"] }),
        admin: {
          ...(values["admin-email"] && { email: values["admin-email"] }),
          ...(values["admin-password"] && { password: values["admin-password"] }),
          ...(values["admin-token"] && { token: values["admin-token"] }),
        },
      },
    }),
  };
}

async function main(): Promise<number> {
  const runs: [ConsistencyMode, Fault][] = values.all
    ? MODES.flatMap((mode) => FAULTS.map((fault): [ConsistencyMode, Fault] => [mode, fault]))
    : [[oneOf("mode", values.mode, MODES), oneOf("fault", values.fault, FAULTS)]];
  if (values.all && values.targets) throw new Error("--all needs the probe to start the instances (not --targets)");
  const results: (ProbeResult | { mode: ConsistencyMode; fault: Fault; error: string })[] = [];
  console.log(tableHeader());
  for (const [mode, fault] of runs) {
    // One run that breaks (an instance that will not start) does not take the others' rows with it.
    try {
      const result = await runProbe(optionsFor(mode, fault));
      results.push(result);
      console.log(tableRow(result));
      console.error(details(result));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      results.push({ mode, fault, error: message });
      console.log(errorRow(mode, fault, message));
      console.error(`[probe] ${mode} ${fault}: ERROR — ${message}`);
    }
  }
  if (values.json) writeFileSync(values.json, `${JSON.stringify({ finishedAt: new Date().toISOString(), runs: results }, null, 2)}\n`);
  return results.some((result) => "error" in result || result.failures.length > 0) ? 1 : 0;
}

// Ctrl-C: exit, and the exit hooks (cluster.ts, test/support/redis-server.ts) kill every child process.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`probe: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
