/**
 * Summarises a V8 CPU profile (the inspector's Profiler.stop result, the same format as
 * `node --cpu-prof`) into self time per module group and per function.
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileSummary {
  /** Sampled wall time of the profile, µs. */
  wallUs: number;
  /** Time the thread was busy (everything but "(idle)"), µs. */
  busyUs: number;
  /** Self time per function, µs, largest first. */
  functions: [string, number][];
  /** Time per cost centre (see COST_CENTRES), µs, largest first. */
  centres: [string, number][];
  /** Per named centre: time by the caller that entered it (the frame just outside its outermost frame), µs, largest first. */
  callers: Record<string, [string, number][]>;
}

/**
 * Cost centres that claim a sample when one of their frames is ANYWHERE on its stack (first
 * match in this order wins), so everything such a piece of code calls — builtins, undici,
 * Promise machinery — is charged to it. Samples no centre claims are charged to the module
 * group of their innermost frame that has a URL (see groupOf).
 */
const isNodeServer = (f: CallFrame, name: string) => f.functionName === name && f.url.includes("/@hono/node-server/");
const isUndici = (f: CallFrame) => f.url.startsWith("node:internal/deps/undici");
/** Hono replacing a placeholder `c.res`, or @hono/node-server materialising a real Response, or reading its body stream. */
const isRewrap = (f: CallFrame) =>
  (f.url.endsWith("/hono/dist/context.js") && f.functionName === "set res") || isNodeServer(f, "[getResponseCache]") || f.url.startsWith("node:internal/webstreams");

