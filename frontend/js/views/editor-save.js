// The editor's "save to team" and "train or benchmark" panels.
import * as api from "../api.js";
import { signedIn } from "../auth.js";
import { h, fill, message, $ } from "../dom.js";
import { state, persist, isSaved } from "../store.js";

function signInHint(what) {
  return h("p", { class: "muted" }, h("a", { href: "#/signin" }, "Sign in"), ` with your team token to ${what}.`);
}

export class SavePanel {
  constructor({ onSaved }) {
    this.onSaved = onSaved;
    this.published = h("input", { type: "checkbox", id: "save-published" });
    this.button = h("button", { type: "button", class: "primary", id: "save-button", onclick: () => this.save() }, "Save to team");
    this.status = h("div", { "aria-live": "polite" });
    this.body = h("div");
    this.element = h("section", { class: "card", "aria-labelledby": "save-h" }, h("h2", { id: "save-h" }, "Save as a team architecture"), this.body, this.status);
  }

  update(analysis) {
    if (!signedIn()) {
      fill(this.body, signInHint("save designs"));
      return;
    }
    const name = (state.draft.name || "").trim();
    this.button.disabled = !analysis || !name;
    fill(
      this.body,
      h("p", { class: "muted small" }, "Saved under the name above (unique in your team). Saved specs never change; an edit saves as a new architecture", state.draft.parentId ? ` whose parent is #${state.draft.parentId}` : "", "."),
      h("div", { class: "row" }, this.button, h("label", { class: "choices" }, this.published, "publish to all teams")),
      !name ? h("p", { class: "muted small" }, "Give the design a name first.") : "",
      isSaved(analysis) ? message("ok", `Saved as architecture #${state.draft.savedId}.`) : ""
    );
  }

  async save() {
    const analysis = state.analysis;
    const draft = state.draft;
    const name = (draft.name || "").trim();
    const nameInput = $("#design-name");
    nameInput?.removeAttribute("aria-invalid");
    this.button.disabled = true;
    try {
      const saved = await api.post("/architectures", {
        name,
        spec: { ...analysis.spec, name },
        parent_id: draft.parentId ?? undefined,
        published: this.published.checked,
      });
      const parent = draft.parentId;
      draft.savedId = saved.id;
      draft.savedHash = saved.spec_hash;
      draft.origin = `architecture #${saved.id} ${saved.name}`;
      draft.parentId = saved.id;
      draft.parentName = saved.name;
      persist();
      this.update(analysis);
      const dupes = saved.duplicates?.length ? ` Same spec as: ${saved.duplicates.map((d) => `#${d.id} ${d.name}`).join(", ")}.` : "";
      fill(this.status, message("ok", `Saved as #${saved.id} ${saved.name}${parent ? `, parent #${parent}` : ""}.${dupes}`));
      this.onSaved(saved);
    } catch (error) {
      if (error.field === "name") nameInput?.setAttribute("aria-invalid", "true");
      fill(this.status, message("error", api.explain(error, "saving architectures")));
      this.button.disabled = false;
    }
  }
}

export class RunPanel {
  constructor() {
    this.body = h("div");
    this.status = h("div", { "aria-live": "polite" });
    this.element = h("section", { class: "card", "aria-labelledby": "run-h" }, h("h2", { id: "run-h" }, "Train or benchmark"), this.body, this.status);
    this.form = this.buildForm();
  }

  stop() {}

  buildForm() {
    const field = (id, label, control, hint) => h("div", { class: "field" }, h("label", { for: id }, label, hint ? h("span", { class: "muted small hint" }, ` ${hint}`) : ""), control);
    const num = (id, value, cls = "w-num") => h("input", { type: "text", inputmode: "decimal", id, value, class: cls, autocomplete: "off" });
    const el = {
      train: h("input", { type: "radio", name: "job-kind", value: "train", id: "kind-train", checked: true }),
      bench: h("input", { type: "radio", name: "job-kind", value: "benchmark", id: "kind-bench" }),
      dataset: h(
        "select",
        { id: "job-dataset" },
        h("option", { value: "digits" }, "digits (built in: 1,797 8×8 images)"),
        h("option", { value: "cifar10" }, "CIFAR-10 (path under the data root)"),
        h("option", { value: "imagefolder" }, "ImageFolder (path under the data root)"),
        h("option", { value: "synthetic" }, "synthetic (timing only, never ranked)")
      ),
      path: h("input", { type: "text", id: "job-path", class: "w-mid", autocomplete: "off", placeholder: "cifar-10-batches-py" }),
      byEpochs: h("input", { type: "radio", name: "job-budget", value: "epochs", id: "budget-epochs", checked: true }),
      byTime: h("input", { type: "radio", name: "job-budget", value: "time", id: "budget-time" }),
      epochs: num("job-epochs", "30"), // the default protocol (app/jobs/params.py, DEFAULT_EPOCHS)
      time: num("job-time", "60"),
      seeds: h("input", { type: "text", id: "job-seeds", value: "0", class: "w-mid", autocomplete: "off" }),
      batch: num("job-batch", "64"),
      benchBatch: num("job-bench-batch", "32"),
      repeats: num("job-repeats", "30"),
      queue: h("select", { id: "job-queue" }, h("option", { value: "" }, "server default"), h("option", { value: "cpu" }, "cpu"), h("option", { value: "gpu" }, "gpu")),
      submit: h("button", { type: "submit", class: "primary", id: "job-submit" }, "Submit"),
    };
    const trainPart = h(
      "div",
      {},
      h("div", { class: "row" }, field("job-dataset", "Dataset", el.dataset), field("job-path", "Path", el.path)),
      h(
        "fieldset",
        {},
        h("legend", {}, "Training budget"),
        h("div", { class: "row" }, h("label", { class: "choices" }, el.byEpochs, "epochs"), el.epochs, h("label", { class: "choices" }, el.byTime, "time budget (s)"), el.time)
      ),
      h("div", { class: "row" }, field("job-seeds", "Seeds", el.seeds, "(one job each, e.g. 0, 1, 2)"), field("job-batch", "Batch (images)", el.batch))
    );
    const benchPart = h("div", { class: "row", hidden: true }, field("job-bench-batch", "Batch (images)", el.benchBatch), field("job-repeats", "Timed repeats", el.repeats));
    const form = h(
      "form",
      { id: "job-form", novalidate: true },
      h("div", { class: "choices", role: "radiogroup", "aria-label": "Job kind" }, h("label", {}, el.train, "train"), h("label", {}, el.bench, "benchmark")),
      trainPart,
      benchPart,
      h("div", { class: "row" }, field("job-queue", "Queue", el.queue), el.submit)
    );
    const sync = () => {
      const train = el.train.checked;
      trainPart.hidden = !train;
      benchPart.hidden = train;
      const needsPath = el.dataset.value === "cifar10" || el.dataset.value === "imagefolder";
      el.path.disabled = !needsPath;
      el.epochs.disabled = !el.byEpochs.checked;
      el.time.disabled = el.byEpochs.checked;
    };
    form.addEventListener("change", sync);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit(el);
    });
    sync();
    this.fields = el;
    return form;
  }

