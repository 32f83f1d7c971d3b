// Drawing an analysis in the editor: the totals card, the per-layer analysis table, and the
// per-layer chart (a server-built figure, requested like the analysis: latest request wins).
import * as api from "../api.js";
import { h, fill, message } from "../dom.js";
import * as fmt from "../format.js";
import { latestWins } from "../latest.js";
import { render as plot } from "../plot.js";
import { state } from "../store.js";
import { parted, predictedCells } from "./editor-device.js";

export function showTotals(view, analysis) {
  const convs = analysis.layers.filter((l) => l.kind === "conv").length;
  view.totalMacs.textContent = fmt.macsExact(analysis.conv_macs);
  view.totalCompact.textContent = `${fmt.macs(analysis.conv_macs)} · ${fmt.costUnit()}`;
  const { channels, height, width } = analysis.input;
  fill(
    view.facts,
    h("dt", {}, "fc MACs (beside C, not in it)"),
    h("dd", { id: "total-fc" }, fmt.macsExact(analysis.fc_macs)),
    h("dt", {}, "Parameters (biases included)"),
    h("dd", {}, `${fmt.int(analysis.params)} parameters (${fmt.bytes(analysis.params * 4)} at fp32)`),
    h("dt", {}, "Activations"),
    h("dd", {}, `${fmt.int(analysis.activations)} values per image`),
    h("dt", {}, "Input"),
    h("dd", {}, `${channels} ch × ${height}×${width} px`),
    h("dt", {}, "Depth"),
    h("dd", {}, `${convs} conv layers`)
  );
}

export function showAnalysisTable(view, analysis) {
  const flags = parted(analysis); // predicted time against C, with a device profile (editor-device.js)
  fill(
    view.analysisBody,
    analysis.layers.map((layer) =>
      h(
        "tr",
        { dataset: { name: layer.name } },
        h("th", { scope: "row" }, layer.name),
        h("td", { class: "mono" }, describe(layer)),
        h("td", { class: "nowrap" }, fmt.shape(layer)),
        h("td", { class: "num macs" }, layer.macs ? fmt.int(layer.macs) : "0"),
        h("td", { class: "num share" }, layer.kind === "conv" ? fmt.pct(layer.share) : "—"),
        h("td", { class: "num" }, fmt.int(layer.params)),
        predictedCells(layer, flags)
      )
    )
  );
}

/** One unrolled layer in short notation: "(3,64)/2", "pool 3/3", "fc 512". */
function describe(layer) {
  if (layer.kind === "conv") return `(${layer.kernel},${layer.out_channels})${layer.stride !== 1 ? `/${layer.stride}` : ""}`;
  if (layer.kind === "maxpool" || layer.kind === "avgpool") return `${layer.kind === "maxpool" ? "pool" : "avgpool"} ${layer.kernel}/${layer.stride}`;
  if (layer.kind === "fc") return `fc ${layer.out_channels}`;
  return layer.kind;
}

const CHART_IDLE_MS = 250; // the chart (a ~50 ms redraw) waits for a pause in the typing

/** The per-layer chart of state.analysis against the reference. Module-level in the editor, so
 * `currentView()` gives the mounted view (or null) when an answer arrives. */
export function layerChart(currentView) {
  let timer = null;
  const requests = latestWins((body) => api.post("/figures/layers", body), {
    onResult: async (out) => {
      const view = currentView();
      if (!view) return;
      view.chartError.replaceChildren();
      await plot(view.chart, out.figure);
    },
    onError: (error) => {
      const view = currentView();
      if (view) fill(view.chartError, message("error", `The chart could not be drawn: ${api.explain(error, "figures")}`));
    },
  });
  const draw = () => {
    const view = currentView();
    if (!view || !state.analysis) return;
    requests.run({ spec: state.analysis.spec, reference: view.reference.source() || undefined });
  };
  return {
    draw,
    /** Draw once the typing pauses. */
    schedule() {
      clearTimeout(timer);
      timer = setTimeout(draw, CHART_IDLE_MS);
    },
  };
}
