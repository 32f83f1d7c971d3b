// The replacement assistant's candidates: a table, "= model F" where a candidate is one of the
// paper's models (by spec identity, from the API), and a preview (a diff against the current
// design) before a candidate is applied (docs/design.md, "Replacement preview").
import * as api from "../api.js";
import { diffTable, notations } from "../diff.js";
import { h, fill, message } from "../dom.js";
import * as fmt from "../format.js";

const SHOWN = 12; // candidates listed: the nearest in C, the rest are further off

function modelBadge(candidate, models) {
  if (!candidate.preset) return "";
  const model = models.get(candidate.preset) || candidate.preset;
  return h("span", { class: "badge model", title: `The same network as preset ${candidate.preset} (spec identity)` }, `= model ${model}`);
}

/** Fill `root` with `list`; `analysis` is the current design, `onApply(candidate)` applies one. */
export async function showCandidates(root, list, analysis, onApply) {
  if (!list.length) {
    fill(root, h("div", { class: "empty" }, "No candidate: try another depth, filter size or range."));
    return;
  }
  let models = new Map();
  try {
    models = new Map((await api.presets()).map((p) => [p.name, p.model]));
  } catch {
    /* the preset's name is shown instead of its model's */
  }
  const preview = h("section", { class: "preview", id: "candidate-preview", "aria-live": "polite" });
  const rows = list.slice(0, SHOWN).map((c, i) =>
    h(
      "tr",
      { dataset: { index: i } },
      h("td", { class: "mono" }, c.description, " ", modelBadge(c, models)),
      h("td", { class: "num" }, c.depth ?? "—"),
      h("td", { class: "num" }, c.size ? `${c.size} px` : "—"),
      h("td", { class: "num" }, c.width ?? "—"),
      h("td", { class: "num" }, fmt.macsExact(c.conv_macs)),
      h("td", { class: "num" }, fmt.signedPct(c.change, 2)),
      h("td", {}, h("span", { class: `badge ${c.within_tolerance ? "in" : "out"}` }, c.within_tolerance ? "within" : "outside")),
      h(
        "td",
        { class: "nowrap" },
        // a radio, not a button: one candidate is previewed at a time, and each row keeps one button
        h("label", { class: "choices preview-choice" }, h("input", { type: "radio", name: "preview", value: String(i), "aria-label": `Preview candidate ${i + 1}: ${c.description}`, onchange: () => showPreview(preview, c, i, analysis, models, onApply) }), "Preview"),
        " ",
        h("button", { type: "button", class: i === 0 ? "primary" : "", "aria-label": `Apply candidate ${i + 1}: ${c.description}`, onclick: () => onApply(c) }, "Apply")
      )
    )
  );
  const heads = ["Change", "Depth (layers)", "Size s", "Width n (filters)"].map((t) => h("th", { scope: "col" }, t));
  fill(
    root,
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { id: "candidate-table" },
        h("thead", {}, h("tr", {}, heads, h("th", { scope: "col", class: "num" }, "New C"), h("th", { scope: "col", class: "num" }, "Cost change"), h("th", { scope: "col" }, "Tolerance"), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Preview or apply")))),
        h("tbody", {}, rows)
      )
    ),
    h("p", { class: "muted small" }, "Nearest in C first. Cost change is the new C against the current design's C (MACs per image, conv layers, Eqn. 1). “= model F”: the candidate is one of the paper's models."),
    preview
  );
}

async function showPreview(root, candidate, i, analysis, models, onApply) {
  fill(root, h("p", { class: "muted" }, "Analysing the candidate…"));
  let after;
  try {
    after = await api.post("/complexity", { spec: candidate.spec });
  } catch (error) {
    fill(root, message("error", `The candidate could not be analysed: ${api.explain(error)}`));
    return;
  }
  const labels = ["Current design", `Candidate ${i + 1}`];
  fill(
    root,
    h("h3", {}, `Preview of candidate ${i + 1}: `, h("span", { class: "mono" }, candidate.description), " ", modelBadge(candidate, models)),
    notations(analysis, after, labels),
    diffTable("preview-diff", analysis, after, labels),
    h("div", { class: "row" }, h("button", { type: "button", class: "primary", id: "preview-apply", onclick: () => onApply(candidate) }, `Apply candidate ${i + 1}`))
  );
  root.scrollIntoView({ block: "nearest" });
}
