// The editor's layer table: one row per spec layer (a repeated conv "x k" is one row), editable
// in place, with add / remove / duplicate / reorder by buttons and keyboard shortcuts.
import { h, fill, $, $$ } from "../dom.js";
import * as fmt from "../format.js";
import { layerKinds } from "../vocabulary.js";

const SHORTCUTS = [
  ["Alt+↑ / Alt+↓", "move the layer up / down"],
  ["Alt+Shift+↓", "duplicate the layer"],
  ["Alt+Enter", "add a conv layer below"],
  ["Alt+Delete", "remove the layer"],
];

/** A fresh layer of `type`, keeping what carries over from `from`. */
function defaultLayer(type, from = {}) {
  switch (type) {
    case "conv":
      return { type, size: from.size ?? 3, filters: from.filters ?? from.units ?? 64, stride: 1, padding: "same", repeat: 1 };
    case "maxpool":
    case "avgpool":
      return { type, size: from.type === "maxpool" || from.type === "avgpool" ? from.size : 2, stride: from.stride ?? 2 };
    case "spp":
      return { type, levels: [2, 1] };
    case "gap":
      return { type };
    default:
      return { type: "fc", units: from.units ?? 10 };
  }
}

// What the user typed, as the API expects it; anything else is sent as typed and the API names it.
function integer(text) {
  return /^\s*\d+\s*$/.test(text) ? Number(text) : text;
}

function parseField(type, key, text) {
  const value = text.trim();
  if (key === "levels") {
    const parts = value.split(/[\s,]+/).filter(Boolean);
    return parts.length && parts.every((p) => /^\d+$/.test(p)) ? parts.map(Number) : value;
  }
  if (key === "padding" && type === "conv") {
    if (value === "same" || value === "valid") return value;
    if (/^\d+(:\d+){3}$/.test(value)) return value.split(":").map(Number);
    return integer(value);
  }
  return integer(value);
}

const OPTIONAL = new Set(["stride", "padding", "repeat"]); // empty: the API's default

/** A field as wide as its value ("valid", "6,3,2,1" whole, not cut to "vali"), in the monospace
 * font's character widths, plus its padding and border (and a suggestion list's arrow). */
function fitWidth(el) {
  el.style.width = `calc(${Math.max(3, el.value.length + 1)}ch + ${el.hasAttribute("list") ? 30 : 10}px)`;
}

function show(value, key) {
  if (value === undefined || value === null) return "";
  if (Array.isArray(value)) return value.join(key === "padding" ? ":" : ",");
  return String(value);
}

