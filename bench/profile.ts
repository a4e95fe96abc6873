/**
 * Self time of a V8 CPU profile (the inspector's Profiler.stop result, the format of
 * `node --cpu-prof`) per function and per group: a package, a src/ folder, a part of Node, V8.
 * Native frames without a script (JSON.parse, a socket write) go to the nearest caller that has one.
 */
interface Frame {
  functionName: string;
  url: string;
  lineNumber: number;
}

export interface CpuProfile {
  nodes: { id: number; callFrame: Frame; children?: number[] }[];
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileSummary {
  /** Sampled time the thread was not idle, µs. */
  busyUs: number;
  groups: [string, number][];
  functions: [string, number][];
}

const NODE_GROUPS: [RegExp, string][] = [
  [/undici|webstreams|internal\/url|event_target|blob|encoding/, "node: web APIs (undici Headers/Request, URL)"],
  [/_http|http_parser|internal\/http/, "node: http"],
  [/^(net|stream)$|streams|stream_base_commons|internal\/net/, "node: net & streams"],
  [/task_queues|async_hooks|promise|process\/|events$|timers/, "node: events, timers, microtasks"],
  [/crypto/, "node: crypto"],
];

/** A frame's script as shown (path inside node_modules or the repo) and the group its self time goes to. */
function locate(url: string, root: string): { short: string; group: string } {
  if (url.startsWith("node:"))
    return { short: url, group: NODE_GROUPS.find(([pattern]) => pattern.test(url.slice(5)))?.[1] ?? "node: other" };
  const path = url.startsWith("file://") ? decodeURIComponent(url.slice(7)) : url;
  const modules = path.lastIndexOf("/node_modules/");
  if (modules >= 0) {
    const short = path.slice(modules + 14);
    const [scope, name] = short.split("/");
    return { short, group: `pkg: ${scope?.startsWith("@") ? `${scope}/${name}` : scope}` };
  }
  if (!path.startsWith(`${root}/`)) return { short: path, group: path };
  const short = path.slice(root.length + 1);
  return { short, group: short.startsWith("bench/") ? "bench/ (peer handler, harness)" : short.split("/").slice(0, -1).join("/") || short };
}

export function summariseProfile(profile: CpuProfile, root: string): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const named = new Map<number, { fn: string; group: string }>();
  const nameOf = (id: number): { fn: string; group: string } => {
    let entry = named.get(id);
    if (entry) return entry;
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const fn = functionName || "(anonymous)";
    if (url) {
      const { short, group } = locate(url, root);
      entry = { fn: `${fn} ${short}:${lineNumber + 1}`, group };
    } else if (functionName.startsWith("("))
      entry = { fn: functionName, group: functionName === "(garbage collector)" ? "V8: garbage collector" : "V8: native, not attributed" };
    else {
      let up = parent.get(id);
      while (up !== undefined && !byId.get(up)!.callFrame.url) up = parent.get(up);
      const caller: { fn: string; group: string } | undefined = up === undefined ? undefined : nameOf(up);
      entry = { fn: `${fn} (native${caller ? `, in ${caller.fn}` : ""})`, group: caller?.group ?? "V8: native, not attributed" };
    }
    named.set(id, entry);
    return entry;
  };
  const functions = new Map<string, number>();
  const groups = new Map<string, number>();
  let busyUs = 0;
  const samples = profile.samples ?? [];
  for (let i = 0; i < samples.length; i++) {
    // A sample lasts until the next one (DevTools' convention).
    const us = profile.timeDeltas?.[i + 1] ?? 0;
    if (byId.get(samples[i]!)?.callFrame.functionName === "(idle)") continue;
    const { fn, group } = nameOf(samples[i]!);
    busyUs += us;
    functions.set(fn, (functions.get(fn) ?? 0) + us);
    groups.set(group, (groups.get(group) ?? 0) + us);
  }
  const sorted = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]);
  return { busyUs, groups: sorted(groups), functions: sorted(functions) };
}
