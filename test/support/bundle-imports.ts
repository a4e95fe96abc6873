/**
 * @module
 * What a bundle esbuild wrote imports, for the build test's check that dist/ needs production
 * dependencies only.
 */
import { builtinModules } from "node:module";

/** Bare package names a bundle imports (`node:` and other built-ins left out). */
export function importedPackages(bundle: string): string[] {
  const specifiers = [
    ...bundle.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s*"([^"]+)"|^\s*import\s*"([^"]+)"|\bimport\(\s*"([^"]+)"\s*\)/gm),
  ].map((match) => (match[1] ?? match[2] ?? match[3])!);
  const packages = specifiers
    .filter(
      (specifier) => !specifier.startsWith(".") && !specifier.startsWith("node:") && !builtinModules.includes(specifier.split("/")[0]!),
    )
    .map((specifier) =>
      specifier
        .split("/")
        .slice(0, specifier.startsWith("@") ? 2 : 1)
        .join("/"),
    );
  return [...new Set(packages)].sort();
}
