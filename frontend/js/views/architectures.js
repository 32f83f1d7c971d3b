// Architectures: the team's saved designs and every team's published ones, searchable and paged,
// with their cost, depth, input, best error and runs; open, rename, publish, unpublish, delete;
// select some to see their lineage, diff two, compare their runs or start a study
// (architectures-panels.js). Search, scope and page are kept in the address (docs/design.md,
// "Architectures page").
import * as api from "../api.js";
import { signedIn } from "../auth.js";
import { ask } from "../confirm.js";
import { h, fill, message } from "../dom.js";
import * as fmt from "../format.js";
import { latestWins } from "../latest.js";
import { comparePanel, diffPanel, lineagePanel, studyPanel } from "./architectures-panels.js";

const PER_PAGE = 50;
const SEARCH_PAUSE_MS = 250; // the list follows the search box once the typing pauses

const depth = (arch) => arch.spec.layers.reduce((n, layer) => n + (layer.type === "conv" ? layer.repeat ?? 1 : 0), 0);
const inputOf = (arch) => `${arch.spec.input.channels}×${arch.spec.input.height}×${arch.spec.input.width}`;

export function mount(root, params) {
  if (!signedIn()) {
    fill(root, h("h1", {}, "Architectures"), h("div", { class: "empty" }, "Saved designs belong to a team. ", h("a", { href: "#/signin" }, "Sign in"), " with your team token to see yours and every team's published ones."));
    return null;
  }
  const q = h("input", { type: "search", id: "arch-q", class: "w-wide", autocomplete: "off", placeholder: "name or notation", value: params.get("q") || "" });
  const scope = h("select", { id: "arch-scope" }, h("option", { value: "team" }, "my team's"), h("option", { value: "public" }, "mine and every team's published"));
  scope.value = params.get("scope") === "public" ? "public" : "team";
  let page = Math.max(1, Number(params.get("page")) || 1);
  const body = h("div", { id: "arch-body" });
  const status = h("div", { "aria-live": "polite", id: "arch-status" });
  const panel = h("div", { id: "arch-panel" });
  const selected = new Map(); // id -> architecture, kept across pages and searches
  const actions = {
    diff: h("button", { type: "button", id: "arch-diff", onclick: () => diffPanel(panel, [...selected.values()]) }, "Diff two"),
    compare: h("button", { type: "button", id: "arch-compare", onclick: () => comparePanel(panel, [...selected.values()]) }, "Compare runs"),
    study: h("button", { type: "button", id: "arch-study", onclick: () => studyPanel(panel, [...selected.values()]) }, "Start a study"),
    clear: h("button", { type: "button", id: "arch-clear", onclick: () => { selected.clear(); syncSelection(); } }, "Clear"),
  };
  const selectionNote = h("span", { class: "muted small", id: "arch-selection" });
  let timer = null;
  let shown = [];
  let renaming = null; // { id, form }: an open rename survives a reload of the list (a search, a publish)

  const requests = latestWins((query) => api.get(`/architectures?${query}`), {
    onResult: (out) => show(out),
    onError: (error) => fill(body, message("error", api.explain(error, "architectures"))),
  });

  function load() {
    const query = new URLSearchParams({ scope: scope.value, page: String(page), per_page: String(PER_PAGE) });
    if (q.value.trim()) query.set("q", q.value.trim());
    const address = new URLSearchParams(query);
    address.delete("per_page");
    window.history.replaceState(null, "", `#/architectures?${address}`);
    requests.run(query);
  }

  function syncSelection() {
    const n = selected.size;
    actions.diff.disabled = n !== 2;
    actions.compare.disabled = n < 2;
    actions.study.disabled = n < 1;
    actions.clear.disabled = n < 1;
    fill(selectionNote, n ? `${n} selected: ${[...selected.values()].map((a) => a.name).join(", ")}` : "Select architectures to diff two, compare their runs or start a study.");
    for (const box of body.querySelectorAll("input[data-select]")) box.checked = selected.has(Number(box.dataset.select));
  }

  function show(out) {
    shown = out.items;
    if (!shown.length) {
      fill(body, h("div", { class: "empty" }, q.value.trim() ? `No architecture matches “${q.value.trim()}”.` : "No saved architectures yet. Save a design from the ", h("a", { href: "#/editor" }, "editor"), "."));
      return;
    }
    const first = (out.page - 1) * out.per_page + 1;
    const pages = Math.max(1, Math.ceil(out.total / out.per_page));
    const typing = renaming?.form.contains(document.activeElement); // moving the form drops its focus
    const heads = ["Name", "C (conv MACs)", "Depth", "Input", "Best top-1 error", "Runs", "Published", "Owner"];
    fill(
      body,
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { id: "arch-table" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Select")), heads.map((t, i) => h("th", { scope: "col", class: i === 1 || i === 2 || i === 4 || i === 5 ? "num" : "" }, t)), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))),
          h("tbody", {}, shown.map(row))
        )
      ),
      h(
        "div",
        { class: "row pager" },
        h("button", { type: "button", id: "arch-prev", disabled: out.page <= 1, onclick: () => { page -= 1; load(); } }, "← Newer"),
        h("span", { class: "muted small", id: "arch-range" }, `${first}–${first + shown.length - 1} of ${out.total}, newest first`),
        h("button", { type: "button", id: "arch-next", disabled: out.page >= pages, onclick: () => { page += 1; load(); } }, "Older →")
      )
    );
    if (typing) renaming.form.querySelector("input").focus();
    syncSelection();
  }

  function row(arch) {
    const select = h("input", { type: "checkbox", dataset: { select: arch.id }, "aria-label": `Select ${arch.name}`, onchange: (event) => {
      if (event.target.checked) selected.set(arch.id, arch);
      else selected.delete(arch.id);
      syncSelection();
    } });
    const name = h("td", { class: "name" }, h("a", { href: `#/editor?arch=${arch.id}` }, arch.name), h("span", { class: "muted small" }, ` #${arch.id}`), arch.parent_id ? h("div", { class: "muted small" }, `from #${arch.parent_id}`) : "");
    if (renaming?.id === arch.id) fill(name, renaming.form);
    const own = arch.owned;
    const button = (text, id, onclick, extra = {}) => h("button", { type: "button", class: "small-button", dataset: { action: id }, onclick, ...extra }, text);
    return h(
      "tr",
      { dataset: { id: arch.id } },
      h("td", {}, select),
      name,
      // data-label: a phone shows each row as a card, the column's name before its value
      h("td", { class: "num", dataset: { label: "C" } }, fmt.macs(arch.conv_macs)),
      h("td", { class: "num", dataset: { label: "depth" } }, depth(arch)),
      h("td", { class: "nowrap", dataset: { label: "input" } }, inputOf(arch)),
      h("td", { class: "num best", dataset: { label: "best" } }, arch.best_error === null ? "—" : fmt.errorPct(arch.best_error)),
      h("td", { class: "num runs", dataset: { label: "runs" } }, arch.runs),
      h("td", { class: "published" }, arch.published ? h("span", { class: "badge in" }, "published") : h("span", { class: "muted small" }, "private")),
      h("td", { class: "small", dataset: { label: "owner" } }, own ? `${arch.team_name} (you)` : arch.team_name),
      h(
        "td",
        { class: "actions nowrap" },
        h("a", { class: "button small-button", href: `#/editor?arch=${arch.id}`, "aria-label": `Open ${arch.name} in the editor` }, "Open"),
        button("Lineage", "lineage", () => lineagePanel(panel, arch), { "aria-label": `Lineage of ${arch.name}` }),
        own ? button("Rename", "rename", () => rename(arch, name), { "aria-label": `Rename ${arch.name}` }) : "",
        own ? button(arch.published ? "Unpublish" : "Publish", "publish", () => patch(arch, { published: !arch.published }, arch.published ? "unpublished" : "published"), { "aria-label": `${arch.published ? "Unpublish" : "Publish"} ${arch.name}` }) : "",
        own ? button("Delete", "delete", () => remove(arch), { class: "small-button danger", "aria-label": `Delete ${arch.name}` }) : ""
      )
    );
  }

  async function patch(arch, change, done) {
    try {
      const updated = await api.request("PATCH", `/architectures/${arch.id}`, change);
      if (selected.has(arch.id)) selected.set(arch.id, updated);
      fill(status, message("ok", `${updated.name} (#${updated.id}) ${done}.`));
      load();
      return true;
    } catch (error) {
      fill(status, message("error", `${arch.name}: ${api.explain(error, "architectures")}`));
      return false;
    }
  }

  function rename(arch, cell) {
    const input = h("input", { type: "text", class: "w-mid", value: arch.name, maxlength: "100", "aria-label": `New name for ${arch.name}`, id: `rename-${arch.id}` });
    const cancel = () => {
      renaming = null;
      load();
    };
    const form = h("form", { class: "row rename" }, input, h("button", { type: "submit", class: "small-button primary" }, "Save"), h("button", { type: "button", class: "small-button", onclick: cancel }, "Cancel"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      // cleared before the list that patch() reloads arrives, so the row shows its new name
      if (await patch(arch, { name: input.value.trim() }, `renamed from ${arch.name}`)) renaming = null;
      else input.setAttribute("aria-invalid", "true");
    });
    renaming = { id: arch.id, form };
    fill(cell, form);
    input.focus();
    input.select();
  }

  async function remove(arch) {
    if (arch.in_use) {
      // the API would refuse (409): say why at once, and what can be done instead
      fill(status, message("error", `${arch.name} cannot be deleted: a job used it, and its results refer to it. ${arch.published ? "Unpublish it to take it off the leaderboard." : "It stays private to your team."}`));
      return;
    }
    const yes = await ask({ title: `Delete ${arch.name}?`, lines: [`Architecture #${arch.id} (${fmt.macs(arch.conv_macs)}) is removed from your team; designs derived from it keep their own copy.`], confirm: "Delete", cancel: "Keep it" });
    if (!yes) return;
    try {
      await api.request("DELETE", `/architectures/${arch.id}`);
      selected.delete(arch.id);
      fill(status, message("ok", `Deleted ${arch.name} (#${arch.id}).`));
      load();
    } catch (error) {
      fill(status, message("error", `${arch.name}: ${api.explain(error, "architectures")}`));
    }
  }

  q.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      page = 1;
      load();
    }, SEARCH_PAUSE_MS);
  });
  scope.addEventListener("change", () => {
    page = 1;
    load();
  });
  const field = (id, label, control) => h("div", { class: "field" }, h("label", { for: id }, label), control);
  fill(
    root,
    h(
      "div",
      { class: "view-head" },
      h("div", {}, h("h1", {}, "Architectures"), h("p", { class: "muted small" }, "Saved designs: yours, and the ones other teams published. C is Eqn. (1), MACs per image, conv layers only.")),
      h("div", { class: "row" }, field("arch-q", "Search", q), field("arch-scope", "Show", scope), h("a", { class: "button", href: "#/editor" }, "New design"))
    ),
    h("div", { class: "row selection-bar" }, actions.diff, actions.compare, actions.study, actions.clear, selectionNote),
    status,
    body,
    panel
  );
  fill(body, h("p", { class: "muted" }, "Loading…"));
  syncSelection();
  load();
  return () => {
    clearTimeout(timer);
    requests.cancel();
  };
}
