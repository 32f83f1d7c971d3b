// Undo and redo over every change to the design (docs/design.md, "Nothing typed is lost"): a
// stack of snapshots of the draft. A burst of typing in one box is one step; a structural change
// (a row added, moved or removed), a preset, a replacement or a shared link is a step of its own.

const LIMIT = 200; // steps kept: a UI choice, far more than anyone undoes
const COALESCE_MS = 800; // keystrokes in the same box closer than this are one step

let past = [];
let future = [];
let present = null;
let lastKind = null;
let lastAt = 0;
export const historyEvents = new EventTarget();

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

function changed() {
  historyEvents.dispatchEvent(new Event("change"));
}

/** Record `snapshot` as the present state. `kind` "typing:<box>" merges with the step before if
 * that was typing in the same box moments ago; anything else starts a step. */
export function record(snapshot, kind = "edit") {
  const now = performance.now();
  if (present && same(present, snapshot)) return;
  const typing = kind.startsWith("typing:");
  if (present && typing && kind === lastKind && now - lastAt < COALESCE_MS && past.length) {
    present = snapshot; // the same burst: the step before it stays where it was
  } else {
    if (present) past.push(present);
    if (past.length > LIMIT) past.shift();
    present = snapshot;
  }
  future = [];
  lastKind = kind;
  lastAt = now;
  changed();
}

/** The state one step back (or null), which becomes the present. */
export function undo() {
  if (!past.length) return null;
  future.push(present);
  present = past.pop();
  lastKind = null;
  changed();
  return present;
}

export function redo() {
  if (!future.length) return null;
  past.push(present);
  present = future.pop();
  lastKind = null;
  changed();
  return present;
}

export const canUndo = () => past.length > 0;
export const canRedo = () => future.length > 0;
