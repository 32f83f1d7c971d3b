// Sign-in: paste a team token (kept in this browser's localStorage), or open the URL that
// `isocost serve` prints (#token=...), which does the same.
import * as api from "../api.js";
import { currentTeam, setTeam, setToken, signOut, signedIn, token } from "../auth.js";
import { h, fill, message } from "../dom.js";

export function mount(root) {
  const input = h("input", { type: "password", id: "token-input", autocomplete: "off", spellcheck: "false", placeholder: "iso_…", style: "width: min(100%, 34em)" });
  const show = h("input", { type: "checkbox", id: "token-show" });
  const status = h("div", { "aria-live": "polite", id: "signin-status" });
  const current = h("div");

  async function check() {
    if (!signedIn()) {
      fill(current, h("p", { class: "muted" }, "Not signed in. The design tools work without a token; saving, jobs and the leaderboard need one."));
      return;
    }
    const prefix = token().slice(0, 12);
    fill(current, h("p", {}, `A token starting ${prefix}… is stored in this browser. Checking it…`));
    try {
      const team = currentTeam() || (await api.get("/teams/me"));
      setTeam(team);
      fill(
        current,
        message("ok", `Signed in as team ${team.name} (team #${team.id}) with the token ${prefix}….`),
        h("button", { type: "button", id: "signout", onclick: () => { signOut(); check(); fill(status, message("ok", "Signed out: the token was removed from this browser.")); } }, "Sign out")
      );
    } catch (error) {
      fill(
        current,
        message("error", error.status === 401 ? `The stored token ${prefix}… was rejected: it is revoked or mistyped.` : api.explain(error, "team sign-in")),
        h("button", { type: "button", onclick: () => { signOut(); check(); } }, "Forget this token")
      );
    }
  }

  const form = h(
    "form",
    { class: "card", id: "signin-form" },
    h("h2", {}, "Team token"),
    h("div", { class: "field" }, h("label", { for: "token-input" }, "Paste your team token"), input),
    h("label", { class: "choices", style: "margin: 6px 0" }, show, "show the token while typing"),
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, "Sign in")),
    h(
      "p",
      { class: "muted small" },
      "Tokens come from your administrator (", h("code", {}, "isocost team create"), ") or from ", h("code", {}, "isocost serve"),
      ", which prints a link that signs this browser in. The token is kept in this browser's localStorage and sent as ",
      h("code", {}, "Authorization: Bearer …"), "."
    ),
    status
  );
  show.addEventListener("change", () => {
    input.type = show.checked ? "text" : "password";
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = input.value.trim();
    if (!value) {
      input.setAttribute("aria-invalid", "true");
      fill(status, message("error", "Paste a token first."));
      return;
    }
    input.removeAttribute("aria-invalid");
    setToken(value);
    input.value = "";
    fill(status, "");
    await check();
  });

  fill(root, h("div", { class: "view-head" }, h("h1", {}, "Sign in")), h("div", { class: "card" }, current), form);
  check();
}
