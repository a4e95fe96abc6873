import { execFile, spawn, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

/**
 * The self-hosting files: `npm run build`, the Dockerfile and compose.yaml. There is no Docker
 * engine where the tests run, so the Dockerfile is replayed without one: each stage the final
 * stage needs runs in its own folder standing for the image's filesystem (COPY from the repo,
 * as .dockerignore filters it, or from an earlier stage; RUN through sh in the WORKDIR; ENV),
 * then the final stage's CMD starts with node from the PATH against the tests' redis-server and
 * a libSQL file, and is checked over HTTP.
 */

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const packageJson = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const packageLock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
  packages: Record<string, { dev?: boolean }>;
};

/** Host variables a RUN or the CMD may use: the PATH (node, npm, sh), npm's cache and registry settings, proxies. Nothing else leaks in (vitest's NODE_ENV=test included). */
function hostEnvironment(): Record<string, string> {
  const names = /^(PATH|HOME|TMPDIR|npm_config_(registry|cache|userconfig)|https?_proxy|no_proxy)$/i;
  return Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => names.test(entry[0]) && entry[1] !== undefined));
}

// ---------------------------------------------------------------------------------------------
// A small Dockerfile reader: enough for this project's Dockerfile, and loud about anything else.

interface Instruction {
  keyword: string;
  /** The arguments, continuation lines joined. */
  text: string;
  line: number;
}

function parseInstructions(source: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  source.split(/\r?\n/).forEach((raw, index) => {
    const trimmed = raw.trim();
    // Comment lines are dropped before anything else, even inside a continuation.
    if (trimmed.startsWith("#") || (trimmed === "" && !pending)) return;
    const continued = trimmed.endsWith("\\");
    const piece = continued ? trimmed.slice(0, -1) : trimmed;
    pending = pending ? { ...pending, text: `${pending.text} ${piece}` } : { text: piece, line: index + 1 };
    if (continued) return;
    const match = /^(\S+)\s*(.*)$/s.exec(pending.text.trim())!;
    instructions.push({ keyword: match[1]!.toUpperCase(), text: match[2]!.trim(), line: pending.line });
    pending = undefined;
  });
  return instructions;
}

/** `--name=value` flags at the start of an instruction's arguments. */
function takeFlags(text: string): { flags: Map<string, string>; rest: string } {
  const flags = new Map<string, string>();
  let rest = text;
  for (let match = /^--([a-z-]+)(?:=(\S*))?\s+/.exec(rest); match; match = /^--([a-z-]+)(?:=(\S*))?\s+/.exec(rest)) {
    flags.set(match[1]!, match[2] ?? "");
    rest = rest.slice(match[0].length);
  }
  return { flags, rest };
}

/** Exec form (a JSON array) as is; shell form through `sh -c`, as Docker runs it. */
function commandLine(text: string): string[] {
  return text.startsWith("[") ? (JSON.parse(text) as string[]) : ["sh", "-c", text];
}

function substitute(text: string, variables: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, braced: string | undefined, fallback: string | undefined, bare: string | undefined) => {
    const value = variables[braced ?? bare!];
    return value !== undefined && value !== "" ? value : (fallback ?? "");
  });
}

/** `KEY=value KEY2="value 2"` (or the old `KEY value`). */
function parseAssignments(text: string): [string, string][] {
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(text)) {
    const [key, ...value] = text.split(/\s+/);
    return [[key!, value.join(" ")]];
  }
  return [...text.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)].map((match) => [match[1]!, match[2]!.startsWith('"') ? (JSON.parse(match[2]!) as string) : match[2]!]);
}

interface Stage {
  index: number;
  name: string | undefined;
  from: string;
  instructions: Instruction[];
}

interface Dockerfile {
  args: Record<string, string>;
  stages: Stage[];
}

