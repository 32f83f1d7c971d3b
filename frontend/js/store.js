// The design being edited, shared by the editor and the replacement assistant. Kept in
// localStorage on every edit, so a reload (or a wrong click) loses nothing the user typed, and
// recorded in history.js, so every change can be undone.
import { record } from "./history.js";

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
    originHash: null, // spec_hash of the design as loaded (set by its first analysis)
    originName: null, // its name as loaded: the name follows the edits while none was typed
    nameTyped: false, // the user typed a name: it is theirs, never renamed
    dirty: false, // edited since loaded or saved
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

// What undo brings back: the design and where it came from (not the reference it is compared with).
const SNAPSHOT = ["mode", "notation", "layers", "input", "name", "origin", "parentId", "parentName", "savedId", "savedHash", "originHash", "originName", "nameTyped", "dirty"];

export function snapshot() {
  const saved = structuredClone(Object.fromEntries(SNAPSHOT.map((key) => [key, state.draft[key]])));
  if (saved.mode === "notation") saved.layers = null; // the notation is the design; rows follow its analysis
  return saved;
}

/** Put a snapshot back as the draft (undo, redo); the caller shows and analyses it. */
export function restore(saved) {
  Object.assign(state.draft, structuredClone(saved));
  state.analysis = null;
  persist();
}

/** After every edit the user makes: keep it and record it for undo (`kind`: see history.record). */
export function edited(kind) {
  state.draft.dirty = true;
  persist();
  record(snapshot(), kind);
}

/** Whether replacing the draft would lose work: edited, and not a saved or the loaded design. */
export function unsaved() {
  const { draft, analysis } = state;
  if (!draft.dirty) return false;
  if (!analysis) return true;
  return !isSaved(analysis) && analysis.spec_hash !== draft.originHash;
}

/** Name and origin follow the edits (docs/design.md, "Nothing typed is lost"): a draft that is no
 * longer the network it was loaded as is "modified from" it, and unless the user typed a name of
 * their own it is renamed so that saving does not store it as, say, "A". Returns whether it is
 * modified. */
export function followOrigin(analysis) {
  const draft = state.draft;
  if (draft.origin && !draft.originHash) draft.originHash = analysis.spec_hash; // its first analysis
  const modified = Boolean(draft.originHash) && analysis.spec_hash !== draft.originHash;
  if (!draft.nameTyped && draft.originName) draft.name = modified ? `${draft.originName}-modified` : draft.originName;
  return modified;
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
  draft.originHash = savedId ? savedHash : null;
  draft.originName = draft.name || null;
  draft.nameTyped = false;
  draft.dirty = false;
  state.analysis = null;
  state.fresh = false;
  persist();
  record(snapshot(), "load");
}

// the draft as this page found it: the first step undo returns to (a first visit has none yet)
if (!state.fresh) record(snapshot(), "load");
