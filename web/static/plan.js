/* The plan view: the park's geometry as SVG, coloured from the live status. */
"use strict";

const SVGNS = "http://www.w3.org/2000/svg";

function hexRgb(hex) {
  const v = hex.replace("#", "");
  return [0, 2, 4].map((i) => parseInt(v.slice(i, i + 2), 16));
}

/* A colour on a piecewise-linear ramp [[value, "#rrggbb"], ...] (as viz.palette.ramp). */
function ramp(value, stops) {
  const v = Number.isFinite(value) ? value : stops[0][0];
  if (v <= stops[0][0]) return stops[0][1];
  for (let i = 1; i < stops.length; i++) {
    if (v <= stops[i][0]) {
      const [a, ca] = stops[i - 1];
      const [b, cb] = stops[i];
      const w = (v - a) / (b - a);
      const x = hexRgb(ca), y = hexRgb(cb);
      return "rgb(" + x.map((c, k) => Math.round(c + (y[k] - c) * w)).join(",") + ")";
    }
  }
  return stops[stops.length - 1][1];
}

function el(name, attrs, parent) {
  const node = document.createElementNS(SVGNS, name);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

class ParkPlan {
  constructor(container, tooltip, legend, park) {
    this.park = park;
    this.tooltip = tooltip;
    this.status = null;
    this.pinned = null;
    const [x0, y0, x1, y1] = park.extent;
    this.x0 = x0; this.y1 = y1;
    this.scale = Math.max(x1 - x0, y1 - y0) / 1000; // strokes and labels in park metres
    this.svg = el("svg", { viewBox: `0 0 ${x1 - x0} ${y1 - y0}`, preserveAspectRatio: "xMidYMid meet" });
    container.replaceChildren(this.svg);
    this.nodes = { buildings: {}, feeders: {}, gates: {}, docks: {}, substations: {} };
    this.labelItems = [];
    this.draw();
    this.drawLegend(legend);
    this.placeLabels();
    new ResizeObserver(() => this.placeLabels()).observe(container);
    this.svg.addEventListener("click", () => this.unpin());
    container.addEventListener("mouseleave", () => { if (!this.pinned) this.hideTip(); });
    document.addEventListener("keydown", (e) => { if (e.key === "Escape") this.unpin(); });
  }

  pt(p) { return [p[0] - this.x0, this.y1 - p[1]]; }
  pts(list) { return list.map((p) => this.pt(p).join(",")).join(" "); }

  draw() {
    const park = this.park, s = this.scale;
    const layers = {};
    for (const name of ["roads", "feeders", "buildings", "outages", "network", "docks", "gates", "substations", "trucks", "leaders", "labels"]) {
      layers[name] = el("g", { class: "layer-" + name }, this.svg);
    }
    this.layers = layers;
    for (const road of park.roads) {
      el("polyline", { class: "road", points: this.pts(road.points), "stroke-width": 14 * s }, layers.roads);
    }
    for (const f of park.network ? [] : park.feeders) {
      const g = el("g", { class: "feeder", "data-id": f.id }, layers.feeders);
      for (const [a, b] of f.lines) {
        const [ax, ay] = this.pt(a), [bx, by] = this.pt(b);
        el("line", { x1: ax, y1: ay, x2: bx, y2: by, stroke: "#37b24d" }, g);
      }
      this.nodes.feeders[f.id] = g;
    }
    for (const b of park.buildings) {
      const poly = el("polygon", {
        class: "building", id: "building-" + b.id, "data-id": b.id, points: this.pts(b.footprint),
        fill: park.colours.load[0][1], stroke: park.colours.kinds[b.kind] || "#adb5bd",
      }, layers.buildings);
      this.hover(poly, () => this.buildingTip(b));
      this.nodes.buildings[b.id] = poly;
    }
    if (park.network) this.drawNetwork(park.network);
    for (const d of park.dock_groups) {
      const [x, y] = this.pt(d.position);
      const text = el("text", { class: "count", x, y: y - 14 * s, "font-size": 30 * s, "text-anchor": "middle" }, layers.docks);
      this.nodes.docks[d.id] = text;
    }
    for (const g of park.gates) {
      const [x, y] = this.pt(g.position);
      const r = 16 * s;
      const rect = el("rect", { class: "gate", x: x - r, y: y - r, width: 2 * r, height: 2 * r, "data-id": g.id }, layers.gates);
      this.labelItems.push({ kind: "gate", id: g.id, texts: [g.name], anchor: [x, y - 2.4 * r] });
      const count = el("text", { class: "count", x, y: y - 1.6 * r, "font-size": 30 * s, "text-anchor": "middle" }, layers.docks);
      this.hover(rect, () => this.gateTip(g));
      this.nodes.gates[g.id] = { rect, count };
    }
    for (const [key, name] of [["supply", t("water_supply")], ["wastewater", t("wastewater_plant")]]) {
      const at = park.water[key];
      if (!at) continue;
      const [x, y] = this.pt(at);
      el("circle", { class: "water", cx: x, cy: y, r: 16 * s, fill: key === "supply" ? "#4dabf7" : "#3bc9db" }, layers.substations);
      this.labelItems.push({ kind: "water", id: key, texts: [name], anchor: [x, y - 34 * s] });
    }
    for (const sub of park.substations) {
      if (!sub.position) continue;
      const [x, y] = this.pt(sub.position);
      const r = 20 * s;
      const shape = el("polygon", { class: "substation", "data-id": sub.id,
        points: `${x},${y - r} ${x + r},${y + r * 0.8} ${x - r},${y + r * 0.8}` }, layers.substations);
      this.labelItems.push({ kind: "substation", id: sub.id, texts: [sub.id], anchor: [x, y - 2.2 * r] });
      this.hover(shape, () => this.substationTip(sub));
      this.nodes.substations[sub.id] = shape;
    }
  }

  /* The power network's lines (a normally open point dashed) and buses; coloured by update(). */
  drawNetwork(network) {
    const s = this.scale;
    this.nodes.lines = {};
    for (const line of network.lines) {
      if (!line.points.length) continue;
      const [[ax, ay], [bx, by]] = line.points.map((p) => this.pt(p));
      const node = el("line", { class: "net-line" + (line.tie ? " tie" : ""), "data-id": line.id,
        x1: ax, y1: ay, x2: bx, y2: by, stroke: line.tie ? this.park.colours.line_dead : this.park.colours.loading[0][1],
        "stroke-width": 6 * s, "stroke-dasharray": line.tie ? this.dashes() : "" }, this.layers.network);
      this.hover(node, () => this.lineTip(line));
      this.nodes.lines[line.id] = node;
    }
    for (const bus of network.buses) {
      if (!bus.position || bus.substation) continue;
      const [x, y] = this.pt(bus.position);
      el("circle", { class: "net-bus", cx: x, cy: y, r: 7 * s, "data-id": bus.id }, this.layers.network);
    }
  }

  dashes() { return `${18 * this.scale} ${12 * this.scale}`; }

  /* Building labels, biggest footprint first, after the gates, substations and water plants. */
  buildingLabelItems() {
    const area = (b) => Math.abs(b.footprint.reduce((acc, p, i) => {
      const q = b.footprint[(i + 1) % b.footprint.length];
      return acc + p[0] * q[1] - q[0] * p[1];
    }, 0)) / 2;
    return [...this.park.buildings].sort((a, b) => area(b) - area(a)).map((b) => ({
      kind: "building", id: b.id, texts: [b.label, b.label === b.id ? null : b.id].filter((t) => t),
      anchor: this.pt(b.centre),
    }));
  }

  /* Place every label at the size it is shown now (labels keep their size in pixels). */
  placeLabels() {
    const ctm = this.svg.getScreenCTM();
    const rect = this.svg.getBoundingClientRect();
    if (!ctm || rect.width < 10 || rect.height < 10) return;
    const unit = 1 / ctm.a; // park metres per pixel
    const px = parseFloat(getComputedStyle(this.svg).fontSize) || 15;
    const bounds = [(rect.left - ctm.e) * unit + 3 * unit, (rect.top - ctm.f) * unit + 3 * unit,
      (rect.right - ctm.e) * unit - 3 * unit, (rect.bottom - ctm.f) * unit - 3 * unit];
    const layer = this.layers.labels, leaders = this.layers.leaders;
    layer.replaceChildren();
    leaders.replaceChildren();
    const probe = el("text", { class: "label", "font-size": 0.78 * px * unit }, layer);
    const measure = (text) => {
      probe.textContent = text;
      const box = probe.getBBox();
      return [box.width + 2 * unit, box.height];
    };
    const items = [...this.labelItems, ...this.buildingLabelItems()];
    const spots = placeLabels(items, measure, bounds, this.obstacles(4 * unit), 3 * unit);
    probe.remove();
    items.forEach((item, i) => {
      const spot = spots[i] || { text: item.texts[0], centre: item.anchor, moved: false };
      const text = el("text", { class: "label plan-label" + (item.kind === "building" ? " small-label" : ""),
        "data-kind": item.kind, "data-id": item.id, x: spot.centre[0], y: spot.centre[1],
        "font-size": 0.78 * px * unit, "text-anchor": "middle", "dominant-baseline": "central",
        style: `stroke-width: ${3.5 * unit}px` }, layer);
      text.textContent = spot.text;
      if (spot.text !== item.texts[0]) el("title", {}, text).textContent = item.texts[0];
      if (spot.moved) {
        const [x0, y0, x1, y1] = spot.box;
        const [ax, ay] = item.anchor;
        el("line", { class: "leader", x1: ax, y1: ay, x2: Math.min(Math.max(ax, x0), x1),
          y2: Math.min(Math.max(ay, y0), y1), "stroke-width": 1.5 * unit }, leaders);
        el("circle", { class: "leader-end", cx: ax, cy: ay, r: 2.5 * unit }, leaders);
      }
    });
  }

  /* Boxes no label may cover: gates, substations and water plants, the network's buses (labels
     would hide where lines meet) and the queue counts of gates and dock groups (two digits). */
  obstacles(r) {
    const s = this.scale;
    const buses = this.park.network ? this.park.network.buses.filter((b) => b.position && !b.substation) : [];
    const count = (x, y) => [x - 20 * s, y - 30 * s, x + 20 * s, y + 4 * s];
    const mark = (p, r) => { const [x, y] = this.pt(p); return [x - r, y - r, x + r, y + r]; };
    const marks = [
      ...this.park.gates.map((g) => mark(g.position, 16 * s)),
      ...this.park.substations.filter((b) => b.position).map((b) => mark(b.position, 20 * s)),
      ...["supply", "wastewater"].filter((k) => this.park.water[k]).map((k) => mark(this.park.water[k], 16 * s)),
    ];
    return [
      ...marks,
      ...buses.map((b) => { const [x, y] = this.pt(b.position); return [x - r, y - r, x + r, y + r]; }),
      ...this.park.gates.map((g) => { const [x, y] = this.pt(g.position); return count(x, y - 1.6 * 16 * s); }),
      ...this.park.dock_groups.map((d) => { const [x, y] = this.pt(d.position); return count(x, y - 14 * s); }),
    ];
  }

    lineTip(line) {
    const s = this.status && this.status.network && this.status.network.lines[line.id];
    const v = this.status && this.status.network ? this.status.network.buses : {};
    const state = !s ? "–" : !s.closed ? L.network.open : `${fmt(s.loading_pct, 0)}% ${L.network.ofRating}`;
    return `<b>${L.network.line} ${escapeHtml(line.id)}</b>` + (line.tie ? ` <span class="muted">(${L.network.tie})</span>` : "") + this.rows([
      [L.network.loading, state],
      [L.network.ends, `${escapeHtml(line.from)} (${fmtFixed(v[line.from], 3)} pu) – ${escapeHtml(line.to)} (${fmtFixed(v[line.to], 3)} pu)`],
    ]);
  }

  drawLegend(legend) {
    const c = this.park.colours;
    const sw = (colour, text, dot) => `<span><span class="sw${dot ? " dot" : ""}" style="background:${colour}"></span>${text}</span>`;
    legend.innerHTML = [
      `<b>${t("legend_load")}</b>`, ...c.load.map(([v, col]) => sw(col, t("pct_peak", { p: Math.round(v * 100) }))), sw(c.no_power, t("no_power")),
      ...(this.park.network ? [
        `<b>${L.network.legend}:</b>`, sw(c.loading[0][1], `< ${c.loading[0][0]}%`),
        sw(c.loading[1][1], `${c.loading[0][0]}–${c.loading[1][0]}%`), sw(c.loading[2][1], `> ${c.loading[1][0]}% (${L.network.overload})`),
        sw(c.line_dead, L.network.dead), `<span>┄ ${L.network.tie}</span>`,
      ] : [`<b>${t("legend_feeder")}</b>`, ...c.feeder.map(([v, col]) => sw(col, t("pct_capacity", { p: Math.round(v * 100) }))), sw(c.feeder_dead, t("feeder_dead"))]),
      `<b>${t("legend_trucks")}</b>`, sw(c.trucks.driving, t("driving"), true), sw(c.trucks.queued, t("queued"), true), sw(c.trucks.served, t("served_gate"), true),
    ].join(" ");
  }

  hover(node, content) {
    node.addEventListener("mousemove", (e) => { if (!this.pinned) this.showTip(e, content()); });
    node.addEventListener("mouseleave", () => { if (!this.pinned) this.hideTip(); });
    node.addEventListener("click", (e) => {
      e.stopPropagation();
      this.unpin();
      this.pinned = { node, content };
      node.classList.add("selected");
      this.showTip(e, content());
      this.tooltip.classList.add("pinned");
    });
  }

  unpin() {
    if (this.pinned) this.pinned.node.classList.remove("selected");
    this.pinned = null;
    this.tooltip.classList.remove("pinned");
    this.hideTip();
  }

  showTip(event, html) {
    const box = this.tooltip.parentElement.getBoundingClientRect();
    this.tooltip.innerHTML = html;
    this.tooltip.hidden = false;
    const x = Math.min(event.clientX - box.left + 14, box.width - this.tooltip.offsetWidth - 6);
    const y = Math.min(event.clientY - box.top + 14, box.height - this.tooltip.offsetHeight - 6);
    this.tooltip.style.left = Math.max(4, x) + "px";
    this.tooltip.style.top = Math.max(4, y) + "px";
  }

  hideTip() { this.tooltip.hidden = true; }

  rows(list) {
    return "<table>" + list.filter((r) => r).map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td class="v">${v}</td></tr>`).join("") + "</table>";
  }

  buildingTip(b) {
    const s = this.status && this.status.buildings[b.id];
    const head = `<b>${escapeHtml(b.name)}</b><br><span class="muted">${escapeHtml(b.id)} · ${L.kinds[b.kind] || b.kind}${b.tenant ? " · " + escapeHtml(b.tenant) : ""}</span>`;
    if (!s) return head + `<br><span class='muted'>${t("no_figures")}</span>`;
    const docks = b.dock_groups.map((id) => {
      const d = this.status.docks[id];
      return d ? [t("dock", { id }), t("dock_state", { busy: d.in_service, docks: d.docks, queue: d.queue })] : null;
    });
    return head + this.rows([
      [t("electricity"), s.powered ? t("powered") : `<span style='color:#ff6b6b'>${t("unpowered")}</span>`],
      s.power_kw !== undefined ? [t("power_kw"), `${fmt(s.power_kw, 0)} kW (${L.source[s.power_source]})`] : null,
      s.share !== undefined ? [t("vs_peak"), fmt(100 * s.share, 0) + "%"] : null,
      [t("feeder"), escapeHtml(b.feeder || "–") + (b.substation ? " ← " + escapeHtml(b.substation) : "")],
      s.water_m3h !== undefined ? [t("water"), `${fmt(s.water_m3h)} m³/h (${L.source[s.water_source]})`] : null,
      [t("shift"), s.in_shift ? t("in_shift") : t("off_shift")],
      ...docks,
    ]);
  }

  gateTip(g) {
    const s = this.status && this.status.gates[g.id];
    return `<b>${t("gate", { name: escapeHtml(g.name) })}</b>` + (s ? this.rows([
      [t("waiting_trucks"), s.queue], [t("passing"), t("lanes", { busy: s.at_gate, lanes: g.lanes })], s.closed ? [t("state"), t("closed")] : null,
    ]) : "");
  }

  substationTip(sub) {
    const s = this.status && this.status.substations[sub.id];
    const feeders = this.park.feeders.filter((f) => f.substation === sub.id).map((f) => {
      const fs = this.status && this.status.feeders[f.id];
      return [t("feeder_id", { id: f.id }), fs ? (fs.dead ? t("feeder_dead") : `${fmt(fs.load_mw)} / ${fmt(f.capacity_mw)} MW`) : "–"];
    });
    return `<b>${escapeHtml(sub.name)}</b>` + this.rows([
      s ? [t("load"), `${fmt(s.load_mw)} / ${fmt(sub.capacity_mw)} MW (${fmt(100 * s.share, 0)}%)`] : null, ...feeders,
    ]);
  }

  update(status) {
    this.status = status;
    const c = this.park.colours;
    for (const b of this.park.buildings) {
      const s = status.buildings[b.id];
      const node = this.nodes.buildings[b.id];
      const fill = !s.powered ? c.no_power : ramp(s.share || 0, c.load);
      node.setAttribute("fill", fill);
      node.dataset.powered = s.powered ? "1" : "0";
    }
    this.colourNetwork(status.network);
    for (const f of this.park.network ? [] : this.park.feeders) {
      const s = status.feeders[f.id];
      const colour = s.dead ? c.feeder_dead : ramp(s.share, c.feeder);
      const node = this.nodes.feeders[f.id];
      node.classList.toggle("dead", s.dead);
      for (const line of node.children) line.setAttribute("stroke", colour);
    }
    for (const g of this.park.gates) {
      const s = status.gates[g.id];
      const node = this.nodes.gates[g.id];
      node.rect.classList.toggle("closed", s.closed);
      node.count.textContent = s.queue > 0 ? String(s.queue) : "";
    }
    for (const d of this.park.dock_groups) {
      const s = status.docks[d.id];
      this.nodes.docks[d.id].textContent = s.queue > 0 ? String(s.queue) : "";
    }
    for (const sub of this.park.substations) {
      const node = this.nodes.substations[sub.id];
      if (node) node.classList.toggle("dead", status.outages.includes(sub.id));
    }
    this.drawOutages(status);
    this.drawTrucks(status.trucks);
    if (this.pinned) this.tooltip.innerHTML = this.pinned.content();
  }

  /* Each line by its loading band; grey while it carries nothing (as in 3D); dashed while open. */
  colourNetwork(network) {
    if (!network || !this.nodes.lines) return;
    const c = this.park.colours;
    for (const [id, node] of Object.entries(this.nodes.lines)) {
      const s = network.lines[id];
      if (!s) continue;
      const live = s.closed && s.loading_pct > c.line_live_pct;
      const band = s.loading_pct > c.loading[1][0] ? 2 : s.loading_pct >= c.loading[0][0] ? 1 : 0;
      node.setAttribute("stroke", live ? c.loading[band][1] : c.line_dead);
      node.classList.toggle("open", !s.closed);
      node.setAttribute("stroke-dasharray", s.closed ? "" : this.dashes());
      node.dataset.band = live ? String(band) : "dead";
      node.dataset.loading = String(Math.round(s.loading_pct * 10) / 10);
    }
  }

  drawOutages(status) {
    const layer = this.layers.outages;
    layer.replaceChildren();
    for (const b of this.park.buildings) {
      if (!status.buildings[b.id].powered) {
        el("polygon", { class: "outage", points: this.pts(b.footprint) }, layer);
      }
    }
  }

  drawTrucks(dots) {
    const layer = this.layers.trucks;
    const colours = this.park.colours.trucks;
    const r = 7 * this.scale;
    const nodes = layer.children;
    while (nodes.length > dots.length) layer.lastChild.remove();
    dots.forEach(([x, y, code], i) => {
      const [sx, sy] = this.pt([x, y]);
      let node = nodes[i];
      if (!node) node = el("circle", { class: "truck", r }, layer);
      node.setAttribute("cx", sx);
      node.setAttribute("cy", sy);
      node.setAttribute("fill", colours[L.truckColour[code]]);
      node.dataset.stage = code;
    });
  }
}
