// Boot: take a token from the URL, load the shared vocabulary, route #/view/arg?query to a view
// module, keep the header's sign-in state current.
import * as api from "./api.js";
import { authEvents, currentTeam, setTeam, signedIn, takeTokenFromUrl } from "./auth.js";
import { h, fill, message, $, $$ } from "./dom.js";
import { ready as vocabularyReady } from "./vocabulary.js";

const VIEWS = {
  editor: () => import("./views/editor.js"),
  replace: () => import("./views/replace.js"),
  relations: () => import("./views/relations.js"),
  jobs: () => import("./views/jobs.js"),
  leaderboard: () => import("./views/leaderboard.js"),
  signin: () => import("./views/signin.js"),
};
const TITLES = {
  editor: "Editor",
  replace: "Replacement assistant",
  relations: "Relations",
  jobs: "Jobs",
  leaderboard: "Leaderboard",
  signin: "Sign in",
};

const main = $("#main");
let unmount = null;
let routing = 0;

function parse(hash) {
  const [path, query = ""] = hash.replace(/^#\/?/, "").split("?");
  const [name = "editor", ...rest] = path.split("/").filter(Boolean);
  return { name: VIEWS[name] ? name : "editor", args: rest, params: new URLSearchParams(query) };
}

async function route({ focus = true } = {}) {
  const { name, args, params } = parse(window.location.hash);
  const mine = ++routing;
  if (unmount) {
    try {
      unmount();
    } catch (error) {
      console.warn("unmount failed", error);
    }
    unmount = null;
  }
  for (const link of $$("[data-view]")) {
    if (link.dataset.view === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.title = `${TITLES[name]} · isocost`;
  const vocabulary = vocabularyReady(); // fetched alongside the view's module, not after it
  const module = await VIEWS[name]();
  try {
    await vocabulary; // views and formatters read it synchronously: it is there before any mounts
  } catch (error) {
    if (mine === routing) fill(main, message("error", `The dashboard could not start: ${api.explain(error, "the vocabulary")} Reload the page to try again.`));
    return;
  }
  if (mine !== routing) return;
  const container = h("div", { class: `view view-${name}` });
  fill(main, container);
  unmount = module.mount(container, params, args) || null;
  if (focus) main.focus({ preventScroll: true });
}

async function refreshTeam() {
  const who = $("#who");
  if (!signedIn()) {
    who.textContent = "Sign in";
    return;
  }
  who.textContent = currentTeam() ? `Team ${currentTeam().name}` : "Signed in";
  if (currentTeam()) return;
  try {
    setTeam(await api.get("/teams/me"));
  } catch (error) {
    if (error.status === 401) banner("Your team token was rejected (revoked or mistyped). Sign in again.");
  }
}

function banner(text) {
  const el = $("#banner");
  if (!text) {
    el.hidden = true;
    return;
  }
  fill(el, text, " ", h("a", { href: "#/signin" }, "Sign in"));
  el.hidden = false;
}

takeTokenFromUrl();
window.addEventListener("hashchange", () => {
  takeTokenFromUrl(); // rewrites the address to #/editor without another hashchange
  route();
});
authEvents.addEventListener("change", () => {
  banner(null);
  refreshTeam();
  if (parse(window.location.hash).name !== "signin") route({ focus: false });
});
authEvents.addEventListener("team", () => refreshTeam());
authEvents.addEventListener("rejected", () => banner("Your team token was rejected (revoked or mistyped)."));
refreshTeam();
route({ focus: false });