export const COST_CENTRES: {
  label: string;
  explain: string;
  fix: string;
  /** Frames of this centre (also used to find who entered it). */
  match: (frame: CallFrame) => boolean;
  /** When set, decides on the whole stack (leaf first) instead of "any frame matches". */
  matchStack?: (stack: CallFrame[]) => boolean;
}[] = [
  {
    label: "materialising a full undici Request",
    fix: "Do not touch `c.req.raw.body` (or `signal`, `clone()`…) on bodyless requests — e.g. run `bodyLimit` only for methods that carry a body — so @hono/node-server keeps its lightweight Request",
    explain:
      "something reads a property of `c.req.raw` that @hono/node-server's lightweight request does not have — e.g. `body`, which hono's `bodyLimit` middleware reads on every request it runs for, GETs included — so the adapter builds a real undici `Request` (a Headers copy with validation, an AbortController/AbortSignal)",
    match: (f) => f.url.includes("/@hono/node-server/") && /^(get body|\[getRequestCache\]|newRequestFromIncoming)$/.test(f.functionName),
  },
  {
    label: "Hono `c.var` getter",
    fix: "Read context variables with `c.get(\"…\")` (one Map lookup) instead of `c.var.…`, or take `c.var` once per middleware",
    explain: "`c.var` returns `Object.fromEntries(map)` — a fresh object of every context variable — on each access; src/ reads `c.var.…` many times per request",
    match: (f) => f.url.endsWith("/hono/dist/context.js") && f.functionName === "get var",
  },
  {
    label: "`c.executionCtx` throwing on Node",
    fix: "Decide once whether there is an execution context (e.g. the entry passes `waitUntil`, or `services.runtime === \"workerd\"`) instead of letting the getter throw on every Node request",
    explain: "requestContext probes `c.executionCtx` in try/catch; on Node the getter throws a new Error (stack capture) on every request",
    match: (f) => f.url.endsWith("/hono/dist/context.js") && f.functionName === "get executionCtx",
  },
  {
    label: "per-request logger",
    fix: "Create the request logger lazily (only when a line is actually written) and test the level before building the access-log fields",
    explain: "src/logger.ts work on every request: the request-scoped child logger (`logger.child({ requestId })`) and the access-log call, although nothing is written at `LOG_LEVEL=error`",
    match: (f) => f.url.endsWith("/src/logger.ts"),
  },
  {
    label: "rate-limit identity hash (SHA-256)",
    fix: "Memoise address → hashed identity in a small bounded map (the same addresses repeat), or hash synchronously with node:crypto's `createHash` on Node (no thread-pool job, no promise)",
    explain: "hashing the client address into the rate-limit identity (src/auth/encoding.ts and node:crypto; WebCrypto's `crypto.subtle.digest` adds a job on the libuv pool and promises to every call)",
    // WebCrypto's digest path (node:internal/crypto/webcrypto, hash, util); random UUIDs are not part of it.
    match: (f) => f.url.endsWith("/src/auth/encoding.ts") || (f.url.startsWith("node:internal/crypto") && !f.url.includes("random")),
  },
  {
    label: "rate limiter (@upstash/ratelimit + src/ratelimit)",
    fix: "Build one `Ratelimit` per policy at start-up instead of one per check (hand it the request's batch another way), or call the sliding-window script directly",
    explain: "a new `Ratelimit` per check, its sliding-window call, our client adapter queuing the EVALSHA on the batch, the RateLimit headers' values",
    match: (f) => f.url.includes("/@upstash/ratelimit/") || f.url.includes("/src/ratelimit/"),
  },
  {
    label: "re-wrapping the handler's Response (`c.res` touched before the handler)",
    fix: "Run `cors` only for requests that carry an Origin header (or give it headers through `c.header()`), so nothing touches `c.res` before the handler and its lightweight Response is sent as is; same-origin and server-to-server callers also stop receiving CORS headers",
    explain:
      "hono's `cors` middleware (credentials on) sets Access-Control-Allow-Credentials and Access-Control-Expose-Headers with `c.res.headers.set()` before `await next()` on every /api request, Origin or not, which creates a placeholder `c.res`; Hono's `set res` then re-wraps the handler's response (`new Response(body, res)`: @hono/node-server materialises a real undici Response with a ReadableStream body) and copies every header across, and the response leaves through the adapter's slow path (headers read back and converted, body read from the stream) instead of its cached fast path",
    match: (f) => isRewrap(f) || isNodeServer(f, "responseViaResponseObject"),
    // Also the adapter's slow path for such a response (headers read back from the real
    // Response and converted), but not its fast path (responseViaCache) that other responses take.
    matchStack: (stack) =>
      stack.some(isRewrap) ||
      (stack.some((f) => isNodeServer(f, "responseViaResponseObject")) &&
        !stack.some((f) => isNodeServer(f, "responseViaCache")) &&
        stack.some((f) => isUndici(f) || isNodeServer(f, "buildOutgoingHttpHeaders"))),
  },
  {
    label: "response headers through undici `Headers`",
    fix: "Send fewer headers on JSON API responses, and add the constant ones once (a prebuilt set) rather than one validated `Headers.set` per header per request: each header costs undici's validation going in and `buildOutgoingHttpHeaders` going out (see the header list above)",
    explain:
      "every response header the app sets (secureHeaders, CORS, the RateLimit headers, X-Request-Id, X-Cache, content-type; see the header count below) goes through undici's Headers validation (webidl ByteString, token and value checks), then @hono/node-server copies them out (`buildOutgoingHttpHeaders`)",
    match: (f) => isUndici(f) || isNodeServer(f, "buildOutgoingHttpHeaders"),
  },
  {
    label: "cache entry decode (`JSON.parse`)",
    fix: "Keep the product's JSON text from the cache entry and splice it into the response envelope, instead of `JSON.parse` here and `JSON.stringify` again in `c.json`",
    explain: "`decodeEntry` parses the cached product (header regex + `JSON.parse`), and the cache service's bookkeeping",
    match: (f) => f.url.includes("/src/cache/"),
  },
  {
    label: "JSON response (`c.json`)",
    fix: "Build the `{status, data}` envelope around the cached JSON text and send it with `c.body` rather than `JSON.stringify` the parsed product",
    explain: "`c.json` re-serialises the product into the `{status, data}` envelope (`JSON.stringify`) and builds the Response",
    match: (f) => f.url.endsWith("/hono/dist/context.js") && f.functionName === "json",
  },
  {
    label: "request validation (zod)",
    fix: "Validate the `:id` parameter with the regex redisPrefetch already applies instead of a zod parse (small)",
    explain: "@hono/zod-openapi's validator parses the `:id` path parameter with zod",
    match: (f) => /\/node_modules\/(zod|@hono\/zod-openapi|@hono\/zod-validator)\//.test(f.url) || f.url.includes("/hono/dist/validator/"),
  },
  {
    label: "Hono built-in middleware (requestId, secureHeaders, cors, bodyLimit) — own code",
    fix: "Skip `cors` for requests without an Origin header (same-origin and server-to-server calls) and precompute secureHeaders' header list",
    explain: "what these middleware do besides the header and Request costs above (UUID generation, option handling, Vary)",
    match: (f) => f.url.includes("/hono/dist/middleware/"),
  },
];

