/**
 * @module dashboard
 * The cache dashboard's script (index.html loads it as a module; no build step, no CDN: the
 * charts are SVG drawn here). It holds no data of its own: it signs in with the admin token
 * (kept in this tab's sessionStorage, sent as a bearer token) or an admin account (the session
 * cookie), polls the admin endpoints every five seconds (three requests: well inside the
 * default rate limit) while signed in, and draws its charts from the history the server keeps
 * in Redis (/api/cache/metrics/history), so a reload loses nothing. Everything shown is set
 * with textContent, never as HTML.
 */
const $ = (id) => document.getElementById(id);
const NS = "http://www.w3.org/2000/svg";
const TOKEN_KEY = "jollyjet-admin-token";
const POLL_MS = 5000;
let history = [];
let timer;

// The admin token lives in this tab only (sessionStorage); an account signs in with the session cookie.
const token = () => sessionStorage.getItem(TOKEN_KEY);
function api(path, init = {}) {
  const headers = Object.assign({}, init.headers || {});
  if (token()) headers.authorization = `Bearer ${token()}`;
  return fetch(path, Object.assign({}, init, { headers, credentials: "same-origin" }));
}

const CHART_HEIGHT = 140;
/** Room around a line chart's plot: value labels on the left, clock times below. */
const PLOT = { top: 8, right: 12, bottom: 18, left: 52 };
const BAR_COLOURS = ["#16a34a", "#dc2626", "#d97706", "#7c3aed"];

/** Appends an SVG element with these attributes (and text, set as text) to `parent`. */
function draw(parent, name, attributes, text) {
  const element = document.createElementNS(NS, name);
  for (const [attribute, value] of Object.entries(attributes)) element.setAttribute(attribute, String(value));
  if (text !== undefined) element.textContent = text;
  parent.append(element);
  return element;
}

/** Empties a chart and gives it one unit per pixel of its width, so its text is drawn at its own size, not stretched. */
function canvas(svg) {
  svg.replaceChildren();
  const width = Math.round(svg.getBoundingClientRect().width) || 300;
  svg.setAttribute("viewBox", `0 0 ${width} ${CHART_HEIGHT}`);
  return width;
}

/** About five round steps (1, 2 or 5 times a power of ten, counted in `unit`s) from 0 to at least `max`. */
function valueTicks(max, unit, integers) {
  const rough = max / unit / 5;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const round = [1, 2, 5, 10].find((multiple) => multiple * magnitude >= rough) * magnitude;
  const step = integers ? Math.max(1, Math.round(round)) : round;
  const count = Math.ceil(max / unit / step - 1e-9);
  return Array.from({ length: count + 1 }, (_, i) => Number((i * step).toPrecision(12)) * unit);
}

/** A clock time, with seconds when the chart spans less than ten minutes (samples are 5 s apart). */
const clock = (time, withSeconds) =>
  new Date(time).toLocaleTimeString([], {
    hour: "2-digit",
    minute: "2-digit",
    second: withSeconds ? "2-digit" : undefined,
    hourCycle: "h23",
  });

/** The index of the time closest to `target`. */
const nearest = (times, target) =>
  times.reduce((best, time, i) => (Math.abs(time - target) < Math.abs(times[best] - target) ? i : best), 0);

/**
 * A line over time: `points` ({ at, value }, oldest first) placed by their time, a y axis of
 * round values from 0 labelled by `axis.format` (`axis.unit` the step's unit, `axis.integers`
 * for counts), and an x axis with the clock times of up to four samples, first and last among them.
 */
function line(svg, points, axis) {
  const width = canvas(svg);
  if (points.length === 0) return;
  const [left, right, top, bottom] = [PLOT.left, width - PLOT.right, PLOT.top, CHART_HEIGHT - PLOT.bottom];
  const ticks = valueTicks(axis.max, axis.unit || 1, axis.integers);
  const ceiling = ticks[ticks.length - 1];
  const y = (value) => bottom - (value / ceiling) * (bottom - top);
  const values = draw(svg, "g", { class: "y-axis" });
  for (const tick of ticks) {
    draw(values, "line", { class: tick === 0 ? "axis-line" : "gridline", x1: left, x2: right, y1: y(tick), y2: y(tick) });
    draw(values, "text", { x: left - 6, y: y(tick) + 3, "text-anchor": "end" }, axis.format(tick));
  }

  const times = points.map((point) => Date.parse(point.at));
  const span = times[times.length - 1] - times[0];
  const x = (time) => left + ((time - times[0]) / (span || 1)) * (right - left);
  // One sample: a level line across the chart.
  const placed =
    points.length === 1
      ? [
          [left, y(points[0].value)],
          [right, y(points[0].value)],
        ]
      : points.map((point, i) => [x(times[i]), y(point.value)]);
  draw(svg, "polyline", {
    points: placed.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(" "),
    fill: "none",
    stroke: "#2563eb",
    "stroke-width": 2,
  });

  const clocks = draw(svg, "g", { class: "x-axis" });
  const labelled = new Set([0, 1, 2, 3].map((quarter) => nearest(times, times[0] + (span * quarter) / 3)));
  for (const i of labelled) {
    const at = x(times[i]);
    draw(clocks, "line", { class: "axis-line", x1: at, x2: at, y1: bottom, y2: bottom + 3 });
    const anchor = i === 0 ? "start" : i === points.length - 1 ? "end" : "middle";
    draw(clocks, "text", { x: at, y: CHART_HEIGHT - 4, "text-anchor": anchor, "data-at": points[i].at }, clock(times[i], span < 600_000));
  }
}

