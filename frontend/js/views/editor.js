// Editor: notation box and layer table kept in sync both ways, live analysis as you type
// (POST /complexity through editor-pipeline.js), per-layer chart, budget meter, diff against a
// reference, save and run. This module is the controller: it applies answers to the draft and
// the page, loads designs, and wires the page built by editor-template.js.
import * as api from "../api.js";
import { h, fill, message } from "../dom.js";
import * as fmt from "../format.js";
import { purge } from "../plot.js";
import { state, persist, loadSpec } from "../store.js";
import { DEFAULT_SCALE, referenceOf } from "../vocabulary.js";
import { clearErrors, showError } from "./editor-errors.js";
import { analyser, requestBody } from "./editor-pipeline.js";
import { layerChart, showAnalysisTable, showTotals } from "./editor-render.js";
import { build } from "./editor-template.js";

let view = null; // the mounted editor's elements and components, or null

// -- answers (module level: a request outlives a view switch, and its answer still updates the draft)

const chart = layerChart(() => view);
const send = analyser({
  onAnalysis: applyAnalysis,
  onError: (error, body) => view && showError(view, error, body.mode),
});

function analyse() {
  send(requestBody(view ? view.table.specLayers() : null));
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
  if (!view) {
    persist();
    return;
  }
  // What the user is looking at first: the totals, the meter, the row being edited...
  showTotals(view, analysis);
  clearErrors(view);
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
    persist();
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
}

export function mount(root, params) {
  view = build(root, {
    onTableChange: () => {
      state.draft.mode = "table";
      analyse();
    },
    onReferenceChange: () => chart.draw(),
    onSaved: () => {
      showOrigin();
      view.run.update(state.analysis);
    },
  });
  wire();
  fillPresets(view);

  (async () => {
    try {
      if (params.get("preset")) await loadPreset(params.get("preset"));
      else if (params.get("arch")) await loadArchitecture(params.get("arch"));
      else if (state.fresh) await loadPreset(referenceOf(DEFAULT_SCALE));
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
