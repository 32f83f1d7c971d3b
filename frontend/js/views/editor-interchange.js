// The editor's interchange buttons: export the analysed spec as ONNX or PyTorch source, and
// import an ONNX file (the button, or a .onnx file dropped on the editor) as the draft
// (docs/api.md, "Interchange").
import * as api from "../api.js";
import { h, fill, message } from "../dom.js";
import { download, upload } from "../files.js";
import { state } from "../store.js";

export class InterchangePanel {
  /** onImported(analysis, fileName): the answer of POST /import, to load as the draft. */
  constructor({ onImported }) {
    this.onImported = onImported;
    this.status = h("div", { "aria-live": "polite", id: "interchange-status" });
    this.file = h("input", { type: "file", accept: ".onnx", id: "import-file", hidden: true, onchange: () => this.file.files[0] && this.importFile(this.file.files[0]) });
    this.onnx = h("button", { type: "button", id: "export-onnx", title: "The spec as an ONNX graph (weights as inputs)", onclick: () => this.exportAs("onnx") }, "Export ONNX");
    this.pytorch = h("button", { type: "button", id: "export-pytorch", title: "The spec as one PyTorch source file", onclick: () => this.exportAs("pytorch") }, "Export PyTorch");
    const importButton = h("button", { type: "button", id: "import-onnx", title: "Or drop a .onnx file on the editor", onclick: () => this.file.click() }, "Import ONNX…");
    this.element = h("div", { class: "field", id: "interchange" }, h("span", { class: "muted small" }, "ONNX and PyTorch"), h("div", { class: "row" }, this.onnx, this.pytorch, importButton, this.file), this.status);
  }

  /** Exports need an analysed spec: none while the draft has an error. */
  update(analysis) {
    this.onnx.disabled = this.pytorch.disabled = !analysis;
  }

  async exportAs(format) {
    const analysis = state.analysis;
    if (!analysis) return;
    try {
      const name = await download("POST", "/export", { spec: analysis.spec, format });
      fill(this.status, message("ok", `Downloaded ${name}.`));
    } catch (error) {
      fill(this.status, message("error", api.explain(error, "exports")));
    }
  }

  async importFile(file) {
    fill(this.status, message("note", `Reading ${file.name}…`));
    try {
      const analysis = await upload("/import", file);
      fill(this.status, message("ok", `Imported ${file.name}: ${analysis.layers.length} layers.`));
      this.onImported(analysis, file.name);
    } catch (error) {
      fill(this.status, message("error", `${file.name}: ${api.explain(error, "imports")}`));
    }
    this.file.value = "";
  }

  /** Take a file dropped anywhere on `root`. */
  acceptDrops(root) {
    root.addEventListener("dragover", (event) => {
      if ([...(event.dataTransfer?.types || [])].includes("Files")) event.preventDefault();
    });
    root.addEventListener("drop", (event) => {
      const file = event.dataTransfer?.files?.[0];
      if (!file) return;
      event.preventDefault();
      this.importFile(file);
    });
  }
}
