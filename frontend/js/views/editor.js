// Editor: notation box and layer table kept in sync both ways, live analysis as you type
// (POST /complexity; one request in flight, the latest edit sent next, stale answers dropped),
// per-layer chart, budget meter, diff against a reference, save and run.
import * as api from "../api.js";
import { h, fill, message } from "../dom.js";
import * as fmt from "../format.js";
import { state, persist, loadSpec } from "../store.js";
import { render as plot, purge } from "../plot.js";
import { LayerTable } from "./layer-table.js";
import { ReferencePanel } from "./editor-reference.js";
import { SavePanel, RunPanel } from "./editor-save.js";

let view = null; // the mounted editor's elements and components, or null

// -- analysis pipeline (module level: it outlives a view switch) ----------------------------------

const pipeline = { inflight: false, queued: null };
const chart = { inflight: false, queued: null };

function integer(text) {
  return /^\s*\d+\s*$/.test(String(text)) ? Number(text) : text;
}

function inputBody() {
  const { channels, height, width } = state.draft.input;
  return { channels: integer(channels), height: integer(height), width: integer(width) };
}

function requestBody() {
  const draft = state.draft;
  const name = draft.name && draft.name.trim() ? draft.name.trim() : undefined;
  if (draft.mode === "table" && view) {
    return { spec: { name, input: inputBody(), layers: view.table.specLayers() }, mode: "table" };
  }
  if (draft.mode === "table" && draft.layers) {
    return { spec: { name, input: inputBody(), layers: draft.layers }, mode: "table" };
  }
  return { notation: draft.notation, input: inputBody(), name, mode: "notation" };
}

const SETTLE_MS = 400; // an edit that looks half-typed waits this long before it is checked
let settle = null;

/** Analyse the draft as it is now: at once, or after a short pause while a token looks
 * half-typed ("(3,6", "pool", "+"), so errors do not flash at every keystroke. */
function analyse() {
  clearTimeout(settle);
  const body = requestBody();
  if (looksUnfinished(body)) {
    settle = setTimeout(() => send(body), SETTLE_MS);
  } else {
    send(body);
  }
}

function send(body) {
  pipeline.queued = body;
  if (!pipeline.inflight) pump();
}

const COMPLETE_WORDS = new Set(["valid", "same", "gap"]);

/** True for text the user is most likely still typing: open brackets, a trailing operator or a
 * trailing word that needs a number after it; for the table, an emptied required field. */
