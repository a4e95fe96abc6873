/**
 * @module
 * A server started as its user starts it — `npm start`, `npm run start:bun`, the image's CMD —
 * in a process of its own: resolves once it logs its `listening` line, keeps its output for
 * failure messages, and stops it as a container stop does.
 */
import { spawn } from "node:child_process";

/** The fields of the `listening` log line a test reads. */
export interface Listening {
  url: string;
  docs: string;
  dashboard: string;
  redis: string;
  admin: string;
}

/** How long a server may take to say it listens (the build test's first start migrates and seeds). */
const LISTENING_TIMEOUT_MS = 60_000;
/** How long a stopping server may take before it is killed. */
const STOP_GRACE_MS = 10_000;
/** Characters of each stream a failure message quotes. */
const OUTPUT_TAIL_CHARS = 4_000;

export type SpawnedServer = Awaited<ReturnType<typeof spawnServer>>;

/**
 * Runs `command` in `cwd` with exactly `env` (callers pass PATH themselves).
 * `stop` sends SIGTERM (SIGKILL 10 s later if it is still running) and resolves with the exit
 * code once its output has closed — also that of any process it started (npm's script).
 */
export async function spawnServer(command: readonly string[], cwd: string, env: Record<string, string>) {
  const [file, ...args] = command;
  if (!file) throw new Error("spawnServer: no command");
  const child = spawn(file, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const output = () => `stdout:\n${stdout.slice(-OUTPUT_TAIL_CHARS)}\nstderr:\n${stderr.slice(-OUTPUT_TAIL_CHARS)}`;
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const closed = new Promise<number | null>((resolve) => child.once("close", resolve));
  const listening = await new Promise<Listening>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no "listening" line within ${LISTENING_TIMEOUT_MS / 1000} s\n${output()}`)),
      LISTENING_TIMEOUT_MS,
    );
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split("\n").find((text) => text.includes('"message":"listening"'));
      if (!line) return;
      clearTimeout(timer);
      resolve(JSON.parse(line) as Listening);
    });
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    void closed.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening\n${output()}`));
    });
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
    const code = await closed;
    clearTimeout(killer);
    return code;
  };
  return { listening, url: listening.url, stdout: () => stdout, stderr: () => stderr, output, stop };
}
