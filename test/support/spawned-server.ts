import { spawn } from "node:child_process";

/** The fields of the `listening` log line a test reads. */
export interface Listening {
  url: string;
  docs: string;
  dashboard: string;
  redis: string;
  admin: string;
}

/**
 * A server started as a user starts it (`command` with `args`, in `cwd`, with only PATH and
 * `environment`): resolves once it logs where it listens. `stop` sends SIGTERM and resolves
 * with the exit code once its output has closed (also that of any process it started: npm's script).
 */
export async function spawnServer(command: string, args: string[], cwd: string, environment: Record<string, string> = {}) {
  const child = spawn(command, args, { cwd, env: { PATH: process.env.PATH ?? "", ...environment }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
  const listening = await new Promise<Listening>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split("\n").find((text) => text.includes('"message":"listening"'));
      if (line) resolve(JSON.parse(line) as Listening);
    });
    void exited.then((code) => reject(new Error(`exited with ${code}: ${stderr}`)));
  });
  const stop = () => {
    child.kill("SIGTERM");
    return exited;
  };
  return { listening, stdout: () => stdout, stderr: () => stderr, stop };
}
