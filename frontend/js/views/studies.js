// Studies: the paper's controlled experiments. #/studies lists the team's studies and creates one
// (the paper's models of a figure, or the ones a link from the relations page or a base design
// names); #/studies/ID is one study: progress, the results table, the comparisons with the
// paper's claims, the figures built on the server, and the downloads (CSV, JSON, HTML report).
// Polled every 2 s while any of its jobs is active.
import * as api from "../api.js";
import { signedIn } from "../auth.js";
import { ask } from "../confirm.js";
import { h, fill, message } from "../dom.js";
import { download } from "../files.js";
import * as fmt from "../format.js";
import { render as plot, purge } from "../plot.js";

const ACTIVE = new Set(["queued", "running"]);
const num = (v, d = 2) => (v === null || v === undefined ? "–" : Number(v).toFixed(d));
const ci = (c) => (c ? `[${num(c[0])}, ${num(c[1])}]` : "–");
const yesNo = (v) => (v === true ? "yes" : v === false ? "no" : "–");

export function mount(root, params, args) {
  if (!signedIn()) {
    fill(root, h("h1", {}, "Studies"), h("div", { class: "empty" }, h("a", { href: "#/signin" }, "Sign in"), " with your team token to run studies."));
    return null;
  }
  return args[0] ? showStudy(root, Number(args[0])) : showList(root, params);
}

function badge(status) {
  return h("span", { class: `badge ${status}` }, status);
}

function progressBar(study) {
  const p = study.progress;
  return h("div", { class: "progress" },
    h("progress", { max: "1", value: String(p.fraction), "aria-label": `Study ${study.id} progress` }),
    h("span", { class: "num small" }, `${p.succeeded}/${p.total} succeeded`),
    p.running ? h("span", { class: "muted small" }, `${p.running} running, ${p.queued} queued`) : "",
    p.failed ? h("span", { class: "small bad" }, `${p.failed} failed`) : "");
}

function showList(root, params) {
  const out = h("div", { id: "study-list" });
  const status = h("div");
  const name = h("input", { id: "study-name", type: "text", class: "w-mid", value: params.get("name") || "figure study" });
  const figure = h("select", { id: "study-figure" }, ["1", "2", "3", "all"].map((f) => h("option", { value: f, selected: params.get("figure") === f }, f === "all" ? "all 14 models" : `Fig. ${f}`)));
  const scale = h("select", { id: "study-scale" }, ["s36", "paper"].map((s) => h("option", { value: s, selected: params.get("scale") === s }, s)));
  const seeds = h("input", { id: "study-seeds", type: "text", class: "w-mid", value: "0,1,2" });
  const epochs = h("input", { id: "study-epochs", type: "number", min: "1", class: "w-mid", placeholder: "default" });
  const base = params.get("replacements_of"); // a notation, from a base design in the editor
  const create = h("button", { class: "primary", id: "study-create", onclick: submit }, "Create study");
  async function submit() {
    const body = { name: name.value, seeds: seeds.value.split(",").filter((s) => s.trim()).map(Number) };
    const input = { channels: Number(params.get("channels") || 3), height: Number(params.get("height") || 36), width: Number(params.get("width") || 36) };
    body.models = base ? { replacements_of: { notation: base, input }, name: "base" } : { figure: figure.value === "all" ? "all" : Number(figure.value), scale: scale.value };
    if (epochs.value) body.protocol = { epochs: Number(epochs.value) };
    create.disabled = true;
    try {
      const study = await api.post("/studies", body);
      window.location.hash = `#/studies/${study.id}`;
    } catch (error) {
      fill(status, message("error", api.explain(error, "studies")));
    } finally {
      create.disabled = false;
    }
  }
  fill(root,
    h("h1", {}, "Studies"),
    h("p", { class: "muted" }, "A study trains every model with every seed under one protocol and compares the models of each relation edge: mean top-1 error with its 95% interval, Welch's t-test, and whether the difference is more than noise."),
    h("section", { class: "card", "aria-labelledby": "new-study" },
      h("h2", { id: "new-study" }, "New study"),
      h("div", { class: "row" },
        h("label", {}, "Name ", name),
        base ? h("span", {}, "Models: the base design and its replacements at equal cost") : [h("label", {}, "Models ", figure), h("label", {}, "Scale ", scale)],
        h("label", {}, "Seeds ", seeds), h("label", {}, "Epochs ", epochs), create),
      status),
    out);
  api.get("/studies?per_page=100").then((page) => {
    if (!page.items.length) return fill(out, h("div", { class: "empty" }, "No study yet."));
    fill(out, h("table", {},
      h("thead", {}, h("tr", {}, ["Study", "Models", "Status", "Progress", "Created"].map((c) => h("th", {}, c)))),
      h("tbody", {}, page.items.map((s) => h("tr", {},
        h("td", {}, h("a", { href: `#/studies/${s.id}` }, s.name)), h("td", { class: "num" }, s.models),
        h("td", {}, badge(s.status)), h("td", {}, progressBar(s)), h("td", {}, fmt.when(s.created_at)))))));
  }, (error) => fill(out, message("error", api.explain(error, "studies"))));
  return null;
}

