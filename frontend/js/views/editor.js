// Editor: notation box and layer table kept in sync both ways, live analysis as you type
// (POST /complexity through editor-pipeline.js), per-layer chart, budget meter, diff against a
// reference, save and run. This module is the controller: it applies answers to the draft and
// the page, loads designs, and wires the page built by editor-template.js.
import * as api from "../api.js";
import { h, fill, message } from "../dom.js";
import * as fmt from "../format.js";
import { purge } from "../plot.js";
import { state, persist, loadSpec, edited, followOrigin, restore } from "../store.js";
import { DEFAULT_SCALE, referenceOf } from "../vocabulary.js";
import { clearErrors, showError } from "./editor-errors.js";
import { analyser, requestBody } from "./editor-pipeline.js";
import { layerChart, showAnalysisTable, showTotals } from "./editor-render.js";
import { build } from "./editor-template.js";
import { confirmReplace } from "../guard.js";
import { parseInput } from "./editor-workflow.js";

let view = null; // the mounted editor's elements and components, or null

// -- answers (module level: a request outlives a view switch, and its answer still updates the draft)

const chart = layerChart(() => view);
const send = analyser({
  onAnalysis: applyAnalysis,
  onError: (error, body) => {
    if (!view) return;
    showError(view, error, body.mode);
    view.interchange.update(null); // nothing to export until the draft analyses again
    view.workflow.update(null); // nor to link to
  },
});

/** `reuse`: an analysis already received for the same draft is shown at once (undo, redo). */
function analyse(reuse = false) {
  send(requestBody(view ? view.table.specLayers() : null), { reuse });
}

function applyAnalysis(analysis, body) {
  state.analysis = analysis;
  const draft = state.draft;
  const mode = body.mode;
  if (mode === "table") {
    draft.notation = analysis.notation;
    draft.layers = body.spec.layers;
  } else {
    draft.layers = analysis.spec.layers;
  }
  const modified = followOrigin(analysis);
  if (!view) {
    persist();
    return;
  }
  // What the user is looking at first: the totals, the meter, the row being edited...
  showTotals(view, analysis);
  view.device.show(analysis);
  clearErrors(view);
  view.interchange.update(analysis);
  view.workflow.update(analysis);
  showOrigin(modified);
  if (document.activeElement !== view.name) view.name.value = draft.name || "";
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
      showAnalysisTable(view, analysis);
      view.reference.drawDiff(analysis);
      view.diagram.draw(analysis);
      view.budget.update(analysis);
      view.save.update(analysis);
      view.run.update(analysis);
      persist();
      chart.schedule();
    }, 0)
  );
}

// -- loading designs ------------------------------------------------------------------------------

async function loadPreset(name, { keepReference = false } = {}) {
  const all = await api.presets();
  const preset = all.find((p) => p.name === name);
  if (!preset) throw new Error(`no preset named ${name}`);
  loadSpec(preset.spec, preset.notation, { origin: `preset ${preset.name}`, name: preset.name });
  if (!keepReference) state.draft.reference = `preset:${referenceOf(preset.scale)}`;
  persist();
}

async function loadArchitecture(id) {
  const arch = await api.get(`/architectures/${id}`);
  loadSpec(arch.spec, arch.notation, {
    origin: `architecture #${arch.id} ${arch.name} (${arch.team_name})`,
    parentId: arch.owned ? arch.id : null,
    parentName: arch.owned ? arch.name : null,
    savedId: arch.owned ? arch.id : null,
    savedHash: arch.spec_hash,
    name: arch.name,
  });
}

/** A design shared as a link: #/editor?notation=...&input=CxHxW[&name=...] (docs/design.md,
 * "Shareable designs"). An invalid notation is still opened: the editor points at its error. */
function loadShared(params) {
  const input = parseInput(params.get("input")) || { channels: 3, height: 224, width: 224 };
  const name = (params.get("name") || "").trim().slice(0, 100);
  loadSpec({ layers: null, input, name }, params.get("notation"), { origin: "a shared link", name });
}

/** Show the draft in the boxes (after a load) and analyse it. */
function showDraft() {
  const draft = state.draft;
  view.notation.value = draft.notation;
  view.name.value = draft.name || "";
  for (const key of ["channels", "height", "width"]) view.inputs[key].value = draft.input[key];
  if (draft.layers) view.table.setLayers(draft.layers);
  showOrigin();
  analyse(true);
}

