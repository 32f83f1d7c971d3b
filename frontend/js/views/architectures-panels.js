// The Architectures page's panels: an architecture's lineage as a tree (parent_id), the diff of
// two, their runs side by side, and a study of several (POST /studies, followed on #/studies/ID).
import * as api from "../api.js";
import { diffTable, notations } from "../diff.js";
import { h, fill, message } from "../dom.js";
import * as fmt from "../format.js";

const RUNS_READ = 20; // finished training jobs read per architecture when comparing runs

function card(id, title, ...children) {
  return h("section", { class: "card", id, "aria-labelledby": `${id}-h` }, h("h2", { id: `${id}-h` }, title), children);
}

function show(panel, element) {
  fill(panel, element);
  element.scrollIntoView({ block: "nearest" });
}

/** The family of `arch` (GET /architectures/{id}/lineage) as nested lists, `arch` marked. */
export async function lineagePanel(panel, arch) {
  show(panel, card("lineage", `Lineage of ${arch.name}`, h("p", { class: "muted" }, "Loading…")));
  let out;
  try {
    out = await api.get(`/architectures/${arch.id}/lineage`);
  } catch (error) {
    show(panel, card("lineage", `Lineage of ${arch.name}`, message("error", api.explain(error, "lineage"))));
    return;
  }
  const children = new Map();
  for (const node of out.items) {
    const parent = node.id === out.root_id ? null : node.parent_id;
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(node);
  }
  const branch = (parent) =>
    h(
      "ul",
      { class: "tree" },
      (children.get(parent) || []).map((node) =>
        h(
          "li",
          { dataset: { id: node.id } },
          h(
            "div",
            { class: `node${node.id === arch.id ? " current" : ""}` },
            h("a", { href: `#/editor?arch=${node.id}` }, node.name),
            h("span", { class: "muted small" }, ` #${node.id} · ${fmt.macs(node.conv_macs)} · ${node.best_error === null ? "no result" : `best ${fmt.errorPct(node.best_error)}`} · ${node.runs} run${node.runs === 1 ? "" : "s"}${node.owned ? "" : ` · ${node.team_name}`}`)
          ),
          children.has(node.id) ? branch(node.id) : ""
        )
      )
    );
  show(
    panel,
    card(
      "lineage",
      `Lineage of ${arch.name}`,
      h("p", { class: "muted small" }, "Each design under the one it was derived from (its parent when saved). Only designs your team can see are shown."),
      branch(null),
      out.truncated ? message("note", "The family is larger than this server shows at once; the newest are left out.") : ""
    )
  );
}

const label = (arch) => `#${arch.id} ${arch.name}`;

/** Two architectures, conv layer by conv layer. */
export async function diffPanel(panel, archs) {
  const [a, b] = archs;
  show(panel, card("arch-diff-card", `Diff: ${a.name} → ${b.name}`, h("p", { class: "muted" }, "Analysing…")));
  try {
    const [before, after] = await Promise.all([a, b].map((arch) => api.post("/complexity", { spec: arch.spec })));
    const labels = [label(a), label(b)];
    show(panel, card("arch-diff-card", `Diff: ${a.name} → ${b.name}`, notations(before, after, labels), diffTable("arch-diff", before, after, labels)));
  } catch (error) {
    show(panel, card("arch-diff-card", "Diff", message("error", api.explain(error))));
  }
}

/** The finished training runs of each architecture, grouped by protocol: errors per seed, mean
 * and sample standard deviation (as the leaderboard computes them). */
