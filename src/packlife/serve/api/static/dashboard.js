// packlife dashboard: live state by server-sent events, history chart (uPlot), operator buttons.
// All text from the server is inserted with textContent (never as HTML).
"use strict";

const api = (path, opts = {}) =>
  fetch(path, { credentials: "same-origin", headers: { "Content-Type": "application/json" }, ...opts });
const $ = (id) => document.getElementById(id);
const STREAM_SILENCE_S = 8; // the server sends at least every 5 s; silence longer than this = stale

let me = null, state = null, lastMessage = 0, source = null, chart = null, chartData = null;
let zone = "UTC";

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}
function kw(w) { return w === null || w === undefined ? "–" : (w / 1000).toFixed(1) + " kW"; }
function pct(x) { return x === null || x === undefined ? "–" : (100 * x).toFixed(1) + " %"; }
function fmtTime(iso) {
  if (!iso) return "–";
  return new Intl.DateTimeFormat("en-GB", { timeZone: chartZone(), dateStyle: "short", timeStyle: "medium" })
    .format(new Date(iso));
}

async function login(key) {
  const r = await fetch("/api/v1/session", { method: "POST", headers: { Authorization: "Bearer " + key } });
  if (!r.ok) { $("login-error").textContent = (await r.json()).detail || r.statusText; return false; }
  return true;
}

async function start() {
  const r = await api("/api/v1/me");
  if (r.status === 401) { $("login").hidden = false; $("main").hidden = true; return; }
  me = await r.json();
  $("login").hidden = true; $("main").hidden = false; $("logout").hidden = false;
  $("me").textContent = me.name + " (" + me.role + ")";
  document.body.dataset.role = me.role;
  for (const th of document.querySelectorAll("th.op")) th.hidden = me.role === "viewer";
  await loadHistory();
  connect();
}

function connect() {
  if (source) source.close();
  source = new EventSource("/api/v1/telemetry/stream");
  source.addEventListener("state", (ev) => { lastMessage = Date.now(); render(JSON.parse(ev.data)); });
}

function render(s) {
  state = s; zone = s.time_zone;
  $("site-name").textContent = s.site_name;
  if (!$("clock").textContent || zone !== $("tz").textContent) { $("tz").textContent = zone; tick(); }
  $("tz").textContent = s.time_zone;
  $("bess-power").textContent = kw(s.bess_power_w);
  $("outputs-power").textContent = kw(s.outputs_power_w);
  $("alarm-count").textContent = String(s.active_alarms);
  const src = $("sources"); src.replaceChildren();
  for (const [name, w] of Object.entries(s.source_power_w)) {
    const d = el("div", null, "flow"); d.append(el("div", name, "label"), el("div", kw(w), "value"));
    src.append(d);
  }
  renderPacks(s.packs); renderEvses(s.evses); appendChart(s); checkStale();
  if (s.active_alarms !== renderAlarms.count) { renderAlarms.count = s.active_alarms; loadAlarms(); }
}

function renderPacks(packs) {
  const body = document.querySelector("#packs tbody"); body.replaceChildren();
  for (const p of packs) {
    const tr = el("tr"); tr.dataset.testid = "pack-" + p.pack_index;
    const bar = el("span", null, "bar"), fill = el("span"); fill.style.width = pct(p.soc ?? 0).replace(" ", "");
    bar.append(fill);
    const soc = el("td"); soc.append(bar, " " + pct(p.soc));
    const power = el("td", kw(p.power_w), "num"); power.dataset.testid = "pack-power-" + p.pack_index;
    const st = p.isolated ? el("td", "isolated", "isolated") : p.alarms ? el("td", "alarm 0x" + p.alarms.toString(16), "alarm") : el("td", "in service");
    if (p.max_discharge_power_w !== null) st.append(el("div", "cap " + kw(p.max_discharge_power_w) + " / " + kw(p.max_charge_power_w)));
    tr.append(el("td", p.pack_index), el("td", p.serial), soc, power, el("td", kw(p.setpoint_w), "num"),
      el("td", p.temperature_c === null ? "–" : p.temperature_c.toFixed(1) + " °C", "num"), el("td", pct(p.soh), "num"), st);
    if (me && me.role !== "viewer") {
      const td = el("td");
      const b = el("button", p.isolated ? "Rejoin" : "Isolate");
      b.dataset.testid = (p.isolated ? "rejoin-" : "isolate-") + p.pack_index;
      b.onclick = () => operate(p.pack_index, p.isolated ? "rejoin" : "isolate");
      td.append(b); tr.append(td);
    }
    body.append(tr);
  }
}

