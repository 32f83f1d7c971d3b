// Runs compared: #/compare?jobs=1,2,3 (chosen runs) or #/compare?architecture=ID (every training
// run of a model). The server's figure overlays their validation curves, with each model's mean
// and a band of one standard deviation across seeds (GET /figures/compare); the table lists them.
import * as api from "../api.js";
import { signedIn } from "../auth.js";
import { h, fill, message } from "../dom.js";
import { render as plot, purge } from "../plot.js";

export function mount(root, params) {
  fill(root, h("h1", {}, "Compare runs"));
  if (!signedIn()) {
    root.append(h("div", { class: "empty" }, h("a", { href: "#/signin" }, "Sign in"), " to compare your team's runs."));
    return null;
  }
  const query = new URLSearchParams();
  const jobs = (params.get("jobs") || "").split(",").filter((s) => /^\d+$/.test(s));
  if (jobs.length) jobs.forEach((id) => query.append("job_ids", id));
  else if (/^\d+$/.test(params.get("architecture") || "")) query.set("architecture_id", params.get("architecture"));
  const chart = h("div", { class: "plot", id: "compare-plot" });
  const table = h("div", { id: "compare-jobs" });
  root.append(h("p", { class: "muted small" }, "Validation top-1 error (%) per epoch: each run thin, each model's mean bold with a band of one standard deviation across its seeds. Runs under different protocols are never averaged together."), chart, table);
  if (![...query.keys()].length) {
    fill(table, h("div", { class: "empty" }, "Choose runs from the jobs list, the leaderboard or a study."));
    return null;
  }
  api.get(`/figures/compare?${query}`).then(async (out) => {
    fill(table, h("table", {},
      h("thead", {}, h("tr", {}, ["Job", "Model", "Protocol", "Seed", "Status", "Top-1 error %"].map((c) => h("th", {}, c)))),
      h("tbody", {}, out.jobs.map((j) => h("tr", {},
        h("td", {}, h("a", { href: `#/jobs/${j.id}` }, `#${j.id}`)), h("td", {}, j.architecture_name), h("td", { class: "small" }, j.protocol),
        h("td", { class: "num" }, j.seed ?? "–"), h("td", {}, j.learned === false ? `${j.status}, did not learn` : j.status),
        h("td", { class: "num" }, j.top1_error === null ? "–" : j.top1_error.toFixed(2)))))));
    await plot(chart, out.figure);
  }, (error) => fill(table, message("error", api.explain(error, "run comparison"))));
  return () => purge(chart);
}
