/**
 * @module
 * A small Dockerfile reader for the build test, which replays the Dockerfile without a Docker
 * engine: enough for this project's Dockerfile, and loud about anything else (the replay,
 * test/support/dockerfile-replay.ts, refuses what it cannot honour).
 */

interface Instruction {
  keyword: string;
  /** The arguments, continuation lines joined. */
  text: string;
  line: number;
}

export interface Stage {
  index: number;
  name: string | undefined;
  from: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  args: Record<string, string>;
  stages: Stage[];
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
export function takeFlags(text: string): { flags: Map<string, string>; rest: string } {
  const flags = new Map<string, string>();
  let rest = text;
  for (let match = /^--([a-z-]+)(?:=(\S*))?\s+/.exec(rest); match; match = /^--([a-z-]+)(?:=(\S*))?\s+/.exec(rest)) {
    flags.set(match[1]!, match[2] ?? "");
    rest = rest.slice(match[0].length);
  }
  return { flags, rest };
}

/** Exec form (a JSON array) as is; shell form through `sh -c`, as Docker runs it. */
export function commandLine(text: string): string[] {
  return text.startsWith("[") ? (JSON.parse(text) as string[]) : ["sh", "-c", text];
}

export function substitute(text: string, variables: Record<string, string>): string {
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_, braced: string | undefined, fallback: string | undefined, bare: string | undefined) => {
      const value = variables[braced ?? bare!];
      return value !== undefined && value !== "" ? value : (fallback ?? "");
    },
  );
}

/** `KEY=value KEY2="value 2"` (or the old `KEY value`). */
export function parseAssignments(text: string): [string, string][] {
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(text)) {
    const [key, ...value] = text.split(/\s+/);
    return [[key!, value.join(" ")]];
  }
  return [...text.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)].map((match) => [
    match[1]!,
    match[2]!.startsWith('"') ? (JSON.parse(match[2]!) as string) : match[2]!,
  ]);
}

export function parseDockerfile(source: string): Dockerfile {
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const instruction of parseInstructions(source)) {
    if (instruction.keyword === "FROM") {
      const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.text);
      if (!match) throw new Error(`Dockerfile line ${instruction.line}: cannot read FROM ${instruction.text}`);
      stages.push({ index: stages.length, name: match[2]?.toLowerCase(), from: substitute(match[1]!, args), instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword !== "ARG")
        throw new Error(`Dockerfile line ${instruction.line}: ${instruction.keyword} before the first FROM`);
      const [name, value] = instruction.text.split("=", 2) as [string, string | undefined];
      args[name] = value ?? "";
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return { args, stages };
}

export function stageNamed(dockerfile: Dockerfile, reference: string): Stage {
  const stage = dockerfile.stages.find((candidate) => candidate.name === reference.toLowerCase() || String(candidate.index) === reference);
  if (!stage) throw new Error(`Dockerfile: no stage ${reference} (an image reference in COPY --from cannot be replayed)`);
  return stage;
}

/** The stage `stage` is built FROM, when that is a stage of this file rather than an image. */
export function parentStage(stages: Iterable<Stage>, stage: Stage): Stage | undefined {
  return [...stages].find((candidate) => candidate.name !== undefined && candidate.name === stage.from.toLowerCase());
}

/** The stages the final one needs (FROM <stage>, COPY --from=<stage>), in file order. */
export function neededStages(dockerfile: Dockerfile): Stage[] {
  const needed = new Set<Stage>();
  const visit = (stage: Stage) => {
    if (needed.has(stage)) return;
    needed.add(stage);
    const parent = parentStage(dockerfile.stages, stage);
    if (parent) visit(parent);
    for (const instruction of stage.instructions) {
      const from = instruction.keyword === "COPY" ? takeFlags(instruction.text).flags.get("from") : undefined;
      if (from !== undefined) visit(stageNamed(dockerfile, from));
    }
  };
  visit(dockerfile.stages.at(-1)!);
  return dockerfile.stages.filter((stage) => needed.has(stage));
}
