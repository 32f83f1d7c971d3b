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
    savedHash: null, // that architecture's spec_hash (see isSaved)
    reference: null, // "preset:A-s36", "arch:12" or "budget:3"
  };
}

function load() {
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) || "null");
    if (stored && typeof stored === "object") {
      delete stored.savedKey; // notation+input, before spec_hash was the identity: no longer read
      return { ...blank(), ...stored };
    }
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

/** Whether the draft, as last analysed, is the saved architecture it was loaded or saved as. The
 * analysis's spec_hash is the design's identity (docs/design.md, "Spec identity"): the same
 * network however its notation was typed, name aside. */
export function isSaved(analysis) {
  const draft = state.draft;
  return Boolean(analysis && draft.savedId && draft.savedHash === analysis.spec_hash);
}

/** Replace the draft's design with `spec` (from a preset, an architecture or a replacement). */
export function loadSpec(spec, notation, { origin = null, parentId = null, parentName = null, savedId = null, savedHash = null, name = null } = {}) {
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
  draft.savedHash = savedId ? savedHash : null;
  state.analysis = null;
  state.fresh = false;
  persist();
}