export class LayerTable {
  /** `onChange(kind)` is called after every edit: kind "value" (a field) or "structure". */
  constructor(root, { onChange }) {
    this.root = root;
    this.onChange = onChange;
    this.layers = [];
    this.keys = [];
    this.nextKey = 1;
    this.disabled = false;
    this.tbody = h("tbody");
    this.total = h("td", { class: "num", colspan: "3" });
    const help = h(
      "p",
      { class: "muted small" },
      "Keyboard, in a row: ",
      SHORTCUTS.map(([keys, what], i) => [i ? "; " : "", h("kbd", {}, keys), " ", what]),
      "."
    );
    this.table = h(
      "table",
      { class: "layers", id: "layer-table" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, "#"),
          h("th", { scope: "col" }, "Type"),
          h("th", { scope: "col", title: "filter or window side s (px); spp: pyramid levels" }, "Size"),
          h("th", { scope: "col", title: "conv: filters n (output channels); fc: units" }, "Filters"),
          h("th", { scope: "col" }, "Stride"),
          h("th", { scope: "col", title: "repeat: the same layer k times, weights not shared" }, "×k"),
          h("th", { scope: "col", title: "same, valid, p, or t:b:l:r (px)" }, "Padding"),
          h("th", { scope: "col", title: "channels × height × width in pixels" }, "Output (ch × px)"),
          h("th", { scope: "col", class: "num" }, "Conv MACs"),
          h("th", { scope: "col", class: "num" }, "Share of C"),
          h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions"))
        )
      ),
      this.tbody,
      h("tfoot", {}, h("tr", {}, h("td", { colspan: "8" }, "Total C (conv layers, Eqn. 1)"), this.total))
    );
    root.append(h("div", { class: "table-wrap" }, this.table), help);
    this.tbody.addEventListener("input", (event) => this.edited(event));
    this.tbody.addEventListener("change", (event) => {
      if (event.target.matches("select[data-key='type']")) this.retype(event);
    });
    this.tbody.addEventListener("keydown", (event) => this.shortcut(event));
  }

  setLayers(layers) {
    this.layers = layers.map((layer) => ({ ...layer }));
    this.keys = this.layers.map(() => this.nextKey++);
    this.render();
  }

  /** The layers as the API wants them: empty optional fields left out. */
  specLayers() {
    return this.layers.map((layer) => {
      const out = {};
      for (const [key, value] of Object.entries(layer)) {
        if (value === "" && OPTIONAL.has(key)) continue;
        out[key] = value;
      }
      return out;
    });
  }

  setDisabled(disabled) {
    this.disabled = disabled;
    for (const el of $$("input, select, button", this.tbody)) el.disabled = disabled;
    this.table.classList.toggle("stale", disabled);
  }

  render() {
    fill(this.tbody, this.layers.map((layer, i) => this.row(layer, i)));
    if (this.disabled) this.setDisabled(true);
  }

  row(layer, i) {
    const n = i + 1;
    const input = (key, label, extra = {}) =>
      fitted(h("input", {
        type: "text",
        inputmode: key === "levels" || key === "padding" ? "text" : "numeric",
        autocomplete: "off",
        spellcheck: "false",
        "aria-label": `Layer ${n} ${label}`,
        dataset: { key },
        value: show(layer[key], key),
        ...extra,
      }));
    const fitted = (el) => {
      fitWidth(el);
      return el;
    };
    const type = layer.type;
    const conv = type === "conv";
    const pool = type === "maxpool" || type === "avgpool";
    const select = h(
      "select",
      { "aria-label": `Layer ${n} type`, dataset: { key: "type" } },
      // the kind's short name keeps the column narrow; its label is the option's tooltip
      layerKinds().map(({ kind, label }) => h("option", { value: kind, title: label, selected: kind === type }, kind))
    );
    const button = (action, text, label, keys) =>
      h("button", {
        type: "button",
        class: "icon",
        dataset: { action },
        "aria-label": `${label} layer ${n}`,
        title: `${label} (${keys})`,
        "aria-keyshortcuts": keys.replace("↑", "ArrowUp").replace("↓", "ArrowDown"),
        onclick: () => this.act(action, i),
      }, text);
    return h(
      "tr",
      { dataset: { index: i, key: this.keys[i] } },
      h("td", { class: "num muted" }, n),
      h("td", {}, select),
      h("td", {}, conv || pool ? input("size", "size (px)") : type === "spp" ? input("levels", "pyramid levels", { class: "wide" }) : ""),
      h("td", {}, conv ? input("filters", "filters") : type === "fc" ? input("units", "units") : ""),
      h("td", {}, conv || pool ? input("stride", "stride") : ""),
      h("td", {}, conv ? input("repeat", "repeat count") : ""),
      h("td", {}, conv ? input("padding", "padding", { list: "padding-options", class: "wide" }) : pool ? input("padding", "padding (px)") : ""),
      h("td", { class: "out nowrap" }),
      h("td", { class: "macs num" }),
      h("td", { class: "share num" }),
      h(
        "td",
        { class: "actions" },
        button("up", "↑", "Move up", "Alt+↑"),
        button("down", "↓", "Move down", "Alt+↓"),
        button("duplicate", "⇊", "Duplicate", "Alt+Shift+↓"),
        button("remove", "✕", "Remove", "Alt+Delete")
      )
    );
  }

  edited(event) {
    const el = event.target;
    const tr = el.closest("tr[data-index]");
    if (!tr || !el.dataset.key || el.dataset.key === "type") return;
    const layer = this.layers[Number(tr.dataset.index)];
    fitWidth(el);
    layer[el.dataset.key] = parseField(layer.type, el.dataset.key, el.value);
    this.onChange("value");
  }

  retype(event) {
    const i = Number(event.target.closest("tr").dataset.index);
    this.layers[i] = defaultLayer(event.target.value, this.layers[i]);
    this.render();
    this.focus(i, "[data-key='type']");
    this.onChange("structure");
  }

  shortcut(event) {
    if (!event.altKey) return;
    const tr = event.target.closest("tr[data-index]");
    if (!tr) return;
    const i = Number(tr.dataset.index);
    let action = null;
    if (event.key === "ArrowUp" && !event.shiftKey) action = "up";
    else if (event.key === "ArrowDown" && event.shiftKey) action = "duplicate";
    else if (event.key === "ArrowDown") action = "down";
    else if (event.key === "Enter") action = "insert";
    else if (event.key === "Delete" || event.key === "Backspace") action = "remove";
    if (!action) return;
    event.preventDefault();
    const selector = event.target.dataset.key ? `[data-key='${event.target.dataset.key}']` : `[data-action='${event.target.dataset.action}']`;
    this.act(action, i, selector);
  }

  /** add a layer of `type` at the end (or after row `after`) */
  add(type, after = this.layers.length - 1) {
    const near = this.layers[after] || this.layers[this.layers.length - 1] || {};
    this.insert(after + 1, defaultLayer(type, near.type === "conv" ? near : {}));
    this.focus(after + 1, "[data-key='type']");
  }

  insert(at, layer) {
    this.layers.splice(at, 0, layer);
    this.keys.splice(at, 0, this.nextKey++);
    this.render();
    this.onChange("structure");
  }

  act(action, i, selector = `[data-action='${action}']`) {
    const move = (to) => {
      if (to < 0 || to >= this.layers.length) return;
      [this.layers[i], this.layers[to]] = [this.layers[to], this.layers[i]];
      [this.keys[i], this.keys[to]] = [this.keys[to], this.keys[i]];
      this.render();
      this.focus(to, selector);
      this.onChange("structure");
    };
    if (action === "up") move(i - 1);
    else if (action === "down") move(i + 1);
    else if (action === "duplicate") {
      this.insert(i + 1, structuredClone(this.layers[i]));
      this.focus(i + 1, selector.includes("data-action") ? "[data-action='duplicate']" : selector);
    } else if (action === "insert") {
      this.add("conv", i);
    } else if (action === "remove") {
      if (this.layers.length === 1) return; // a spec needs one layer; the API says so otherwise
      this.layers.splice(i, 1);
      this.keys.splice(i, 1);
      this.render();
      this.focus(Math.min(i, this.layers.length - 1), "[data-action='remove']");
      this.onChange("structure");
    }
  }

  focus(i, selector) {
    const tr = this.tbody.querySelector(`tr[data-index='${i}']`);
    const el = (tr && $(selector, tr)) || (tr && $("select", tr));
    if (el) el.focus();
  }

  /** Fill the derived cells from an analysis of these layers (reports carry spec_index). */
  showAnalysis(analysis) {
    const groups = new Map();
    for (const report of analysis.layers) {
      if (!groups.has(report.spec_index)) groups.set(report.spec_index, []);
      groups.get(report.spec_index).push(report);
    }
    for (const tr of this.tbody.querySelectorAll("tr[data-index]")) {
      const reports = groups.get(Number(tr.dataset.index)) || [];
      const last = reports[reports.length - 1];
      const conv = reports.length && reports[0].kind === "conv";
      const total = reports.reduce((sum, r) => sum + (r.kind === "conv" ? r.macs : 0), 0);
      const share = reports.reduce((sum, r) => sum + r.share, 0);
      tr.querySelector(".out").textContent = last ? (last.out_hw ? `${last.out_channels} × ${last.out_hw[0]}×${last.out_hw[1]}` : `${last.out_channels} features`) : "";
      const macsCell = tr.querySelector(".macs");
      macsCell.textContent = conv ? fmt.macs(total) : "";
      macsCell.title = conv ? fmt.macsExact(total) + (reports.length > 1 ? ` over ${reports.length} layers` : "") : "";
      tr.querySelector(".share").textContent = conv ? fmt.pct(share) : "";
    }
    this.total.textContent = fmt.macsExact(analysis.conv_macs);
  }

  clearErrors() {
    for (const el of $$("[aria-invalid='true']", this.tbody)) {
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-describedby");
    }
    for (const tr of $$("tr.row-error", this.tbody)) tr.classList.remove("row-error");
    for (const tr of $$("tr.err", this.tbody)) tr.remove();
  }

  /** Mark row `index` (and its field `key`, if any) with the API's message, below the row. */
  showError(index, key, text) {
    this.clearErrors();
    const tr = this.tbody.querySelector(`tr[data-index='${index}']`);
    if (!tr) return false;
    tr.classList.add("row-error");
    const id = `layer-error-${index}`;
    const target = key && (tr.querySelector(`[data-key='${key}']`) || null);
    if (target) {
      target.setAttribute("aria-invalid", "true");
      target.setAttribute("aria-describedby", id);
    }
    tr.after(h("tr", { class: "err" }, h("td", { class: "err-msg", colspan: "11", id, role: "alert" }, `Layer ${index + 1}: ${text}`)));
    return true;
  }
}
