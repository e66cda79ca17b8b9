/* Charts with the vendored uPlot: the nowcast's mean and 90% band, and the stored history. */
"use strict";

const AXIS = { stroke: "#9aa7b4", grid: { stroke: "#243241", width: 1 }, ticks: { stroke: "#243241" } };
/* The time axis in 24-hour park time, the date under midnight. */
const TIME_AXIS = Object.assign({
  values: [[3600 * 24, "{DD}/{MM}", null, null, null, null, null, null, 1],
    [60, "{HH}:{mm}", "\n{DD}/{MM}", null, "\n{DD}/{MM}", null, null, null, 1],
    [1, "{HH}:{mm}:{ss}", null, null, null, null, null, null, 1]],
}, AXIS);

/* A one-row time axis (hours only) for the low history chart. */
const HOURS_AXIS = Object.assign({}, TIME_AXIS, { size: 26, values: [[60, "{HH}:{mm}", null, null, null, null, null, null, 1]] });

function seconds(isoList) {
  return isoList.map((t) => parkDate(t).getTime() / 1000);
}

/* Park-local times on the axes: the UTC fields of parkDate's dates are park time. */
const UTC_TZ = (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC");

/* The chart's size in its node; `reserve` pixels of height are left free (a chart that grows
   with its block leaves room under it, a fixed-height one needs none). */
function sizeOf(node, reserve) {
  const box = node.getBoundingClientRect();
  return { width: Math.max(200, Math.floor(box.width)), height: Math.max(60, Math.floor(box.height) - reserve) };
}

/* A chart that follows its container's size. */
function makeChart(node, opts, data, reserve = 28) {
  node.replaceChildren();
  const chart = new uPlot(Object.assign({ tzDate: UTC_TZ }, opts, sizeOf(node, reserve)), data, node);
  new ResizeObserver(() => chart.setSize(sizeOf(node, reserve))).observe(node);
  return chart;
}

/* A value axis with ticks at least 14 px apart (three or more on a laptop's chart), numbers as
   the page writes them; the node records how many ticks it drew. */
function valueAxis(node, unit) {
  return Object.assign({
    label: unit || undefined, size: 56, space: 14,
    values: (u, splits) => { node.dataset.yTicks = String(splits.length); return tickTexts(splits); },
  }, AXIS);
}

/* Two ticks, bottom and top, for a chart too low for uPlot's own spacing. */
function lowHigh(u, axis, min, max) {
  return [min, max];
}

/* Tick numbers with as many decimals as their spacing needs (0,02 0,04 ..., not 0 0 ...). */
function tickTexts(splits) {
  const step = splits.length > 1 ? Math.abs(splits[1] - splits[0]) : 1;
  let digits = 0;
  while (digits < 4 && Math.abs(step * 10 ** digits - Math.round(step * 10 ** digits)) > 1e-6 * 10 ** digits) digits++;
  const format = new Intl.NumberFormat("vi-VN", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return splits.map((v) => format.format(v));
}

/* One forecast series: mean line and the p05-p95 band. */
function bandChart(node, series, unit, colour) {
  const x = seconds(series.time);
  const data = [x, series.p95, series.mean, series.p05];
  const opts = {
    axes: [TIME_AXIS, valueAxis(node, unit)],
    scales: { x: { time: true } },
    legend: { show: false },
    series: [
      { label: t("hour") },
      { label: "P95", stroke: colour + "66", width: 1, points: { show: false } },
      { label: t("mean"), stroke: colour, width: 2, points: { show: false } },
      { label: "P05", stroke: colour + "66", width: 1, points: { show: false } },
    ],
    bands: [{ series: [1, 3], fill: colour + "33" }],
  };
  return makeChart(node, opts, data);
}

/* Series names of a forecast, split into queues and power, busiest first. */
function forecastGroups(forecast) {
  const names = Object.keys(forecast.series || {});
  const peak = (n) => Math.max(...(forecast.series[n].p95 || [0]).map((v) => v || 0));
  const queues = names.filter((n) => n.endsWith(".queue") || n === "trucks.in_park").sort((a, b) => peak(b) - peak(a));
  const power = names.filter((n) => n.startsWith("power.")).sort((a, b) => peak(b) - peak(a));
  return { queues, power };
}

function fillSelect(select, names, keep) {
  const current = keep && names.includes(select.value) ? select.value : names[0];
  select.replaceChildren(...names.map((n) => new Option(n, n, false, n === current)));
  return current;
}

class ForecastView {
  constructor() {
    this.queueSelect = document.getElementById("queue-series");
    this.powerSelect = document.getElementById("power-series");
    this.queueSelect.addEventListener("change", () => this.draw());
    this.powerSelect.addEventListener("change", () => this.draw());
    this.forecast = null;
  }

  show(forecast) {
    this.forecast = forecast;
    document.querySelectorAll("#forecast .chart-block").forEach((b) => { b.hidden = false; });
    const { queues, power } = forecastGroups(forecast);
    fillSelect(this.queueSelect, queues, true);
    fillSelect(this.powerSelect, power, true);
    document.getElementById("forecast-origin").textContent =
      t("forecast_at", { time: clockText(forecast.origin), date: dateText(forecast.origin),
        hours: forecast.hours, replications: forecast.replications });
    this.draw();
  }

  draw() {
    if (!this.forecast) return;
    const s = this.forecast.series;
    if (s[this.queueSelect.value]) bandChart(document.getElementById("queue-chart"), s[this.queueSelect.value], "xe", "#f06595");
    if (s[this.powerSelect.value]) bandChart(document.getElementById("power-chart"), s[this.powerSelect.value], "MW", "#4dabf7");
  }
}

/* The stored history: trucks in park and queues, with a cursor at the moment shown. */
class HistoryView {
  constructor(node) {
    this.node = node;
    this.chart = null;
  }

  show(history) {
    const x = seconds(history.time);
    const sum = (prefix) => history.time.map((_, i) => Object.entries(history.series)
      .filter(([k]) => k.startsWith(prefix) && k.endsWith(".queue"))
      .reduce((acc, [, v]) => acc + (v[i] || 0), 0));
    const data = [x, history.series["trucks.in_park"] || x.map(() => null), sum("gates."), sum("docks.")];
    const opts = {
      axes: [HOURS_AXIS, Object.assign(valueAxis(this.node, null), { size: 40, splits: lowHigh })],
      scales: { x: { time: true } },
      legend: { show: false },
      cursor: { show: false },
      series: [{}, { label: "Xe trong khu", stroke: "#ffd43b", width: 1.5, points: { show: false } },
        { label: t("gate_wait"), stroke: "#f1f3f5", width: 1, points: { show: false } },
        { label: t("dock_wait"), stroke: "#f06595", width: 1, points: { show: false } }],
    };
    this.chart = makeChart(this.node, opts, data, 0);
  }
}
