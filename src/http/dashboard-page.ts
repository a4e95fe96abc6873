/**
 * The cache dashboard: one self-contained HTML page (inline CSS and JS, charts drawn as SVG
 * by hand — no build step, no CDN), served by the app on both runtimes. It holds no data:
 * it signs in through /api/auth/login (the session cookie) and polls the admin endpoints
 * /api/cache/metrics and /api/cache/consistency every two seconds.
 */
export const dashboardPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>JollyJet Edge — cache dashboard</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #1d2733; background: #f4f6f9; }
  body { margin: 0; padding: 24px; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  .muted { color: #66758a; font-size: 13px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 12px; margin: 16px 0; }
  .card { background: #fff; border-radius: 8px; padding: 12px 14px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
  .card .label { font-size: 12px; color: #66758a; text-transform: uppercase; letter-spacing: .04em; }
  .card .value { font-size: 26px; font-weight: 600; margin-top: 4px; font-variant-numeric: tabular-nums; }
  .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 12px; }
  svg { width: 100%; height: 160px; }
  form { background: #fff; padding: 16px; border-radius: 8px; max-width: 320px; display: grid; gap: 8px; }
  input, button { font: inherit; padding: 6px 8px; }
  .error { color: #b42318; }
  [hidden] { display: none !important; }
</style>
</head>
<body>
<h1>JollyJet Edge — cache dashboard</h1>
<div class="muted">Counters are summed over all instances. <span id="updated"></span></div>

<form id="login" hidden>
  <strong>Sign in as an admin</strong>
  <input id="email" type="email" placeholder="admin email" autocomplete="username" required>
  <input id="password" type="password" placeholder="password" autocomplete="current-password" required>
  <button type="submit">Sign in</button>
  <div id="login-error" class="error"></div>
</form>

<main id="board" hidden>
  <div class="grid">
    <div class="card"><div class="label">Hit rate</div><div class="value" data-metric="hitRate">–</div></div>
    <div class="card"><div class="label">Hits</div><div class="value" data-metric="hits">–</div></div>
    <div class="card"><div class="label">Misses</div><div class="value" data-metric="misses">–</div></div>
    <div class="card"><div class="label">Stale</div><div class="value" data-metric="stale">–</div></div>
    <div class="card"><div class="label">Coalesced</div><div class="value" data-metric="coalesced">–</div></div>
    <div class="card"><div class="label">Cache errors</div><div class="value" data-metric="errors">–</div></div>
    <div class="card"><div class="label">Requests allowed</div><div class="value" data-metric="allowed">–</div></div>
    <div class="card"><div class="label">Requests blocked</div><div class="value" data-metric="blocked">–</div></div>
    <div class="card"><div class="label">Consistency score</div><div class="value" data-metric="lastScore">–</div></div>
    <div class="card"><div class="label">Redis</div><div class="value" data-metric="redis">–</div></div>
  </div>
  <div class="charts">
    <div class="card"><div class="label">Hit rate (this page's samples)</div><svg id="hit-rate-chart" viewBox="0 0 300 100" preserveAspectRatio="none"></svg></div>
    <div class="card"><div class="label">Cache outcomes</div><svg id="outcomes-chart" viewBox="0 0 300 100" preserveAspectRatio="none"></svg></div>
    <div class="card"><div class="label">Consistency score history</div><svg id="score-chart" viewBox="0 0 300 100" preserveAspectRatio="none"></svg></div>
  </div>
</main>

<script>
(() => {
  const $ = (id) => document.getElementById(id);
  const hitRates = [];
  const NS = "http://www.w3.org/2000/svg";

  function line(svg, values, max) {
    svg.replaceChildren();
    if (values.length === 0) return;
    if (values.length === 1) values = [values[0], values[0]]; // one sample: a level line
    const step = 300 / (values.length - 1);
    const points = values.map((v, i) => (i * step).toFixed(1) + "," + (100 - (v / max) * 95).toFixed(1)).join(" ");
    const path = document.createElementNS(NS, "polyline");
    path.setAttribute("points", points);
    path.setAttribute("fill", "none");
    path.setAttribute("stroke", "#2563eb");
    path.setAttribute("stroke-width", "2");
    path.setAttribute("vector-effect", "non-scaling-stroke");
    svg.append(path);
  }

  function bars(svg, entries) {
    svg.replaceChildren();
    const max = Math.max(1, ...entries.map(([, v]) => v));
    const width = 300 / entries.length;
    entries.forEach(([label, value], i) => {
      const height = (value / max) * 80;
      const rect = document.createElementNS(NS, "rect");
      rect.setAttribute("x", String(i * width + 8));
      rect.setAttribute("y", String(88 - height));
      rect.setAttribute("width", String(width - 16));
      rect.setAttribute("height", String(height));
      rect.setAttribute("fill", ["#16a34a", "#dc2626", "#d97706", "#7c3aed"][i % 4]);
      const text = document.createElementNS(NS, "text");
      text.setAttribute("x", String(i * width + width / 2));
      text.setAttribute("y", "99");
      text.setAttribute("font-size", "8");
      text.setAttribute("text-anchor", "middle");
      text.textContent = label + " " + value;
      svg.append(rect, text);
    });
  }

  function show(name, value) {
    document.querySelector('[data-metric="' + name + '"]').textContent = value;
  }

  async function refresh() {
    const [metricsResponse, reportsResponse] = await Promise.all([
      fetch("/api/cache/metrics", { credentials: "same-origin" }),
      fetch("/api/cache/consistency", { credentials: "same-origin" }),
    ]);
    if (metricsResponse.status === 401 || metricsResponse.status === 403) {
      $("board").hidden = true;
      $("login").hidden = false;
      return;
    }
    if (!metricsResponse.ok) throw new Error("metrics: HTTP " + metricsResponse.status);
    const { data } = await metricsResponse.json();
    const reports = reportsResponse.ok ? (await reportsResponse.json()).data : { history: [] };
    $("login").hidden = true;
    $("board").hidden = false;
    const cache = data.cache;
    show("hitRate", (cache.hitRate * 100).toFixed(1) + "%");
    for (const name of ["hits", "misses", "stale", "coalesced", "errors"]) show(name, String(cache[name]));
    show("allowed", String(data.rateLimit.allowed));
    show("blocked", String(data.rateLimit.blocked));
    show("lastScore", data.consistency.lastScore === null ? "–" : String(data.consistency.lastScore));
    show("redis", data.redis.adapter + " · " + data.redis.status);
    hitRates.push(cache.hitRate);
    if (hitRates.length > 60) hitRates.shift();
    line($("hit-rate-chart"), hitRates, 1);
    bars($("outcomes-chart"), [["hits", cache.hits], ["misses", cache.misses], ["stale", cache.stale], ["coalesced", cache.coalesced]]);
    line($("score-chart"), reports.history.map((report) => report.score).reverse(), 100);
    $("updated").textContent = "Updated " + new Date().toLocaleTimeString();
    document.body.dataset.loaded = "true";
  }

  $("login").addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await fetch("/api/auth/login", {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: $("email").value, password: $("password").value }),
    });
    $("login-error").textContent = response.ok ? "" : "Sign-in failed (" + response.status + ")";
    if (response.ok) refresh();
  });

  const tick = () => refresh().catch((error) => ($("updated").textContent = String(error))).finally(() => setTimeout(tick, 2000));
  tick();
})();
</script>
</body>
</html>
`;
