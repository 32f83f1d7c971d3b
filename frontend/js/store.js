// The design being edited, shared by the editor and the replacement assistant. Kept in
// localStorage on every edit, so a reload (or a wrong click) loses nothing the user typed.

const KEY = "isocost.draft.v1";

function blank() {
  return {
    mode: "notation", // which box the user edited last: "notation" or "table"
    notation: "",
    layers: null, // the table's rows (values as typed) when mode is "table"
    input: { channels: 3, height: 36, width: 36 },
    name: "",
    origin: null, // where the design came from: "preset A-s36", "architecture #4 …", a replacement
    parentId: null, // the saved architecture it derives from (recorded as parent_id on save)
    parentName: null,
    savedId: null, // the saved architecture with exactly this spec, if any
    savedKey: null,
    reference: null, // "preset:A-s36", "arch:12" or "budget:3"
  };
}

function load() {
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) || "null");
    if (stored && typeof stored === "object") return { ...blank(), ...stored };
  } catch {
    /* a broken entry: start afresh */
  }
  return null;
}

export const state = {
  draft: load() || blank(),
  fresh: !load(),
  analysis: null, // the last valid analysis of the draft (POST /complexity)
};

export function persist() {
  try {
    localStorage.setItem(KEY, JSON.stringify(state.draft));
  } catch {
    /* storage full or disabled: the page still works */
  }
}

/** A key for "the same spec": canonical notation plus input. */
export function specKey(analysis) {
  const { channels, height, width } = analysis.input;
  return `${analysis.notation}@${channels}x${height}x${width}`;
}

/** Replace the draft's design with `spec` (from a preset, an architecture or a replacement). */
export function loadSpec(spec, notation, { origin = null, parentId = null, parentName = null, savedId = null, name = null } = {}) {
  const draft = state.draft;
  draft.mode = "notation";
  draft.notation = notation;
  draft.layers = spec.layers;
  draft.input = { ...spec.input };
  draft.name = name ?? spec.name ?? "";
  draft.origin = origin;
  draft.parentId = parentId;
  draft.parentName = parentName;
  draft.savedId = savedId;
  draft.savedKey = null;
  state.analysis = null;
  state.fresh = false;
  persist();
}
