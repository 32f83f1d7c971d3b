// "Make a budget of this design": a budget whose reference is the design in the editor, by its
// saved architecture when it is one (the budget then names it), else by its cost and input side.
// A budget may instead be a time on a device profile (docs/design.md, "Device profiles"): the
// design's batch-1 time predicted on the profile (a saved design), a time in ms, or images/s at a
// batch; the leaderboard then ranks by measured medians on that profile's device.
import * as api from "../api.js";
import { signedIn } from "../auth.js";
import { h, fill, message } from "../dom.js";
import * as fmt from "../format.js";
import { isSaved, state } from "../store.js";
import { timeText } from "./leaderboard-budget.js";

const METRICS = [
  ["macs", "cost C (MACs, Eqn. 1)"],
  ["latency_ms", "time on a device profile (ms at batch 1)"],
  ["throughput", "throughput on a device profile (images/s)"],
];

export class BudgetPanel {
  /** `onCreated(budget)`: the budget was created (the reference menu then offers it). */
  constructor({ onCreated }) {
    this.onCreated = onCreated;
    this.profiles = null; // the pending or loaded GET /device-profiles
    this.name = h("input", { type: "text", id: "budget-name", class: "w-mid", maxlength: "100", autocomplete: "off" });
    this.tolerance = h("input", { type: "text", id: "budget-tolerance", class: "w-num", inputmode: "decimal", value: "5", autocomplete: "off" });
    this.metric = h("select", { id: "budget-metric" }, METRICS.map(([value, label]) => h("option", { value }, label)));
    this.profile = h("select", { id: "budget-profile" });
    this.value = h("input", { type: "text", id: "budget-value", class: "w-num", inputmode: "decimal", autocomplete: "off" });
    this.valueLabel = h("label", { for: "budget-value" });
    this.batch = h("input", { type: "text", id: "budget-batch", class: "w-num", inputmode: "numeric", value: "32", autocomplete: "off" });
    this.button = h("button", { type: "submit", id: "budget-create" }, "Create budget");
    this.note = h("p", { class: "muted small", id: "budget-note" });
    this.status = h("div", { "aria-live": "polite", id: "budget-create-status" });
    const field = (id, label, control) => h("div", { class: "field" }, h("label", { for: id }, label), control);
    this.profileField = field("budget-profile", "Device profile", this.profile);
    this.valueField = h("div", { class: "field" }, this.valueLabel, this.value);
    this.batchField = field("budget-batch", "Batch (images)", this.batch);
    this.form = h(
      "form",
      { id: "budget-form", novalidate: true },
      this.note,
      h("div", { class: "row" }, field("budget-name", "Budget name", this.name), field("budget-tolerance", "Tolerance (%)", this.tolerance), field("budget-metric", "Budget on", this.metric)),
      h("div", { class: "row" }, this.profileField, this.valueField, this.batchField, this.button)
    );
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.create();
    });
    this.metric.addEventListener("change", () => {
      if (this.metric.value !== "macs") this.loadProfiles();
      this.update(state.analysis);
    });
    this.body = h("div");
    this.element = h("details", { class: "card budget-panel", id: "budget-panel" }, h("summary", {}, h("h2", { class: "inline" }, "Make a budget of this design")), this.body, this.status);
  }

  /** The profile menu from GET /device-profiles, once; the editor's chosen profile first selected. */
  async loadProfiles() {
    if (this.profiles) return;
    this.profiles = api.get("/device-profiles?per_page=100");
    try {
      const page = await this.profiles;
      const label = (p) => `${p.name} (${p.device}, ${p.dtype}${p.channels_last ? ", channels_last" : ""})`;
      fill(this.profile, page.items.map((p) => h("option", { value: String(p.id) }, label(p))));
      if (state.draft.deviceProfile && page.items.some((p) => p.id === state.draft.deviceProfile)) this.profile.value = String(state.draft.deviceProfile);
      if (!page.items.length) fill(this.status, message("note", "No device profiles yet: run isocost calibrate to time a worker's device."));
    } catch (error) {
      this.profiles = null;
      fill(this.status, message("error", `Device profiles could not be loaded: ${api.explain(error, "device profiles")}`));
    }
  }

  update(analysis) {
    if (!signedIn()) {
      fill(this.body, h("p", { class: "muted" }, h("a", { href: "#/signin" }, "Sign in"), " to create budgets."));
      return;
    }
    if (!analysis) {
      fill(this.body, h("p", { class: "muted" }, "Fix the design first: a budget needs its cost."));
      return;
    }
    const { height, width } = analysis.input;
    const saved = isSaved(analysis);
    const metric = this.metric.value;
    this.button.disabled = height !== width;
    this.profileField.hidden = metric === "macs";
    this.valueField.hidden = metric === "macs";
    this.batchField.hidden = metric !== "throughput";
    fill(this.valueLabel, metric === "throughput" ? "Reference (images/s)" : "Reference time (ms)");
    if (!this.name.value) this.name.placeholder = `${(state.draft.name || "design").trim()} ±5 %`;
    const square = height !== width ? " A budget needs a square input." : "";
    if (metric === "macs") {
      fill(
        this.note,
        `Models of ${height}×${width} px input within the tolerance of C = ${fmt.macsExact(analysis.conv_macs)} compete in it`,
        saved ? ` (reference: architecture #${state.draft.savedId}).` : " (reference: this cost; save the design first to name it as the reference).",
        square
      );
    } else {
      const reference =
        metric === "throughput"
          ? "the images/s you give, at the batch you give"
          : saved
            ? `architecture #${state.draft.savedId}'s batch-1 time predicted on the profile (or the ms you give)`
            : "the ms you give (save the design first to take its predicted time)";
      fill(this.note, `Models of ${height}×${width} px input whose measured median on the profile's device is within the tolerance of ${reference} are ranked; models not benchmarked there are listed with their predicted time, not ranked until measured.`, square);
    }
    fill(this.body, this.form);
  }

  /** The request body for the chosen metric, or a message saying what is missing. */
  request(analysis) {
    const percent = Number(this.tolerance.value);
    const body = { name: this.name.value.trim() || this.name.placeholder, tolerance: Number.isFinite(percent) ? percent / 100 : this.tolerance.value };
    const metric = this.metric.value;
    if (metric === "macs") {
      if (isSaved(analysis)) body.reference_architecture_id = state.draft.savedId;
      else Object.assign(body, { reference_conv_macs: analysis.conv_macs, input_side: analysis.input.height });
      return body;
    }
    Object.assign(body, { metric, device_profile: Number(this.profile.value) || this.profile.value || null });
    const given = this.value.value.trim();
    if (metric === "throughput") body.batch_size = Number(this.batch.value) || this.batch.value;
    if (given) Object.assign(body, { reference_value: Number(given) || given, input_side: analysis.input.height });
    else if (metric === "latency_ms" && isSaved(analysis)) body.reference_architecture_id = state.draft.savedId;
    else return metric === "latency_ms" ? "Save the design first to make its predicted time the reference, or give the time in ms." : "Give the reference throughput in images/s.";
    return body;
  }

  async create() {
    const analysis = state.analysis;
    if (!analysis) return;
    const body = this.request(analysis);
    for (const el of [this.name, this.tolerance, this.profile, this.value, this.batch]) el.removeAttribute("aria-invalid");
    if (typeof body === "string") {
      this.value.setAttribute("aria-invalid", "true");
      fill(this.status, message("error", body));
      return;
    }
    this.button.disabled = true;
    try {
      const budget = await api.post("/budgets", body);
      const what = budget.metric === "macs" ? fmt.macsExact(budget.reference_conv_macs) : timeText(budget);
      fill(this.status, message("ok", `Created budget “${budget.name}” (#${budget.id}): ${what} ±${fmt.pct(budget.tolerance, 0)}. The leaderboard ranks it now.`));
      this.name.value = "";
      this.onCreated(budget);
    } catch (error) {
      const target = { name: this.name, tolerance: this.tolerance, device_profile: this.profile, reference_value: this.value, batch_size: this.batch }[error.field];
      target?.setAttribute("aria-invalid", "true");
      fill(this.status, message("error", api.explain(error, "budgets")));
    } finally {
      this.button.disabled = false;
    }
  }
}
