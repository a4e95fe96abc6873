/**
 * @module
 * The Dockerfile replayed without a Docker engine (there is none where the tests run): each
 * stage the final stage needs runs in its own folder standing for the image's filesystem (COPY
 * from the build context, as .dockerignore filters it, or from an earlier stage; RUN through sh
 * in the WORKDIR; ENV). RUN lines execute on this machine: any that names an absolute path (it
 * would act on the host) or cleans npm's cache (the host's) is refused, and so is any
 * instruction or flag not known here.
 */
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join, posix } from "node:path";
import { promisify } from "node:util";
import {
  commandLine,
  neededStages,
  parentStage,
  parseAssignments,
  stageNamed,
  substitute,
  takeFlags,
  type Dockerfile,
  type Stage,
} from "./dockerfile";
import { dockerignore } from "./dockerignore";

const run = promisify(execFile);

/** A replayed stage: its filesystem root, and the image settings its instructions left. */
export interface StageResult {
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

/** What every stage's replay reads: the file, the build context and the stages replayed so far. */
interface Build {
  dockerfile: Dockerfile;
  context: string;
  ignored: (path: string) => boolean;
  results: Map<Stage, StageResult>;
}

const HEALTHCHECK_FLAGS = ["interval", "timeout", "start-period", "start-interval", "retries"];
const COPY_FLAGS = ["from", "chown", "chmod", "link"];

/** Host variables a RUN or the CMD may use: the PATH (node, npm, sh), npm's cache and registry settings, proxies. Nothing else leaks in (vitest's NODE_ENV=test included). */
export function hostEnvironment(): Record<string, string> {
  const names = /^(PATH|HOME|TMPDIR|npm_config_(registry|cache|userconfig)|https?_proxy|no_proxy)$/i;
  return Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] => names.test(entry[0]) && entry[1] !== undefined),
  );
}

/**
 * Replays the stages the final stage needs, each in `<workspace>/<stage>/` standing for its
 * filesystem root; resolves to every replayed stage's result, the final one last.
 */
export async function replayDockerfile(dockerfile: Dockerfile, context: string, workspace: string): Promise<Map<Stage, StageResult>> {
  const ignorePath = join(context, ".dockerignore");
  const ignored = dockerignore(existsSync(ignorePath) ? readFileSync(ignorePath, "utf8") : "");
  const build: Build = { dockerfile, context, ignored, results: new Map() };
  for (const stage of neededStages(dockerfile))
    build.results.set(stage, await replayStage(build, stage, join(workspace, `${stage.index}-${stage.name ?? "stage"}`)));
  return build.results;
}

/** A stage built FROM an earlier one starts as a copy of it (its own RUN and COPY lines aside); any other from an empty root. */
function initialState(build: Build, stage: Stage, root: string): StageResult {
  const parent = parentStage(build.results.keys(), stage);
  if (!parent)
    return { root, workdir: "/", env: {}, user: undefined, expose: [], cmd: undefined, healthcheck: undefined, runs: [], copies: [] };
  const inherited = build.results.get(parent)!;
  cpSync(inherited.root, root, { recursive: true });
  return { ...structuredClone({ ...inherited, root }), runs: [], copies: [] };
}

/** Where a path inside the stage (relative to its WORKDIR) lies on this machine. */
function onDisk(state: StageResult, path: string): string {
  return join(state.root, posix.resolve(state.workdir, path));
}

