// Jobs: the team's list with live status and progress (polled every second while anything is
// queued or running), and a job page with growing loss/error curves, cancel, and for benchmarks
// the measured against theoretical per-layer time.
import * as api from "../api.js";
import { signedIn } from "../auth.js";
import { h, fill, message } from "../dom.js";
import * as fmt from "../format.js";
import { render as plot, purge } from "../plot.js";
import { download } from "../files.js";
import { latestWins } from "../latest.js";
import { isActive, vocabulary } from "../vocabulary.js";
import { device, metricsDownloads, outcome, progress } from "./job-status.js";
import { loadText, noisyBadge, timingText } from "../timing.js";
import { architectureLink, comparePredicted, showCalibration } from "./job-timing.js";

const FAST_MS = 1000;
const SLOW_MS = 5000;

function badge(status) {
  return h("span", { class: `badge ${status}` }, status);
}

/** A finished run that did not learn (docs/design.md, "Training protocol"): marked, never ranked. */
function stalled(job) {
  return job.learned === false ? h("span", { class: "badge failed did-not-learn", title: "its loss stayed at ln(classes) or its error at chance: kept off the leaderboard" }, "did not learn") : "";
}

function poller(tick) {
  let timer = null;
  let stopped = false;
  const loop = async () => {
    if (stopped) return;
    const delay = await tick();
    if (!stopped && delay !== null) timer = setTimeout(loop, delay);
  };
  loop();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

export function mount(root, params, args) {
  if (!signedIn()) {
    fill(root, h("h1", {}, "Jobs"), h("div", { class: "empty" }, "Jobs belong to a team. ", h("a", { href: "#/signin" }, "Sign in"), " with your team token to submit and follow them."));
    return null;
  }
  return args[0] ? jobPage(root, Number(args[0])) : jobList(root, params);
}

function jobList(root, params) {
  const status = h("select", { id: "jobs-status" }, h("option", { value: "" }, "any status"), vocabulary().job_statuses.map((s) => h("option", { value: s }, s)));
  const kind = h("select", { id: "jobs-kind" }, h("option", { value: "" }, "any kind"), vocabulary().job_kinds.map((k) => h("option", { value: k }, k)));
  // the filters live in the address too, so a filtered list can be bookmarked or sent
  status.value = vocabulary().job_statuses.includes(params.get("status")) ? params.get("status") : "";
  kind.value = vocabulary().job_kinds.includes(params.get("kind")) ? params.get("kind") : "";
  const architecture = /^\d+$/.test(params.get("architecture") || "") ? params.get("architecture") : "";
  const body = h("div", { id: "jobs-body" });
  const note = h("p", { class: "muted small", "aria-live": "off" });
  let timer = null;

  // Polled, and asked again at once when a filter changes: the latest request wins, so a list
  // for the old filters that arrives late is never shown.
  const requests = latestWins((query) => api.get(`/jobs?${query}`), {
    onResult: (page) => {
      show(page);
      const active = page.items.some((job) => isActive(job.status));
      fill(note, active ? "Updating every second while jobs are queued or running." : `Nothing running; checking every ${SLOW_MS / 1000} s.`);
      timer = setTimeout(refresh, active ? FAST_MS : SLOW_MS);
    },
    onError: (error) => {
      fill(body, message("error", api.explain(error, "jobs")));
      timer = setTimeout(refresh, SLOW_MS);
    },
  });

  function refresh() {
    clearTimeout(timer);
    const query = new URLSearchParams({ per_page: "50" });
    if (status.value) query.set("status", status.value);
    if (kind.value) query.set("kind", kind.value);
    const address = new URLSearchParams(query);
    address.delete("per_page");
    if (architecture) {
      query.set("architecture_id", architecture);
      address.set("architecture", architecture);
    }
    window.history.replaceState(null, "", `#/jobs${address.toString() ? `?${address}` : ""}`);
    requests.run(query);
  }

  function show(page) {
    if (!page.items.length) {
      fill(body, h("div", { class: "empty" }, status.value || kind.value ? "No jobs match these filters." : "No jobs yet. Save a design in the ", h("a", { href: "#/editor" }, "editor"), " and submit a training or benchmark job from there."));
      return;
    }
    fill(
      body,
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { id: "jobs-table" },
          h("thead", {}, h("tr", {}, ["Job", "Architecture", "Kind", "Seed", "Status", "Progress", "Device", "Created"].map((t) => h("th", { scope: "col" }, t)))),
          h(
            "tbody",
            {},
            page.items.map((job) =>
              h(
                "tr",
                { dataset: { id: job.id, status: job.status } },
                h("td", {}, h("a", { href: `#/jobs/${job.id}` }, `#${job.id}`)),
                h("td", {}, architectureLink(job)),
                h("td", {}, job.kind),
                h("td", { class: "num" }, job.seed ?? "—"),
                h("td", {}, badge(job.status), stalled(job), job.cancel_requested && isActive(job.status) ? h("span", { class: "muted small" }, " cancelling") : ""),
                h("td", {}, progress(job)),
                h("td", { class: "small" }, device(job)),
                h("td", { class: "small nowrap" }, fmt.when(job.created_at))
              )
            )
          )
        )
      ),
      page.total > page.items.length ? h("p", { class: "muted small" }, `Showing the newest ${page.items.length} of ${page.total} jobs.`) : ""
    );
  }

  for (const el of [status, kind]) el.addEventListener("change", refresh);
  const field = (id, label, control) => h("div", { class: "field" }, h("label", { for: id }, label), control);
  fill(root, h("div", { class: "view-head" }, h("h1", {}, "Jobs"), h("div", { class: "row" }, field("jobs-status", "Status", status), field("jobs-kind", "Kind", kind))), note, body);
  refresh();
  return () => {
    clearTimeout(timer);
    requests.cancel();
  };
}

