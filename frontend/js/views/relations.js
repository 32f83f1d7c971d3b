// Relations: the graph of models that differ by one replacement at matched cost, drawn from the
// server's figure (nodes placed by depth), with the paper's Figs. 1-3 as views. A click on a node,
// or its "Open" button, opens the model in the editor.
import * as api from "../api.js";
import { signedIn } from "../auth.js";
import { h, fill, message } from "../dom.js";
import * as fmt from "../format.js";
import { latestWins } from "../latest.js";
import { plain, render as plot, purge } from "../plot.js";
import { openDesign } from "../guard.js";

const VIEWS = [
  ["all", "All relations"],
  ["1", "Fig. 1: depth vs filter size"],
  ["2", "Fig. 2: depth vs width"],
  ["3", "Fig. 3: width vs filter size"],
];

const num = (x) => x.toFixed(2);

/** The node's measured top-1 error with its spread: mean ± s.d., then the 95% interval, seeds and
 * dataset (the protocol in the tooltip); or "no result yet". */
function measuredCell(node) {
  if (node.top1_error_mean === null || node.top1_error_mean === undefined) return h("td", { class: "muted no-result" }, "no result yet");
  const ci = node.top1_error_ci95;
  const seeds = `${node.runs} seed${node.runs === 1 ? "" : "s"}`;
  const spread = ci ? `95% CI [${num(ci[0])}, ${num(ci[1])}] · ${seeds}` : `${seeds}: no spread yet`;
  return h(
    "td",
    { class: "measured", title: node.protocol || "" },
    h("span", { class: "num" }, fmt.errorPct(node.top1_error_mean, node.top1_error_std)),
    h("span", { class: "muted small" }, ` ${spread} · ${node.dataset}${node.measured_as ? ` · as ${node.measured_as}` : ""}`)
  );
}

function editorLink(node) {
  return node.kind === "preset" ? `#/editor?preset=${encodeURIComponent(node.name)}` : `#/editor?arch=${node.id}`;
}

/** On a narrow screen, label nodes with their names only (the tables and the hover have the rest). */
function compact(figure, width) {
  if (width >= 640) return figure;
  const data = figure.data.map((trace) => (trace.mode === "markers+text" ? { ...trace, text: trace.customdata.map((c) => plain(c[1])) } : trace));
  return { ...figure, data };
}

