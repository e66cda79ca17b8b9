/* The page: wires the plan, tiles, forecast, alerts, history slider, what-if and 3D to the API. */
"use strict";

const App = {
  plan: null,
  n1: null,
  forecastView: null,
  historyView: null,
  forecastOrigin: null,
  span: null,
  viewing: null, // null: live; else the ISO moment the slider shows
  latest: null,
  lastUpdate: 0,
  alerts: { list: [], origin: null }, // the latest nowcast's alerts
  outages: [], // the outages in effect at the moment shown
  shownTime: null, // the moment shown (ISO)
  simulated: false, // fed from a simulation (serve --simulate), not from sensors
  names: {},
};

function renderTiles(tiles, status) {
  const box = document.getElementById("kpi-tiles");
  box.replaceChildren(...tiles.map((tile) => {
    const [name, unit] = L.tiles[tile.kpi] || [tile.kpi, ""];
    const extra = tile.kpi === "power.busiest_substation_pct" && status.totals["power.busiest_substation"]
      ? " · " + status.totals["power.busiest_substation"] : "";
    const div = document.createElement("div");
    div.className = "tile";
    div.dataset.kpi = tile.kpi;
    const trend = tile.change_1h === null ? "" : tile.change_1h > 0.05 ? " up" : tile.change_1h < -0.05 ? " down" : "";
    div.innerHTML = `<div class="name" title="${escapeHtml(tile.kpi)}">${escapeHtml(name)}</div>` +
      `<div class="value">${fmt(tile.value)}<span class="unit">${unit}${escapeHtml(extra)}</span></div>` +
      `<div class="delta${trend}">${tile.change_1h === null ? t("no_hour") : t("in_last_hour", { change: signed(tile.change_1h) })}</div>`;
    return div;
  }));
}

function renderHeader(state) {
  document.getElementById("clock").textContent = clockText(state.time);
  document.getElementById("clock-date").textContent = dateText(state.time);
  const m = state.messages || {};
  document.getElementById("messages").textContent =
    t("messages", { stored: fmt(m.stored, 0), rejected: fmt(m.rejected, 0), duplicates: fmt(m.duplicates, 0) });
}

/* The mode badge at the present: live from sensors, or a simulation (serve --simulate). */
function showLive() {
  setMode("live", App.simulated ? t("simulated") : t("live"));
}

function setMode(kind, text) {
  const mode = document.getElementById("mode");
  mode.className = "mode " + kind;
  mode.textContent = text;
}

function showStatus(doc) {
  renderHeader(doc.state);
  renderTiles(doc.tiles, doc.status);
  App.plan.update(doc.status);
  App.outages = doc.state.outages || [];
  App.shownTime = doc.state.time;
  renderAlerts();
}

/* Each snapshot shown (version, wall-clock ms once drawn), newest 2000: for bench/bench_web.py. */
window.parktwinSnapshots = [];

async function onSnapshot(doc) {
  const first = !App.latest;
  App.latest = doc;
  App.lastUpdate = Date.now();
  document.body.dataset.version = doc.version;
  if (App.viewing === null) {
    showStatus(doc);
    showLive();
  }
  if (first) performance.mark("parktwin-first-snapshot");
  window.parktwinSnapshots.push([doc.version, Date.now()]);
  if (window.parktwinSnapshots.length > 2000) window.parktwinSnapshots.shift();
  updateSpan(doc.span);
  if (doc.forecast_origin && doc.forecast_origin !== App.forecastOrigin) {
    App.forecastOrigin = doc.forecast_origin;
    api("/api/forecast").then((f) => {
      App.forecastView.show(f);
      App.alerts = { list: f.alerts || [], origin: f.origin };
      renderAlerts();
    }).catch(() => null);
  }
}

/* The outages in effect at the moment shown (from alarms), then the alerts of the latest
   nowcast, most probable first. */
function renderAlerts() {
  const { list: alerts, origin } = App.alerts;
  const list = document.getElementById("alerts");
  const head = document.querySelector("#alerts-panel h2");
  head.textContent = origin ? t("alerts_at", { time: clockText(origin) }) : t("alerts");
  if (!alerts.length && !App.outages.length) {
    list.innerHTML = `<li class='muted'>${t("no_alerts")}</li>`;
    return;
  }
  const sorted = [...alerts].sort((a, b) => (b.peak_probability || b.probability || 0) -
    (a.peak_probability || a.probability || 0)).slice(0, 30);
  list.replaceChildren(...App.outages.map(outageItem), ...sorted.map((a) => {
    const li = document.createElement("li");
    const p = Math.round(100 * (a.peak_probability || a.probability || 0));
    li.className = p >= 50 ? "high" : "";
    const from = a.time ? t("alert_from", { time: clockText(a.time) }) : "";
    const peak = a.peak_time ? t("alert_peak", { time: clockText(a.peak_time) }) : "";
    li.innerHTML = t("alert_line", { p, series: escapeHtml(a.series), threshold: fmt(a.threshold), from, peak });
    return li;
  }));
}

/* An outage in effect: the asset by name, since when, and until when it is expected. */
function outageItem(o) {
  const li = document.createElement("li");
  li.className = "high outage";
  li.dataset.asset = o.asset;
  const name = App.names[o.asset] || o.asset;
  const until = o.expected_end ? t("outage_until", { time: whenText(o.expected_end) }) : "";
  const what = { gate: t("outage_gate"), supply: t("outage_supply") }[o.kind] || t("outage_power");
  li.innerHTML = `<span class="p">${what}</span> <b>${escapeHtml(name)}</b> ` +
    t("outage_since", { time: whenText(o.since) }) + until;
  return li;
}

