import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The layers of src/, outermost first (README "Architecture"). A module may import its own
 * layer's modules and any layer below; db/ implements the features' ports, so it sits
 * between the features and what they use. Type-only imports count like any other.
 */
const LAYERS: [layer: string, matches: (file: string) => boolean][] = [
  ["entry", (file) => file.startsWith("entry/")],
  ["app", (file) => file === "app.ts" || file === "services.ts"],
  ["http", (file) => file.startsWith("http/")],
  ["db", (file) => file.startsWith("db/")],
  ["features", (file) => /^(auth|catalogue|ratelimit)\//.test(file)],
  ["cache", (file) => file.startsWith("cache/")],
  ["redis", (file) => file.startsWith("redis/")],
  ["leaf", (file) => !file.includes("/")],
];
const FEATURES = ["auth", "catalogue", "ratelimit"];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : [],
  );
}

/** Every relative import of every file under src/, as paths relative to src/ (with .ts). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const path of sourceFiles("src")) {
    const file = relative("src", path);
    const specifiers = [...readFileSync(path, "utf8").matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)].map(
      (match) => match[1]!,
    );
    const targets = specifiers
      .map((specifier) => normalize(join(dirname(file), specifier)))
      .filter((target) => !target.startsWith(".."))
      .map((target) => (target.endsWith(".ts") ? target : `${target}.ts`));
    graph.set(file, targets);
  }
  return graph;
}

const layerOf = (file: string) => LAYERS.findIndex(([, matches]) => matches(file));

describe("architecture", () => {
  const graph = importGraph();

  it("every module of src/ belongs to a layer", () => {
    expect([...graph.keys()].filter((file) => layerOf(file) < 0)).toEqual([]);
  });

  it("dependencies run one way: no import reaches a layer above its own, and features do not import each other", () => {
    const upward: string[] = [];
    for (const [file, targets] of graph) {
      for (const target of targets) {
        const crossFeature =
          FEATURES.some((feature) => file.startsWith(`${feature}/`)) &&
          FEATURES.some((feature) => target.startsWith(`${feature}/`)) &&
          file.split("/")[0] !== target.split("/")[0];
        if (layerOf(target) < layerOf(file) || crossFeature) upward.push(`${file} → ${target}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it("has no import cycle", () => {
    const cycles: string[] = [];
    const state = new Map<string, "visiting" | "done">();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "visiting") {
        cycles.push([...path.slice(path.indexOf(file)), file].join(" → "));
        return;
      }
      state.set(file, "visiting");
      for (const target of graph.get(file) ?? []) visit(target, [...path, file]);
      state.set(file, "done");
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it("no layer below src/http imports Hono (hono, hono/*, @hono/*): errors, types and all", () => {
    const http = LAYERS.findIndex(([layer]) => layer === "http");
    const honoImport = /(?:from|import)\s*\(?\s*["'](?:hono|@hono\/[^"'/]+)(?:\/[^"']*)?["']/;
    const outside = [...graph.keys()].filter((file) => layerOf(file) > http && honoImport.test(readFileSync(join("src", file), "utf8")));
    expect(outside).toEqual([]);
  });
});