/** Which group a function's self time is charged to: a package, a src/ file, a part of Node core, or V8. */
export function groupOf(frame: CallFrame, root: string): string {
  const { url, functionName } = frame;
  if (functionName === "(idle)") return "(idle)";
  if (functionName === "(garbage collector)") return "V8: garbage collector";
  if (functionName === "(program)") return "V8: (program) — native code not attributed to JS";
  if (url === "") return "V8 builtins / native functions (JSON, Promise, RegExp, …)";
  if (url.startsWith("node:")) {
    const module = url.slice("node:".length);
    if (/(^|\/)_?http|http_parser|internal\/http/.test(module)) return "node: http";
    if (/^(net|stream)$|internal\/(streams|stream_base_commons|net)/.test(module)) return "node: net & streams";
    if (/crypto/.test(module)) return "node: crypto";
    if (/undici|webstreams|internal\/url|internal\/event_target|blob|encoding/.test(module)) return "node: web APIs (undici Request/Headers, URL, TextEncoder)";
    if (/timers/.test(module)) return "node: timers";
    if (/task_queues|async_hooks|promise|process\/|events$/.test(module)) return "node: events, microtasks, process";
    return "node: other";
  }
  const path = url.startsWith("file://") ? decodeURIComponent(url.slice("file://".length)) : url;
  const modules = path.lastIndexOf("/node_modules/");
  if (modules >= 0) {
    const rest = path.slice(modules + "/node_modules/".length).split("/");
    return `pkg: ${rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1] ?? ""}` : (rest[0] ?? "?")}`;
  }
  if (path.startsWith(`${root}/src/`)) return `src/${path.slice(root.length + "/src/".length)}`;
  if (path.startsWith(`${root}/scripts/`)) return "bench harness (scripts/bench)";
  return path;
}

function shortUrl(url: string, root: string): string {
  const path = url.startsWith("file://") ? decodeURIComponent(url.slice("file://".length)) : url;
  const modules = path.lastIndexOf("/node_modules/");
  if (modules >= 0) return path.slice(modules + "/node_modules/".length);
  if (path.startsWith(`${root}/`)) return path.slice(root.length + 1);
  return path;
}

export function summariseProfile(profile: CpuProfile, root: string): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const centreOf = new Map<number, { label: string; caller?: string }>();
  const centreFor = (node: ProfileNode): { label: string; caller?: string } => {
    const known = centreOf.get(node.id);
    if (known !== undefined) return known;
    const stack: CallFrame[] = [];
    for (let current: ProfileNode | undefined = node; current; ) {
      stack.push(current.callFrame);
      const up = parent.get(current.id);
      current = up === undefined ? undefined : byId.get(up);
    }
    const centre = COST_CENTRES.find((candidate) => (candidate.matchStack ? candidate.matchStack(stack) : stack.some(candidate.match)));
    let result: { label: string; caller?: string };
    if (centre) {
      // Who entered the centre: the frame just outside its outermost matching frame.
      let outermost = 0;
      stack.forEach((frame, index) => centre.match(frame) && (outermost = index));
      const caller = stack.slice(outermost + 1).find((frame) => frame.url !== "");
      result = { label: centre.label, caller: caller ? `${caller.functionName || "(anonymous)"} ${shortUrl(caller.url, root)}:${caller.lineNumber + 1}` : "(top level)" };
    } else {
      const innermost = stack.find((frame) => frame.url !== "" || frame.functionName.startsWith("(")) ?? node.callFrame;
      result = { label: groupOf(innermost, root) };
    }
    centreOf.set(node.id, result);
    return result;
  };
  const callers = new Map<string, Map<string, number>>();
  /** `name module:line`; a native frame (no URL) is named with the first caller that has one. */
  const functionName = (node: ProfileNode): string => {
    const { functionName: name, url, lineNumber } = node.callFrame;
    if (url) return `${name || "(anonymous)"} ${shortUrl(url, root)}:${lineNumber + 1}`;
    if (name.startsWith("(")) return name;
    for (let up = parent.get(node.id); up !== undefined; up = parent.get(up)) {
      const caller = byId.get(up)?.callFrame;
      if (caller?.url) return `${name || "(anonymous)"} (native, called from ${caller.functionName || "(anonymous)"} ${shortUrl(caller.url, root)})`;
    }
    return `${name || "(anonymous)"} (native)`;
  };
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const functions = new Map<string, number>();
  const centres = new Map<string, number>();
  let wallUs = 0;
  let idleUs = 0;
  for (let i = 0; i < samples.length; i++) {
    // A sample's time runs until the next sample (DevTools' convention).
    const us = deltas[i + 1] ?? 0;
    const node = byId.get(samples[i]!);
    if (!node) continue;
    wallUs += us;
    if (node.callFrame.functionName === "(idle)") {
      idleUs += us;
      continue;
    }
    const name = functionName(node);
    functions.set(name, (functions.get(name) ?? 0) + us);
    const { label, caller } = centreFor(node);
    centres.set(label, (centres.get(label) ?? 0) + us);
    if (caller) {
      const byCaller = callers.get(label) ?? new Map<string, number>();
      byCaller.set(caller, (byCaller.get(caller) ?? 0) + us);
      callers.set(label, byCaller);
    }
  }
  const sorted = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]);
  return {
    wallUs,
    busyUs: wallUs - idleUs,
    functions: sorted(functions),
    centres: sorted(centres),
    callers: Object.fromEntries([...callers].map(([label, byCaller]) => [label, sorted(byCaller)])),
  };
}
