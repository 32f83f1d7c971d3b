// Team: the team's API tokens (list, create, revoke; a new token is shown once, here, and never
// again) and the budgets every team ranks against (create one from a design in the editor).
import * as api from "../api.js";
import { currentTeam, signedIn, token } from "../auth.js";
import { ask } from "../confirm.js";
import { h, fill, message } from "../dom.js";
import * as fmt from "../format.js";
import { timeText } from "./leaderboard-budget.js";

export function mount(root) {
  if (!signedIn()) {
    fill(root, h("h1", {}, "Team"), h("div", { class: "empty" }, h("a", { href: "#/signin" }, "Sign in"), " with your team token to manage its tokens and budgets."));
    return null;
  }
  const label = h("input", { type: "text", id: "token-label", class: "w-mid", maxlength: "64", autocomplete: "off", placeholder: "laptop, CI…" });
  const tokensBody = h("div", { id: "tokens-body" });
  const tokenStatus = h("div", { "aria-live": "polite", id: "token-status" });
  const budgetsBody = h("div", { id: "budgets-body" });
  const budgetStatus = h("div", { "aria-live": "polite" });
  const mine = (token() || "").slice(0, 12); // the prefix of the token this browser signs in with

  async function loadTokens() {
    try {
      const list = await api.get("/tokens");
      fill(
        tokensBody,
        h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { id: "tokens-table" },
            h("thead", {}, h("tr", {}, ["Label", "Starts with", "Created", "State"].map((t) => h("th", { scope: "col" }, t)), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Revoke")))),
            h(
              "tbody",
              {},
              list.map((t) =>
                h(
                  "tr",
                  { dataset: { id: t.id }, class: t.revoked_at ? "muted" : "" },
                  h("td", {}, t.label, t.prefix === mine ? h("span", { class: "muted small" }, " (this browser)") : ""),
                  h("td", { class: "mono" }, `${t.prefix}…`),
                  h("td", { class: "small nowrap" }, fmt.when(t.created_at)),
                  h("td", { class: "small" }, t.revoked_at ? `revoked ${fmt.when(t.revoked_at)}` : h("span", { class: "badge in" }, "working")),
                  h("td", {}, t.revoked_at ? "" : h("button", { type: "button", class: "small-button danger", "aria-label": `Revoke token ${t.label}`, onclick: () => revoke(t) }, "Revoke"))
                )
              )
            )
          )
        )
      );
    } catch (error) {
      fill(tokensBody, message("error", api.explain(error, "tokens")));
    }
  }

  async function revoke(t) {
    const self = t.prefix === mine;
    const yes = await ask({
      title: `Revoke token ${t.label}?`,
      lines: [`The token ${t.prefix}… stops working at once.`, self ? "It is the token this browser signs in with: you will have to sign in again." : "Whoever uses it will have to be given another."],
      confirm: "Revoke",
      cancel: "Keep it",
    });
    if (!yes) return;
    try {
      await api.request("DELETE", `/tokens/${t.id}`);
      fill(tokenStatus, message("ok", `Revoked ${t.label} (${t.prefix}…).`));
      loadTokens();
    } catch (error) {
      fill(tokenStatus, message("error", api.explain(error, "tokens")));
    }
  }

  const create = h("form", { id: "token-form", class: "row" }, h("div", { class: "field" }, h("label", { for: "token-label" }, "New token's label"), label), h("button", { type: "submit", class: "primary", id: "token-create" }, "Create token"));
  create.addEventListener("submit", async (event) => {
    event.preventDefault();
    label.removeAttribute("aria-invalid");
    try {
      const made = await api.post("/tokens", { label: label.value.trim() });
      label.value = "";
      const shown = h("input", { type: "text", readOnly: true, id: "new-token", class: "share-link mono", value: made.token, "aria-label": "The new token" });
      fill(
        tokenStatus,
        h(
          "div",
          { class: "ok", role: "status" },
          h("p", {}, h("strong", {}, `Token ${made.label} created. Copy it now: it is shown only this once.`)),
          shown,
          h("p", { class: "small" }, "The server keeps only its SHA-256; paste it where it will be used (a sign-in page, ", h("code", {}, "Authorization: Bearer …"), ").")
        )
      );
      shown.select();
      loadTokens();
    } catch (error) {
      if (error.field === "label") label.setAttribute("aria-invalid", "true");
      fill(tokenStatus, message("error", api.explain(error, "tokens")));
    }
  });

  async function loadBudgets() {
    try {
      const list = await api.get("/budgets");
      const team = currentTeam() || (await api.get("/teams/me"));
      fill(
        budgetsBody,
        h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { id: "budgets-table" },
            h("thead", {}, h("tr", {}, ["Budget", "Reference C or time", "Tolerance", "Input", "Reference"].map((t) => h("th", { scope: "col" }, t)), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))),
            h(
              "tbody",
              {},
              list.map((b) =>
                h(
                  "tr",
                  { dataset: { id: b.id } },
                  h("td", {}, h("a", { href: `#/leaderboard?budget=${b.id}` }, b.name), b.builtin ? h("span", { class: "muted small" }, " (built in)") : ""),
                  h("td", { class: "num" }, b.metric === "macs" ? fmt.macsExact(b.reference_conv_macs) : timeText(b)),
                  h("td", { class: "num" }, `±${fmt.pct(b.tolerance, b.tolerance * 100 < 1 ? 1 : 0)}`),
                  h("td", { class: "nowrap" }, `${b.input_side}×${b.input_side} px`),
                  h("td", { class: "small" }, b.reference_preset ? `preset ${b.reference_preset}` : b.reference_architecture_id ? h("a", { href: `#/editor?arch=${b.reference_architecture_id}` }, `architecture #${b.reference_architecture_id}`) : b.metric === "macs" ? "a fixed cost" : "a given time"),
                  h("td", {}, b.team_id === team.id ? h("button", { type: "button", class: "small-button danger", "aria-label": `Delete budget ${b.name}`, onclick: () => removeBudget(b) }, "Delete") : "")
                )
              )
            )
          )
        )
      );
    } catch (error) {
      fill(budgetsBody, message("error", api.explain(error, "budgets")));
    }
  }

  async function removeBudget(b) {
    if (!(await ask({ title: `Delete budget ${b.name}?`, lines: ["The leaderboard stops ranking in it; no result is deleted."], confirm: "Delete", cancel: "Keep it" }))) return;
    try {
      await api.request("DELETE", `/budgets/${b.id}`);
      fill(budgetStatus, message("ok", `Deleted budget ${b.name}.`));
      loadBudgets();
    } catch (error) {
      fill(budgetStatus, message("error", api.explain(error, "budgets")));
    }
  }

  fill(
    root,
    h("div", { class: "view-head" }, h("h1", {}, "Team"), h("p", { class: "muted small" }, currentTeam() ? `Team ${currentTeam().name}` : "")),
    h("section", { class: "card", "aria-labelledby": "tokens-h" }, h("h2", { id: "tokens-h" }, "API tokens"), h("p", { class: "muted small" }, "Each member, machine or script can have its own token; revoke one without disturbing the others. The last working token cannot be revoked."), create, tokenStatus, tokensBody),
    h(
      "section",
      { class: "card", "aria-labelledby": "budgets-h" },
      h("h2", { id: "budgets-h" }, "Budgets"),
      h("p", { class: "muted small" }, "Models compete within a budget's cost band, or, on a time budget, within its time measured on a device profile's device. Make one of a design with “Make a budget of this design” in the ", h("a", { href: "#/editor" }, "editor"), "."),
      budgetStatus,
      budgetsBody
    )
  );
  loadTokens();
  loadBudgets();
  return null;
}
