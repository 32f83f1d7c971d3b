// The editor's workflow bar: undo and redo (buttons, Ctrl+Z, Ctrl+Shift+Z or Ctrl+Y) and "copy
// link" to the design (docs/design.md, "Nothing typed is lost" and "Shareable designs"). The
// question before an unsaved draft is replaced is guard.js.
import { h, fill } from "../dom.js";
import { canRedo, canUndo, historyEvents, redo, undo } from "../history.js";
import { state } from "../store.js";

/** `3x36x36` -> {channels: 3, height: 36, width: 36}, or null. */
export function parseInput(text) {
  const match = /^(\d{1,5})x(\d{1,5})x(\d{1,5})$/.exec(text || "");
  return match ? { channels: Number(match[1]), height: Number(match[2]), width: Number(match[3]) } : null;
}

/** The address that opens `analysis` in the editor: its canonical notation and input shape. */
export function shareLink(analysis, name) {
  const { channels, height, width } = analysis.input;
  const query = new URLSearchParams({ notation: analysis.notation, input: `${channels}x${height}x${width}` });
  if (name) query.set("name", name);
  const { origin, pathname } = window.location;
  // URLSearchParams writes spaces as "+": spelled %20 so every reader decodes it the same way
  return `${origin}${pathname}#/editor?${query.toString().replace(/\+/g, "%20")}`;
}

export class WorkflowBar {
  /** `onRestore(snapshot)`: show a snapshot that undo or redo made the present. */
  constructor({ onRestore }) {
    this.onRestore = onRestore;
    this.undoButton = h("button", { type: "button", id: "undo", title: "Undo (Ctrl+Z)", "aria-keyshortcuts": "Control+Z", onclick: () => this.step(undo) }, "↶ Undo");
    this.redoButton = h("button", { type: "button", id: "redo", title: "Redo (Ctrl+Shift+Z)", "aria-keyshortcuts": "Control+Shift+Z", onclick: () => this.step(redo) }, "↷ Redo");
    this.copyButton = h("button", { type: "button", id: "copy-link", title: "A link that opens this design", onclick: () => this.copy() }, "Copy link");
    this.link = h("input", { type: "text", id: "share-link", readOnly: true, class: "share-link", "aria-label": "Link to this design", hidden: true });
    this.status = h("span", { class: "muted small", id: "share-status", "aria-live": "polite" });
    this.element = h("div", { class: "row workflow", id: "workflow" }, this.undoButton, this.redoButton, this.copyButton, this.link, this.status);
    this.sync = () => {
      this.undoButton.disabled = !canUndo();
      this.redoButton.disabled = !canRedo();
    };
    historyEvents.addEventListener("change", this.sync);
    this.keys = (event) => this.key(event);
    document.addEventListener("keydown", this.keys);
    this.sync();
  }

  stop() {
    historyEvents.removeEventListener("change", this.sync);
    document.removeEventListener("keydown", this.keys);
  }

  step(move) {
    const snapshot = move();
    if (snapshot) this.onRestore(snapshot);
  }

  /** Ctrl+Z and Ctrl+Shift+Z (Ctrl+Y, and Cmd on a Mac) act on the design, in the text box too:
   * one history for the notation, the table and the input shape. */
  key(event) {
    if (!(event.ctrlKey || event.metaKey) || event.altKey || document.querySelector("dialog[open]")) return;
    const key = event.key.toLowerCase();
    const move = key === "z" ? (event.shiftKey ? redo : undo) : key === "y" ? redo : null;
    if (!move) return;
    event.preventDefault();
    this.step(move);
  }

  /** Enabled once the draft analyses: a link carries the canonical notation. */
  update(analysis) {
    this.copyButton.disabled = !analysis;
  }

  async copy() {
    const analysis = state.analysis;
    if (!analysis) return;
    const url = shareLink(analysis, (state.draft.name || "").trim());
    this.link.value = url;
    this.link.hidden = false;
    try {
      await navigator.clipboard.writeText(url);
      fill(this.status, "Link copied.");
    } catch {
      fill(this.status, "Copy the link from the box.");
      this.link.select();
    }
  }
}
