import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { importedPackages } from "../support/bundle-imports";
import { parseDockerfile } from "../support/dockerfile";
import { hostEnvironment, replayDockerfile, type StageResult } from "../support/dockerfile-replay";
import { spawnServer, type SpawnedServer } from "../support/spawned-server";

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
  let server: SpawnedServer | undefined;
  const adminToken = `admin-${crypto.randomUUID()}`;
  const runtimeFolder = () => join(runtime.root, runtime.workdir);

  beforeAll(async () => {
    workspace = await mkdtemp(join(tmpdir(), "jollyjet-image-"));
    const results = await replayDockerfile(dockerfile, ROOT, workspace);
    runtime = results.get(finalStage)!;
    // Only what the container would have: the image's ENV, then compose's variables (NODE_ENV comes from the Dockerfile).
    server = await spawnServer(runtime.cmd ?? [], runtimeFolder(), {
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
    await server?.stop();
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
    const body = (await response.json()) as {
      data: { status: string; runtime: string; services: { database: { status: string }; redis: { status: string; adapter: string } } };
    };
    expect(body.data).toMatchObject({
      status: "ok",
      runtime: "node",
      services: { database: { status: "up" }, redis: { status: "up", adapter: "ioredis" } },
    });
  });

  it("its HEALTHCHECK command passes against the running server", async () => {
    const [file, ...argv] = runtime.healthcheck!;
    const port = new URL(server!.url).port;
    await expect(
      run(file!, argv, { cwd: runtimeFolder(), env: { ...hostEnvironment(), ...runtime.env, PORT: port }, timeout: 20_000 }),
    ).resolves.toBeDefined();
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

  it("serves /dashboard and the stylesheet and script it links, from the files the build put in dist/", async () => {
    const page = await fetch(`${server!.url}/dashboard`);
    expect(page.status, server!.output()).toBe(200);
    const linked = [...(await page.text()).matchAll(/(?:src|href)="(\/dashboard\/assets\/[^"]+)"/g)].map((match) => match[1]!);
    expect(linked).toHaveLength(2);
    for (const path of linked) {
      const response = await fetch(`${server!.url}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get("cache-control"), path).toBe("public, max-age=31536000, immutable");
    }
  });

  it("migrated the database and takes ADMIN_TOKEN for the admin endpoints", async () => {
    expect((await fetch(`${server!.url}/api/cache/metrics`)).status).toBe(401);
    const admin = { authorization: `Bearer ${adminToken}` };
    expect((await fetch(`${server!.url}/api/cache/metrics`, { headers: admin })).status).toBe(200);
    const created = await fetch(`${server!.url}/api/products`, {
      method: "POST",
      headers: { ...admin, "content-type": "application/json" },
      body: JSON.stringify({
        name: "Image Test Lamp",
        description: "A lamp made by the image test.",
        price: 12.5,
        stock: 3,
        category: "Lighting",
        images: [],
        isActive: true,
      }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const { data } = (await created.json()) as { data: { id: string } };
    const read = await fetch(`${server!.url}/api/products/${data.id}`);
    expect(read.status).toBe(200);
    expect(read.headers.get("x-cache")).toMatch(/^(HIT|MISS)$/);
    expect(((await read.json()) as { data: { name: string } }).data.name).toBe("Image Test Lamp");
  });

  it("compose.yaml's libsql healthcheck probe reads a 200 status line over HTTP (tried on this server, then on a closed port)", async () => {
    const probe = JSON.parse(
      /^ {6}test: (\[.*\])\s*$/m.exec(serviceBlock(readFileSync(join(ROOT, "compose.yaml"), "utf8"), "libsql"))![1]!,
    ) as string[];
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
    const header = lines.slice(
      0,
      lines.findIndex((line) => !line.startsWith("#")),
    );
    expect(header.join("\n")).toMatch(/^# +ADMIN_TOKEN=.+ SESSION_SECRET=.+ docker compose up --build -d$/m);
  });

  it("gives the API only variables src/config.ts reads: production, the compose Redis and libSQL, required secrets", () => {
    const known = [...readFileSync(join(ROOT, "src/config.ts"), "utf8").matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((match) => match[1]!);
    expect(known).toContain("DATABASE_URL");
    expect(Object.keys(environment).filter((name) => !known.includes(name))).toEqual([]);
    expect(environment).toMatchObject({
      NODE_ENV: "production",
      REDIS_URL: "redis://redis:6379",
      REDIS_CACHE_URL: "redis://redis-cache:6379",
      DATABASE_URL: "http://libsql:8080",
    });
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
