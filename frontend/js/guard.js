// The question before an unsaved draft is replaced (docs/design.md, "Nothing typed is lost"):
// every way the dashboard opens a design in the editor asks first (a preset, a replacement, a
// relation node, an "Open" link anywhere); an address typed by hand does not, and Undo brings the
// draft back either way. Installed at boot by main.js.
import { ask } from "./confirm.js";
import { state, unsaved } from "./store.js";

/** True when the draft may be replaced by `what` ("preset B", "architecture #4"): nothing would
 * be lost, or the user said so. */
export async function confirmReplace(what) {
  if (!unsaved()) return true;
  const name = (state.draft.name || "").trim();
  return ask({
    title: "Replace your unsaved design?",
    lines: [
      `${name ? `“${name}”` : "The design in the editor"} has changes that are not saved to your team.`,
      `Opening ${what} replaces it in the editor (Undo, or Ctrl+Z, brings it back).`,
    ],
    confirm: `Open ${what}`,
    cancel: "Keep editing",
  });
}

/** What an editor address opens, in words, or null if it opens no design. */
function describe(hash) {
  const match = /^#\/editor\?(.*)$/.exec(hash || "");
  if (!match) return null;
  const params = new URLSearchParams(match[1]);
  if (params.get("preset")) return `preset ${params.get("preset")}`;
  if (params.get("arch")) return `architecture #${params.get("arch")}`;
  if (params.has("notation")) return "the linked design";
  return null;
}

/** Go to `hash` (an editor address), asking first if that replaces an unsaved draft. */
export async function openDesign(hash) {
  const what = describe(hash);
  if (what && !(await confirmReplace(what))) return false;
  window.location.hash = hash;
  return true;
}

// Links to the editor that open a design, wherever they are (tables, the lineage tree, the
// relation graph's "Open" buttons): asked about before the browser follows them.
document.addEventListener(
  "click",
  (event) => {
    const link = event.target.closest?.("a[href^='#/editor?']");
    if (!link || event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    const hash = link.getAttribute("href");
    if (!describe(hash) || !unsaved()) return;
    event.preventDefault();
    openDesign(hash);
  },
  true
);
