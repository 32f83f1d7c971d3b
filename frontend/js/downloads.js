// CSV and JSON downloads of a table the page already holds (the per-layer analysis, a job's
// metrics, the leaderboard): written here from the API's own numbers, unformatted, so a
// spreadsheet or a script reads exact values (MACs as integers, errors in percent).
import { h } from "./dom.js";

/** RFC 4180: quote a field that holds a comma, a quote or a line break; double its quotes. A
 * field starting with = + - @ is prefixed with ' so a spreadsheet does not run it as a formula. */
function csvField(value) {
  if (value === null || value === undefined) return "";
  let text = typeof value === "object" ? JSON.stringify(value) : String(value);
  if (typeof value === "string" && /^[=+\-@]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** `columns`: [key, header] pairs; `rows`: objects. */
export function toCsv(columns, rows) {
  const lines = [columns.map(([, header]) => csvField(header)).join(",")];
  for (const row of rows) lines.push(columns.map(([key]) => csvField(row[key])).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

/** The same table as JSON: one object per row, keyed by the CSV's headers. */
export function toJson(columns, rows) {
  return `${JSON.stringify(rows.map((row) => Object.fromEntries(columns.map(([key, header]) => [header, row[key] ?? null]))), null, 2)}\n`;
}

/** Save `text` as a file called `name` through a temporary link. */
export function save(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000); // after the browser has started saving
}

/** "CSV" and "JSON" buttons; `table()` returns {name (without extension), columns, rows} or null. */
export function downloadButtons(id, label, table) {
  const button = (format) =>
    h("button", {
      type: "button",
      class: "small-button",
      id: `${id}-${format}`,
      title: `Download ${label} as ${format.toUpperCase()}`,
      onclick: () => {
        const data = table();
        if (!data) return;
        if (format === "csv") save(`${data.name}.csv`, toCsv(data.columns, data.rows), "text/csv");
        else save(`${data.name}.json`, toJson(data.columns, data.rows), "application/json");
      },
    }, format.toUpperCase());
  return h("div", { class: "row downloads", id }, h("span", { class: "muted small" }, "Download:"), button("csv"), button("json"));
}

/** A file name from a design's or a budget's name: letters, digits and - _ . only. */
export function fileName(...parts) {
  return parts.filter(Boolean).join("-").replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 80) || "table";
}