async function replayStage(build: Build, stage: Stage, root: string): Promise<StageResult> {
  const state = initialState(build, stage, root);
  mkdirSync(root, { recursive: true });
  const args: Record<string, string> = { ...build.dockerfile.args };
  for (const instruction of stage.instructions) {
    const where = `Dockerfile line ${instruction.line}`;
    const variables = { ...args, ...state.env };
    switch (instruction.keyword) {
      case "ARG": {
        const [name, value] = instruction.text.split("=", 2) as [string, string | undefined];
        args[name] = value ?? build.dockerfile.args[name] ?? "";
        break;
      }
      case "ENV":
        for (const [key, value] of parseAssignments(instruction.text)) state.env[key] = substitute(value, variables);
        break;
      case "WORKDIR":
        state.workdir = posix.resolve(state.workdir, substitute(instruction.text, variables));
        mkdirSync(onDisk(state, "."), { recursive: true });
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
      case "HEALTHCHECK":
        state.healthcheck = healthcheckCommand(instruction.text, where);
        break;
      case "COPY":
        replayCopy(build, state, instruction.text, variables, where);
        break;
      case "RUN":
        await replayRun(state, instruction.text, where);
        break;
      default:
        throw new Error(`${where}: ${instruction.keyword} is not replayed here: extend test/support/dockerfile-replay.ts or avoid it`);
    }
  }
  return state;
}

function healthcheckCommand(text: string, where: string): string[] | undefined {
  const { flags, rest } = takeFlags(text);
  for (const flag of flags.keys())
    if (!HEALTHCHECK_FLAGS.includes(flag)) throw new Error(`${where}: HEALTHCHECK --${flag} is not known here`);
  return rest === "NONE" ? undefined : commandLine(rest.replace(/^CMD\s+/, ""));
}

function replayCopy(build: Build, state: StageResult, text: string, variables: Record<string, string>, where: string): void {
  const { flags, rest } = takeFlags(text);
  for (const flag of flags.keys()) if (!COPY_FLAGS.includes(flag)) throw new Error(`${where}: COPY --${flag} is not known here`);
  const words = rest.startsWith("[") ? (JSON.parse(rest) as string[]) : substitute(rest, variables).split(/\s+/);
  const destination = words.pop()!;
  if (words.length === 0) throw new Error(`${where}: COPY needs a source and a destination`);
  const from = flags.get("from");
  const sourceRoot = from === undefined ? build.context : build.results.get(stageNamed(build.dockerfile, from))!.root;
  const target = onDisk(state, destination);
  const intoFolder = destination.endsWith("/") || words.length > 1;
  for (const word of words) {
    if (/[*?[]/.test(word)) throw new Error(`${where}: wildcards in COPY sources are not replayed here`);
    const relative = from === undefined ? posix.normalize(word).replace(/^\/+/, "") : posix.resolve("/", word).slice(1);
    if (relative.startsWith("..")) throw new Error(`${where}: ${word} is outside the build context`);
    const source = join(sourceRoot, relative);
    if (!existsSync(source) || (from === undefined && build.ignored(relative)))
      throw new Error(
        `${where}: COPY ${word}: not found in the ${from === undefined ? "build context (or excluded by .dockerignore)" : `stage ${from}`}`,
      );
    const filter =
      from === undefined
        ? (path: string) => !build.ignored(posix.relative(posix.normalize(build.context), path.split("\\").join("/")))
        : () => true;
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
}

async function replayRun(state: StageResult, text: string, where: string): Promise<void> {
  const { flags, rest } = takeFlags(text);
  for (const [flag, value] of flags) {
    // A cache mount persists between builds and never lands in the image: npm's cache on the host stands for it.
    if (flag !== "mount" || !value.split(",").includes("type=cache")) throw new Error(`${where}: RUN --${flag}=${value} is not known here`);
  }
  if (/(^|\s)\//.test(rest) || /npm\s+cache\s+clean/.test(rest))
    throw new Error(`${where}: RUN ${rest}: would act on this machine outside the stage folder, not replayed`);
  const [file, ...argv] = commandLine(rest);
  try {
    await run(file!, argv, {
      cwd: onDisk(state, "."),
      env: { ...hostEnvironment(), ...state.env },
      timeout: 300_000,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${where}: RUN ${rest} failed:\n${`${stdout ?? ""}\n${stderr ?? ""}`.trim().slice(-4000)}`);
  }
  state.runs.push(rest);
}