export function mount(root, params) {
  const scale = h("select", { id: "rel-scale" }, h("option", { value: "s36" }, "s36 (36×36 input)"), h("option", { value: "paper" }, "paper scale (224×224 input)"));
  const viewSelect = h("select", { id: "rel-view" }, VIEWS.map(([value, label]) => h("option", { value }, label)));
  const studyLink = h("a", { id: "rel-study", href: "#/studies" }, "Create a study of these models"); // views/studies.js
  const team = h("input", { type: "checkbox", id: "rel-team", disabled: !signedIn(), checked: signedIn() });
  const chart = h("div", { class: "plot", id: "relations-plot" });
  const status = h("div", { "aria-live": "polite" });
  const edgesBody = h("tbody");
  const nodesBody = h("tbody");
  scale.value = params.get("scale") === "paper" ? "paper" : "s36";
  viewSelect.value = VIEWS.some(([v]) => v === params.get("view")) ? params.get("view") : "all";
  // a quick change of the selects: the latest request wins, an older graph is never drawn over it
  const requests = latestWins((query) => api.get(`/figures/relations?${query}`), {
    onResult: async (out) => {
      status.replaceChildren();
      await plot(chart, compact(out.figure, chart.clientWidth), {
        onClick: (point) => {
          const [kind, name, id] = point.customdata || [];
          // asks first if the editor holds an unsaved draft (guard.js)
          if (kind === "preset") openDesign(`#/editor?preset=${encodeURIComponent(name)}`);
          else if (kind === "architecture") openDesign(`#/editor?arch=${id}`);
        },
      });
      showTables(out);
    },
    onError: (error) => fill(status, message("error", api.explain(error, "the relation graph"))),
  });

  function load() {
    const query = new URLSearchParams({ scale: scale.value, view: viewSelect.value, team: String(team.checked && signedIn()) });
    window.history.replaceState(null, "", `#/relations?scale=${scale.value}&view=${viewSelect.value}`);
    studyLink.href = `#/studies?figure=${viewSelect.value}&scale=${scale.value}`; // "all": the 14 models
    fill(status, h("p", { class: "muted" }, "Finding relations…"));
    requests.run(query);
  }

  function showTables(out) {
    const ref = out.reference;
    fill(
      edgesBody,
      out.relations.length
        ? out.relations.map((r) =>
            h(
              "tr",
              { dataset: { source: r.source, target: r.target } },
              h("td", { class: "nowrap" }, `${r.source} → ${r.target}`),
              h("td", {}, r.tradeoff, r.figure ? h("span", { class: "muted small" }, ` (Fig. ${r.figure})`) : ""),
              h("td", { class: "num" }, fmt.ratio(r.cost_ratio)),
              h("td", { class: "mono small" }, r.change)
            )
          )
        : h("tr", {}, h("td", { colspan: "4", class: "muted" }, "No relations in this view."))
    );
    fill(
      nodesBody,
      out.nodes.map((n) =>
        h(
          "tr",
          {},
          h("th", { scope: "row" }, n.name, n.kind === "architecture" ? h("span", { class: "muted small" }, " (team)") : ""),
          h("td", { class: "num" }, `${n.depth} conv layers`),
          h("td", { class: "num" }, fmt.macsExact(n.conv_macs)),
          h("td", { class: "num" }, `${fmt.ratio(n.ratio)} ${ref}`),
          measuredCell(n),
          h("td", {}, n.paper),
          h("td", {}, h("a", { class: "button", href: editorLink(n), "aria-label": `Open ${n.name} in the editor` }, "Open"))
        )
      )
    );
  }

  for (const el of [scale, viewSelect, team]) el.addEventListener("change", load);
  const field = (id, label, control) => h("div", { class: "field" }, h("label", { for: id }, label), control);

  fill(
    root,
    h(
      "div",
      { class: "view-head" },
      h("div", {}, h("h1", {}, "Relations"), h("p", { class: "muted small" }, "Models linked by one layer replacement at matched conv cost (within 8 %), coloured by trade-off; x is depth, y your team's measured top-1 error where it has results (the others drawn apart). Click a node to open it in the editor.")),
      h(
        "div",
        { class: "row" },
        field("rel-scale", "Scale", scale),
        field("rel-view", "View", viewSelect),
        h("label", { class: "choices", title: signedIn() ? "" : "sign in to include your team's architectures" }, team, signedIn() ? "include my team's architectures" : "include my team's architectures (sign in)"),
        studyLink
      )
    ),
    status,
    h("section", { class: "card" }, chart),
    h(
      "section",
      { class: "card", "aria-labelledby": "nodes-h" },
      h("h2", { id: "nodes-h" }, "Models"),
      h("p", { class: "muted small" }, "Measured: top-1 error (%) of your team's finished training runs that learned, mean ± s.d. over seeds with the 95% interval, under the protocol with the most runs. Paper: what He & Sun report; their per-model errors could not be recovered, so they read “unknown”."),
      h(
        "div",
        { class: "table-wrap" },
        h("table", { id: "relations-nodes" }, h("thead", {}, h("tr", {}, ["Model", "Depth", "C", "Ratio", "Measured error", "Paper's error"].map((t) => h("th", { scope: "col" }, t)), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Open")))), nodesBody)
      )
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "edges-h" },
      h("h2", { id: "edges-h" }, "Edges"),
      h("div", { class: "table-wrap" }, h("table", { id: "relations-edges" }, h("thead", {}, h("tr", {}, ["Edge", "Trade-off", "C ratio", "Change"].map((t) => h("th", { scope: "col" }, t)))), edgesBody))
    )
  );
  load();
  return () => {
    requests.cancel();
    purge(chart);
  };
}
