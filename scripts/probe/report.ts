/** The probe's output: one markdown table row per run (RELIABILITY.md carries the table), and details for a reader. */
import type { ProbeResult } from "./probe";

const COLUMNS = [
  "mode",
  "fault",
  "instances",
  "ops",
  "acked writes",
  "refused 503",
  "other 5xx",
  "lost",
  "stale reads",
  "max stale age ms",
  "backwards",
  "deleted served",
  "cache≠db after quiescence",
];

export const tableHeader = (): string => `| ${COLUMNS.join(" | ")} |\n|${COLUMNS.map(() => " --- ").join("|")}|`;

export function tableRow(r: ProbeResult): string {
  const lost = r.phantomReads > 0 ? `${r.lost} (+${r.phantomReads} phantom reads)` : String(r.lost);
  const cache = r.cacheVsDb === null ? "n/a" : String(r.cacheVsDb);
  const cells = [
    r.mode,
    r.fault,
    r.instances,
    r.counts.ops,
    r.counts.ackedWrites,
    r.counts.refused503,
    r.counts.other5xx,
    lost,
    r.stale,
    r.maxStaleAfterRedisBackMs === undefined
      ? r.maxStaleAgeMs
      : `${r.maxStaleAgeMs} (≤ ${r.maxStaleAfterRedisBackMs} after Redis answered again)`,
    r.backwards,
    r.deletedServed,
    r.drift ? `${cache} (after drift and two runs: ${String(r.drift.leftAfterRuns)}; 2nd run score ${String(r.drift.secondScore)})` : cache,
  ];
  return `| ${cells.join(" | ")} |`;
}

/** A run that could not finish (the probe itself failed, e.g. an instance would not start). */
export const errorRow = (mode: string, fault: string, message: string): string =>
  `| ${mode} | ${fault} | error: ${message.split("\n")[0]!.replaceAll("|", "/")} |${" |".repeat(COLUMNS.length - 3)}`;

/** The run's failures and first findings of each kind, for stderr. */
export function details(r: ProbeResult): string {
  const lines = [`[probe] ${r.mode} ${r.fault}: ${r.failures.length === 0 ? "pass" : `FAIL — ${r.failures.join("; ")}`}`];
  const { refused503ByCode, other5xxByStatus, timeouts, unreachable, xCache } = r.counts;
  lines.push(
    `  503 by code ${JSON.stringify(refused503ByCode)}, other 5xx ${JSON.stringify(other5xxByStatus)}, timeouts ${timeouts}, unreachable ${unreachable}, X-Cache ${JSON.stringify(xCache)}`,
  );
  if (r.faultEvents.length > 0) lines.push(`  fault: ${r.faultEvents.map((e) => `${e.atMs} ms ${e.what}`).join(", ")}`);
  if (r.drift) {
    lines.push(...r.drift.injected.map((line) => `  drift: ${line}`), ...r.drift.failed.map((line) => `  drift FAILED: ${line}`));
    for (const [i, report] of r.drift.reports.entries()) lines.push(`  consistency run ${i + 1}: ${JSON.stringify(report)}`);
  }
  for (const [kind, findings] of Object.entries(r.examples)) {
    for (const finding of findings)
      lines.push(
        `  ${kind}: ${typeof finding === "string" ? finding : `${finding.productId} op ${finding.seq}: ${finding.detail}${finding.ageMs === undefined ? "" : ` (${Math.round(finding.ageMs)} ms after the ack)`}`}`,
      );
  }
  return lines.join("\n");
}
