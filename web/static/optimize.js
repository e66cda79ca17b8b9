/* Find the best: upload a decision problem, run it as a job, show the best and its certificate. */
"use strict";

class FindBest extends JobPanel {
  constructor() {
    super("optimize");
    this.file = document.getElementById("problem-file");
    this.result = document.getElementById("optimize-result");
  }

  async run() {
    const file = this.file.files[0];
    this.showError(null);
    if (!file) { this.showError(t("pick_problem")); return; }
    try {
      const body = await file.arrayBuffer();
      this.result.replaceChildren();
      await this.start("/api/optimize?name=" + encodeURIComponent(file.name) + "&lang=" + document.documentElement.lang, { body }, t("cancelled"));
    } catch (err) {
      this.showError(err.message);
    }
  }

  finished(doc) { this.show(doc.optimum); }

  show(opt) {
    const values = (v) => Object.entries(v).map(([k, x]) => `${escapeHtml(k)} = ${escapeHtml(x)}`).join(", ");
    const interval = (o) => `${fmt(o.mean)} [${fmt(o.ci95[0])}, ${fmt(o.ci95[1])}]`;
    const pareto = opt.best === null;
    const goals = pareto ? opt.objectives.map((g) => g.target) : [t("objective")];
    const keys = opt.candidates.length ? Object.keys(opt.candidates[0].values) : [];
    const rows = opt.candidates.map((c) => "<tr>" + keys.map((k) => `<td>${escapeHtml(c.values[k])}</td>`).join("") +
      (pareto ? c.objectives : [c.objective]).map((o) => `<td class="n">${interval(o)}</td>`).join("") +
      `<td class="n">${c.replications}</td><td>${escapeHtml(L.optimizeStatus[c.status] || c.status)}</td></tr>`).join("");
    let head;
    if (pareto) head = `<h2>${t("pareto_head", { n: opt.pareto.length })}</h2>`;
    else {
      const title = opt.best.feasible ? t("best") : t("none_feasible");
      head = `<h2>${title}: ${values(opt.best.values)}</h2>` +
        `<p>${escapeHtml(opt.objective.target)}: ${interval(opt.best.objective)} ${t("interval95")}</p>`;
    }
    this.result.innerHTML = head +
      `<p class="small">${escapeHtml(opt.certificate.guarantee)}</p>` +
      `<p class="muted small">${t("certificate", { n: opt.certificate.total_replications,
        streams: t(opt.certificate.common_random_numbers ? "crn" : "independent"),
        procedure: escapeHtml(opt.certificate.procedure) })}</p>` +
      `<table class="compare"><thead><tr>${keys.map((k) => `<th>${escapeHtml(k)}</th>`).join("")}` +
      goals.map((g) => `<th>${escapeHtml(g)} [95%]</th>`).join("") +
      `<th>${t("reps_column")}</th><th>${t("result_column")}</th></tr></thead><tbody>${rows}</tbody></table>`;
  }
}