function jobPage(root, id) {
  const summary = h("section", { class: "card", id: "job-summary" });
  const chart = h("div", { class: "plot", id: "job-chart" });
  const chartCard = h("section", { class: "card" }, chart);
  const extra = h("div");
  const status = h("div", { "aria-live": "polite" });
  let epochs = -1;
  let lastStatus = null;

  async function tick() {
    let job;
    try {
      job = await api.get(`/jobs/${id}`);
    } catch (error) {
      fill(summary, message("error", error.status === 404 ? `No job #${id} in your team.` : api.explain(error, "jobs")));
      return SLOW_MS * 2;
    }
    showSummary(job);
    const changed = job.metrics.length !== epochs || job.status !== lastStatus;
    epochs = job.metrics.length;
    lastStatus = job.status;
    if (changed && job.kind === "calibrate") {
      chartCard.hidden = true; // a calibration has no curves: its outcome is a device profile
      await showCalibration(extra, job);
    } else if (changed) {
      try {
        const path = job.kind === "benchmark" ? "benchmark" : "curves";
        const out = await api.get(`/figures/jobs/${id}/${path}`);
        await plot(chart, out.figure);
        if (job.kind === "benchmark") showBenchmark(job, out.rows);
        else showMetrics(job);
      } catch (error) {
        fill(chart, message("error", `The figure could not be drawn: ${api.explain(error, "figures")}`));
      }
    }
    return isActive(job.status) ? FAST_MS : null; // finished: nothing changes any more
  }

  function showSummary(job) {
    const active = isActive(job.status);
    const cancel = h("button", {
      type: "button",
      class: "danger",
      id: "job-cancel",
      disabled: !active || job.cancel_requested,
      onclick: async () => {
        try {
          showSummary(await api.post(`/jobs/${id}/cancel`));
          fill(status, message("ok", "Cancel requested: a queued job stops at once, a running one within one batch."));
        } catch (error) {
          fill(status, message("error", api.explain(error, "cancelling jobs")));
        }
      },
    }, job.cancel_requested && active ? "Cancelling…" : "Cancel job");
    const r = job.result;
    const d = r && r.kind === "benchmark" ? r.details : null; // app.jobs.results.BenchmarkDetails
    fill(
      summary,
      h("div", { class: "view-head" }, h("h2", {}, `Job #${job.id}: ${job.kind} of `, architectureLink(job)), h("div", { class: "row" }, badge(job.status), stalled(job), progress(job), active ? cancel : "", job.kind === "train" && job.architecture_id ? h("a", { id: "compare-runs", href: `#/compare?architecture=${job.architecture_id}` }, "Compare all runs of this model") : "")),
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "Protocol"),
        h("dd", {}, job.protocol),
        job.seed !== null ? [h("dt", {}, "Seed"), h("dd", {}, job.seed)] : "",
        h("dt", {}, "Queue / worker"),
        h("dd", {}, `${job.queue} / ${job.worker || "not claimed yet"}`),
        h("dt", {}, "Device"),
        h("dd", { id: "job-device" }, device(job)),
        h("dt", {}, "Attempts"),
        h("dd", {}, `${job.attempts}`),
        h("dt", {}, "Created / started / finished"),
        h("dd", {}, `${fmt.when(job.created_at)} / ${fmt.when(job.started_at)} / ${fmt.when(job.finished_at)}`),
        r && r.top1_error !== null ? [h("dt", {}, "Top-1 / top-5 error"), h("dd", { id: "job-error" }, `${fmt.errorPct(r.top1_error)} / ${fmt.errorPct(r.top5_error)} (${r.dataset})`)] : "",
        r && r.train_seconds !== null ? [h("dt", {}, "Training time"), h("dd", {}, fmt.seconds(r.train_seconds))] : "",
        r && r.latency_ms !== null ? [h("dt", {}, "Latency (batch 1, median)"), h("dd", { id: "job-latency" }, d ? timingText(d.latency) : fmt.ms(r.latency_ms))] : "",
        r && r.throughput !== null ? [h("dt", {}, "Throughput"), h("dd", { id: "job-throughput" }, d ? timingText(d.throughput, { rate: true }) : fmt.throughput(r.throughput))] : "",
        d ? [h("dt", {}, "Training step (forward, backward, SGD)"), h("dd", { id: "job-train-step" }, timingText(d.train_step))] : "",
        d ? [h("dt", {}, "Host while timing"), h("dd", { id: "job-load" }, loadText(d.load), " ", noisyBadge(d))] : "",
        job.architecture_id === null ? "" : [h("dt", {}, "Conv cost"), h("dd", {}, r ? fmt.macsExact(r.conv_macs) : "see the architecture")]
      ),
      outcome(job),
      job.kind === "train" && job.status === "succeeded" ? weights() : ""
    );
  }

  /** The trained weights: a state_dict for the exported PyTorch source, or ONNX with weights. */
  function weights() {
    const get = (format) => async () => {
      try {
        const name = await download("GET", `/jobs/${id}/weights?format=${format}`);
        fill(status, message("ok", `Downloaded ${name}.`));
      } catch (error) {
        fill(status, message("error", api.explain(error, "weights")));
      }
    };
    return h("div", { class: "row", id: "job-weights" }, h("span", { class: "muted small" }, "Trained weights:"), h("button", { type: "button", id: "weights-pt", onclick: get("pt") }, "PyTorch (.pt)"), h("button", { type: "button", id: "weights-onnx", onclick: get("onnx") }, "ONNX"));
  }

  function showMetrics(job) {
    if (!job.metrics.length) {
      fill(extra, h("div", { class: "empty" }, isActive(job.status) ? "No finished epoch yet: the curves and this table grow as the job runs." : "This job recorded no epochs."));
      return;
    }
    const cell = (v, f) => h("td", { class: "num" }, v === null || v === undefined ? "—" : f(v));
    fill(
      extra,
      h(
        "section",
        { class: "card" },
        h("div", { class: "view-head" }, h("h2", {}, "Epochs"), metricsDownloads(job)),
        h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { id: "metrics-table" },
            h("thead", {}, h("tr", {}, ["Epoch", "Train loss", "Val loss", "Top-1 error", "Top-5 error", "Throughput", "Learning rate", "Elapsed"].map((t) => h("th", { scope: "col", class: "num" }, t)))),
            h(
              "tbody",
              {},
              job.metrics.map((m) =>
                h(
                  "tr",
                  {},
                  h("td", { class: "num" }, m.epoch),
                  cell(m.train_loss, (v) => `${v.toFixed(4)} nats`),
                  cell(m.val_loss, (v) => `${v.toFixed(4)} nats`),
                  cell(m.top1_error, (v) => `${v.toFixed(2)} %`),
                  cell(m.top5_error, (v) => `${v.toFixed(2)} %`),
                  cell(m.images_per_s, fmt.throughput),
                  cell(m.lr, (v) => v.toPrecision(3)),
                  cell(m.elapsed_s, fmt.seconds)
                )
              )
            )
          )
        )
      )
    );
  }

  function showBenchmark(job, rows) {
    if (!rows.length) {
      fill(extra, h("div", { class: "empty" }, isActive(job.status) ? "The benchmark is running; per-layer times appear when it finishes." : "This benchmark has no per-layer table."));
      return;
    }
    const pctOrDash = (v) => (v === null ? "—" : fmt.pct(v));
    const spreads = new Map((job.result?.details?.layers || []).map((layer) => [layer.name, layer]));
    const predictedNote = h("div"); // measured against a device profile's prediction (job-timing.js)
    fill(
      extra,
      h(
        "section",
        { class: "card" },
        h("h2", {}, "Measured against theoretical time per conv layer"),
        h("p", { class: "muted small" }, `Theory: the layer's share of C (Eqn. 1). Measured: its share of the conv layers' time${job.result?.device ? ` on ${job.result.device}` : ""}, with the spread of its runs (p10 – p90). A flagged (⚑) layer's share of time differs from its share of C by more than the job's flag factor even at either end of that spread.`),
        h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { id: "benchmark-table" },
            h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Layer"), ["Share of C", "Share of conv time", "Median time per batch", "p10 – p90", "Time share / C share"].map((t) => h("th", { scope: "col", class: "num" }, t)))),
            h(
              "tbody",
              {},
              rows.map((r) =>
                h(
                  "tr",
                  { class: r.flagged ? "row-error" : "", dataset: { name: r.name } },
                  h("th", { scope: "row" }, r.name, r.flagged ? " ⚑" : ""),
                  h("td", { class: "num" }, pctOrDash(r.theoretical)),
                  h("td", { class: "num" }, pctOrDash(r.measured)),
                  h("td", { class: "num" }, fmt.ms(r.measured_ms)),
                  h("td", { class: "num spread" }, spreads.has(r.name) ? `${fmt.ms(spreads.get(r.name).p10_s * 1000)} – ${fmt.ms(spreads.get(r.name).p90_s * 1000)}` : "—"),
                  h("td", { class: "num" }, r.measured !== null && r.theoretical ? fmt.ratio(r.measured / r.theoretical) : "—")
                )
              )
            )
          )
        ),
        predictedNote
      )
    );
    comparePredicted(job, extra.querySelector("#benchmark-table"), predictedNote);
  }

  fill(root, h("p", {}, h("a", { href: "#/jobs" }, "← All jobs")), status, summary, chartCard, extra);
  const stop = poller(tick);
  return () => {
    stop();
    purge(chart);
  };
}
