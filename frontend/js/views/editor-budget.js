// "Make a budget of this design": a budget whose reference is the design in the editor, by its
// saved architecture when it is one (the budget then names it), else by its cost and input side.
import * as api from "../api.js";
import { signedIn } from "../auth.js";
import { h, fill, message } from "../dom.js";
import * as fmt from "../format.js";
import { isSaved, state } from "../store.js";

export class BudgetPanel {
  /** `onCreated(budget)`: the budget was created (the reference menu then offers it). */
  constructor({ onCreated }) {
    this.onCreated = onCreated;
    this.name = h("input", { type: "text", id: "budget-name", class: "w-mid", maxlength: "100", autocomplete: "off" });
    this.tolerance = h("input", { type: "text", id: "budget-tolerance", class: "w-num", inputmode: "decimal", value: "5", autocomplete: "off" });
    this.button = h("button", { type: "submit", id: "budget-create" }, "Create budget");
    this.note = h("p", { class: "muted small", id: "budget-note" });
    this.status = h("div", { "aria-live": "polite", id: "budget-create-status" });
    const field = (id, label, control) => h("div", { class: "field" }, h("label", { for: id }, label), control);
    this.form = h(
      "form",
      { id: "budget-form", novalidate: true },
      this.note,
      h("div", { class: "row" }, field("budget-name", "Budget name", this.name), field("budget-tolerance", "Tolerance (%)", this.tolerance), this.button)
    );
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.create();
    });
    this.body = h("div");
    this.element = h("details", { class: "card budget-panel", id: "budget-panel" }, h("summary", {}, h("h2", { class: "inline" }, "Make a budget of this design")), this.body, this.status);
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
    this.button.disabled = height !== width;
    if (!this.name.value) this.name.placeholder = `${(state.draft.name || "design").trim()} ±5 %`;
    fill(
      this.note,
      `Models of ${height}×${width} px input within the tolerance of C = ${fmt.macsExact(analysis.conv_macs)} compete in it`,
      saved ? ` (reference: architecture #${state.draft.savedId}).` : " (reference: this cost; save the design first to name it as the reference).",
      height !== width ? " A budget needs a square input." : ""
    );
    fill(this.body, this.form);
  }

  async create() {
    const analysis = state.analysis;
    if (!analysis) return;
    const name = this.name.value.trim() || this.name.placeholder;
    const percent = Number(this.tolerance.value);
    const body = { name, tolerance: Number.isFinite(percent) ? percent / 100 : this.tolerance.value };
    if (isSaved(analysis)) body.reference_architecture_id = state.draft.savedId;
    else Object.assign(body, { reference_conv_macs: analysis.conv_macs, input_side: analysis.input.height });
    for (const el of [this.name, this.tolerance]) el.removeAttribute("aria-invalid");
    this.button.disabled = true;
    try {
      const budget = await api.post("/budgets", body);
      fill(this.status, message("ok", `Created budget “${budget.name}” (#${budget.id}): ${fmt.macsExact(budget.reference_conv_macs)} ±${fmt.pct(budget.tolerance, 0)}. The leaderboard ranks it now.`));
      this.name.value = "";
      this.onCreated(budget);
    } catch (error) {
      const target = { name: this.name, tolerance: this.tolerance }[error.field];
      target?.setAttribute("aria-invalid", "true");
      fill(this.status, message("error", api.explain(error, "budgets")));
    } finally {
      this.button.disabled = false;
    }
  }
}
