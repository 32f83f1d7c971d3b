// How a job is doing, in words: its progress with the time left and its place in the queue, the
// device it runs on, and the box that says how it ended (a cancelled job is not a failure).
import { downloadButtons, fileName } from "../downloads.js";
import { h, message } from "../dom.js";
import * as fmt from "../format.js";

/** 75 -> "about 1 min 15 s left". */
export function timeLeft(seconds) {
  if (seconds === null || seconds === undefined) return null;
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `about ${s} s left`;
  const m = Math.floor(s / 60);
  if (m < 60) return `about ${m} min${s % 60 ? ` ${s % 60} s` : ""} left`;
  return `about ${Math.floor(m / 60)} h ${m % 60} min left`;
}

function ordinal(n) {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  return `${n}${teen ? "th" : { 1: "st", 2: "nd", 3: "rd" }[n % 10] || "th"}`;
}

/** The progress bar, its percentage, and what it means now: the estimate of the time left of a
 * running job, or a queued job's place in its queue. */
export function progress(job) {
  const value = Math.max(0, Math.min(1, job.progress || 0));
  let note = "";
  if (job.status === "running") note = timeLeft(job.eta_s) || "starting";
  else if (job.status === "queued" && job.queue_position) note = job.queue_position === 1 ? "next in the queue" : `${ordinal(job.queue_position)} in the ${job.queue} queue`;
  return h(
    "div",
    { class: "progress" },
    h("progress", { max: "1", value: String(value), "aria-label": `Job ${job.id} progress` }),
    h("span", { class: "num small" }, fmt.pct(value, 0)),
    note ? h("span", { class: "muted small eta", dataset: { job: job.id } }, note) : ""
  );
}

/** The device a job ran on: the job's (written when it starts and when it succeeds), else its
 * result's. */
export function device(job) {
  return job.device || job.result?.device || "—";
}

/** How the job ended, or a note the worker left while it runs; cancelled is not a failure. */
export function outcome(job) {
  if (!job.error) return "";
  if (job.status === "failed") return message("error", `Failed: ${job.error}`);
  if (job.status === "cancelled") return h("div", { class: "note cancelled-note", role: "status" }, `Cancelled: ${job.error.replace(/^cancelled[;:,]?\s*/i, "") || "by your team"}.`);
  return message("note", job.error); // a running or re-queued job's note (a checkpoint discarded, a retry)
}

const METRIC_COLUMNS = [
  ["epoch", "epoch"], ["train_loss", "train_loss"], ["val_loss", "val_loss"], ["top1_error", "top1_error_percent"],
  ["top5_error", "top5_error_percent"], ["images_per_s", "images_per_s"], ["lr", "lr"], ["elapsed_s", "elapsed_s"],
];

/** CSV and JSON of a job's per-epoch metrics. */
export function metricsDownloads(job) {
  return downloadButtons("metrics-download", "the metrics", () => ({ name: fileName(`job-${job.id}`, job.architecture_name, "metrics"), columns: METRIC_COLUMNS, rows: job.metrics }));
}
