// Boot: take a token from the URL, load the shared vocabulary, route #/view/arg?query to a view
// module, keep the header's sign-in state current.
import * as api from "./api.js";
import { authEvents, currentTeam, setTeam, setToken, signedIn, token, tokenFromUrl } from "./auth.js";
import { ask } from "./confirm.js";
import { h, fill, message, $, $$ } from "./dom.js";
import { ready as vocabularyReady } from "./vocabulary.js";
import "./guard.js"; // asks before a link replaces an unsaved draft in the editor

const VIEWS = {
  editor: () => import("./views/editor.js"),
  architectures: () => import("./views/architectures.js"),
  replace: () => import("./views/replace.js"),
  relations: () => import("./views/relations.js"),
  jobs: () => import("./views/jobs.js"),
  leaderboard: () => import("./views/leaderboard.js"),
  studies: () => import("./views/studies.js"),
  compare: () => import("./views/compare.js"),
  team: () => import("./views/team.js"),
  signin: () => import("./views/signin.js"),
};
const TITLES = {
  editor: "Editor",
  architectures: "Architectures",
  replace: "Replacement assistant",
  relations: "Relations",
  jobs: "Jobs",
  leaderboard: "Leaderboard",
  studies: "Studies",
  compare: "Compare runs",
  team: "Team",
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

/** The team a token signs in as, or null if the server refuses it. */
async function teamOf(bearer) {
  try {
    return await api.get("/teams/me", { bearer });
  } catch (error) {
    if (error.status === 401) return null;
    throw error;
  }
}

/** A #token= link signs in, but never silently as another team than the one signed in: a link
 * someone sent would otherwise move this browser (and what it saves) into their team. */
async function acceptLinkToken() {
  const offered = tokenFromUrl(); // rewrites the address to #/editor without another hashchange
  const current = token();
  if (!offered || offered === current) return;
  if (!current) {
    setToken(offered);
    return;
  }
  try {
    const [mine, theirs] = await Promise.all([teamOf(current), teamOf(offered)]);
    if (!theirs) {
      banner(`The link's team token was rejected (revoked or mistyped); you are still signed in${mine ? ` as team ${mine.name}` : ""}.`);
      return;
    }
    if (mine && mine.id === theirs.id) {
      setToken(offered); // another token of the same team: nothing changes for the user
      return;
    }
    const stay = mine ? `Stay in team ${mine.name}` : "Keep the current token";
    const switched = await ask({
      title: `Switch to team ${theirs.name}?`,
      lines: [
        `This link signs this browser in as team ${theirs.name}.`,
        mine ? `You are signed in as team ${mine.name}.` : "The token this browser holds now is no longer accepted.",
        "Switch only if you expected a link to that team: what you save goes to the team you are signed in as.",
      ],
      confirm: `Switch to team ${theirs.name}`,
      cancel: stay,
    });
    if (switched) setToken(offered);
  } catch (error) {
    banner(`The link's token could not be checked: ${api.explain(error, "sign-in")} You are still signed in as before.`);
  }
}

acceptLinkToken();
window.addEventListener("hashchange", () => {
  acceptLinkToken();
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
