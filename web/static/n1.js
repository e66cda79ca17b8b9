/* The N-1 panel: every single outage of the power network, worst first (GET /api/n1). */
"use strict";

/* "day 2 10:00" (n1.json) as the page writes it; other forms as they are. */
function momentText(at) {
  const m = /^day (\d+) (\d\d:\d\d)$/.exec(at);
  return m ? L.n1.day(m[1], m[2]) : at;
}

class N1Panel {
  constructor(park) {
    this.park = park;
    this.box = document.getElementById("n1");
    this.loaded = false;
    const tab = document.getElementById("tab-n1");
    tab.hidden = !park.network;
    tab.textContent = L.n1.tab;
  }

  names() {
    return Object.fromEntries(this.park.buildings.map((b) => [b.id, b.label]));
  }

  /* Fetch once, when the tab is first opened: the analysis simulates every contingency. */
  async load() {
    if (this.loaded || !this.park.network) return;
    this.loaded = true;
    this.box.innerHTML = `<p class="muted">${escapeHtml(L.n1.loading)}</p>`;
    try {
      this.show(await api("/api/n1"));
    } catch (err) {
      this.loaded = false;
      this.box.innerHTML = `<p class="error">${escapeHtml(err.message)}</p>`;
    }
  }

  show(doc) {
    const rows = doc.contingencies;
    const secure = rows.filter((r) => r.secure).length;
    const names = this.names();
    const head = L.n1.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
    const body = rows.map((r) => {
      const lost = r.buildings_unserved.map((b) => escapeHtml(names[b] || b));
      return `<tr class="${r.secure ? "secure" : "insecure"}" data-outage="${escapeHtml(r.outage)}">` +
        `<td>${escapeHtml(r.outage)}<br><span class="muted small">${escapeHtml(L.n1.kinds[r.kind] || r.kind)}</span></td>` +
        `<td class="verdict-cell">${r.secure ? "✔ " + L.n1.secure : "✘ " + L.n1.insecure}</td>` +
        `<td>${fmt(r.max_loading_pct, 0)}%</td><td>${fmtFixed(r.min_v_pu, 3)} pu</td>` +
        `<td>${fmt(r.unserved_mw)}</td><td>${fmt(r.unserved_mwh)}</td>` +
        `<td class="names" title="${lost.join(", ")}">${lost.length ? lost.join(", ") : L.n1.none}</td>` +
        `<td>${fmt(r.trucks_delayed, 0)}</td></tr>`;
    }).join("");
    this.box.innerHTML =
      `<p class="small"><b>${escapeHtml(L.n1.title)}</b><br>${escapeHtml(L.n1.at)}: ${escapeHtml(momentText(doc.at))}` +
      ` · ${fmt(doc.hours)} ${escapeHtml(L.n1.hours)}</p>` +
      `<p class="n1-summary">${escapeHtml(L.n1.summary(secure, rows.length))}</p>` +
      `<div class="table-wrap"><table class="compare n1-table"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>` +
      `<p class="small muted">${escapeHtml(L.n1.note)}</p>`;
  }
}
