/**
 * @module
 * .dockerignore as Docker reads it, for the build test's replay of COPY from the build context:
 * patterns from the context root, `**`, `!` exceptions, the last match wins, a matched folder
 * takes its contents.
 */
import { posix } from "node:path";

interface Rule {
  negated: boolean;
  regex: RegExp;
}

function rule(line: string): Rule {
  const negated = line.startsWith("!");
  const pattern = posix.normalize((negated ? line.slice(1) : line).replace(/^\/+/, ""));
  const regex = pattern
    .split("/")
    .map((part) =>
      part === "**"
        ? "(?:.*)"
        : part
            .replace(/[.+^${}()|[\]\\]/g, "\\$&")
            .replace(/\*/g, "[^/]*")
            .replace(/\?/g, "[^/]"),
    )
    .join("/")
    .replace(/\(\?:\.\*\)\//g, "(?:.*/)?");
  return { negated, regex: new RegExp(`^${regex}$`) };
}

/** Whether a path relative to the context root (with `/`) is excluded by the .dockerignore `source`. */
export function dockerignore(source: string): (path: string) => boolean {
  const rules = source
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map(rule);
  return (path) => {
    const parts = path.split("/");
    const prefixes = parts.map((_, index) => parts.slice(0, index + 1).join("/"));
    let excluded = false;
    for (const { negated, regex } of rules) if (prefixes.some((prefix) => regex.test(prefix))) excluded = !negated;
    return excluded;
  };
}
