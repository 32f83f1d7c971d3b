// Replacement assistant: pick a run of conv layers and a trade-off; the API solves the missing
// dimension so that C stays put (He & Sun, Sec. 3). A candidate can be previewed (replace-candidates.js);
// applying it opens it in the editor, remembering the saved architecture it came from as its parent.
import * as api from "../api.js";
import { h, fill, message } from "../dom.js";
import * as fmt from "../format.js";
import { state, loadSpec, persist, isSaved } from "../store.js";
import { DEFAULT_SCALE, referenceOf } from "../vocabulary.js";
import { confirmReplace } from "../guard.js";
import { showCandidates as renderCandidates } from "./replace-candidates.js";

const TRADEOFFS = [
  ["deeper", "Deeper and narrower", "depth given, width solved"],
  ["smaller", "Smaller filters", "filter size given, width kept, depth solved"],
  ["widthsize", "Width vs filter size", "depth kept, filter size changed, width solved"],
  ["delayed", "Delayed subsampling", "pooling keeps its window but strides 1; the next conv takes the stride"],
];

async function currentAnalysis() {
  if (state.analysis) return state.analysis;
  const draft = state.draft;
  if (!draft.notation) {
    const name = referenceOf(DEFAULT_SCALE); // as the editor opens when nothing was drafted yet
    const preset = (await api.presets()).find((p) => p.name === name);
    loadSpec(preset.spec, preset.notation, { origin: `preset ${name}`, name });
  }
  const input = draft.input;
  state.analysis = await api.post("/complexity", { notation: state.draft.notation, input: { channels: Number(input.channels), height: Number(input.height), width: Number(input.width) } });
  return state.analysis;
}

/** Conv runs between non-conv layers: [[conv reports...], ...]. */
function runs(analysis) {
  const out = [];
  let run = [];
  for (const layer of analysis.layers) {
    if (layer.kind === "conv") run.push(layer);
    else if (run.length) {
      out.push(run);
      run = [];
    }
  }
  if (run.length) out.push(run);
  return out;
}

export function mount(root) {
  const head = h("div", { class: "view-head" }, h("div", {}, h("h1", {}, "Replacement assistant"), h("p", { class: "muted small" }, "Trade depth against width, filter size and stride at a fixed conv cost C.")));
  const body = h("div", {}, h("p", { class: "muted" }, "Analysing the design…"));
  fill(root, head, body);
  let alive = true;
  currentAnalysis()
    .then((analysis) => alive && build(body, analysis))
    .catch((error) =>
      fill(body, message("error", "The design in the editor is not valid, so there is nothing to replace yet: ", api.explain(error), " "), h("a", { href: "#/editor" }, "Fix it in the editor"))
    );
  return () => {
    alive = false;
  };
}