function looksUnfinished(body) {
  const blank = (value) => value === "";
  if (body.spec) {
    return body.spec.layers.some((layer) => Object.values(layer).some(blank)) || Object.values(body.spec.input).some(blank);
  }
  if (Object.values(body.input).some(blank)) return true;
  const text = body.notation.trimEnd();
  if (!text) return true;
  let depth = 0;
  for (const ch of text) depth += ch === "(" ? 1 : ch === ")" ? -1 : 0;
  if (depth !== 0) return true;
  const word = /([A-Za-z]+)$/.exec(text);
  if (word && !COMPLETE_WORDS.has(word[1].toLowerCase())) return true;
  return /[+,|(:/.×]$/.test(text);
}

async function pump() {
  const body = pipeline.queued;
  pipeline.queued = null;
  pipeline.inflight = true;
  const { mode, ...payload } = body;
  try {
    const analysis = await api.post("/complexity", payload);
    if (!pipeline.queued) applyAnalysis(analysis, mode, body);
  } catch (error) {
    if (!pipeline.queued) applyError(error, mode);
  } finally {
    pipeline.inflight = false;
    if (pipeline.queued) pump();
  }
}

function applyAnalysis(analysis, mode, body) {
  state.analysis = analysis;
  const draft = state.draft;
  if (mode === "table") {
    draft.notation = analysis.notation;
    draft.layers = body.spec.layers;
  } else {
    draft.layers = analysis.spec.layers;
  }
  if (!view) {
    persist();
    return;
  }
  // What the user is looking at first: the totals, the meter, the row being edited...
  showTotals(analysis);
  clearErrors();
  view.reference.drawMeter(analysis);
  view.notationCanonical = mode === "notation" ? body.notation : analysis.notation;
  if (mode === "table") {
    view.table.showAnalysis(analysis);
    if (document.activeElement !== view.notation) view.notation.value = analysis.notation;
  }
  // ...and the rest once that is painted, skipped if a newer analysis has arrived meanwhile.
  requestAnimationFrame(() =>
    setTimeout(() => {
      if (!view || state.analysis !== analysis) return;
      if (mode === "notation") {
        view.table.setLayers(analysis.spec.layers);
        view.table.showAnalysis(analysis);
      }
      showAnalysisTable(analysis);
      view.reference.drawDiff(analysis);
      view.save.update(analysis);
      view.run.update(analysis);
      persist();
      scheduleChart();
    }, 0)
  );
}

function applyError(error, mode) {
  if (!view) return;
  clearErrors();
  view.totals.classList.add("stale");
  view.table.setDisabled(false);
  view.notation.readOnly = false;
  const field = error.field || "";
  const layer = /^(?:spec\.)?layers\[(\d+)\](?:\.(\w+))?/.exec(field);
  const input = /^(?:spec\.)?input\.(channels|height|width)/.exec(field);
  if (!(error instanceof api.ApiError) || error.status === 0 || error.status >= 500) {
    fill(view.generalError, message("error", api.explain(error)));
  } else if (field === "notation" && mode === "notation") {
    showNotationError(error);
    view.table.setDisabled(true);
    fill(view.tableNote, message("note", "The table shows the last valid stack; it is read-only until the notation parses. Nothing you typed is changed."));
  } else if (layer && view.table.showError(Number(layer[1]), layer[2], error.plain.replace(/^layers\[\d+\] /, ""))) {
    view.notation.readOnly = true;
    fill(view.notationError, message("note", "The notation follows the table: fix the highlighted layer first (the notation box is read-only meanwhile)."));
  } else if (input) {
    const el = view.inputs[input[1]];
    el.setAttribute("aria-invalid", "true");
    fill(view.inputError, message("error", `Input ${input[1]}: ${error.plain}`));
  } else {
    fill(view.generalError, message("error", error.message));
  }
  fill(view.totalsNote, message("note", "The stack is invalid: the numbers are those of the last valid stack."));
}

function clearErrors() {
  view.totals.classList.remove("stale");
  view.table.clearErrors();
  view.table.setDisabled(false);
  view.notation.readOnly = false;
  view.notation.removeAttribute("aria-invalid");
  for (const el of Object.values(view.inputs)) el.removeAttribute("aria-invalid");
  for (const box of [view.notationError, view.tableNote, view.inputError, view.generalError, view.totalsNote]) box.replaceChildren();
}

function showNotationError(error) {
  const text = view.notation.value;
  const at = Math.max(0, Math.min(error.position ?? 0, text.length));
  let end = at;
  while (end < text.length && !/[\s+,|]/.test(text[end])) end += 1;
  if (end === at) end = Math.min(at + 1, text.length);
  const before = text.slice(Math.max(0, at - 40), at);
  view.notation.setAttribute("aria-invalid", "true");
  fill(
    view.notationError,
    h(
      "div",
      { class: "error", role: "alert", id: "notation-error-box" },
      h("div", {}, error.message),
      h(
        "div",
        { class: "pointer", "aria-hidden": "true" },
        at > 40 ? "…" : "",
        before,
        h("mark", {}, text.slice(at, end) || " "),
        text.slice(end, end + 40),
        text.length > end + 40 ? "…" : ""
      ),
      h("button", {
        type: "button",
        onclick: () => {
          view.notation.focus();
          view.notation.setSelectionRange(at, end);
        },
      }, `Select the error in the box (character ${at + 1})`)
    )
  );
}

function showTotals(analysis) {
  const convs = analysis.layers.filter((l) => l.kind === "conv").length;
  view.totalMacs.textContent = fmt.macsExact(analysis.conv_macs);
  view.totalCompact.textContent = `${fmt.macs(analysis.conv_macs)} · ${fmt.C_UNIT}`;
  const { channels, height, width } = analysis.input;
  fill(
    view.facts,
    h("dt", {}, "fc MACs (beside C, not in it)"),
    h("dd", { id: "total-fc" }, fmt.macsExact(analysis.fc_macs)),
    h("dt", {}, "Parameters (biases included)"),
    h("dd", {}, `${fmt.int(analysis.params)} parameters (${fmt.bytes(analysis.params * 4)} at fp32)`),
    h("dt", {}, "Activations"),
    h("dd", {}, `${fmt.int(analysis.activations)} values per image`),
    h("dt", {}, "Input"),
    h("dd", {}, `${channels} ch × ${height}×${width} px`),
    h("dt", {}, "Depth"),
    h("dd", {}, `${convs} conv layers`)
  );
}

function showAnalysisTable(analysis) {
  fill(
    view.analysisBody,
    analysis.layers.map((layer) =>
      h(
        "tr",
        { dataset: { name: layer.name } },
        h("th", { scope: "row" }, layer.name),
        h("td", { class: "mono" }, describe(layer)),
        h("td", { class: "nowrap" }, fmt.shape(layer)),
        h("td", { class: "num macs" }, layer.macs ? fmt.int(layer.macs) : "0"),
        h("td", { class: "num share" }, layer.kind === "conv" ? fmt.pct(layer.share) : "—"),
        h("td", { class: "num" }, fmt.int(layer.params))
      )
    )
  );
}

function describe(layer) {
  if (layer.kind === "conv") return `(${layer.kernel},${layer.out_channels})${layer.stride !== 1 ? `/${layer.stride}` : ""}`;
  if (layer.kind === "maxpool" || layer.kind === "avgpool") return `${layer.kind === "maxpool" ? "pool" : "avgpool"} ${layer.kernel}/${layer.stride}`;
  if (layer.kind === "fc") return `fc ${layer.out_channels}`;
  return layer.kind;
}

// -- chart (server-built figure JSON; coalesced like the analysis) ---------------------------------

const CHART_IDLE_MS = 250; // the chart (a ~50 ms redraw) waits for a pause in the typing
let chartTimer = null;

function scheduleChart() {
  clearTimeout(chartTimer);
  chartTimer = setTimeout(drawChart, CHART_IDLE_MS);
}

function drawChart() {
  if (!view || !state.analysis) return;
  chart.queued = { spec: state.analysis.spec, reference: view.reference.source() || undefined };
  if (!chart.inflight) chartPump();
}

async function chartPump() {
  const body = chart.queued;
  chart.queued = null;
  chart.inflight = true;
  try {
    const out = await api.post("/figures/layers", body);
    if (!chart.queued && view) {
      view.chartError.replaceChildren();
      await plot(view.chart, out.figure);
    }
  } catch (error) {
    if (!chart.queued && view) fill(view.chartError, message("error", `The chart could not be drawn: ${api.explain(error, "figures")}`));
  } finally {
    chart.inflight = false;
    if (chart.queued) chartPump();
  }
}

// -- loading designs ------------------------------------------------------------------------------

async function loadPreset(name, { keepReference = false } = {}) {
  const all = await api.presets();
  const preset = all.find((p) => p.name === name);
  if (!preset) throw new Error(`no preset named ${name}`);
  loadSpec(preset.spec, preset.notation, { origin: `preset ${preset.name}`, name: preset.name });
  if (!keepReference) state.draft.reference = `preset:${preset.scale === "paper" ? "A" : `A-${preset.scale}`}`;
  persist();
}

async function loadArchitecture(id) {
  const arch = await api.get(`/architectures/${id}`);
  loadSpec(arch.spec, arch.notation, {
    origin: `architecture #${arch.id} ${arch.name} (${arch.team_name})`,
    parentId: arch.owned ? arch.id : null,
    parentName: arch.owned ? arch.name : null,
    savedId: arch.owned ? arch.id : null,
    name: arch.name,
  });
  state.draft.savedKey = `${arch.notation}@${arch.spec.input.channels}x${arch.spec.input.height}x${arch.spec.input.width}`;
  persist();
}

/** Show the draft in the boxes (after a load) and analyse it. */
function showDraft() {
  const draft = state.draft;
  view.notation.value = draft.notation;
  view.name.value = draft.name || "";
  for (const key of ["channels", "height", "width"]) view.inputs[key].value = draft.input[key];
  if (draft.layers) view.table.setLayers(draft.layers);
  showOrigin();
  analyse();
}

function showOrigin() {
  const draft = state.draft;
  fill(
    view.origin,
    draft.origin ? ["From ", h("strong", {}, draft.origin)] : "A new design",
    draft.parentId ? [" · parent when saved: ", h("a", { href: `#/editor?arch=${draft.parentId}` }, `#${draft.parentId} ${draft.parentName || ""}`)] : ""
  );
}

// -- the view ---------------------------------------------------------------------------------------

export function mount(root, params) {
  const inputs = {
    channels: h("input", { type: "text", inputmode: "numeric", id: "in-channels", class: "w-num", autocomplete: "off" }),
    height: h("input", { type: "text", inputmode: "numeric", id: "in-height", class: "w-num", autocomplete: "off" }),
    width: h("input", { type: "text", inputmode: "numeric", id: "in-width", class: "w-num", autocomplete: "off" }),
  };
  const presetSelect = h("select", { id: "preset-select" }, h("option", { value: "" }, "Load a preset…"));
  const notation = h("textarea", {
    id: "notation",
    rows: "3",
    spellcheck: "false",
    autocomplete: "off",
    "aria-describedby": "notation-help notation-error",
  });
  const name = h("input", { type: "text", id: "design-name", class: "w-mid", maxlength: "100", autocomplete: "off" });
  const tableRoot = h("div");
  view = {
    root,
    inputs,
    notation,
    name,
    notationError: h("div", { id: "notation-error" }),
    tableNote: h("div"),
    inputError: h("div"),
    generalError: h("div"),
    totalsNote: h("div"),
    origin: h("p", { class: "muted small", id: "origin" }),
    totals: h("section", { class: "card", "aria-labelledby": "totals-h", id: "totals" }),
    totalMacs: h("div", { class: "total", id: "total-macs", "aria-live": "polite" }, "…"),
    totalCompact: h("div", { class: "unit" }),
    facts: h("dl", { class: "facts" }),
    analysisBody: h("tbody"),
    chart: h("div", { class: "plot", id: "layer-chart" }),
    chartError: h("div"),
    notationCanonical: null,
  };
  view.table = new LayerTable(tableRoot, {
    onChange: () => {
      state.draft.mode = "table";
      analyse();
    },
  });
  view.reference = new ReferencePanel({ onChange: () => drawChart() });
  view.save = new SavePanel({
    onSaved: () => {
      showOrigin();
      view.run.update(state.analysis);
    },
  });
  view.run = new RunPanel();

  fill(view.totals, h("h2", { id: "totals-h" }, "Conv cost C"), view.totalMacs, view.totalCompact, view.facts, view.totalsNote);

  const addButtons = [
    ["conv", "Add conv"],
    ["maxpool", "Add pool"],
    ["fc", "Add fc"],
    ["spp", "Add spp"],
  ].map(([type, label]) => h("button", { type: "button", onclick: () => view.table.add(type) }, label));

  fill(
    root,
    h(
      "div",
      { class: "view-head" },
      h("div", {}, h("h1", {}, "Editor"), view.origin),
      h(
        "div",
        { class: "row" },
        h("div", { class: "field" }, h("label", { for: "preset-select" }, "Preset"), presetSelect),
        h("div", { class: "field" }, h("label", { for: "design-name" }, "Name"), name),
        h(
          "fieldset",
          { class: "row", style: "margin:0" },
          h("legend", {}, "Input (channels × height × width)"),
          h("label", { for: "in-channels", class: "visually-hidden" }, "Input channels"),
          inputs.channels,
          h("span", { "aria-hidden": "true" }, "ch ×"),
          h("label", { for: "in-height", class: "visually-hidden" }, "Input height (px)"),
          inputs.height,
          h("span", { "aria-hidden": "true" }, "×"),
          h("label", { for: "in-width", class: "visually-hidden" }, "Input width (px)"),
          inputs.width,
          h("span", { "aria-hidden": "true" }, "px")
        )
      )
    ),
    view.inputError,
    h(
      "div",
      { class: "grid-editor" },
      h(
        "section",
        { class: "card area-notation", "aria-labelledby": "notation-label" },
        h("label", { for: "notation", id: "notation-label" }, "Notation (He & Sun, Table 1)"),
        notation,
        h(
          "p",
          { class: "muted small", id: "notation-help" },
          h("code", {}, "(s,n)"), " conv of n filters s×s, ", h("code", {}, "/2"), " stride 2, ", h("code", {}, "x3"),
          " three times, ", h("code", {}, "valid"), " unpadded, ", h("code", {}, "pool 3"), " max pool 3/3, ",
          h("code", {}, "spp(2,1)"), ", ", h("code", {}, "fc 512"), "; joined by ", h("code", {}, "+"), " (", h("code", {}, "|"),
          " marks stages). Edits update the table below, and table edits update this box."
        ),
        view.notationError
      ),
      h(
        "section",
        { class: "card area-table", "aria-labelledby": "layers-h" },
        h("div", { class: "view-head", style: "margin-bottom:6px" }, h("h2", { id: "layers-h" }, "Layers"), h("div", { class: "row" }, addButtons)),
        view.tableNote,
        tableRoot,
        h("datalist", { id: "padding-options" }, h("option", { value: "same" }), h("option", { value: "valid" }))
      ),
      h("div", { class: "area-side" }, view.totals, view.generalError, view.reference.element, view.save.element, view.run.element),
      h("section", { class: "card area-chart", "aria-labelledby": "chart-h" }, h("h2", { id: "chart-h", class: "visually-hidden" }, "Cost per layer"), view.chart, view.chartError),
      h(
        "div",
        { class: "area-rest" },
        h(
          "section",
          { class: "card", "aria-labelledby": "analysis-h" },
          h("h2", { id: "analysis-h" }, "Per-layer analysis"),
          h("p", { class: "muted small" }, "Every layer after repeats are unrolled; MACs per image; share of C = the layer's part of the conv total."),
          h(
            "div",
            { class: "table-wrap" },
            h(
              "table",
              { id: "analysis-table" },
              h(
                "thead",
                {},
                h(
                  "tr",
                  {},
                  ["Layer", "Kind", "Output"].map((t) => h("th", { scope: "col" }, t)),
                  h("th", { scope: "col", class: "num" }, "MACs"),
                  h("th", { scope: "col", class: "num" }, "Share of C"),
                  h("th", { scope: "col", class: "num" }, "Parameters")
                )
              ),
              view.analysisBody
            )
          )
        ),
        view.reference.diffElement
      )
    )
  );

  // events
  notation.addEventListener("input", () => {
    state.draft.notation = notation.value;
    state.draft.mode = "notation";
    persist();
    analyse();
  });
  notation.addEventListener("change", () => {
    // leaving the box: show the canonical form of what was typed, if it parsed
    const analysis = state.analysis;
    if (analysis && view.notationCanonical === notation.value && notation.value !== analysis.notation && !notation.readOnly) {
      notation.value = analysis.notation;
      state.draft.notation = analysis.notation;
      view.notationCanonical = analysis.notation;
      persist();
    }
  });
  for (const [key, el] of Object.entries(inputs)) {
    el.addEventListener("input", () => {
      state.draft.input[key] = el.value;
      persist();
      analyse();
    });
  }
  name.addEventListener("input", () => {
    state.draft.name = name.value;
    persist();
    view.save.update(state.analysis);
  });
  presetSelect.addEventListener("change", async () => {
    if (!presetSelect.value) return;
    await loadPreset(presetSelect.value);
    presetSelect.value = "";
    view.reference.select(state.draft.reference);
    showDraft();
  });

  api
    .presets()
    .then((all) => {
      for (const [scale, label] of [["paper", "Paper scale (224×224 input)"], ["s36", "s36 (36×36 input)"]]) {
        presetSelect.append(
          h("optgroup", { label }, all.filter((p) => p.scale === scale).map((p) => h("option", { value: p.name }, `${p.name}: ${fmt.macs(p.conv_macs)}`)))
        );
      }
    })
    .catch((error) => fill(view.generalError, message("error", `Presets could not be loaded: ${api.explain(error)}`)));

  (async () => {
    try {
      if (params.get("preset")) await loadPreset(params.get("preset"));
      else if (params.get("arch")) await loadArchitecture(params.get("arch"));
      else if (state.fresh) await loadPreset("A-s36");
      if (params.toString()) window.history.replaceState(null, "", "#/editor");
    } catch (error) {
      fill(view.generalError, message("error", `Could not open that design: ${api.explain(error, "architectures")}`));
    }
    if (!view) return;
    showOrigin();
    await view.reference.init(state.draft.reference);
    if (!view) return;
    showDraft();
  })();

  return () => {
    purge(view.chart);
    view.run.stop();
    view = null;
  };
}