function showOrigin(modified = false) {
  const draft = state.draft;
  fill(
    view.origin,
    draft.origin ? [modified ? "Modified from " : "From ", h("strong", {}, draft.origin)] : "A new design",
    draft.parentId ? [" · parent when saved: ", h("a", { href: `#/editor?arch=${draft.parentId}` }, `#${draft.parentId} ${draft.parentName || ""}`)] : ""
  );
}

/** The preset menu, filled once GET /presets answers (into this mount's elements, not a later one's). */
function fillPresets({ presetSelect, generalError }) {
  api
    .presets()
    .then((all) => {
      for (const [scale, label] of [["paper", "Paper scale (224×224 input)"], ["s36", "s36 (36×36 input)"]]) {
        presetSelect.append(
          h("optgroup", { label }, all.filter((p) => p.scale === scale).map((p) => h("option", { value: p.name }, `${p.name}: ${fmt.macs(p.conv_macs)}`)))
        );
      }
    })
    .catch((error) => fill(generalError, message("error", `Presets could not be loaded: ${api.explain(error)}`)));
}

// -- the view ---------------------------------------------------------------------------------------

function wire() {
  const { notation, inputs, name, presetSelect } = view;
  notation.addEventListener("input", () => {
    state.draft.notation = notation.value;
    state.draft.mode = "notation";
    edited("typing:notation");
    analyse();
  });
  const mine = view;
  notation.addEventListener("change", () => {
    // leaving the box: show the canonical form of what was typed, if it parsed. Leaving the page
    // also blurs the box, after the view is gone: nothing to show then.
    if (view !== mine) return;
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
      edited(`typing:input-${key}`);
      analyse();
    });
  }
  name.addEventListener("input", () => {
    state.draft.name = name.value;
    state.draft.nameTyped = true; // the user's name from now on: it no longer follows the edits
    edited("typing:name");
    view.save.update(state.analysis);
  });
  presetSelect.addEventListener("change", async () => {
    if (!presetSelect.value) return;
    if (!(await confirmReplace(`preset ${presetSelect.value}`))) {
      presetSelect.value = "";
      return;
    }
    await loadPreset(presetSelect.value);
    presetSelect.value = "";
    view.reference.select(state.draft.reference);
    showDraft();
  });
}

export function mount(root, params) {
  view = build(root, {
    onTableChange: (kind) => {
      state.draft.mode = "table";
      state.draft.layers = view.table.specLayers();
      edited(kind === "value" ? "typing:table" : "structure");
      analyse();
    },
    onRestore: (snapshot) => {
      restore(snapshot);
      showDraft();
    },
    onBudgetCreated: (budget) => view.reference.init(`budget:${budget.id}`).then(() => view.reference.update(state.analysis)),
    onReferenceChange: () => chart.draw(),
    onDeviceChange: () => analyse(),
    onSaved: (saved) => {
      Object.assign(state.draft, { dirty: false, originHash: saved.spec_hash, originName: saved.name, nameTyped: false });
      persist();
      showOrigin();
      view.run.update(state.analysis);
    },
    onImported: (analysis, fileName) => {
      // an imported network is a new draft, as a loaded preset is (docs/api.md, "Interchange")
      loadSpec(analysis.spec, analysis.notation, { origin: `imported ${fileName}`, name: analysis.spec.name || fileName.replace(/\.onnx$/i, "") });
      showDraft();
    },
  });
  view.interchange.update(null);
  view.interchange.acceptDrops(root);
  wire();
  fillPresets(view);

  (async () => {
    try {
      // the dashboard's own links asked already (guard.js); a shared link comes from outside
      if (params.get("notation") !== null && !(await confirmReplace("the linked design"))) {
        // kept: the link is dropped, the draft stays as it was
      } else if (params.get("preset")) await loadPreset(params.get("preset"));
      else if (params.get("arch")) await loadArchitecture(params.get("arch"));
      else if (params.get("notation") !== null) loadShared(params);
      else if (state.fresh) await loadPreset(referenceOf(DEFAULT_SCALE));
      if (params.toString()) window.history.replaceState(null, "", "#/editor");
    } catch (error) {
      fill(view.generalError, message("error", `Could not open that design: ${api.explain(error, "architectures")}`));
    }
    if (!view) return;
    showOrigin();
    // the device menu too: a stored choice that is gone is dropped before the first analysis
    await Promise.all([view.reference.init(state.draft.reference), view.device.init()]);
    if (!view) return;
    showDraft();
  })();

  return () => {
    purge(view.chart);
    view.run.stop();
    view.workflow.stop();
    view = null;
  };
}