async function operate(i, what) {
  const body = what === "isolate" ? JSON.stringify({ ttl_s: 900 }) : undefined;
  const r = await api(`/api/v1/packs/${i}/${what}`, { method: "POST", body });
  if (!r.ok) alert((await r.json()).detail || r.statusText);
}

function renderEvses(evses) {
  const body = document.querySelector("#evses tbody"); body.replaceChildren();
  for (const e of evses) {
    const tr = el("tr");
    const bar = el("span", null, "bar"), fill = el("span"); fill.style.width = pct(e.soc ?? 0).replace(" ", "");
    bar.append(fill);
    const soc = el("td"); if (e.session_id) soc.append(bar, " " + pct(e.soc)); else soc.textContent = "–";
    const dep = e.departure_s === null || state.site_time_s === null ? "–"
      : "in " + ((e.departure_s - state.site_time_s) / 3600).toFixed(1) + " h";
    tr.append(el("td", e.evse_index), el("td", e.session_id ?? "free"), soc, el("td", kw(e.power_w), "num"),
      el("td", e.energy_needed_wh === null ? "–" : (e.energy_needed_wh / 1000).toFixed(1) + " kWh", "num"), el("td", dep));
    body.append(tr);
  }
}

async function loadAlarms() {
  const r = await api("/api/v1/alarms"); if (!r.ok) return;
  const ul = $("alarms"); ul.replaceChildren();
  for (const a of await r.json()) {
    const li = el("li"); li.append(el("span", fmtTime(a.at) + " " + a.device + ": " + a.message, a.acknowledged_by ? "" : "alarm"));
    if (a.acknowledged_by) li.append(el("span", " — acknowledged by " + a.acknowledged_by));
    else if (me.role !== "viewer") {
      const b = el("button", "Acknowledge"); b.dataset.testid = "ack-" + a.id;
      b.onclick = async () => { await api(`/api/v1/alarms/${a.id}/ack`, { method: "POST" }); loadAlarms(); };
      li.append(" ", b);
    }
    ul.append(li);
  }
}

async function loadHistory() {
  const r = await api("/api/v1/telemetry/history?hours=6"); if (!r.ok) return;
  const h = await r.json();
  chartData = [h.measured_at.map((t) => Date.parse(t) / 1000), h.bess_power_w.map((w) => w / 1000), h.outputs_power_w.map((w) => w / 1000)];
  const opts = {
    width: Math.min(window.innerWidth - 60, 1100), height: 260,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), chartZone()),
    series: [{}, { label: "BESS [kW]", stroke: "#2f6fb3" }, { label: "to vehicles [kW]", stroke: "#2f7d4f" }],
    axes: [{}, { label: "kW" }],
  };
  if (chart) chart.destroy();
  chart = new uPlot(opts, chartData, $("chart"));
}

function chartZone() {
  // an IANA zone, or a UTC offset such as +01:00 (Intl accepts offsets in current browsers)
  try { new Intl.DateTimeFormat("en", { timeZone: zone }); return zone; } catch (e) { return "UTC"; }
}

function appendChart(s) {
  if (!chart || !s.measured_at) return;
  const t = Date.parse(s.measured_at) / 1000;
  if (chartData[0].length && t <= chartData[0][chartData[0].length - 1]) return;
  chartData[0].push(t); chartData[1].push(s.bess_power_w / 1000); chartData[2].push(s.outputs_power_w / 1000);
  if (chartData[0].length > 5000) for (const a of chartData) a.shift();
  chart.setData(chartData);
}

function checkStale() {
  const silentS = (Date.now() - lastMessage) / 1000;
  const stale = !state || state.stale || silentS > STREAM_SILENCE_S;
  $("stale").hidden = !stale || !me;
  if (stale && state) $("stale-age").textContent = Math.max(state.age_s ?? 0, silentS).toFixed(0) + " s";
}

function tick() { if (me) checkStale(); $("clock").textContent = fmtTime(new Date().toISOString()); }
setInterval(tick, 1000);
$("login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault(); if (await login($("key").value)) start();
});
$("logout").onclick = async () => { await fetch("/api/v1/session", { method: "DELETE" }); location.reload(); };
start();
