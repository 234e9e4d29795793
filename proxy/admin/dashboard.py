"""The dashboard page: plain HTML and a little inline JS polling `api/status`.

No build step and no external assets, so it works on a machine with no network.
"""

from __future__ import annotations

__all__ = ["DASHBOARD_HTML"]

DASHBOARD_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Strangler — migration progress</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #222; }
  h1 { font-size: 1.3rem; margin: 0 0 .5rem; }
  .bars { display: flex; gap: 2rem; margin: 1rem 0; flex-wrap: wrap; }
  .bar { width: 22rem; }
  .track { background: #eee; height: 1.1rem; border-radius: .3rem; overflow: hidden; }
  .fill { background: #2e7d32; height: 100%; width: 0; transition: width .5s; }
  table { border-collapse: collapse; width: 100%; margin-top: 1rem; }
  th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #ddd; }
  th { background: #f6f6f6; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .stage { padding: .1rem .4rem; border-radius: .3rem; font-size: .85em; }
  .legacy { background: #eceff1; } .shadow { background: #fff3e0; }
  .canary { background: #e3f2fd; } .modern { background: #e8f5e9; }
  .retired { background: #d7ccc8; }
  .error { color: #b71c1c; white-space: pre-wrap; }
  .muted { color: #777; }
</style>
</head>
<body>
<h1>Strangler — migration progress</h1>
<div class="muted" id="config">loading…</div>
<div class="error" id="last-error"></div>
<div class="error" id="partial"></div>
<div class="bars">
  <div class="bar">Routes migrated: <b id="pr">–</b>
    <div class="track"><div class="fill" id="pr-bar"></div></div></div>
  <div class="bar">Traffic served by modern (last 5 min): <b id="pt">–</b>
    <div class="track"><div class="fill" id="pt-bar"></div></div></div>
</div>
<div id="by-stage" class="muted"></div>
<table>
  <thead><tr><th>route</th><th>stage</th><th>methods</th><th>path</th>
  <th>legacy</th><th>modern</th><th>errors</th><th>fallbacks</th>
  <th>p50 ms</th><th>p99 ms</th><th>shadow match</th></tr></thead>
  <tbody id="routes"></tbody>
</table>
<h2 style="font-size:1.1rem">Unmapped paths (served by legacy)</h2>
<table><thead><tr><th>path</th><th>requests</th></tr></thead><tbody id="unmapped"></tbody></table>
<script>
const token = sessionStorage.getItem("strangler-admin-token");
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
const num = (v) => v === null || v === undefined ? "–" : v;
function cell(v, cls) {
  return "<td" + (cls ? ' class="' + cls + '"' : "") + ">" + esc(v) + "</td>";
}
async function refresh() {
  const headers = token ? {Authorization: "Bearer " + token} : {};
  let status;
  try {
    const reply = await fetch("api/status", {headers});
    if (!reply.ok) throw new Error("api/status answered " + reply.status);
    status = await reply.json();
  } catch (err) {
    document.getElementById("config").textContent = String(err);
    return;
  }
  const c = status.config, m = status.migration;
  document.getElementById("config").textContent =
    "revision " + c.revision + " from " + c.source + ", loaded " + c.loaded_at;
  document.getElementById("last-error").textContent = c.last_error
    ? "last refused file (" + c.last_error.revision + ", " + c.last_error.at + "):\\n" +
      c.last_error.message
    : "";
  document.getElementById("partial").textContent = status.partial ? status.partial_reason : "";
  document.getElementById("pr").textContent = m.percent_routes + " %";
  document.getElementById("pr-bar").style.width = m.percent_routes + "%";
  document.getElementById("pt").textContent = m.percent_traffic + " %";
  document.getElementById("pt-bar").style.width = m.percent_traffic + "%";
  document.getElementById("by-stage").textContent = m.routes_total + " routes: " +
    Object.entries(m.by_stage).map(([s, n]) => s + " " + n).join(", ");
  document.getElementById("routes").innerHTML = status.routes.map((r) => {
    const sh = r.shadow;
    const match = sh && sh.match_rate !== null && sh.match_rate !== undefined
      ? (100 * sh.match_rate).toFixed(1) + " % of " + sh.compared +
        (sh.ready_to_promote ? " — ready to promote" : "")
      : (sh ? "no samples" : "");
    const moved = r.effective && r.effective.by !== "routes.yaml"
      ? " → " + r.effective.label + " (" + r.effective.by + ")" : "";
    const verdict = r.analysis ? " · canary " + r.analysis.verdict : "";
    const stage = r.stage + (r.canary ? " " + r.canary.percent + " %" : "") + moved + verdict;
    return "<tr>" + cell(r.id) + '<td><span class="stage ' + esc(r.stage) + '">' + esc(stage) +
      "</span></td>" + cell(r.websocket ? "WS" : r.methods.join(" ")) + cell(r.path) +
      cell(r.requests.legacy, "num") + cell(r.requests.modern, "num") + cell(r.errors, "num") +
      cell(r.fallbacks, "num") + cell(num(r.latency_ms.p50), "num") +
      cell(num(r.latency_ms.p99), "num") + cell(match) + "</tr>";
  }).join("");
  document.getElementById("unmapped").innerHTML = status.unmapped
    .map((u) => "<tr>" + cell(u.path) + cell(u.requests, "num") + "</tr>").join("");
}
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>
"""
