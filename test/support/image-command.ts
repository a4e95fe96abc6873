/**
 * @module
 * The build test's compiled server, started as the image's CMD: resolves once it logs its
 * `listening` line, and keeps the tail of its output for failure messages.
 */
import { spawn, type ChildProcess } from "node:child_process";

export interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

export function startCommand(command: string[], cwd: string, env: Record<string, string>): Promise<Started> {
  const child = spawn(command[0]!, command.slice(1), { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const output = () => `stdout:\n${stdout.slice(-4000)}\nstderr:\n${stderr.slice(-4000)}`;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening" line within 60 s\n${output()}`)), 60_000);
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      for (const line of stdout.split("\n")) {
        const record = (() => {
          try {
            return JSON.parse(line) as { message?: string; url?: string };
          } catch {
            return undefined;
          }
        })();
        if (record?.message === "listening" && record.url) {
          clearTimeout(timer);
          resolve({ child, url: record.url, output });
        }
      }
    });
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code ?? signal}) before listening\n${output()}`));
    });
  });
}

/** SIGTERM, and SIGKILL when it has not exited 10 s later. */
export async function stopCommand(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}
