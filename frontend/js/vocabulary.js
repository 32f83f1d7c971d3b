// The vocabulary shared with the API (GET /api/v1/vocabulary): job statuses, the cost unit and
// its prefixes, the scales with their reference presets, the layer kinds. The server is its one
// home (docs/design.md, "One home per concept"); main.js loads it before the first view mounts,
// so views and formatters read it synchronously.
import * as api from "./api.js";

// The dashboard opens at the small scale: its models train in minutes on a CPU. A UI choice,
// not shared vocabulary, so it lives here rather than in the API.
export const DEFAULT_SCALE = "s36";

let loaded = null;
let loading = null;

/** Fetch the vocabulary once per page load; a failure is retried on the next call. */
export function ready() {
  if (!loading) {
    loading = api.get("/vocabulary").then(
      (body) => (loaded = body),
      (error) => {
        loading = null;
        throw error;
      }
    );
  }
  return loading;
}

export function vocabulary() {
  if (!loaded) throw new Error("the vocabulary is read before GET /vocabulary answered");
  return loaded;
}

/** "paper" -> "A", "s36" -> "A-s36": the preset a scale's costs are compared with. */
export function referenceOf(scale) {
  const entry = vocabulary().scales.find((s) => s.name === scale);
  if (!entry) throw new Error(`no scale named ${scale}`);
  return entry.reference;
}

/** The scale whose presets take `side` px input; the default scale for any other size. */
export function scaleOfSide(side) {
  return vocabulary().scales.find((s) => s.input_side === Number(side))?.name ?? DEFAULT_SCALE;
}

/** A queued or running job: it may still change, so its page keeps polling. */
export function isActive(status) {
  return vocabulary().active.includes(status);
}

export function layerKinds() {
  return vocabulary().layer_kinds;
}
