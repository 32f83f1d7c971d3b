// The network as a diagram, as Netscope draws one (docs/design.md, "Network diagram"): a box per
// unrolled layer with its output shape, its width in proportion to its channels, a conv's share
// of C, and a rule at every stage boundary (after each pooling layer, as the notation's "|").
import { h, fill } from "../dom.js";
import * as fmt from "../format.js";

const POOLS = new Set(["maxpool", "avgpool"]);
const MIN_WIDTH = 18; // percent: the narrowest box still holds its label

function describe(layer) {
  if (layer.kind === "conv") return `${layer.kernel}×${layer.kernel} conv, ${layer.out_channels}${layer.stride !== 1 ? `, /${layer.stride}` : ""}`;
  if (POOLS.has(layer.kind)) return `${layer.kind === "maxpool" ? "max" : "avg"} pool ${layer.kernel}/${layer.stride}`;
  if (layer.kind === "fc") return `fc ${layer.out_channels}`;
  return layer.kind;
}

function output(layer) {
  return layer.out_hw ? `${layer.out_channels}×${layer.out_hw[0]}×${layer.out_hw[1]}` : `${layer.out_channels}`;
}

/** Stages: runs of layers ended by a pooling layer; the head (spp, gap, fc) is the last one. */
function stages(layers) {
  const out = [[]];
  for (const layer of layers) {
    out[out.length - 1].push(layer);
    if (POOLS.has(layer.kind)) out.push([]);
  }
  return out.filter((stage) => stage.length);
}

function stageLabel(stage, i) {
  const map = stage.find((layer) => layer.kind === "conv")?.out_hw || stage[0].in_hw;
  return `Stage ${i + 1}${map ? ` · ${map[0]}×${map[1]} px` : ""}`;
}

export class Diagram {
  constructor() {
    this.body = h("div", { class: "diagram", id: "diagram", role: "list", "aria-label": "Layers of the network" });
    this.element = h(
      "section",
      { class: "card", "aria-labelledby": "diagram-h" },
      h("h2", { id: "diagram-h" }, "Network diagram"),
      h("p", { class: "muted small" }, "One box per layer, as wide as its channels; the shaded part of a conv is its share of C. Rules mark the stages."),
      this.body
    );
  }

  draw(analysis) {
    const input = analysis.input;
    const widest = Math.max(input.channels, ...analysis.layers.filter((l) => l.out_hw).map((l) => l.out_channels));
    const width = (channels) => Math.max(MIN_WIDTH, Math.min(100, (100 * channels) / widest));
    const box = (layer) => {
      const conv = layer.kind === "conv";
      const flat = !layer.out_hw;
      return h(
        "div",
        {
          class: `box kind-${layer.kind}${flat ? " flat" : ""}`,
          role: "listitem",
          dataset: { name: layer.name, channels: layer.out_channels },
          style: `width:${flat ? 100 : width(layer.out_channels).toFixed(1)}%${conv ? `;--share:${(layer.share * 100).toFixed(2)}%` : ""}`,
          title: `${layer.name}: ${describe(layer)} → ${fmt.shape(layer)}${conv ? `, ${fmt.macsExact(layer.macs)} (${fmt.pct(layer.share)} of C)` : ""}`,
        },
        h("span", { class: "box-name" }, layer.name),
        h("span", { class: "box-what" }, describe(layer)),
        h("span", { class: "box-out" }, output(layer)),
        conv ? h("span", { class: "box-share" }, `${fmt.pct(layer.share)} of C`) : ""
      );
    };
    fill(
      this.body,
      h("div", { class: "diagram-input" }, `input ${input.channels}×${input.height}×${input.width}`),
      stages(analysis.layers).map((stage, i) => h("div", { class: "stage", dataset: { stage: i + 1 } }, h("div", { class: "stage-label" }, stageLabel(stage, i)), stage.map(box)))
    );
  }
}