function parseDockerfile(source: string): Dockerfile {
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const instruction of parseInstructions(source)) {
    if (instruction.keyword === "FROM") {
      const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.text);
      if (!match) throw new Error(`Dockerfile line ${instruction.line}: cannot read FROM ${instruction.text}`);
      stages.push({ index: stages.length, name: match[2]?.toLowerCase(), from: substitute(match[1]!, args), instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword !== "ARG") throw new Error(`Dockerfile line ${instruction.line}: ${instruction.keyword} before the first FROM`);
      const [name, value] = instruction.text.split("=", 2) as [string, string | undefined];
      args[name] = value ?? "";
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return { args, stages };
}

function stageNamed(dockerfile: Dockerfile, reference: string): Stage {
  const stage = dockerfile.stages.find((candidate) => candidate.name === reference.toLowerCase() || String(candidate.index) === reference);
  if (!stage) throw new Error(`Dockerfile: no stage ${reference} (an image reference in COPY --from cannot be replayed)`);
  return stage;
}

/** The stages the final one needs (FROM <stage>, COPY --from=<stage>), in file order. */
function neededStages(dockerfile: Dockerfile): Stage[] {
  const needed = new Set<Stage>();
  const visit = (stage: Stage) => {
    if (needed.has(stage)) return;
    needed.add(stage);
    const parent = dockerfile.stages.find((candidate) => candidate.name !== undefined && candidate.name === stage.from.toLowerCase());
    if (parent) visit(parent);
    for (const instruction of stage.instructions) {
      const from = instruction.keyword === "COPY" ? takeFlags(instruction.text).flags.get("from") : undefined;
      if (from !== undefined) visit(stageNamed(dockerfile, from));
    }
  };
  visit(dockerfile.stages.at(-1)!);
  return dockerfile.stages.filter((stage) => needed.has(stage));
}

/** .dockerignore as Docker reads it: patterns from the context root, `**`, `!` exceptions, the last match wins, a matched folder takes its contents. */
function dockerignore(source: string): (path: string) => boolean {
  const rules = source
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const negated = line.startsWith("!");
      const pattern = posix.normalize((negated ? line.slice(1) : line).replace(/^\/+/, ""));
      const regex = pattern
        .split("/")
        .map((part) => (part === "**" ? "(?:.*)" : part.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]")))
        .join("/")
        .replace(/\(\?:\.\*\)\//g, "(?:.*/)?");
      return { negated, regex: new RegExp(`^${regex}$`) };
    });
  return (path) => {
    const parts = path.split("/");
    const prefixes = parts.map((_, index) => parts.slice(0, index + 1).join("/"));
    let excluded = false;
    for (const rule of rules) if (prefixes.some((prefix) => rule.regex.test(prefix))) excluded = !rule.negated;
    return excluded;
  };
}

interface StageResult {
  root: string;
  workdir: string;
  env: Record<string, string>;
  user: string | undefined;
  expose: string[];
  cmd: string[] | undefined;
  healthcheck: string[] | undefined;
  runs: string[];
  copies: { from: string | undefined; sources: string[]; destination: string }[];
}

/**
 * Replays the stages the final stage needs, each in `<workspace>/<stage>/` standing for its
 * filesystem root; resolves to every replayed stage's result, the final one last. RUN lines
 * execute on this machine: any that names an absolute path (it would act on the host) or
 * cleans npm's cache (the host's) is refused, and so is any instruction or flag not known here.
 */
async function replayDockerfile(dockerfile: Dockerfile, context: string, workspace: string): Promise<Map<Stage, StageResult>> {
  const ignored = dockerignore(existsSync(join(context, ".dockerignore")) ? readFileSync(join(context, ".dockerignore"), "utf8") : "");
  const results = new Map<Stage, StageResult>();
  for (const stage of neededStages(dockerfile)) {
    const root = join(workspace, `${stage.index}-${stage.name ?? "stage"}`);
    const parent = [...results.keys()].find((candidate) => candidate.name !== undefined && candidate.name === stage.from.toLowerCase());
    const state: StageResult = parent
      ? { ...structuredClone({ ...results.get(parent)!, root }), runs: [], copies: [] }
      : { root, workdir: "/", env: {}, user: undefined, expose: [], cmd: undefined, healthcheck: undefined, runs: [], copies: [] };
    if (parent) cpSync(results.get(parent)!.root, root, { recursive: true });
    mkdirSync(root, { recursive: true });
    const args: Record<string, string> = { ...dockerfile.args };
    const onDisk = (path: string) => join(state.root, posix.resolve(state.workdir, path));
    for (const instruction of stage.instructions) {
      const where = `Dockerfile line ${instruction.line}`;
      const variables = { ...args, ...state.env };
      switch (instruction.keyword) {
        case "ARG": {
          const [name, value] = instruction.text.split("=", 2) as [string, string | undefined];
          args[name] = value ?? dockerfile.args[name] ?? "";
          break;
        }
        case "ENV":
          for (const [key, value] of parseAssignments(instruction.text)) state.env[key] = substitute(value, variables);
          break;
        case "WORKDIR":
          state.workdir = posix.resolve(state.workdir, substitute(instruction.text, variables));
          mkdirSync(onDisk("."), { recursive: true });
          break;
        case "USER":
          state.user = substitute(instruction.text, variables);
          break;
        case "EXPOSE":
          state.expose.push(...substitute(instruction.text, variables).split(/\s+/));
          break;
        case "LABEL":
          break;
        case "CMD":
          state.cmd = commandLine(instruction.text);
          break;
        case "HEALTHCHECK": {
          const { flags, rest } = takeFlags(instruction.text);
          for (const flag of flags.keys()) if (!["interval", "timeout", "start-period", "start-interval", "retries"].includes(flag)) throw new Error(`${where}: HEALTHCHECK --${flag} is not known here`);
          state.healthcheck = rest === "NONE" ? undefined : commandLine(rest.replace(/^CMD\s+/, ""));
          break;
        }
        case "COPY": {
          const { flags, rest } = takeFlags(instruction.text);
          for (const flag of flags.keys()) if (!["from", "chown", "chmod", "link"].includes(flag)) throw new Error(`${where}: COPY --${flag} is not known here`);
          const words = rest.startsWith("[") ? (JSON.parse(rest) as string[]) : substitute(rest, variables).split(/\s+/);
          const destination = words.pop()!;
          if (words.length === 0) throw new Error(`${where}: COPY needs a source and a destination`);
          const from = flags.get("from");
          const sourceRoot = from === undefined ? context : results.get(stageNamed(dockerfile, from))!.root;
          const target = onDisk(destination);
          const intoFolder = destination.endsWith("/") || words.length > 1;
          for (const word of words) {
            if (/[*?[]/.test(word)) throw new Error(`${where}: wildcards in COPY sources are not replayed here`);
            const relative = from === undefined ? posix.normalize(word).replace(/^\/+/, "") : posix.resolve("/", word).slice(1);
            if (relative.startsWith("..")) throw new Error(`${where}: ${word} is outside the build context`);
            const source = join(sourceRoot, relative);
            if (!existsSync(source) || (from === undefined && ignored(relative))) throw new Error(`${where}: COPY ${word}: not found in the ${from === undefined ? "build context (or excluded by .dockerignore)" : `stage ${from}`}`);
            const filter = from === undefined ? (path: string) => !ignored(posix.relative(posix.normalize(context), path.split("\\").join("/"))) : () => true;
            if (statSync(source).isDirectory()) {
              // A folder's contents go into the destination folder.
              mkdirSync(target, { recursive: true });
              cpSync(source, target, { recursive: true, filter });
            } else {
              const file = intoFolder ? join(target, posix.basename(relative)) : target;
              mkdirSync(join(file, ".."), { recursive: true });
              cpSync(source, file);
            }
          }
          state.copies.push({ from, sources: words, destination });
          break;
        }
        case "RUN": {
          const { flags, rest } = takeFlags(instruction.text);
          for (const [flag, value] of flags) {
            // A cache mount persists between builds and never lands in the image: npm's cache on the host stands for it.
            if (flag !== "mount" || !value.split(",").includes("type=cache")) throw new Error(`${where}: RUN --${flag}=${value} is not known here`);
          }
          if (/(^|\s)\//.test(rest) || /npm\s+cache\s+clean/.test(rest)) throw new Error(`${where}: RUN ${rest}: would act on this machine outside the stage folder, not replayed`);
          const [file, ...argv] = commandLine(rest);
          try {
            await run(file!, argv, { cwd: onDisk("."), env: { ...hostEnvironment(), ...state.env }, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
          } catch (error) {
            const { stdout, stderr } = error as { stdout?: string; stderr?: string };
            throw new Error(`${where}: RUN ${rest} failed:\n${`${stdout ?? ""}\n${stderr ?? ""}`.trim().slice(-4000)}`);
          }
          state.runs.push(rest);
          break;
        }
        default:
          throw new Error(`${where}: ${instruction.keyword} is not replayed here: extend test/node/build.test.ts or avoid it`);
      }
    }
    results.set(stage, state);
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// The compiled server, started as the image's CMD.

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

function startCommand(command: string[], cwd: string, env: Record<string, string>): Promise<Started> {
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

async function stop(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Bare package names a bundle imports (`node:` and other built-ins left out). */
function importedPackages(bundle: string): string[] {
  const specifiers = [...bundle.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s*"([^"]+)"|^\s*import\s*"([^"]+)"|\bimport\(\s*"([^"]+)"\s*\)/gm)].map((match) => (match[1] ?? match[2] ?? match[3])!);
  const packages = specifiers
    .filter((specifier) => !specifier.startsWith(".") && !specifier.startsWith("node:") && !builtinModules.includes(specifier.split("/")[0]!))
    .map((specifier) => specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/"));
  return [...new Set(packages)].sort();
}

// ---------------------------------------------------------------------------------------------

describe("npm run build", () => {
  it("bundles the Node entry into dist/entry/node.js: ESM that imports production dependencies only", async () => {
    await run("npm", ["run", "build"], { cwd: ROOT, timeout: 120_000 });
    const bundle = readFileSync(join(ROOT, "dist/entry/node.js"), "utf8");
    expect(existsSync(join(ROOT, "dist/entry/node.js.map"))).toBe(true);
    const packages = importedPackages(bundle);
    expect(packages).toContain("@libsql/client");
    expect(packages.filter((name) => !(name in packageJson.dependencies))).toEqual([]);
    // esbuild's shim for a `require` in bundled code throws "Dynamic require ... is not supported"
    // in ESM: such code needs a createRequire banner (or an import) first.
    expect(bundle).not.toMatch(/\b__require\b/);
  }, 120_000);
});

describe("Dockerfile, replayed without Docker", () => {
  const dockerfile = parseDockerfile(readFileSync(join(ROOT, "Dockerfile"), "utf8"));
  const finalStage = dockerfile.stages.at(-1)!;
  let workspace: string;
  let runtime: StageResult;
  let server: Started | undefined;
  const adminToken = `admin-${crypto.randomUUID()}`;
  const runtimeFolder = () => join(runtime.root, runtime.workdir);

  beforeAll(async () => {
    workspace = await mkdtemp(join(tmpdir(), "jollyjet-image-"));
    const results = await replayDockerfile(dockerfile, ROOT, workspace);
    runtime = results.get(finalStage)!;
    // Only what the container would have: the image's ENV, then compose's variables (NODE_ENV comes from the Dockerfile).
    server = await startCommand(runtime.cmd ?? [], runtimeFolder(), {
      ...hostEnvironment(),
      ...runtime.env,
      PORT: "0",
      REDIS_URL: inject("redisUrl"),
      REDIS_PREFIX: `image-${crypto.randomUUID().slice(0, 8)}`,
      DATABASE_URL: `file:${join(workspace, "data", "jollyjet.db")}`,
      ADMIN_TOKEN: adminToken,
      SESSION_SECRET: "an-image-test-session-secret-0123456789",
    });
  }, 600_000);

  afterAll(async () => {
    if (server) await stop(server.child);
    if (workspace) await rm(workspace, { recursive: true, force: true });
  }, 60_000);

  it("is multi-stage: the runtime stage copies the build output, runs node on compiled JavaScript, as a non-root user, in production", () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of dockerfile.stages) expect(stage.from, "a pinned base image").toMatch(/^[^:]+:(?!latest$)[\w.-]*\d[\w.-]*$/);
    expect(runtime.copies.some((copy) => copy.from !== undefined)).toBe(true);
    expect(runtime.env.NODE_ENV).toBe("production");
    expect(runtime.user).toBeDefined();
    expect(["root", "0"]).not.toContain(runtime.user!.split(":")[0]);
    expect(runtime.cmd?.[0]).toBe("node");
    expect(runtime.cmd?.at(-1)).toMatch(/^dist\/.+\.js$/);
    expect(runtime.cmd?.join(" ")).not.toMatch(/tsx|ts-node|\.ts\b/);
    expect(runtime.runs.some((line) => /\bnpm ci\b/.test(line) && /--omit=dev\b/.test(line))).toBe(true);
    expect(runtime.healthcheck).toBeDefined();
    expect(runtime.expose).toContain(String(8787));
  });

  it("installs production dependencies only, and no TypeScript sources", () => {
    const modules = join(runtimeFolder(), "node_modules");
    expect(existsSync(join(modules, "@libsql/client"))).toBe(true);
    const devOnly = Object.entries(packageLock.packages)
      .filter(([path, entry]) => path !== "" && entry.dev)
      .map(([path]) => path);
    expect(devOnly.length).toBeGreaterThan(0);
    expect(devOnly.filter((path) => existsSync(join(runtimeFolder(), path)))).toEqual([]);
    expect(readdirSync(runtimeFolder()).sort()).toEqual(["dist", "migrations", "node_modules", "package-lock.json", "package.json"]);
  });

  // The image runs compiled JavaScript: tsx (npm start's loader) is a devDependency and stays out.
  it("installs no tsx", () => {
    expect(existsSync(join(runtimeFolder(), "node_modules", "tsx"))).toBe(false);
  });

  it("starts: /health is 200 with the database and Redis up", async () => {
    const response = await fetch(`${server!.url}/health`);
    expect(response.status, server!.output()).toBe(200);
    const body = (await response.json()) as { data: { status: string; runtime: string; services: { database: { status: string }; redis: { status: string; adapter: string } } } };
    expect(body.data).toMatchObject({ status: "ok", runtime: "node", services: { database: { status: "up" }, redis: { status: "up", adapter: "ioredis" } } });
  });

  it("its HEALTHCHECK command passes against the running server", async () => {
    const [file, ...argv] = runtime.healthcheck!;
    const port = new URL(server!.url).port;
    await expect(run(file!, argv, { cwd: runtimeFolder(), env: { ...hostEnvironment(), ...runtime.env, PORT: port }, timeout: 20_000 })).resolves.toBeDefined();
  });

  it("serves /docs and Swagger UI's files from the installed swagger-ui-dist", async () => {
    const page = await fetch(`${server!.url}/docs`);
    expect(page.status).toBe(200);
    const assets = [...(await page.text()).matchAll(/(?:src|href)="(\/docs\/assets\/[^"]+)"/g)].map((match) => match[1]!);
    expect(assets).toHaveLength(2);
    for (const asset of assets) {
      const response = await fetch(`${server!.url}${asset}`);
      expect(response.status, asset).toBe(200);
      expect((await response.text()).length, asset).toBeGreaterThan(10_000);
    }
  });

  it("migrated the database and takes ADMIN_TOKEN for the admin endpoints", async () => {
    expect((await fetch(`${server!.url}/api/cache/metrics`)).status).toBe(401);
    const admin = { authorization: `Bearer ${adminToken}` };
    expect((await fetch(`${server!.url}/api/cache/metrics`, { headers: admin })).status).toBe(200);
    const created = await fetch(`${server!.url}/api/products`, {
      method: "POST",
      headers: { ...admin, "content-type": "application/json" },
      body: JSON.stringify({ name: "Image Test Lamp", description: "A lamp made by the image test.", price: 12.5, stock: 3, category: "Lighting", images: [], isActive: true }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const { data } = (await created.json()) as { data: { id: string } };
    const read = await fetch(`${server!.url}/api/products/${data.id}`);
    expect(read.status).toBe(200);
    expect(read.headers.get("x-cache")).toMatch(/^(HIT|MISS)$/);
    expect(((await read.json()) as { data: { name: string } }).data.name).toBe("Image Test Lamp");
  });

  it("compose.yaml's libsql healthcheck probe reads a 200 status line over HTTP (tried on this server, then on a closed port)", async () => {
    const probe = JSON.parse(/^ {6}test: (\[.*\])\s*$/m.exec(serviceBlock(readFileSync(join(ROOT, "compose.yaml"), "utf8"), "libsql"))![1]!) as string[];
    expect(probe.slice(0, 3)).toEqual(["CMD", "bash", "-c"]);
    const script = probe[3]!;
    expect(script).toContain("/dev/tcp/127.0.0.1/8080");
    const port = new URL(server!.url).port;
    await expect(run("bash", ["-c", script.replace("127.0.0.1/8080", `127.0.0.1/${port}`)], { timeout: 10_000 })).resolves.toBeDefined();
    await expect(run("bash", ["-c", script.replace("127.0.0.1/8080", "127.0.0.1/1")], { timeout: 10_000 })).rejects.toThrow();
  });
});

// ---------------------------------------------------------------------------------------------
// compose.yaml, read statically (no YAML library among this project's dependencies: the few
// block mappings needed are cut out by indentation).

/** The lines of a block mapping's entry, e.g. `services:` → `api:`. */
function block(lines: string[], key: string, indent: number): string[] {
  const start = lines.findIndex((line) => line === `${" ".repeat(indent)}${key}:` || line.startsWith(`${" ".repeat(indent)}${key}: `));
  if (start < 0) return [];
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() !== "" && !line.trim().startsWith("#") && line.length - line.trimStart().length <= indent) break;
    body.push(line);
  }
  return body;
}

function serviceBlock(compose: string, service: string): string {
  return block(block(compose.split("\n"), "services", 0), service, 2).join("\n");
}

describe("compose.yaml", () => {
  const compose = readFileSync(join(ROOT, "compose.yaml"), "utf8");
  const lines = compose.split("\n");
  const services = block(lines, "services", 0)
    .filter((line) => /^ {2}[a-z][\w-]*:\s*$/.test(line))
    .map((line) => line.trim().slice(0, -1));
  const api = serviceBlock(compose, "api").split("\n");
  const environment = Object.fromEntries(
    block(api, "environment", 4)
      .filter((line) => /^ {6}[A-Z]/.test(line))
      .map((line) => {
        const [, name, value] = /^ {6}([A-Z][A-Z0-9_]*): ?(.*)$/.exec(line)!;
        return [name!, value!.replace(/^"(.*)"$/, "$1")];
      }),
  );

  it("has the API, a state Redis, a cache Redis and a libSQL server, and its first lines give the one command that starts them", () => {
    expect(services).toEqual(["api", "redis", "redis-cache", "libsql"]);
    const header = lines.slice(0, lines.findIndex((line) => !line.startsWith("#")));
    expect(header.join("\n")).toMatch(/^# +ADMIN_TOKEN=.+ SESSION_SECRET=.+ docker compose up --build -d$/m);
  });

  it("gives the API only variables src/config.ts reads: production, the compose Redis and libSQL, required secrets", () => {
    const known = [...readFileSync(join(ROOT, "src/config.ts"), "utf8").matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((match) => match[1]!);
    expect(known).toContain("DATABASE_URL");
    expect(Object.keys(environment).filter((name) => !known.includes(name))).toEqual([]);
    expect(environment).toMatchObject({ NODE_ENV: "production", REDIS_URL: "redis://redis:6379", REDIS_CACHE_URL: "redis://redis-cache:6379", DATABASE_URL: "http://libsql:8080" });
    expect(environment.ADMIN_TOKEN).toMatch(/^\$\{ADMIN_TOKEN:\?[^}]+\}$/);
    expect(environment.SESSION_SECRET).toMatch(/^\$\{SESSION_SECRET:\?[^}]+\}$/);
    // The published port is the one the server listens on, and the one the image EXPOSEs.
    expect(api.join("\n")).toContain(`- "${environment.PORT}:${environment.PORT}"`);
    expect(readFileSync(join(ROOT, "Dockerfile"), "utf8")).toMatch(new RegExp(`^EXPOSE ${environment.PORT}$`, "m"));
  });

  it("pins every image, health-checks both Redis and libSQL, and starts the API after all are healthy", () => {
    const images = [...compose.matchAll(/^\s+image:\s*(\S+)\s*$/gm)].map((match) => match[1]!);
    expect(images).toHaveLength(3);
    for (const image of images) expect(image).toMatch(/^[^:]+(?::\d+)?\/?[^:]*:(?!latest$)[\w.-]*\d[\w.-]*$/);
    for (const service of ["redis", "redis-cache", "libsql"]) {
      expect(serviceBlock(compose, service), service).toMatch(/^ {4}healthcheck:\n {6}test: /m);
      expect(block(block(api, "depends_on", 4), service, 6).join("\n"), service).toContain("condition: service_healthy");
    }
    // State never evicted, the cache evicted least recently used first.
    expect(serviceBlock(compose, "redis")).toMatch(/"--maxmemory-policy", "noeviction"/);
    expect(serviceBlock(compose, "redis")).toMatch(/"--appendonly", "yes"/);
    expect(serviceBlock(compose, "redis-cache")).toMatch(/"--maxmemory", "\d+mb", "--maxmemory-policy", "allkeys-lru"/);
  });
});