  update(analysis) {
    if (!signedIn()) {
      fill(this.body, signInHint("train and benchmark"));
      return;
    }
    if (!isSaved(analysis)) {
      fill(this.body, h("p", { class: "muted" }, "Save this design first: jobs run on saved architectures (and a saved spec never changes, so results stay attached to it)."));
      return;
    }
    fill(this.body, h("p", { class: "muted small" }, `Runs architecture #${state.draft.savedId}.`), this.form);
  }

  async submit(el) {
    const number = (input) => (input.value.trim() === "" ? input.value : Number(input.value));
    const train = el.train.checked;
    let body;
    if (train) {
      const dataset = { kind: el.dataset.value };
      if (!el.path.disabled) dataset.path = el.path.value.trim();
      const params = { dataset, batch_size: number(el.batch) };
      if (el.byEpochs.checked) params.epochs = number(el.epochs);
      else params.time_budget_s = number(el.time);
      const seeds = el.seeds.value.split(/[\s,]+/).filter(Boolean).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
      body = { architecture_id: state.draft.savedId, kind: "train", params, seeds: seeds.length ? seeds : undefined };
    } else {
      body = { architecture_id: state.draft.savedId, kind: "benchmark", params: { batch_size: number(el.benchBatch), repeats: number(el.repeats) } };
    }
    if (el.queue.value) body.queue = el.queue.value;
    el.submit.disabled = true;
    for (const input of this.form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
    try {
      const out = await api.post("/jobs", body);
      fill(
        this.status,
        message("ok", `Submitted ${out.jobs.length === 1 ? "job" : "jobs"} `, out.jobs.map((job, i) => [i ? ", " : "", h("a", { href: `#/jobs/${job.id}` }, `#${job.id}`)]), ". ", h("a", { href: "#/jobs" }, "Follow them on the Jobs page"), ".")
      );
    } catch (error) {
      const map = { "params.epochs": el.epochs, "params.time_budget_s": el.time, "params.batch_size": train ? el.batch : el.benchBatch, "params.repeats": el.repeats, seeds: el.seeds, "params.dataset": el.dataset, "params.dataset.path": el.path };
      const target = error.field && Object.entries(map).find(([key]) => error.field.startsWith(key))?.[1];
      target?.setAttribute("aria-invalid", "true");
      fill(this.status, message("error", api.explain(error, "jobs")));
    } finally {
      el.submit.disabled = false;
    }
  }
}
