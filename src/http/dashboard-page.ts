/**
 * The cache dashboard: one self-contained HTML page (inline CSS and JS, charts drawn as SVG
 * by hand — no build step, no CDN), served by the app on both runtimes. It holds no data of
 * its own: it signs in with the admin token (kept in this tab's sessionStorage, sent as a
 * bearer token) or an admin account (the session cookie), polls the admin endpoints every five
 * seconds (three requests: well inside the default rate limit) while signed in, and draws its charts from the history the server keeps in Redis
 * (/api/cache/metrics/history), so a reload loses nothing. Everything shown is set with
 * textContent, never as HTML.
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
  header { display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; }
  h1 { font-size: 20px; margin: 0; }
  h2 { font-size: 14px; margin: 24px 0 8px; text-transform: uppercase; letter-spacing: .05em; color: #44526a; }
  .muted { color: #66758a; font-size: 13px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 12px; }
  .card { background: #fff; border-radius: 8px; padding: 12px 14px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
  .card .label { font-size: 12px; color: #66758a; text-transform: uppercase; letter-spacing: .04em; }
  .card .value { font-size: 24px; font-weight: 600; margin-top: 4px; font-variant-numeric: tabular-nums; }
  .card .value.small { font-size: 16px; }
  .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 12px; margin-top: 12px; }
  svg { width: 100%; height: 140px; }
  table { border-collapse: collapse; width: 100%; font-size: 14px; }
  td, th { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e5e9f0; font-variant-numeric: tabular-nums; }
  form.signin { background: #fff; padding: 16px; border-radius: 8px; max-width: 360px; display: grid; gap: 8px; margin-top: 16px; }
  input, button { font: inherit; padding: 6px 10px; }
  button { cursor: pointer; border: 1px solid #c5cdd9; border-radius: 6px; background: #fff; }
  button.danger { border-color: #b42318; color: #b42318; }
  .actions { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; margin-top: 12px; }
  .error { color: #b42318; }
  .or { text-align: center; color: #66758a; font-size: 12px; }
  dialog { border: none; border-radius: 8px; box-shadow: 0 8px 24px rgba(0,0,0,.2); max-width: 420px; }
  dialog .actions { justify-content: flex-end; }
  [hidden] { display: none !important; }
</style>
</head>
<body>
<header>
  <h1>JollyJet Edge — cache dashboard</h1>
  <span class="muted">Counters are summed over all instances. <span id="updated"></span></span>
  <span id="signed-in-as" class="muted" hidden></span>
  <button id="sign-out" type="button" hidden>Sign out</button>
</header>

<section id="login" hidden>
  <form id="token-form" class="signin">
    <strong>Sign in with the admin token</strong>
    <input id="token" type="password" placeholder="ADMIN_TOKEN" autocomplete="off" required>
    <button type="submit">Use token</button>
  </form>
  <div class="or">or</div>
  <form id="account-form" class="signin">
    <strong>Sign in with an admin account</strong>
    <input id="email" type="email" placeholder="admin email" autocomplete="username" required>
    <input id="password" type="password" placeholder="password" autocomplete="current-password" required>
    <button type="submit">Sign in</button>
  </form>
  <div id="login-error" class="error"></div>
</section>

<main id="board" hidden>
  <h2>Cache</h2>
  <div class="grid">
    <div class="card"><div class="label">Hit rate</div><div class="value" data-metric="hitRate">–</div></div>
    <div class="card"><div class="label">Hits</div><div class="value" data-metric="hits">–</div></div>
    <div class="card"><div class="label">Misses</div><div class="value" data-metric="misses">–</div></div>
    <div class="card"><div class="label">Stale</div><div class="value" data-metric="stale">–</div></div>
    <div class="card"><div class="label">Coalesced</div><div class="value" data-metric="coalesced">–</div></div>
    <div class="card"><div class="label">Cache errors</div><div class="value" data-metric="errors">–</div></div>
  </div>
  <div class="charts">
    <div class="card"><div class="label">Hit rate (last hour)</div><svg id="hit-rate-chart" viewBox="0 0 300 100" preserveAspectRatio="none"></svg></div>
    <div class="card"><div class="label">Cache outcomes</div><svg id="outcomes-chart" viewBox="0 0 300 100" preserveAspectRatio="none"></svg></div>
  </div>
  <div class="actions">
    <button id="flush" class="danger" type="button">Flush cache…</button>
  </div>

  <h2>Redis</h2>
  <div class="grid">
    <div class="card"><div class="label">Redis</div><div class="value" data-metric="redis">–</div></div>
    <div class="card"><div class="label">Latency</div><div class="value" data-metric="latency">–</div></div>
    <div class="card"><div class="label">Keys</div><div class="value" data-metric="redisKeys">–</div></div>
    <div class="card"><div class="label">Memory</div><div class="value" data-metric="memory">–</div></div>
  </div>
  <div class="charts">
    <div class="card"><div class="label">Memory used (last hour)</div><svg id="memory-chart" viewBox="0 0 300 100" preserveAspectRatio="none"></svg></div>
    <div class="card"><div class="label">Latency, ms (last hour)</div><svg id="latency-chart" viewBox="0 0 300 100" preserveAspectRatio="none"></svg></div>
  </div>

  <h2>Rate limits</h2>
  <div class="grid">
    <div class="card"><div class="label">Requests allowed</div><div class="value" data-metric="allowed">–</div></div>
    <div class="card"><div class="label">Requests blocked</div><div class="value" data-metric="blocked">–</div></div>
  </div>
  <div class="charts">
    <div class="card"><div class="label">Policies</div>
      <table><thead><tr><th>Policy</th><th>Limit</th><th>Window</th><th>Redis down</th></tr></thead><tbody id="policies"></tbody></table>
    </div>
    <div class="card"><div class="label">Blocked per sample (last hour)</div><svg id="blocked-chart" viewBox="0 0 300 100" preserveAspectRatio="none"></svg></div>
  </div>

  <h2>Consistency</h2>
  <div class="grid">
    <div class="card"><div class="label">Score</div><div class="value" data-metric="lastScore">–</div></div>
    <div class="card"><div class="label">Last run</div><div class="value small" data-metric="lastRun">–</div></div>
    <div class="card"><div class="label">Scanned</div><div class="value" data-report="scanned">–</div></div>
    <div class="card"><div class="label">Stale</div><div class="value" data-report="stale">–</div></div>
    <div class="card"><div class="label">Ahead</div><div class="value" data-report="ahead">–</div></div>
    <div class="card"><div class="label">Orphaned</div><div class="value" data-report="orphaned">–</div></div>
    <div class="card"><div class="label">Repaired</div><div class="value" data-report="repaired">–</div></div>
  </div>
  <div class="charts">
    <div class="card"><div class="label">Score history</div><svg id="score-chart" viewBox="0 0 300 100" preserveAspectRatio="none"></svg></div>
  </div>
  <div class="actions">
    <button id="run" type="button">Run consistency check…</button>
    <span id="action-result" class="muted" role="status"></span>
  </div>
</main>

<dialog id="confirm">
  <p id="confirm-text"></p>
  <div class="actions">
    <button id="confirm-cancel" type="button">Cancel</button>
    <button id="confirm-ok" class="danger" type="button">Confirm</button>
  </div>
</dialog>

<script>
(() => {
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
    if (token()) headers.authorization = "Bearer " + token();
    return fetch(path, Object.assign({}, init, { headers, credentials: "same-origin" }));
  }

  function line(svg, values, max) {
    svg.replaceChildren();
    if (values.length === 0) return;
    if (values.length === 1) values = [values[0], values[0]]; // one sample: a level line
    const top = Math.max(max, 1e-9);
    const step = 300 / (values.length - 1);
    const points = values.map((v, i) => (i * step).toFixed(1) + "," + (100 - (v / top) * 95).toFixed(1)).join(" ");
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

  const show = (name, value) => (document.querySelector('[data-metric="' + name + '"]').textContent = value);
  const showReport = (name, value) => (document.querySelector('[data-report="' + name + '"]').textContent = value);
  const bytes = (n) => (n === null ? "n/a" : n >= 1048576 ? (n / 1048576).toFixed(1) + " MiB" : (n / 1024).toFixed(0) + " KiB");
  const present = (values) => values.filter((v) => v !== null);

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
    line($("hit-rate-chart"), history.map((s) => s.hitRate), 1);
    const memory = present(history.map((s) => s.redisUsedMemoryBytes));
    line($("memory-chart"), memory, Math.max(...memory, 1));
    const latency = present(history.map((s) => s.redisLatencyMs));
    line($("latency-chart"), latency, Math.max(...latency, 1));
    // Counters only grow, except after a restart of Redis: a negative step counts as zero.
    const blocked = history.slice(1).map((s, i) => Math.max(0, s.blocked - history[i].blocked));
    line($("blocked-chart"), blocked, Math.max(...blocked, 1));
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
    if (!metricsResponse.ok) throw new Error("metrics: HTTP " + metricsResponse.status);
    const { data } = await metricsResponse.json();
    const reports = reportsResponse.ok ? (await reportsResponse.json()).data : { latest: null, history: [] };
    if (historyResponse.ok) history = (await historyResponse.json()).data.samples;
    $("login").hidden = true;
    $("board").hidden = false;
    $("sign-out").hidden = false;
    $("signed-in-as").hidden = false;
    $("signed-in-as").textContent = token() ? "Signed in with the admin token" : "Signed in with an admin account";

    const cache = data.cache;
    show("hitRate", (cache.hitRate * 100).toFixed(1) + "%");
    for (const name of ["hits", "misses", "stale", "coalesced", "errors"]) show(name, String(cache[name]));
    bars($("outcomes-chart"), [["hits", cache.hits], ["misses", cache.misses], ["stale", cache.stale], ["coalesced", cache.coalesced]]);

    const redis = data.redis;
    show("redis", redis.adapter + " · " + redis.status);
    show("latency", redis.latencyMs.toFixed(1) + " ms");
    show("redisKeys", String(redis.keys));
    show("memory", bytes(redis.usedMemoryBytes) + (redis.maxMemoryBytes ? " / " + bytes(redis.maxMemoryBytes) : ""));

    show("allowed", String(data.rateLimit.allowed));
    show("blocked", String(data.rateLimit.blocked));
    $("policies").replaceChildren(
      ...data.rateLimit.policies.map((policy) => {
        const row = document.createElement("tr");
        row.dataset.policy = policy.name;
        for (const text of [policy.name, String(policy.limit), policy.windowSeconds + " s", policy.failMode === "open" ? "admit" : "refuse (503)"]) {
          const cell = document.createElement("td");
          cell.textContent = text;
          row.append(cell);
        }
        return row;
      }),
    );

    const latest = reports.latest;
    show("lastScore", data.consistency.lastScore === null ? "–" : String(data.consistency.lastScore));
    show("lastRun", latest ? new Date(latest.finishedAt).toLocaleTimeString() + " (" + latest.trigger + ")" : "never");
    for (const name of ["scanned", "stale", "ahead", "orphaned", "repaired"]) showReport(name, latest ? String(latest[name]) : "–");
    line($("score-chart"), reports.history.map((report) => report.score).reverse(), 100);

    drawHistory();
    $("updated").textContent = "Updated " + new Date().toLocaleTimeString();
    document.body.dataset.loaded = "true";
    return true;
  }

  /** Polls while signed in; a failed poll is shown and tried again. */
  function tick() {
    clearTimeout(timer);
    refresh()
      .then((signedIn) => signedIn && (timer = setTimeout(tick, POLL_MS)))
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
      $("action-result").textContent = response.ok ? describe(body.data) : "Failed: " + (body.message || "HTTP " + response.status);
      tick();
    } finally {
      button.disabled = false;
    }
  }

  $("flush").addEventListener("click", (event) =>
    action(event.target, "Remove every cached product and list? Reads will load them from the database again.", () => api("/api/cache", { method: "DELETE" }), (data) => "Flushed " + data.deleted + " cache entries"),
  );
  $("run").addEventListener("click", (event) =>
    action(event.target, "Run a consistency check now? It compares the cache with the database and repairs drift.", () => api("/api/cache/consistency/run", { method: "POST" }), (data) => "Run finished: score " + data.score + ", " + data.repaired + " repaired"),
  );

  $("token-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value);
    $("token").value = "";
    const response = await api("/api/cache/metrics");
    if (response.ok) return tick();
    sessionStorage.removeItem(TOKEN_KEY);
    $("login-error").textContent = "That token was not accepted (" + response.status + ")";
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
    $("login-error").textContent = response.ok ? "" : "Sign-in failed (" + response.status + ")";
    if (response.ok) tick();
  });

  $("sign-out").addEventListener("click", async () => {
    if (token()) sessionStorage.removeItem(TOKEN_KEY);
    else await fetch("/api/auth/logout", { method: "POST", credentials: "same-origin" });
    history = [];
    signedOut();
  });

  tick();
})();
</script>
</body>
</html>
`;