/* A park time as HH:MM, with its day/month when it is not the day shown. */
function whenText(iso) {
  const sameDay = App.shownTime && iso.slice(0, 10) === App.shownTime.slice(0, 10);
  return sameDay ? clockText(iso) : `${clockText(iso)} ${iso.slice(8, 10)}/${iso.slice(5, 7)}`;
}

/* Asset ids to names, for the alerts. */
function assetNames(park) {
  const names = {};
  for (const kind of ["buildings", "gates", "substations", "feeders"]) {
    for (const a of park[kind] || []) names[a.id] = a.name || a.id;
  }
  return names;
}

/* ---------------------------------------------------------------- history slider */

function updateSpan(span) {
  if (!span) return;
  const range = document.getElementById("history-range");
  const first = Math.ceil(parkDate(span[0]).getTime() / 60000) * 60000; // whole park minutes
  const last = parkDate(span[1]).getTime();
  const minutes = Math.floor((last - first) / 60000);
  const atEnd = App.viewing === null;
  App.span = { first, last };
  range.disabled = minutes <= 0;
  range.max = String(minutes);
  if (atEnd) range.value = String(minutes);
  const refresh = !App.historyLoaded || Date.now() - App.historyLoaded > 60000;
  if (refresh && minutes > 0) loadHistory(span);
}

async function loadHistory(span) {
  App.historyLoaded = Date.now();
  const last = parkDate(span[1]).getTime();
  const from = Math.max(parkDate(span[0]).getTime(), last - 24 * 3600 * 1000);
  const url = `/api/history?from=${isoText(new Date(from))}&to=${isoText(new Date(last))}&step_min=15`;
  try { App.historyView.show(await api(url)); } catch (e) { /* the slider still works */ }
}

let sliderTimer = null;
function onSlide() {
  const range = document.getElementById("history-range");
  const moment = new Date(App.span.first + Number(range.value) * 60000);
  const iso = isoText(moment);
  document.getElementById("history-time").textContent = `${clockText(iso)} ${dateText(iso)}`;
  if (Number(range.value) >= Number(range.max)) { goLive(); return; }
  App.viewing = iso;
  document.getElementById("history-live").disabled = false;
  setMode("history", t("viewing_history"));
  clearTimeout(sliderTimer);
  sliderTimer = setTimeout(async () => {
    try {
      const doc = await api("/api/status?at=" + encodeURIComponent(iso));
      if (App.viewing === iso) showStatus(doc);
    } catch (err) { setMode("offline", err.message); }
  }, 150);
}

function goLive() {
  App.viewing = null;
  const range = document.getElementById("history-range");
  range.value = range.max;
  document.getElementById("history-time").textContent = t("live_word");
  document.getElementById("history-live").disabled = true;
  if (App.latest) { showStatus(App.latest); showLive(); }
}

/* ---------------------------------------------------------------- tabs and 3D */

function setupTabs() {
  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => {
      document.querySelectorAll(".tab").forEach((t) => t.classList.toggle("active", t === tab));
      document.querySelectorAll(".tab-body").forEach((b) => b.classList.toggle("active", b.id === tab.dataset.tab));
      if (tab.dataset.tab === "park-3d-tab") load3d(false);
      if (tab.dataset.tab === "n1-tab" && App.n1) App.n1.load();
      if (tab.dataset.tab === "forecast-tab" && App.forecastView) App.forecastView.draw();
    });
  }
}

function load3d(again) {
  const frame = document.getElementById("frame-3d");
  if (frame.src && !again) return;
  const time = App.latest ? clockText(App.latest.state.time) : "10:00";
  frame.src = withToken("/3d?at=" + encodeURIComponent(time) + "&lang=" + document.documentElement.lang);
}

/* ---------------------------------------------------------------- start */

/* The push channel; closed while the tab is hidden (a browser keeps at most 6 connections to a
   server, so a few background tabs must not starve the one on screen), reopened when shown. */
function connect() {
  let source = null;
  const open = () => {
    source = new EventSource(withToken("/api/events"));
    source.addEventListener("snapshot", (e) => onSnapshot(JSON.parse(e.data)));
    source.onerror = () => { if (App.viewing === null) setMode("offline", t("reconnecting")); };
  };
  document.addEventListener("visibilitychange", () => {
    if (document.hidden && source) { source.close(); source = null; }
    else if (!document.hidden && !source) open();
  });
  open();
}

async function start() {
  setupTabs();
  const [health, park] = await Promise.all([api("/api/health"), api("/api/park")]);
  document.getElementById("park-name").textContent = park.name;
  setLanguage(pageLanguage(park.language));
  App.names = assetNames(park);
  document.title = t("title") + " — " + park.name;
  App.plan = new ParkPlan(document.getElementById("park-plan"), document.getElementById("tooltip"),
    document.getElementById("legend"), park);
  App.n1 = new N1Panel(park);
  App.forecastView = new ForecastView();
  App.historyView = new HistoryView(document.getElementById("history-chart"));
  document.getElementById("history-range").addEventListener("input", onSlide);
  document.getElementById("history-live").addEventListener("click", goLive);
  document.getElementById("reload-3d").addEventListener("click", () => load3d(true));
  const whatif = new WhatIf();
  new FindBest();
  whatif.load().catch((err) => whatif.showError(err.message));
  App.simulated = Boolean(health.simulated);
  if (health.live) connect();
  else setMode("offline", t("no_live"));
  document.body.dataset.ready = "1";
}

start().catch((err) => setMode("offline", t("error", { message: err.message })));
