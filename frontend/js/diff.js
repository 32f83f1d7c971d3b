// Two analysed designs side by side, conv layer by conv layer (matched by name: conv1, conv2 ...),
// with the change of MACs: what a replacement would do before it is applied, or how two saved
// architectures differ.
import { h } from "./dom.js";
import * as fmt from "./format.js";

const conv = (layer) => `(${layer.kernel},${layer.out_channels})${layer.stride !== 1 ? `/${layer.stride}` : ""}`;

function cell(layer) {
  if (!layer) return h("td", { class: "muted" }, "—");
  return h("td", { class: "nowrap" }, h("span", { class: "mono" }, conv(layer)), " ", h("span", { class: "muted small" }, `${layer.out_hw[0]}×${layer.out_hw[1]} px, ${fmt.macs(layer.macs)}`));
}

/** A table of `before` against `after` (analyses), labelled with their names; rows that differ
 * are marked `changed`. */
export function diffTable(id, before, after, [beforeLabel, afterLabel]) {
  const convs = (a) => new Map(a.layers.filter((l) => l.kind === "conv").map((l) => [l.name, l]));
  const a = convs(before);
  const b = convs(after);
  const names = [...new Set([...a.keys(), ...b.keys()])].sort((x, y) => Number(x.slice(4)) - Number(y.slice(4)));
  const rows = names.map((name) => {
    const old = a.get(name);
    const now = b.get(name);
    const delta = (now?.macs || 0) - (old?.macs || 0);
    const same = old && now && conv(old) === conv(now) && old.macs === now.macs;
    return h(
      "tr",
      { class: same ? "muted" : "changed", dataset: { layer: name } },
      h("th", { scope: "row" }, name),
      cell(old),
      cell(now),
      h("td", { class: "num" }, delta === 0 ? "±0 MACs" : fmt.signedMacs(delta))
    );
  });
  const total = after.conv_macs - before.conv_macs;
  rows.push(
    h(
      "tr",
      { class: "sum" },
      h("th", { scope: "row" }, "Total C"),
      h("td", { class: "num" }, fmt.macsExact(before.conv_macs)),
      h("td", { class: "num" }, fmt.macsExact(after.conv_macs)),
      h("td", { class: "num" }, `${total === 0 ? "±0 MACs" : fmt.signedMacs(total)} (${fmt.signedPct(before.conv_macs ? total / before.conv_macs : 0)})`)
    )
  );
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { id, class: "diff" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Layer"), h("th", { scope: "col" }, beforeLabel), h("th", { scope: "col" }, afterLabel), h("th", { scope: "col", class: "num" }, "Δ MACs"))),
      h("tbody", {}, rows)
    )
  );
}

/** The notations of two designs, one above the other. */
export function notations(before, after, [beforeLabel, afterLabel]) {
  return h(
    "dl",
    { class: "facts notations" },
    h("dt", {}, beforeLabel),
    h("dd", { class: "mono" }, before.notation),
    h("dt", {}, afterLabel),
    h("dd", { class: "mono" }, after.notation)
  );
}