/** One bar per entry ([label, value]), labelled below with its value. */
function bars(svg, entries) {
  const slot = canvas(svg) / entries.length;
  const base = CHART_HEIGHT - PLOT.bottom;
  const max = Math.max(1, ...entries.map(([, v]) => v));
  entries.forEach(([label, value], i) => {
    const height = (value / max) * (base - PLOT.top);
    draw(svg, "rect", { x: i * slot + 8, y: base - height, width: slot - 16, height, fill: BAR_COLOURS[i % BAR_COLOURS.length] });
    draw(svg, "text", { x: i * slot + slot / 2, y: CHART_HEIGHT - 4, "text-anchor": "middle" }, `${label} ${value}`);
  });
}

const show = (name, value) => (document.querySelector(`[data-metric="${name}"]`).textContent = value);
const showReport = (name, value) => (document.querySelector(`[data-report="${name}"]`).textContent = value);
const KIB = 1024;
const MIB = 1048576;
const bytes = (n) => (n === null ? "n/a" : n >= MIB ? `${(n / MIB).toFixed(1)} MiB` : `${(n / KIB).toFixed(0)} KiB`);
/** The samples' `value`s over time, leaving out those the sample does not have (null). */
const series = (samples, value) =>
  samples.map((sample) => ({ at: sample.at, value: value(sample) })).filter((point) => point.value !== null);
const highest = (points) => Math.max(1, ...points.map((point) => point.value));

function signedOut(message) {
  $("board").hidden = true;
  $("sign-out").hidden = true;
  $("signed-in-as").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
  document.body.dataset.loaded = "false";
  clearTimeout(timer);
  return false;
}

function drawHistory() {
  line(
    $("hit-rate-chart"),
    series(history, (s) => s.hitRate),
    { max: 1, format: (v) => `${Math.round(v * 100)}%` },
  );
  const memory = series(history, (s) => s.redisUsedMemoryBytes);
  const memoryUnit = highest(memory) >= MIB ? MIB : KIB;
  line($("memory-chart"), memory, {
    max: highest(memory),
    unit: memoryUnit,
    format: (v) => Number((v / memoryUnit).toFixed(2)) + (memoryUnit === MIB ? " MiB" : " KiB"),
  });
  const latency = series(history, (s) => s.redisLatencyMs);
  line($("latency-chart"), latency, { max: highest(latency), format: String });
  // Counters only grow, except after a restart of Redis: a negative step counts as zero.
  const blocked = history.slice(1).map((s, i) => ({ at: s.at, value: Math.max(0, s.blocked - history[i].blocked) }));
  line($("blocked-chart"), blocked, { max: highest(blocked), integers: true, format: String });
}

