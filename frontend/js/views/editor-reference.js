// The editor's reference: a preset, a saved architecture or a budget. Draws the budget meter
// (C over the reference's C, with the tolerance band; for a latency budget, the design's time
// predicted on the budget's profile over the budget's time) and the per-layer diff.
import * as api from "../api.js";
import { signedIn } from "../auth.js";
import { h, fill, message } from "../dom.js";
import * as fmt from "../format.js";
import { state, persist } from "../store.js";
import { referenceOf, scaleOfSide } from "../vocabulary.js";
import { timeText } from "./leaderboard-budget.js";

const DEFAULT_TOLERANCE = 0.05; // the built-in budgets' tolerance

const TICK_PX = 48; // a tick label ("0.950×") and a gap: closer labels would run into each other

/** Tick values for the meter: its ends, 1, and the band's edges when, at the meter's `width` in
 * pixels, their labels keep clear of 1's. */
function ticks(lo, hi, tol, width) {
  const roomy = tol > 0 && (tol / (hi - lo)) * width >= TICK_PX;
  return roomy ? [lo, 1 - tol, 1, 1 + tol, hi] : [lo, 1, hi];
}

export class ReferencePanel {
  constructor({ onChange }) {
    this.onChange = onChange;
    this.options = new Map();
    this.analyses = new Map(); // key -> Promise of the reference's analysis (for the diff)
    this.select_ = h("select", { id: "reference-select" });
    this.meter = h("div", { class: "meter", role: "meter", "aria-label": "Conv cost against the reference" });
    this.status = h("p", { id: "budget-status", "aria-live": "polite" });
    this.note = h("div");
    this.element = h(
      "section",
      { class: "card", "aria-labelledby": "ref-h" },
      h("h2", { id: "ref-h" }, "Budget meter"),
      h("div", { class: "field" }, h("label", { for: "reference-select" }, "Reference (preset, architecture or budget)"), this.select_),
      this.meter,
      this.status,
      this.note
    );
    this.diffBody = h("tbody");
    this.diffNote = h("div");
    this.diffElement = h(
      "section",
      { class: "card", "aria-labelledby": "diff-h" },
      h("h2", { id: "diff-h" }, "Diff against the reference"),
      this.diffNote,
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { id: "diff-table" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              h("th", { scope: "col" }, "Layer"),
              h("th", { scope: "col" }, "Reference"),
              h("th", { scope: "col" }, "This design"),
              h("th", { scope: "col", class: "num" }, "Δ MACs"),
              h("th", { scope: "col", class: "num" }, "Δ")
            )
          ),
          this.diffBody
        )
      )
    );
    this.select_.addEventListener("change", () => {
      state.draft.reference = this.select_.value;
      persist();
      if (state.analysis) this.update(state.analysis);
      this.onChange();
    });
  }

  async init(key) {
    const groups = [];
    try {
      const presets = await api.presets();
      for (const p of presets) {
        this.options.set(`preset:${p.name}`, {
          label: `preset ${p.name}`,
          conv_macs: p.conv_macs,
          tolerance: DEFAULT_TOLERANCE,
          input: p.spec.input,
          source: { preset: p.name },
        });
      }
      for (const [scale, label] of [["paper", "Presets, paper scale (224 px)"], ["s36", "Presets, s36 (36 px)"]]) {
        groups.push(h("optgroup", { label }, presets.filter((p) => p.scale === scale).map((p) => h("option", { value: `preset:${p.name}` }, `${p.name} (${fmt.macs(p.conv_macs)}, ±5 %)`))));
      }
    } catch (error) {
      fill(this.note, message("error", `Presets could not be loaded: ${api.explain(error)}`));
    }
    if (signedIn()) {
      const [archs, budgets] = await Promise.allSettled([api.get("/architectures?per_page=100"), api.get("/budgets")]);
      if (archs.status === "fulfilled" && archs.value.items.length) {
        for (const a of archs.value.items) {
          this.options.set(`arch:${a.id}`, {
            label: `architecture #${a.id} ${a.name}`,
            conv_macs: a.conv_macs,
            tolerance: DEFAULT_TOLERANCE,
            input: a.spec.input,
            source: { spec: a.spec },
          });
        }
        groups.push(h("optgroup", { label: "Your team's architectures" }, archs.value.items.map((a) => h("option", { value: `arch:${a.id}` }, `#${a.id} ${a.name} (${fmt.macs(a.conv_macs)}, ±5 %)`))));
      }
      if (budgets.status === "fulfilled" && budgets.value.length) {
        for (const b of budgets.value) {
          this.options.set(`budget:${b.id}`, {
            label: `budget ${b.name}`,
            conv_macs: b.reference_conv_macs,
            tolerance: b.tolerance,
            inputSide: b.input_side,
            source: b.reference_preset ? { preset: b.reference_preset } : null,
            time: b.metric === "macs" ? null : b, // a time budget: its reference is a time, not C
          });
        }
        const what = (b) => (b.metric === "macs" ? fmt.macs(b.reference_conv_macs) : timeText(b));
        groups.push(h("optgroup", { label: "Budgets" }, budgets.value.map((b) => h("option", { value: `budget:${b.id}` }, `${b.name} (${what(b)}, ±${fmt.pct(b.tolerance, 0)}, ${b.input_side} px)`))));
      }
    }
    fill(this.select_, groups);
    this.select(key);
  }

  select(key) {
    // no (or an unknown) reference: model A at the scale of the draft's input size
    const fallback = `preset:${referenceOf(scaleOfSide(state.draft.input.height))}`;
    const chosen = key && this.options.has(key) ? key : fallback;
    this.select_.value = chosen;
    state.draft.reference = chosen;
    persist();
  }

  current() {
    return this.options.get(this.select_.value) || null;
  }

  /** The reference as a spec source (for the chart and the diff), or null for a bare budget. */
  source() {
    return this.current()?.source || null;
  }

  update(analysis) {
    this.drawMeter(analysis);
    this.drawDiff(analysis);
  }

  /** The design against the reference: {r, text}, or a sentence when there is nothing to compare
   * (a time budget without this design's predicted time on its profile). */
  measure(analysis, ref) {
    const b = ref.time;
    const band = (r) => `${Math.abs(r - 1) <= ref.tolerance + 1e-12 ? "within" : "outside"} the ±${fmt.pct(ref.tolerance, ref.tolerance * 100 < 1 ? 1 : 0)} band`;
    if (!b) {
      const r = analysis.conv_macs / ref.conv_macs;
      return { r, text: `C is ${fmt.ratio(r)} the reference's ${fmt.macsExact(ref.conv_macs)} (${fmt.signedPct(r - 1)}): ${band(r)}` };
    }
    const profile = b.device_profile;
    if (b.metric === "latency_ms" && analysis.predicted_ms !== null && analysis.predicted_ms !== undefined && analysis.device_profile?.id === profile?.id) {
      const r = analysis.predicted_ms / b.reference_value;
      return { r, text: `Predicted ${fmt.ms(analysis.predicted_ms)} is ${fmt.ratio(r)} the budget's ${fmt.ms(b.reference_value)} on ${profile.device} (${fmt.signedPct(r - 1)}): ${band(r)}` };
    }
    const how =
      b.metric === "latency_ms"
        ? `choose its profile “${profile?.name}” under “Predicted time on” to see this design's predicted time against it`
        : "a profile predicts batch-1 latency only, so this design is compared once it is benchmarked";
    return `${ref.label} is a time budget: ${timeText(b)}, ±${fmt.pct(ref.tolerance, 0)}, ranked by measured medians on that device; ${how}.`;
  }

  drawMeter(analysis) {
    const ref = this.current();
    if (!ref) {
      fill(this.status, "Choose a reference to compare against.");
      return;
    }
    const measured = this.measure(analysis, ref);
    this.meter.setAttribute("aria-label", ref.time ? "Predicted time against the budget" : "Conv cost against the reference");
    this.meter.hidden = typeof measured === "string"; // a meter with no value would be announced empty
    if (typeof measured === "string") {
      fill(this.status, h("span", { class: "badge" }, "time budget"), " ", measured);
      fill(this.note, this.notes(analysis, ref));
      return;
    }
    const { r, text } = measured;
    const tol = ref.tolerance;
    const span = Math.max(3 * tol, Math.abs(r - 1) * 1.2, 0.1);
    const lo = 1 - span;
    const hi = 1 + span;
    const at = (x) => `${(((Math.min(Math.max(x, lo), hi) - lo) / (hi - lo)) * 100).toFixed(2)}%`;
    const inside = Math.abs(r - 1) <= tol + 1e-12;
    this.meter.className = `meter ${inside ? "inside" : "outside"}`;
    this.meter.setAttribute("aria-valuemin", lo.toFixed(3));
    this.meter.setAttribute("aria-valuemax", hi.toFixed(3));
    this.meter.setAttribute("aria-valuenow", r.toFixed(4));
    this.meter.setAttribute("aria-valuetext", text);
    fill(
      this.meter,
      h("div", { class: "band", style: `left:${at(1 - tol)};width:calc(${at(1 + tol)} - ${at(1 - tol)})`, title: `tolerance band ±${fmt.pct(tol, 0)}` }),
      h("div", { class: "one", style: `left:${at(1)}` }),
      h("div", { class: "mark", style: `left:${at(r)}`, title: `${fmt.ratio(r)} the reference` }),
      ticks(lo, hi, tol, this.meter.clientWidth || 300).map((x, i, all) => h("span", { class: `tick${i === 0 ? " first" : i === all.length - 1 ? " last" : ""}`, style: `left:${at(x)}` }, fmt.ratio(x)))
    );
    fill(this.status, h("span", { class: `badge ${inside ? "in" : "out"}` }, inside ? "within budget" : "outside budget"), " ", text, ".");
    fill(this.note, this.notes(analysis, ref));
  }

  notes(analysis, ref) {
    const side = ref.inputSide ?? ref.input?.height;
    const { height, width } = analysis.input;
    if (!side || (height === side && width === (ref.inputSide ?? ref.input?.width))) return [];
    return [message("note", `The reference is for ${side}×${ref.inputSide ?? ref.input.width} px input; this design takes ${height}×${width} px, so the costs are not comparable (a budget ranks only its own input size).`)];
  }

  async drawDiff(analysis) {
    const ref = this.current();
    if (!ref) return;
    const key = this.select_.value;
    if (!ref.source) {
      const bare = ref.time ? `a time (${timeText(ref.time)})` : `a bare cost (${fmt.macsExact(ref.conv_macs)})`;
      fill(this.diffNote, message("note", `${ref.label} is ${bare}, not a model: choose a preset or an architecture to diff layer by layer.`));
      this.diffBody.replaceChildren();
      return;
    }
    if (!this.analyses.has(key)) this.analyses.set(key, api.post("/complexity", ref.source));
    let base;
    try {
      base = await this.analyses.get(key);
    } catch (error) {
      this.analyses.delete(key);
      fill(this.diffNote, message("error", `The reference could not be analysed: ${api.explain(error)}`));
      return;
    }
    if (state.analysis !== analysis || this.select_.value !== key) return; // stale
    const convs = (a) => new Map(a.layers.filter((l) => l.kind === "conv").map((l) => [l.name, l]));
    const mine = convs(analysis);
    const theirs = convs(base);
    const names = [...new Set([...theirs.keys(), ...mine.keys()])].sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
    const cell = (layer) => (layer ? h("td", { class: "nowrap" }, h("span", { class: "mono" }, `(${layer.kernel},${layer.out_channels})${layer.stride !== 1 ? `/${layer.stride}` : ""}`), " ", h("span", { class: "muted small" }, `${layer.out_hw[0]}×${layer.out_hw[1]} px, ${fmt.macs(layer.macs)}`)) : h("td", { class: "muted" }, "—"));
    const rows = names.map((name) => {
      const a = theirs.get(name);
      const b = mine.get(name);
      const delta = (b?.macs || 0) - (a?.macs || 0);
      return h(
        "tr",
        { class: delta === 0 ? "muted" : "" },
        h("th", { scope: "row" }, name),
        cell(a),
        cell(b),
        h("td", { class: "num" }, delta === 0 ? "±0 MACs" : fmt.signedMacs(delta)),
        h("td", { class: "num" }, a ? (a.macs ? fmt.signedPct(delta / a.macs) : "—") : "new")
      );
    });
    const total = analysis.conv_macs - base.conv_macs;
    rows.push(
      h(
        "tr",
        {},
        h("th", { scope: "row" }, "Total C"),
        h("td", { class: "num" }, fmt.macsExact(base.conv_macs)),
        h("td", { class: "num" }, fmt.macsExact(analysis.conv_macs)),
        h("td", { class: "num" }, total === 0 ? "±0 MACs" : fmt.signedMacs(total)),
        h("td", { class: "num" }, fmt.signedPct(total / base.conv_macs))
      )
    );
    fill(this.diffNote, h("p", { class: "muted small" }, `Conv layers by name against ${ref.label}; MACs per image.`));
    fill(this.diffBody, rows);
  }
}
