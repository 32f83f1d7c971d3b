// A question in the page (a modal <dialog>), not window.confirm: it names things in the page's
// own words and styles, and tests can read and answer it like any other element.
import { h } from "./dom.js";

/** Ask; resolves true for `confirm`, false for `cancel` or Escape. The cautious answer (`cancel`)
 * has the focus, so Enter never takes the riskier one by accident. */
export function ask({ title, lines = [], confirm, cancel }) {
  return new Promise((resolve) => {
    const yes = h("button", { type: "button", class: "primary", id: "confirm-yes" }, confirm);
    const no = h("button", { type: "button", id: "confirm-no" }, cancel);
    const dialog = h(
      "dialog",
      { class: "confirm", id: "confirm-dialog", "aria-labelledby": "confirm-title" },
      h("h2", { id: "confirm-title" }, title),
      lines.map((line) => h("p", {}, line)),
      h("div", { class: "row" }, no, yes)
    );
    const finish = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    yes.addEventListener("click", () => finish(true));
    no.addEventListener("click", () => finish(false));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      finish(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    no.focus();
  });
}
