// Leaderboard: one tab per budget (only models of matched cost compete), protocol and team
// filters, the ranked table and the error-against-cost scatter with its Pareto front. The budget and
// the filters are kept in the address; with none given it opens on the budget of the team's latest
// result (leaderboard-budget.js), and the table downloads as CSV or JSON. A time budget's table
// shows each model's measured time on the budget's device with its spread, and lists the models
// not benchmarked there apart, with their predicted time, not ranked until measured.
import * as api from "../api.js";
import { signedIn } from "../auth.js";
import { h, fill, message } from "../dom.js";
import * as fmt from "../format.js";
import { latestWins } from "../latest.js";
import { render as plot, purge } from "../plot.js";
import { downloadButtons, fileName } from "../downloads.js";
import { latestBudget, boardTable, measuredTime, timeText } from "./leaderboard-budget.js";
import { boardLatency } from "../timing.js";

export function mount(root, params) {
  if (!signedIn()) {
    fill(root, h("h1", {}, "Leaderboard"), h("div", { class: "empty" }, "The leaderboard shows every team's published models and your own. ", h("a", { href: "#/signin" }, "Sign in"), " with your team token to see it."));
    return null;
  }
  const tabs = h("div", { role: "tablist", "aria-label": "Budgets", id: "budget-tabs" });
  const protocol = h("select", { id: "lb-protocol" }, h("option", { value: "" }, "every protocol"));
  const team = h("input", { type: "text", id: "lb-team", class: "w-mid", autocomplete: "off", placeholder: "any team", value: params.get("team") || "" });
  const panel = h("div", { role: "tabpanel", id: "budget-panel", tabindex: "0" });
  const info = h("p", { class: "muted small" });
  const chart = h("div", { class: "plot", id: "leaderboard-plot" });
  const table = h("div");
  let budgets = [];
  let current = Number(params.get("budget")) || null;
  let wanted = params.get("protocol") || ""; // the protocol asked for, until the board lists it
  let board = null; // the last board shown, for the downloads

  function selectTab(id, focus = false, keepProtocol = false) {
    current = id;
    for (const tab of tabs.children) {
      const on = Number(tab.dataset.id) === id;
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
      if (on && focus) tab.focus();
    }
    panel.setAttribute("aria-labelledby", `budget-tab-${id}`);
    if (!keepProtocol) wanted = ""; // another budget has other protocols
    load();
  }

  tabs.addEventListener("keydown", (event) => {
    const i = budgets.findIndex((b) => b.id === current);
    const moves = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: budgets.length - 1 };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const next = budgets[(moves[event.key] + budgets.length) % budgets.length];
    selectTab(next.id, true);
  });

  // a tab or filter change: the latest request wins, an older board is never shown over it
  const requests = latestWins((query) => Promise.all([api.get(`/leaderboard?${query}`), api.get(`/figures/leaderboard?${query}`)]), {
    onResult: async ([out, figure]) => {
      board = out;
      fill(protocol, h("option", { value: "" }, "every protocol"), out.protocols.map((p) => h("option", { value: p, title: p }, p)));
      protocol.value = out.protocols.includes(wanted) ? wanted : "";
      showTable(out);
      await plot(chart, figure.figure);
    },
    onError: (error) => fill(table, message("error", api.explain(error, "the leaderboard"))),
  });

  function load() {
    const budget = budgets.find((b) => b.id === current);
    const timed = budget.metric !== "macs";
    const ref = budget.reference_preset ? `preset ${budget.reference_preset}` : budget.reference_architecture_id ? `architecture #${budget.reference_architecture_id}` : timed ? "a given time" : "a fixed cost";
    const side = `${budget.input_side}×${budget.input_side} px input`;
    if (timed) {
      const profile = budget.device_profile;
      fill(info, `Reference: ${ref}, ${timeText(budget)} (profile “${profile.name}”, ${profile.dtype}${profile.channels_last ? ", channels_last" : ""}); models with ${side} whose median over their benchmarks on that device is within ±${fmt.pct(budget.tolerance, 0)} are ranked. Errors: mean ± sample std over seeds, real datasets only.`);
    } else {
      fill(info, `Reference: ${ref}, ${fmt.macsExact(budget.reference_conv_macs)} per image (conv layers, Eqn. 1); models within ±${fmt.pct(budget.tolerance, 0)} with ${side} compete. Errors: mean ± sample std over seeds, real datasets only.`);
    }
    const query = new URLSearchParams({ budget_id: String(current) });
    if (wanted) query.set("protocol", wanted);
    if (team.value.trim()) query.set("team", team.value.trim());
    const address = new URLSearchParams(query);
    address.delete("budget_id");
    window.history.replaceState(null, "", `#/leaderboard?budget=${current}${address.toString() ? `&${address}` : ""}`);
    fill(table, h("p", { class: "muted" }, "Loading…"));
    requests.run(query);
  }

  function showTable(board) {
    if (board.measure.metric !== "macs") {
      showTimeTables(board);
      return;
    }
    if (!board.entries.length) {
      fill(table, h("div", { class: "empty" }, "No ranked results in this budget yet. Train a published architecture that fits the budget (a real dataset, not synthetic) and it appears here."));
      return;
    }
    const heads = ["Rank", "Architecture", "Team", "Conv MACs", "Ratio to budget", "Protocol", "Seeds", "Top-1 error", "Top-5 error", "Latency (batch 1, median over benchmarks)", "Throughput", "Device"];
    fill(
      table,
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { id: "leaderboard-table" },
          h("thead", {}, h("tr", {}, heads.map((t) => h("th", { scope: "col" }, t)))),
          h(
            "tbody",
            {},
            board.entries.map((e) =>
              h(
                "tr",
                { class: e.own ? "selected" : "", dataset: { architecture: e.architecture_id } },
                h("td", { class: "num" }, e.rank),
                h("td", {}, h("a", { href: `#/editor?arch=${e.architecture_id}` }, e.architecture_name), e.published ? "" : h("span", { class: "muted small" }, " (unpublished)"), e.own ? [" ", h("a", { class: "small", href: `#/compare?architecture=${e.architecture_id}` }, "runs")] : ""),
                h("td", {}, e.team_name, e.own ? h("span", { class: "muted small" }, " (you)") : ""),
                h("td", { class: "num" }, fmt.macsExact(e.conv_macs)),
                h("td", { class: "num" }, fmt.ratio(e.ratio)),
                h("td", { class: "small" }, e.protocol),
                h("td", { class: "num" }, e.seeds),
                h("td", { class: "num" }, fmt.errorPct(e.top1_error_mean, e.top1_error_std)),
                h("td", { class: "num" }, fmt.errorPct(e.top5_error_mean, e.top5_error_std)),
                h("td", { class: "num latency" }, boardLatency(e)),
                h("td", { class: "num" }, fmt.throughput(e.throughput)),
                h("td", { class: "small" }, e.device || "not benchmarked")
              )
            )
          )
        )
      )
    );
  }

  /** A time budget: the ranked models with their measured time, and apart the ones not measured. */
  function showTimeTables(board) {
    const measure = board.measure;
    const unit = measure.metric === "throughput" ? `Throughput at batch ${measure.batch_size} on ${measure.device} (median, p10 – p90)` : `Time at batch 1 on ${measure.device} (median, p10 – p90)`;
    const cells = (e) => [
      h("td", {}, h("a", { href: `#/editor?arch=${e.architecture_id}` }, e.architecture_name), e.published ? "" : h("span", { class: "muted small" }, " (unpublished)")),
      h("td", {}, e.team_name, e.own ? h("span", { class: "muted small" }, " (you)") : ""),
      h("td", { class: "num" }, fmt.macsExact(e.conv_macs)),
      h("td", { class: "small" }, e.protocol),
      h("td", { class: "num" }, e.seeds),
      h("td", { class: "num" }, fmt.errorPct(e.top1_error_mean, e.top1_error_std)),
    ];
    const grid = (id, heads, rows) =>
      h("div", { class: "table-wrap" }, h("table", { id }, h("thead", {}, h("tr", {}, heads.map((t) => h("th", { scope: "col" }, t)))), h("tbody", {}, rows)));
    const common = ["Architecture", "Team", "Conv MACs", "Protocol", "Seeds", "Top-1 error"];
    const ranked = board.entries.length
      ? grid(
          "leaderboard-table",
          ["Rank", ...common, unit, "Ratio to budget"],
          board.entries.map((e) => h("tr", { class: e.own ? "selected" : "", dataset: { architecture: e.architecture_id } }, h("td", { class: "num" }, e.rank), cells(e), h("td", { class: "num measured" }, measuredTime(e, measure)), h("td", { class: "num" }, fmt.ratio(e.time_ratio))))
        )
      : h("div", { class: "empty" }, `No model measured within this budget yet. Benchmark a trained architecture of ${board.budget.input_side}×${board.budget.input_side} px input on ${measure.device} (${measure.dtype}${measure.channels_last ? ", channels_last" : ""}${measure.metric === "throughput" ? `, batch ${measure.batch_size}` : ""}) and it is ranked here when its time is within the budget.`);
    const apart = board.predicted.length
      ? [
          h("h3", { id: "leaderboard-predicted-h" }, "Predicted, not ranked until measured"),
          h("p", { class: "muted small" }, `No benchmark on ${measure.device} yet: the time is the device profile's prediction at batch 1.`),
          grid(
            "leaderboard-predicted",
            [...common, "Predicted time (batch 1)", measure.metric === "latency_ms" ? "Predicted ratio to budget" : "Ratio to budget"],
            board.predicted.map((e) => h("tr", { class: e.own ? "selected predicted" : "predicted", dataset: { architecture: e.architecture_id } }, cells(e), h("td", { class: "num" }, fmt.ms(e.predicted_ms), " ", h("span", { class: "badge", title: "predicted by the device profile, not measured" }, "predicted")), h("td", { class: "num" }, fmt.ratio(e.time_ratio))))
          ),
        ]
      : [];
    fill(table, ranked, apart);
  }

  protocol.addEventListener("change", () => {
    wanted = protocol.value;
    load();
  });
  team.addEventListener("change", load);
  const field = (id, label, control) => h("div", { class: "field" }, h("label", { for: id }, label), control);
  fill(
    root,
    h("div", { class: "view-head" }, h("h1", {}, "Leaderboard"), h("div", { class: "row" }, field("lb-protocol", "Protocol", protocol), field("lb-team", "Team", team))),
    tabs,
    h("div", {}, panel)
  );
  const downloads = downloadButtons("leaderboard-download", "the leaderboard", () =>
    board ? { name: fileName("leaderboard", board.budget?.name), ...boardTable(board) } : null
  );
  fill(panel, info, h("section", { class: "card" }, chart), h("section", { class: "card" }, downloads, table));

  api
    .get("/budgets")
    .then(async (list) => {
      budgets = list;
      if (!budgets.length) {
        fill(panel, h("div", { class: "empty" }, "No budgets yet."));
        return;
      }
      fill(
        tabs,
        budgets.map((b) =>
          h("button", { type: "button", role: "tab", id: `budget-tab-${b.id}`, "aria-controls": "budget-panel", dataset: { id: b.id }, onclick: () => selectTab(b.id) }, b.name)
        )
      );
      // no budget asked for: the one the team's latest result falls in
      const asked = budgets.some((b) => b.id === current) ? current : null;
      selectTab(asked ?? (await latestBudget(budgets)).id, false, true);
    })
    .catch((error) => fill(panel, message("error", api.explain(error, "budgets"))));

  return () => {
    requests.cancel();
    purge(chart);
  };
}