function build(root, analysis) {
  const convs = analysis.layers.filter((l) => l.kind === "conv");
  const pools = analysis.layers.filter((l) => l.kind === "maxpool" || l.kind === "avgpool");
  const cost = (run) => run.reduce((sum, layer) => sum + layer.macs, 0);
  const run = runs(analysis).reduce((a, b) => (cost(b) > cost(a) ? b : a)); // the dearest stage
  const number = (layer) => Number(layer.name.slice(4));
  const range = { first: number(run[0]), last: number(run[run.length - 1]) };

  const option = (layer) => h("option", { value: number(layer) }, `${layer.name} (${layer.kernel},${layer.out_channels})`);
  const first = h("select", { id: "range-first" }, convs.map(option));
  const last = h("select", { id: "range-last" }, convs.map(option));
  const list = h("tbody");
  const rangeNote = h("p", { class: "small", id: "range-note", "aria-live": "polite" });
  const candidates = h("div", { id: "candidates", "aria-live": "polite" });

  const input = (id, value) => h("input", { type: "text", inputmode: "numeric", id, value: String(value), class: "w-num", autocomplete: "off" });
  const params = {
    depth: input("rp-depth", 0),
    size: input("rp-size", 0),
    smallSize: input("rp-small-size", 0),
    width: input("rp-width", 0),
    newSize: input("rp-new-size", 0),
    pool: h("select", { id: "rp-pool" }, h("option", { value: "" }, "every pooling layer"), pools.map((p) => h("option", { value: p.name.slice(4) }, `${p.name} (${p.kernel}/${p.stride})`))),
    multiple: input("rp-multiple", 1),
    tolerance: input("rp-tolerance", 5),
  };
  const radios = TRADEOFFS.map(([value], i) => h("input", { type: "radio", name: "tradeoff", value, id: `tradeoff-${value}`, checked: i === 0 }));
  const field = (id, label, control) => h("div", { class: "field" }, h("label", { for: id }, label), control);
  const parts = {
    deeper: h("div", { class: "row" }, field("rp-depth", "New depth (layers)", params.depth), field("rp-size", "Filter size s (px)", params.size)),
    smaller: h("div", { class: "row" }, field("rp-small-size", "New filter size s (px)", params.smallSize), field("rp-width", "Width n (filters, kept)", params.width)),
    widthsize: h("div", { class: "row" }, field("rp-new-size", "New filter size s (px)", params.newSize), h("p", { class: "muted small", id: "rp-depth-kept" })),
    delayed: h("div", { class: "row" }, field("rp-pool", "Pooling layer", params.pool)),
  };
  const common = h("div", { class: "row" }, field("rp-multiple", "Round widths to a multiple of", params.multiple), field("rp-tolerance", "Tolerance (%)", params.tolerance));

  function selected() {
    return radios.find((r) => r.checked).value;
  }

  function setDefaults() {
    const span = convs.slice(range.first - 1, range.last);
    const count = span.length;
    const size = span[0].kernel;
    params.depth.value = String(count * 2);
    params.size.value = String(size);
    params.smallSize.value = String(Math.max(1, size - 1));
    params.width.value = String(span[0].out_channels);
    params.newSize.value = String(size > 2 ? size - 1 : size + 1);
    fill(parts.widthsize.querySelector("#rp-depth-kept"), `Depth kept: ${count} layer${count === 1 ? "" : "s"}.`);
  }

  function showRange() {
    first.value = String(range.first);
    last.value = String(range.last);
    const span = convs.slice(range.first - 1, range.last);
    const cost = span.reduce((s, l) => s + l.macs, 0);
    for (const tr of list.children) tr.classList.toggle("selected", Number(tr.dataset.n) >= range.first && Number(tr.dataset.n) <= range.last);
    for (const button of list.querySelectorAll("button")) button.setAttribute("aria-pressed", String(button.closest("tr").classList.contains("selected")));
    fill(rangeNote, `Selected conv${range.first}..conv${range.last}: ${span.length} layer${span.length === 1 ? "" : "s"}, ${fmt.macsExact(cost)} (${fmt.pct(cost / analysis.conv_macs)} of C).`);
    setDefaults();
  }

  fill(
    list,
    convs.map((layer) =>
      h(
        "tr",
        { dataset: { n: number(layer) } },
        h("td", {}, h("button", {
          type: "button",
          title: "Click: select this layer; Shift+click: extend the selection to it",
          onclick: (event) => {
            const n = number(layer);
            if (event.shiftKey) {
              range.first = Math.min(range.first, n);
              range.last = Math.max(range.last, n);
            } else {
              range.first = n;
              range.last = n;
            }
            showRange();
          },
        }, layer.name)),
        h("td", { class: "mono" }, `(${layer.kernel},${layer.out_channels})${layer.stride !== 1 ? `/${layer.stride}` : ""}`),
        h("td", { class: "nowrap" }, fmt.shape(layer)),
        h("td", { class: "num" }, fmt.macsExact(layer.macs)),
        h("td", { class: "num" }, fmt.pct(layer.share))
      )
    )
  );
  first.addEventListener("change", () => {
    range.first = Number(first.value);
    range.last = Math.max(range.last, range.first);
    showRange();
  });
  last.addEventListener("change", () => {
    range.last = Number(last.value);
    range.first = Math.min(range.first, range.last);
    showRange();
  });

  function syncParts() {
    for (const [key, el] of Object.entries(parts)) el.hidden = key !== selected();
    common.hidden = selected() === "delayed";
    rangeCard.classList.toggle("stale", selected() === "delayed");
  }

  const integer = (el) => (/^\s*\d+\s*$/.test(el.value) ? Number(el.value) : el.value);

  async function find(event) {
    event?.preventDefault();
    const kind = selected();
    const source = { spec: analysis.spec };
    fill(candidates, h("p", { class: "muted" }, "Solving…"));
    try {
      if (kind === "delayed") {
        const body = { ...source };
        if (params.pool.value) body.pool = Number(params.pool.value);
        const out = await api.post("/replacements/delayed-subsampling", body);
        const label = params.pool.value ? `pool${params.pool.value}` : "every pooling layer";
        showCandidates([{ ...out, description: `delayed subsampling at ${label}`, within_tolerance: Math.abs(out.change) <= 1e-12 }], "delayed");
        return;
      }
      const tolerance = Number(params.tolerance.value) / 100;
      const body = { ...source, first: range.first, last: range.last, multiple_of: integer(params.multiple), tolerance: Number.isFinite(tolerance) ? tolerance : params.tolerance.value };
      if (kind === "deeper") Object.assign(body, { depth: integer(params.depth), size: integer(params.size) });
      if (kind === "smaller") Object.assign(body, { size: integer(params.smallSize), width: integer(params.width) });
      if (kind === "widthsize") Object.assign(body, { size: integer(params.newSize), depth: range.last - range.first + 1 });
      showCandidates(await api.post("/replacements", body), kind);
    } catch (error) {
      fill(candidates, message("error", api.explain(error, "replacements")));
    }
  }

  function showCandidates(list, kind) {
    renderCandidates(candidates, list, analysis, (candidate) => apply(candidate, kind));
  }

  async function apply(candidate, kind) {
    if (!(await confirmReplace("this replacement"))) return;
    const draft = state.draft;
    const savedNow = isSaved(analysis);
    const parentId = savedNow ? draft.savedId : draft.parentId;
    const parentName = savedNow ? draft.name : draft.parentName;
    const reference = draft.reference;
    const base = (draft.name || "design").slice(0, 80);
    loadSpec(candidate.spec, candidate.notation, {
      origin: `${candidate.description} (replacement of ${draft.origin || "the previous design"})`,
      parentId,
      parentName,
      name: `${base} ${kind}`,
    });
    state.draft.reference = reference;
    persist();
    window.location.hash = "#/editor";
  }

  const rangeCard = h(
    "section",
    { class: "card", "aria-labelledby": "range-h" },
    h("h2", { id: "range-h" }, "1. Conv layers to replace"),
    h("div", { class: "row" }, field("range-first", "From", first), field("range-last", "To", last)),
    rangeNote,
    h("div", { class: "table-wrap conv-list" }, h("table", {}, h("thead", {}, h("tr", {}, ["Layer", "Conv", "Output"].map((t) => h("th", { scope: "col" }, t)), h("th", { scope: "col", class: "num" }, "MACs"), h("th", { scope: "col", class: "num" }, "Share of C"))), list))
  );
  const form = h(
    "form",
    { class: "card", "aria-labelledby": "trade-h", id: "replace-form" },
    h("h2", { id: "trade-h" }, "2. Trade-off"),
    h(
      "fieldset",
      {},
      h("legend", {}, "Keep C fixed by…"),
      TRADEOFFS.map(([value, label, hint], i) => h("label", { class: "option" }, radios[i], h("span", {}, h("strong", {}, label), h("span", { class: "muted small" }, `: ${hint}`))))
    ),
    Object.values(parts),
    common,
    h("div", { class: "row", style: "margin-top:8px" }, h("button", { type: "submit", class: "primary", id: "find-candidates" }, "Find candidates"))
  );
  form.addEventListener("change", (event) => {
    if (event.target.name === "tradeoff") syncParts();
  });
  form.addEventListener("submit", find);

  fill(
    root,
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Design"),
      h("p", { class: "mono", id: "replace-notation" }, analysis.notation),
      h("p", {}, `C = ${fmt.macsExact(analysis.conv_macs)} (${fmt.costUnit()}). `, h("a", { href: "#/editor" }, "Edit in the editor"), " · ",
        h("a", { id: "replace-study", href: `#/studies?${new URLSearchParams({ replacements_of: analysis.notation, ...analysis.spec.input })}` }, "Study its replacements at equal cost"))
    ),
    h("div", { class: "grid-2" }, rangeCard, form),
    h("section", { class: "card", "aria-labelledby": "cand-h" }, h("h2", { id: "cand-h" }, "3. Candidates"), candidates)
  );
  fill(candidates, h("div", { class: "empty" }, "Choose layers and a trade-off, then “Find candidates”."));
  showRange();
  syncParts();
}
