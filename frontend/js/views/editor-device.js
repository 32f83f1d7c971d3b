// The editor's device selector (docs/design.md, "Device profiles"): with a device profile chosen,
// every analysis comes back with each layer's predicted time on that device, shown beside C; the
// layers where time and C part ways are flagged before anything is trained.
import * as api from "../api.js";
import { h, fill, message } from "../dom.js";
import * as fmt from "../format.js";
import { state, persist } from "../store.js";

// A conv layer is flagged when its share of the predicted conv time and its share of C differ by
// more than this factor (a benchmark's default flag factor); a layer outside C, when it takes at
// least OUTSIDE_C of the predicted time.
export const FLAG_FACTOR = 2;
export const OUTSIDE_C = 0.1;

/** name -> why the layer's predicted time parts from its cost, for the analysed layers. */
export function parted(analysis) {
  const out = new Map();
  if (analysis.predicted_ms === null || analysis.predicted_ms === undefined) return out;
  const convMs = analysis.layers.filter((l) => l.kind === "conv").reduce((sum, l) => sum + l.predicted_ms, 0);
  for (const layer of analysis.layers) {
    if (layer.kind === "conv" && layer.share > 0 && convMs > 0) {
      const ratio = layer.predicted_ms / convMs / layer.share;
      if (ratio > FLAG_FACTOR || ratio < 1 / FLAG_FACTOR) out.set(layer.name, `${fmt.ratio(ratio)} its share of C`);
    } else if (layer.kind !== "conv" && layer.time_share >= OUTSIDE_C) {
      out.set(layer.name, `${fmt.pct(layer.time_share, 0)} of the time, outside C`);
    }
  }
  return out;
}

/** The analysis table's two cells of a layer: predicted time, and share of time (flagged). */
export function predictedCells(layer, flags) {
  if (layer.predicted_ms === null || layer.predicted_ms === undefined) {
    return [h("td", { class: "num predicted" }, "—"), h("td", { class: "num time-share" }, "—")];
  }
  const why = flags.get(layer.name);
  return [
    h("td", { class: "num predicted" }, fmt.ms(layer.predicted_ms)),
    h("td", { class: `num time-share${why ? " flagged" : ""}`, title: why || "" }, fmt.pct(layer.time_share), why ? " ⚑" : ""),
  ];
}

export class DevicePanel {
  constructor({ onChange }) {
    this.select = h("select", { id: "device-profile" }, h("option", { value: "" }, "none (C only)"));
    this.summary = h("div", { id: "predicted", "aria-live": "polite" });
    this.element = h("div", { class: "device-panel" }, h("div", { class: "field" }, h("label", { for: "device-profile" }, "Predicted time on"), this.select), this.summary);
    this.select.addEventListener("change", () => {
      state.draft.deviceProfile = this.select.value ? Number(this.select.value) : null;
      persist();
      onChange();
    });
  }

  /** Fill the menu from GET /device-profiles; a stored choice that is gone is dropped. */
  async init() {
    try {
      const page = await api.get("/device-profiles?per_page=100");
      const label = (p) => `${p.name} (${p.device}, ${p.dtype}${p.channels_last ? ", channels_last" : ""})`;
      fill(this.select, h("option", { value: "" }, "none (C only)"), page.items.map((p) => h("option", { value: String(p.id) }, label(p))));
      const chosen = state.draft.deviceProfile;
      if (chosen && page.items.some((p) => p.id === chosen)) this.select.value = String(chosen);
      else if (chosen) {
        state.draft.deviceProfile = null;
        persist();
      }
      if (!page.items.length) fill(this.summary, h("p", { class: "muted small" }, "No device profiles yet: run ", h("code", {}, "isocost calibrate"), " to time a worker's device."));
    } catch (error) {
      fill(this.summary, message("error", `Device profiles could not be loaded: ${api.explain(error, "device profiles")}`));
    }
  }

  show(analysis) {
    const profile = analysis.device_profile;
    if (!profile) {
      if (this.select.options.length > 1) fill(this.summary);
      return;
    }
    const flags = parted(analysis);
    fill(
      this.summary,
      h("div", { class: "total", id: "predicted-ms" }, fmt.ms(analysis.predicted_ms)),
      h("div", { class: "unit" }, `predicted at batch ${profile.batch_size} on ${profile.device} (${profile.dtype}); MACs-only baseline ${fmt.ms(analysis.baseline_ms)}`),
      flags.size
        ? h("p", { class: "note", id: "parted" }, `⚑ Time and C part ways at ${[...flags].map(([name, why]) => `${name} (${why})`).join(", ")}.`)
        : h("p", { class: "muted small", id: "parted" }, `Every conv layer's share of the predicted time is within ${FLAG_FACTOR}× of its share of C.`)
    );
  }
}