async function refresh() {
  const [metricsResponse, reportsResponse, historyResponse] = await Promise.all([
    api("/api/cache/metrics"),
    api("/api/cache/consistency"),
    api("/api/cache/metrics/history"),
  ]);
  if (metricsResponse.status === 401 || metricsResponse.status === 403) {
    if (token()) sessionStorage.removeItem(TOKEN_KEY);
    return signedOut(metricsResponse.status === 403 ? "That account is not an admin." : "");
  }
  if (!metricsResponse.ok) throw new Error(`metrics: HTTP ${metricsResponse.status}`);
  const { data } = await metricsResponse.json();
  const reports = reportsResponse.ok ? (await reportsResponse.json()).data : { latest: null, history: [] };
  if (historyResponse.ok) history = (await historyResponse.json()).data.samples;
  $("login").hidden = true;
  $("board").hidden = false;
  $("sign-out").hidden = false;
  $("signed-in-as").hidden = false;
  $("signed-in-as").textContent = token() ? "Signed in with the admin token" : "Signed in with an admin account";

  const cache = data.cache;
  show("hitRate", `${(cache.hitRate * 100).toFixed(1)}%`);
  for (const name of ["hits", "misses", "stale", "coalesced", "errors"]) show(name, String(cache[name]));
  bars($("outcomes-chart"), [
    ["hits", cache.hits],
    ["misses", cache.misses],
    ["stale", cache.stale],
    ["coalesced", cache.coalesced],
  ]);

  const redis = data.redis;
  show("redis", `${redis.adapter} · ${redis.status}`);
  show("latency", `${redis.latencyMs.toFixed(1)} ms`);
  show("redisKeys", String(redis.keys));
  show("memory", bytes(redis.usedMemoryBytes) + (redis.maxMemoryBytes ? ` / ${bytes(redis.maxMemoryBytes)}` : ""));

  show("allowed", String(data.rateLimit.allowed));
  show("blocked", String(data.rateLimit.blocked));
  $("policies").replaceChildren(
    ...data.rateLimit.policies.map((policy) => {
      const row = document.createElement("tr");
      row.dataset.policy = policy.name;
      for (const text of [
        policy.name,
        String(policy.limit),
        `${policy.windowSeconds} s`,
        policy.failMode === "open" ? "admit" : "refuse (503)",
      ]) {
        const cell = document.createElement("td");
        cell.textContent = text;
        row.append(cell);
      }
      return row;
    }),
  );

  const latest = reports.latest;
  show("lastScore", data.consistency.lastScore === null ? "–" : String(data.consistency.lastScore));
  show("lastRun", latest ? `${new Date(latest.finishedAt).toLocaleTimeString()} (${latest.trigger})` : "never");
  for (const name of ["scanned", "stale", "ahead", "orphaned", "repaired"]) showReport(name, latest ? String(latest[name]) : "–");
  line($("score-chart"), reports.history.map((report) => ({ at: report.finishedAt, value: report.score })).reverse(), {
    max: 100,
    format: String,
  });

  drawHistory();
  $("updated").textContent = `Updated ${new Date().toLocaleTimeString()}`;
  document.body.dataset.loaded = "true";
  return true;
}

/** Polls while signed in; a failed poll is shown and tried again. */
function tick() {
  clearTimeout(timer);
  refresh()
    .then((signedIn) => {
      if (signedIn) timer = setTimeout(tick, POLL_MS);
    })
    .catch((error) => {
      $("updated").textContent = String(error);
      timer = setTimeout(tick, POLL_MS);
    });
}

/** Resolves true when the operator confirms in the dialog. */
function confirmAction(text) {
  return new Promise((resolve) => {
    const dialog = $("confirm");
    $("confirm-text").textContent = text;
    const done = (answer) => {
      $("confirm-ok").onclick = $("confirm-cancel").onclick = dialog.oncancel = null;
      dialog.close();
      resolve(answer);
    };
    $("confirm-ok").onclick = () => done(true);
    $("confirm-cancel").onclick = () => done(false);
    dialog.oncancel = () => done(false);
    dialog.showModal();
  });
}

async function action(button, question, request, describe) {
  if (!(await confirmAction(question))) return;
  button.disabled = true;
  $("action-result").textContent = "Working…";
  try {
    const response = await request();
    const body = await response.json();
    $("action-result").textContent = response.ok ? describe(body.data) : `Failed: ${body.message || `HTTP ${response.status}`}`;
    tick();
  } finally {
    button.disabled = false;
  }
}

$("flush").addEventListener("click", (event) =>
  action(
    event.target,
    "Remove every cached product and list? Reads will load them from the database again.",
    () => api("/api/cache", { method: "DELETE" }),
    (data) => `Flushed ${data.deleted} cache entries`,
  ),
);
$("run").addEventListener("click", (event) =>
  action(
    event.target,
    "Run a consistency check now? It compares the cache with the database and repairs drift.",
    () => api("/api/cache/consistency/run", { method: "POST" }),
    (data) => `Run finished: score ${data.score}, ${data.repaired} repaired`,
  ),
);

$("token-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $("token").value);
  $("token").value = "";
  const response = await api("/api/cache/metrics");
  if (response.ok) return tick();
  sessionStorage.removeItem(TOKEN_KEY);
  $("login-error").textContent = `That token was not accepted (${response.status})`;
});

$("account-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  sessionStorage.removeItem(TOKEN_KEY);
  const response = await fetch("/api/auth/login", {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: $("email").value, password: $("password").value }),
  });
  $("password").value = "";
  $("login-error").textContent = response.ok ? "" : `Sign-in failed (${response.status})`;
  if (response.ok) tick();
});

$("sign-out").addEventListener("click", async () => {
  if (token()) sessionStorage.removeItem(TOKEN_KEY);
  else await fetch("/api/auth/logout", { method: "POST", credentials: "same-origin" });
  history = [];
  signedOut();
});

tick();
