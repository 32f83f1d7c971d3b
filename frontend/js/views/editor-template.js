// The editor's page: its elements (kept in `view`, the object every editor module draws into),
// its components, and their layout. No behaviour beyond the components' own: editor.js wires it.
import { h, fill } from "../dom.js";
import { layerKinds } from "../vocabulary.js";
import { LayerTable } from "./layer-table.js";
import { ReferencePanel } from "./editor-reference.js";
import { SavePanel, RunPanel } from "./editor-save.js";
import { InterchangePanel } from "./editor-interchange.js";
import { BudgetPanel } from "./editor-budget.js";
import { Diagram } from "./editor-diagram.js";
import { WorkflowBar } from "./editor-workflow.js";
import { downloadButtons, fileName } from "../downloads.js";
import { state } from "../store.js";
import { DevicePanel } from "./editor-device.js";

// The table's quick-add buttons: a UI choice of the kinds most often added, in short words.
const ADD_BUTTONS = [
  ["conv", "Add conv"],
  ["maxpool", "Add pool"],
  ["fc", "Add fc"],
  ["spp", "Add spp"],
];

const code = (text) => h("code", {}, text);

/** The notation's syntax, then one example per layer kind from the vocabulary. */
function notationHelp() {
  const kinds = layerKinds().map((k, i) => [i ? ", " : "", code(k.example), ` ${k.label}`]);
  return h(
    "p",
    { class: "muted small", id: "notation-help" },
    code("(s,n)"), " conv of n filters s×s, ", code("/2"), " stride 2, ", code("x3"), " three times, ",
    code("valid"), " unpadded; layers such as ", kinds, "; joined by ", code("+"), " (", code("|"),
    " marks stages). Edits update the table below, and table edits update this box."
  );
}

const numberInput = (id) => h("input", { type: "text", inputmode: "numeric", id, class: "w-num", autocomplete: "off" });

// The per-layer table as a download: the API's numbers, unformatted (frontend/js/downloads.js).
const LAYER_COLUMNS = [
  ["name", "layer"], ["kind", "kind"], ["kernel", "kernel"], ["stride", "stride"], ["in_channels", "in_channels"],
  ["out_channels", "out_channels"], ["out_height", "out_height"], ["out_width", "out_width"], ["macs", "macs"],
  ["share", "share_of_C"], ["params", "params"], ["activations", "activations"],
];

function layerTable() {
  const analysis = state.analysis;
  if (!analysis) return null;
  const rows = analysis.layers.map((l) => ({ ...l, out_height: l.out_hw?.[0] ?? null, out_width: l.out_hw?.[1] ?? null }));
  return { name: fileName(state.draft.name || "design", "layers"), columns: LAYER_COLUMNS, rows };
}

/** Build the editor into `root`. Handlers: onTableChange, onReferenceChange, onSaved, onImported,
 * onRestore (undo/redo), onBudgetCreated. */
export function build(root, { onTableChange, onReferenceChange, onSaved, onImported, onRestore, onBudgetCreated, onDeviceChange }) {
  const tableRoot = h("div");
  const view = {
    root,
    inputs: { channels: numberInput("in-channels"), height: numberInput("in-height"), width: numberInput("in-width") },
    presetSelect: h("select", { id: "preset-select" }, h("option", { value: "" }, "Load a preset…")),
    notation: h("textarea", { id: "notation", rows: "3", spellcheck: "false", autocomplete: "off", "aria-describedby": "notation-help notation-error" }),
    name: h("input", { type: "text", id: "design-name", class: "w-mid", maxlength: "100", autocomplete: "off" }),
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
    notationCanonical: null, // the notation text last analysed as typed (its canonical form may differ)
  };
  view.table = new LayerTable(tableRoot, { onChange: onTableChange });
  view.reference = new ReferencePanel({ onChange: onReferenceChange });
  view.save = new SavePanel({ onSaved });
  view.run = new RunPanel();
  view.interchange = new InterchangePanel({ onImported });
  view.workflow = new WorkflowBar({ onRestore });
  view.diagram = new Diagram();
  view.budget = new BudgetPanel({ onCreated: onBudgetCreated });
  view.device = new DevicePanel({ onChange: onDeviceChange });
  fill(view.totals, h("h2", { id: "totals-h" }, "Conv cost C"), view.totalMacs, view.totalCompact, view.facts, view.totalsNote, view.device.element);

  const labels = new Map(layerKinds().map((k) => [k.kind, k.label]));
  const addButtons = ADD_BUTTONS.map(([kind, text]) => h("button", { type: "button", title: `Add a ${labels.get(kind)} layer at the end`, onclick: () => view.table.add(kind) }, text));
  const { inputs } = view;
  const head = h(
    "div",
    { class: "view-head" },
    h("div", {}, h("h1", {}, "Editor"), view.origin, view.workflow.element),
    h(
      "div",
      { class: "row" },
      h("div", { class: "field" }, h("label", { for: "preset-select" }, "Preset"), view.presetSelect),
      h("div", { class: "field" }, h("label", { for: "design-name" }, "Name"), view.name),
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
      ),
      view.interchange.element
    )
  );
  const analysisCard = h(
    "section",
    { class: "card", "aria-labelledby": "analysis-h" },
    h("h2", { id: "analysis-h" }, "Per-layer analysis"),
    h("p", { class: "muted small" }, "Every layer after repeats are unrolled; MACs per image; share of C = the layer's part of the conv total."),
    downloadButtons("layers-download", "the per-layer table", layerTable),
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
            h("th", { scope: "col", class: "num" }, "Parameters"),
            h("th", { scope: "col", class: "num", title: "batch 1, on the device profile chosen under Conv cost C" }, "Predicted time"),
            h("th", { scope: "col", class: "num", title: "of the layers' predicted time; ⚑ where it parts from the share of C" }, "Share of time")
          )
        ),
        view.analysisBody
      )
    )
  );
  fill(
    root,
    head,
    view.inputError,
    h(
      "div",
      { class: "grid-editor" },
      h(
        "section",
        { class: "card area-notation", "aria-labelledby": "notation-label" },
        h("label", { for: "notation", id: "notation-label" }, "Notation (He & Sun, Table 1)"),
        view.notation,
        notationHelp(),
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
      h("div", { class: "area-side" }, view.totals, view.generalError, view.reference.element, view.budget.element, view.save.element, view.run.element),
      h("section", { class: "card area-chart", "aria-labelledby": "chart-h" }, h("h2", { id: "chart-h", class: "visually-hidden" }, "Cost per layer"), view.chart, view.chartError),
      h("div", { class: "area-rest" }, view.diagram.element, analysisCard, view.reference.diffElement)
    )
  );
  return view;
}
