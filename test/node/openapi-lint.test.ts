import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp } from "../support/node-app";

const run = promisify(execFile);
const quiet = { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", NO_COLOR: "1" };

/** Runs a linter that exits non-zero on problems; its JSON report is on stdout either way. */
async function lint(command: string, args: string[]): Promise<string> {
  try {
    return (await run(join("node_modules", ".bin", command), args, { env: quiet, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    if (!stdout) throw new Error(`${command} failed without a report: ${stderr}`);
    return stdout;
  }
}

describe("the generated OpenAPI document under the linters", () => {
  let directory: string;
  let file: string;
  beforeAll(async () => {
    const { app, close } = await createTestApp();
    try {
      directory = await mkdtemp(join(tmpdir(), "jollyjet-openapi-"));
      file = join(directory, "openapi.json");
      // Pretty-printed so a report's line numbers point somewhere readable.
      await writeFile(file, JSON.stringify(await (await app.request("/openapi.json")).json(), null, 2));
    } finally {
      await close();
    }
  });
  afterAll(() => rm(directory, { recursive: true, force: true }));

  it("passes @redocly/cli lint (recommended, redocly.yaml) with no errors or warnings", async () => {
    const report = JSON.parse(await lint("redocly", ["lint", file, "--config", "redocly.yaml", "--format", "json"])) as {
      totals: { errors: number; warnings: number };
      problems: { ruleId: string; message: string; location: { pointer: string }[] }[];
    };
    expect(report.problems.map((problem) => `${problem.ruleId} ${problem.location[0]?.pointer}: ${problem.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 60_000);

  it("passes Spectral's spectral:oas ruleset with no errors or warnings", async () => {
    const report = JSON.parse(await lint("spectral", ["lint", file, "--ruleset", ".spectral.yaml", "--format", "json", "--quiet"])) as {
      code: string;
      message: string;
      path: string[];
    }[];
    expect(report.map((problem) => `${problem.code} ${problem.path.join(".")}: ${problem.message}`)).toEqual([]);
  }, 60_000);
});