export async function comparePanel(panel, archs) {
  show(panel, card("arch-compare-card", "Runs compared", h("p", { class: "muted" }, "Reading the runs…")));
  const runsOf = async (arch) => {
    const page = await api.get(`/jobs?architecture_id=${arch.id}&kind=train&status=succeeded&per_page=${RUNS_READ}`);
    const jobs = await Promise.all(page.items.map((job) => api.get(`/jobs/${job.id}`)));
    return jobs.filter((job) => job.result && job.result.top1_error !== null);
  };
  let all;
  try {
    all = await Promise.all(archs.map((arch) => (arch.owned ? runsOf(arch) : Promise.resolve(null))));
  } catch (error) {
    show(panel, card("arch-compare-card", "Runs compared", message("error", api.explain(error, "jobs"))));
    return;
  }
  const rows = [];
  archs.forEach((arch, i) => {
    if (all[i] === null) {
      rows.push(h("tr", { dataset: { id: arch.id } }, h("th", { scope: "row" }, arch.name), h("td", { colspan: "5", class: "muted" }, `another team's: its best published error is ${arch.best_error === null ? "unknown" : fmt.errorPct(arch.best_error)}`)));
      return;
    }
    const byProtocol = new Map();
    for (const job of all[i]) {
      if (!byProtocol.has(job.protocol)) byProtocol.set(job.protocol, []);
      byProtocol.get(job.protocol).push(job.result.top1_error);
    }
    if (!byProtocol.size) rows.push(h("tr", { dataset: { id: arch.id } }, h("th", { scope: "row" }, arch.name), h("td", { colspan: "5", class: "muted" }, "no finished training run yet")));
    for (const [protocol, errors] of byProtocol) {
      const mean = errors.reduce((s, e) => s + e, 0) / errors.length;
      const std = errors.length > 1 ? Math.sqrt(errors.reduce((s, e) => s + (e - mean) ** 2, 0) / (errors.length - 1)) : null;
      rows.push(
        h(
          "tr",
          { dataset: { id: arch.id } },
          h("th", { scope: "row" }, arch.name),
          h("td", { class: "num" }, fmt.macs(arch.conv_macs)),
          h("td", { class: "small" }, protocol),
          h("td", { class: "num" }, errors.length),
          h("td", { class: "num mean" }, fmt.errorPct(mean, std)),
          h("td", { class: "small" }, errors.map((e) => `${e.toFixed(2)} %`).join(", "))
        )
      );
    }
  });
  const heads = ["Architecture", "C", "Protocol", "Runs", "Top-1 error", "Per run"];
  show(
    panel,
    card(
      "arch-compare-card",
      "Runs compared",
      h("p", { class: "muted small" }, `Finished training runs (the newest ${RUNS_READ} of each), by protocol: errors under different protocols are not comparable.`),
      h("div", { class: "table-wrap" }, h("table", { id: "arch-compare" }, h("thead", {}, h("tr", {}, heads.map((t) => h("th", { scope: "col" }, t)))), h("tbody", {}, rows)))
    )
  );
}

/** A study of the selected architectures (POST /studies): each trained under one protocol and
 * the same seeds, followed on its own page (#/studies/ID). */
export function studyPanel(panel, archs) {
  const name = h("input", { type: "text", id: "study-name", class: "w-mid", maxlength: "100", value: `${archs.map((a) => a.name).join(" vs ")}`.slice(0, 100) });
  const dataset = h("select", { id: "study-dataset" }, h("option", { value: "digits" }, "digits (built in)"), h("option", { value: "synthetic" }, "synthetic (timing only, never ranked)"));
  const epochs = h("input", { type: "text", id: "study-epochs", class: "w-num", inputmode: "numeric", value: "5" });
  const seeds = h("input", { type: "text", id: "study-seeds", class: "w-mid", value: "0, 1, 2" });
  const status = h("div", { "aria-live": "polite", id: "study-status" });
  const field = (id, text, control) => h("div", { class: "field" }, h("label", { for: id }, text), control);
  const form = h(
    "form",
    { id: "study-form", novalidate: true },
    h("p", { class: "muted small" }, `Trains ${archs.map((a) => a.name).join(", ")} under one protocol, each with every seed, and compares them.`),
    h("div", { class: "row" }, field("study-name", "Study name", name), field("study-dataset", "Dataset", dataset), field("study-epochs", "Epochs", epochs), field("study-seeds", "Seeds", seeds), h("button", { type: "submit", class: "primary", id: "study-submit" }, "Start the study"))
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const list = seeds.value.split(/[\s,]+/).filter(Boolean).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    const epochCount = /^\s*\d+\s*$/.test(epochs.value) ? Number(epochs.value) : epochs.value;
    const body = {
      name: name.value.trim(),
      models: archs.map((arch) => ({ name: arch.name, architecture_id: arch.id })),
      protocol: { dataset: { kind: dataset.value }, epochs: epochCount },
      seeds: list.length ? list : undefined,
    };
    try {
      const study = await api.post("/studies", body);
      fill(status, message("ok", `Started study #${study.id}: `, h("a", { href: `#/studies/${study.id}` }, study.name), "."));
    } catch (error) {
      fill(status, message("error", api.explain(error, "studies")));
    }
  });
  show(panel, card("study-card", `Study of ${archs.length} architecture${archs.length === 1 ? "" : "s"}`, form, status));
}