function showStudy(root, id) {
  const head = h("div", { class: "view-head" });
  const note = h("div");
  const results = h("div", { class: "plot", id: "study-results" });
  const curves = h("div", { class: "plot", id: "study-curves" });
  const models = h("div", { id: "study-models" });
  const edges = h("div", { id: "study-comparisons" });
  fill(root, head, note, h("h2", {}, "Results"), models, h("h2", {}, "Error against depth"), results,
    h("h2", {}, "Comparisons"), edges, h("h2", {}, "Validation curves"), curves);
  let timer = null;
  let stopped = false;
  let shown = "";

  async function tick() {
    try {
      const study = await api.get(`/studies/${id}`);
      if (stopped) return;
      const key = JSON.stringify([study.progress, study.status]);
      if (key !== shown) {
        shown = key;
        showHead(study);
        fill(models, modelTable(study));
        fill(edges, comparisonTable(study));
        const figures = await api.get(`/studies/${id}/figures`);
        if (stopped) return;
        await plot(results, figures.results);
        await plot(curves, figures.curves);
      }
      if (ACTIVE.has(study.status)) timer = setTimeout(tick, 2000);
    } catch (error) {
      if (!stopped) fill(note, message("error", api.explain(error, "this study")));
    }
  }

  function showHead(study) {
    const files = ["csv", "json", "html"].map((ext) => h("button", { id: `study-download-${ext}`, onclick: () => download("GET", `/studies/${id}/report.${ext}`).catch((e) => fill(note, message("error", api.explain(e, "the download")))) }, ext === "html" ? "HTML report" : ext.toUpperCase()));
    const cancel = h("button", { id: "study-cancel", onclick: async () => { await api.post(`/studies/${id}/cancel`); shown = ""; tick(); } }, "Cancel");
    const remove = h("button", { id: "study-delete", class: "danger", onclick: async () => {
      const yes = await ask({ title: `Delete study ${study.name}?`, lines: ["Its jobs and their results stay in your team's jobs."], confirm: "Delete" });
      if (!yes) return;
      await api.request("DELETE", `/studies/${id}`);
      window.location.hash = "#/studies";
    } }, "Delete");
    fill(head, h("h1", {}, `Study: ${study.name}`),
      h("div", { class: "row" }, badge(study.status), progressBar(study), ACTIVE.has(study.status) ? cancel : "", files, remove));
    fill(note, h("p", { class: "muted small" }, `Protocol: ${study.protocol_text}; seeds ${study.seeds.join(", ")}. Top-1 error on the validation split (%); statistics over the runs that learned, with a 95% Student-t interval.`));
  }

  timer = setTimeout(tick, 0);
  return () => {
    stopped = true;
    clearTimeout(timer);
    purge(results);
    purge(curves);
  };
}

function modelTable(study) {
  return h("table", { class: "study-models" },
    h("thead", {}, h("tr", {}, ["Model", "Paper", "Depth", "Conv MACs", "lr", "Runs", "Top-1 error %", "95% CI", "Learned"].map((c) => h("th", {}, c)))),
    h("tbody", {}, study.models.map((m) => h("tr", {},
      h("td", {}, h("a", { href: `#/compare?jobs=${m.runs.map((r) => r.job_id).join(",")}`, title: "its runs compared" }, m.name)), h("td", {}, m.paper_model || ""),
      h("td", { class: "num" }, m.depth), h("td", { class: "num" }, fmt.macs(m.conv_macs)), h("td", { class: "num" }, m.lr ?? "–"),
      h("td", { class: "num" }, `${m.n}/${m.runs.length}`),
      h("td", { class: "num" }, m.top1_error_mean === null ? "–" : `${num(m.top1_error_mean)} ± ${num(m.top1_error_std)}`),
      h("td", { class: "num" }, ci(m.top1_error_ci95)),
      h("td", { class: m.learned === false ? "bad" : "" }, m.did_not_learn ? `${yesNo(m.learned)} (${m.did_not_learn} did not learn)` : yesNo(m.learned))))));
}

function comparisonTable(study) {
  if (!study.comparisons.length) return h("div", { class: "empty" }, "No two models of this study are related by one replacement at equal cost.");
  return h("table", { class: "study-comparisons" },
    h("thead", {}, h("tr", {}, ["Edge", "Fig.", "Trade-off", "Difference (points)", "95% CI", "p (Welch)", "Verdict", "The paper", "Supports"].map((c) => h("th", {}, c)))),
    h("tbody", {}, study.comparisons.map((c) => h("tr", {},
      h("td", {}, `${c.source} → ${c.target}`), h("td", {}, c.figure ?? "–"), h("td", {}, c.tradeoff),
      h("td", { class: "num" }, num(c.difference)), h("td", { class: "num" }, ci(c.ci95)), h("td", { class: "num" }, num(c.p_value, 3)),
      h("td", { class: `verdict ${c.verdict ? c.verdict.replace(" ", "-") : "pending"}` }, c.verdict || "no verdict yet"),
      h("td", { title: c.claim.text }, `${c.claim.expects || "not recovered"} (${c.claim.basis})`),
      h("td", {}, yesNo(c.claim.supported))))));
}
