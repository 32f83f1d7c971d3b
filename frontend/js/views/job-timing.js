// The job page's device-profile parts (docs/design.md, "Device profiles"): a calibration job's
// profile, and a benchmark's measured times against what the newest matching profile predicts.
import * as api from "../api.js";
import { h, fill, message } from "../dom.js";
import * as fmt from "../format.js";
import { roundsText } from "../timing.js";

/** A job's architecture as a link, or what a calibration times instead. */
export function architectureLink(job) {
  if (job.architecture_id === null) return h("span", { class: "muted" }, "the worker's device");
  return h("a", { href: `#/editor?arch=${job.architecture_id}` }, job.architecture_name);
}

/** A calibration job's device profile, once it has succeeded. */
export async function showCalibration(into, job) {
  if (job.status !== "succeeded") {
    fill(into, h("div", { class: "empty" }, job.status === "failed" || job.status === "cancelled" ? "No device profile: the calibration did not finish." : "The worker is timing layers inside networks; the device profile appears when it finishes."));
    return;
  }
  try {
    const [profile] = (await api.get(`/device-profiles?job_id=${job.id}`)).items;
    if (!profile) return fill(into, message("error", "This calibration stored no device profile."));
    const fit = profile.fit;
    const pctOf = (v) => (v === null ? "—" : fmt.pct(v));
    fill(
      into,
      h(
        "section",
        { class: "card", id: "calibration-profile" },
        h("h2", {}, `Device profile #${profile.id}: ${profile.name}`),
        h(
          "dl",
          { class: "facts" },
          h("dt", {}, "Device"),
          h("dd", {}, `${profile.device} (${profile.device_type}, torch ${profile.torch_version}, ${profile.threads ?? "?"} threads)`),
          h("dt", {}, "Precision / layout / batch"),
          h("dd", {}, `${profile.dtype} / ${profile.channels_last ? "channels_last" : "contiguous"} / ${profile.batch_size}`),
          h("dt", {}, "Layers timed"),
          h("dd", {}, `${fit.layers} layers, inside ${fit.networks} networks and alone, in ${fmt.seconds(fit.calibration_s)}`),
          h("dt", {}, `Layers predicted (${fit.cv_folds}-fold cross-validated)`),
          h("dd", { id: "calibration-fit" }, `${pctOf(fit.layer_within_10)} within ±10 %, ${pctOf(fit.layer_within_20)} within ±20 %; median error ${pctOf(fit.layer_median_abs_error)}`),
          h("dt", {}, "Host across the rounds"),
          h("dd", { id: "calibration-rounds" }, roundsText(fit)),
          h("dt", {}, "Networks (median error)"),
          h("dd", {}, `per-layer trees ${pctOf(fit.network_median_abs_error)}; MACs-only baseline ${pctOf(fit.baseline_network_median_abs_error)}`)
        ),
        h("p", { class: "muted small" }, "Choose it in the editor to see every design's predicted time beside its cost C.")
      )
    );
  } catch (error) {
    fill(into, message("error", api.explain(error, "device profiles")));
  }
}

/** Add the predicted times of the newest profile of the benchmark's device, dtype and layout to
 * the benchmark table (rows keyed by data-name) and say how the totals compare. */
export async function comparePredicted(job, table, note) {
  const r = job.result;
  if (!r || !r.device || !table || job.architecture_id === null) return;
  try {
    const query = new URLSearchParams({ device: r.device, dtype: r.provenance?.dtype === "float32" ? "float32" : "bfloat16", per_page: "20" });
    const profiles = (await api.get(`/device-profiles?${query}`)).items.filter((p) => p.channels_last === Boolean(r.provenance?.channels_last));
    if (!profiles.length) {
      fill(note, h("p", { class: "muted small" }, `No device profile of ${r.device} to predict these times: calibrate that worker (isocost calibrate).`));
      return;
    }
    const profile = profiles[0];
    const arch = await api.get(`/architectures/${job.architecture_id}`);
    const predicted = await api.post("/complexity", { spec: arch.spec, device_profile: profile.id });
    const byName = new Map(predicted.layers.map((layer) => [layer.name, layer]));
    const convMs = predicted.layers.filter((l) => l.kind === "conv").reduce((sum, l) => sum + l.predicted_ms, 0);
    table.querySelector("thead tr").append(h("th", { scope: "col", class: "num" }, "Predicted (batch 1)"), h("th", { scope: "col", class: "num" }, "Predicted share of conv time"));
    for (const row of table.querySelectorAll("tbody tr[data-name]")) {
      const layer = byName.get(row.dataset.name);
      row.append(h("td", { class: "num predicted" }, layer ? fmt.ms(layer.predicted_ms) : "—"), h("td", { class: "num" }, layer && convMs > 0 ? fmt.pct(layer.predicted_ms / convMs) : "—"));
    }
    const off = r.latency_ms ? predicted.predicted_ms / r.latency_ms - 1 : null;
    fill(
      note,
      h("p", { class: "small", id: "benchmark-predicted" }, `Latency at batch 1: measured ${fmt.ms(r.latency_ms)}, predicted ${fmt.ms(predicted.predicted_ms)} by device profile #${profile.id} ${profile.name}`, off === null ? "" : ` (${fmt.signedPct(off)})`, `; the MACs-only baseline predicts ${fmt.ms(predicted.baseline_ms)}. Per layer the measured times are at batch ${job.result.details?.layers_batch_used ?? "?"}, the predicted ones at batch 1: compare their shares.`)
    );
  } catch (error) {
    fill(note, message("error", `The predicted times could not be shown: ${api.explain(error, "device profiles")}`));
  }
}
