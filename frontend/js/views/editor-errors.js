// The editor's error routing: an API error is shown where it was made (the notation box with a
// pointer to the character, the table's row and field, the input shape, or a general box), and
// the numbers still shown, those of the last valid stack, are marked stale.
import * as api from "../api.js";
import { h, fill, message } from "../dom.js";

export function clearErrors(view) {
  view.totals.classList.remove("stale");
  view.table.clearErrors();
  view.table.setDisabled(false);
  view.notation.readOnly = false;
  view.notation.removeAttribute("aria-invalid");
  for (const el of Object.values(view.inputs)) el.removeAttribute("aria-invalid");
  for (const box of [view.notationError, view.tableNote, view.inputError, view.generalError, view.totalsNote]) box.replaceChildren();
}

/** Route `error` (an answer to a request made from `mode`, "notation" or "table"). */
export function showError(view, error, mode) {
  clearErrors(view);
  view.totals.classList.add("stale");
  const field = error.field || "";
  const layer = /^(?:spec\.)?layers\[(\d+)\](?:\.(\w+))?/.exec(field);
  const input = /^(?:spec\.)?input\.(channels|height|width)/.exec(field);
  if (!(error instanceof api.ApiError) || error.status === 0 || error.status >= 500) {
    fill(view.generalError, message("error", api.explain(error)));
  } else if (field === "notation" && mode === "notation") {
    showNotationError(view, error);
    view.table.setDisabled(true);
    fill(view.tableNote, message("note", "The table shows the last valid stack; it is read-only until the notation parses. Nothing you typed is changed."));
  } else if (layer && view.table.showError(Number(layer[1]), layer[2], error.plain.replace(/^layers\[\d+\] /, ""))) {
    view.notation.readOnly = true;
    fill(view.notationError, message("note", "The notation follows the table: fix the highlighted layer first (the notation box is read-only meanwhile)."));
  } else if (input) {
    view.inputs[input[1]].setAttribute("aria-invalid", "true");
    fill(view.inputError, message("error", `Input ${input[1]}: ${error.plain}`));
  } else {
    fill(view.generalError, message("error", error.message));
  }
  fill(view.totalsNote, message("note", "The stack is invalid: the numbers are those of the last valid stack."));
}

/** The parser's message, the text around `error.position` with the whole token (or layer) it
 * quotes marked, from `position` to `end` as the API gives them, and a button that selects it in
 * the box. Positions are the API's, 0-based, in the message and the button alike (docs/design.md,
 * "Errors"). */
function showNotationError(view, error) {
  const text = view.notation.value;
  const at = Math.max(0, Math.min(error.position ?? 0, text.length));
  let end = Math.max(at, Math.min(error.end ?? at, text.length));
  if (end === at) end = Math.min(at + 1, text.length);
  const before = text.slice(Math.max(0, at - 40), at);
  view.notation.setAttribute("aria-invalid", "true");
  fill(
    view.notationError,
    h(
      "div",
      { class: "error", role: "alert", id: "notation-error-box" },
      h("div", {}, error.message),
      h(
        "div",
        { class: "pointer", "aria-hidden": "true" },
        at > 40 ? "…" : "",
        before,
        h("mark", {}, text.slice(at, end) || " "),
        text.slice(end, end + 40),
        text.length > end + 40 ? "…" : ""
      ),
      h("button", {
        type: "button",
        onclick: () => {
          view.notation.focus();
          view.notation.setSelectionRange(at, end);
        },
      }, `Select the error in the box (position ${at})`)
    )
  );
}
