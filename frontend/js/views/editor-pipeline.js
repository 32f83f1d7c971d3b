// The editor's request pipeline: the draft as a POST /complexity body, a short pause while an
// edit looks half-typed (so errors do not flash at every keystroke), then one request in flight
// with the latest edit sent next and stale answers dropped (latest.js).
import * as api from "../api.js";
import { latestWins } from "../latest.js";
import { state } from "../store.js";

const SETTLE_MS = 400; // an edit that looks half-typed waits this long before it is checked
const COMPLETE_WORDS = new Set(["valid", "same", "gap"]);

// What the user typed, as the API expects it; anything else is sent as typed and the API names it.
function integer(text) {
  return /^\s*\d+\s*$/.test(String(text)) ? Number(text) : text;
}

function inputBody() {
  const { channels, height, width } = state.draft.input;
  return { channels: integer(channels), height: integer(height), width: integer(width) };
}

/** The draft as a request body, tagged with the box it came from (`mode`, not sent).
 * `tableLayers`: the table's rows while the editor is shown, else null (the stored rows). */
export function requestBody(tableLayers) {
  const draft = state.draft;
  const name = draft.name && draft.name.trim() ? draft.name.trim() : undefined;
  const layers = draft.mode === "table" ? tableLayers ?? draft.layers : null;
  // with a device profile chosen, the answer adds predicted times (editor-device.js)
  const device_profile = draft.deviceProfile || undefined;
  if (layers) return { spec: { name, input: inputBody(), layers }, device_profile, mode: "table" };
  return { notation: draft.notation, input: inputBody(), name, device_profile, mode: "notation" };
}

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

const KNOWN = 100; // analyses kept for undo and redo: each is a few kB

/** Returns analyse(body, {reuse}): sends it at once, or after a pause while it looks half-typed.
 * The answer goes to onAnalysis(analysis, body) or onError(error, body), unless a newer edit is
 * already on its way. With `reuse` (undo, redo, a reload of a known design) an answer already
 * received for the same body is shown at once: the analysis is a pure function of the body. */
export function analyser({ onAnalysis, onError }) {
  const known = new Map(); // JSON of a body -> its analysis, oldest first
  const remember = (analysis, body) => {
    const key = JSON.stringify(body);
    known.delete(key);
    known.set(key, analysis);
    if (known.size > KNOWN) known.delete(known.keys().next().value);
    return onAnalysis(analysis, body);
  };
  const requests = latestWins(({ mode, ...payload }) => api.post("/complexity", payload), { onResult: remember, onError });
  let settle = null;
  return (body, { reuse = false } = {}) => {
    clearTimeout(settle);
    const hit = reuse ? known.get(JSON.stringify(body)) : null;
    if (hit) {
      requests.cancel(); // an answer still on its way is older than this
      onAnalysis(hit, body);
    } else if (looksUnfinished(body)) settle = setTimeout(() => requests.run(body), SETTLE_MS);
    else requests.run(body);
  };
}
