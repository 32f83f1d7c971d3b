// The team token: pasted on the sign-in page or read from the URL fragment (#token=iso_...),
// kept in localStorage, sent as "Authorization: Bearer <token>".

const KEY = "isocost.token";
export const authEvents = new EventTarget();
let team = null; // {id, name} once confirmed by GET /teams/me

export function token() {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function currentTeam() {
  return team;
}

export function signedIn() {
  return Boolean(token());
}

export function setToken(value) {
  localStorage.setItem(KEY, value.trim());
  team = null;
  authEvents.dispatchEvent(new Event("change"));
}

export function setTeam(value) {
  team = value;
  authEvents.dispatchEvent(new Event("team"));
}

export function signOut() {
  localStorage.removeItem(KEY);
  team = null;
  authEvents.dispatchEvent(new Event("change"));
}

/** `isocost serve` prints http://127.0.0.1:8000/#token=iso_...: the token of such a link, dropped
 * from the address bar (and from history) at once, so it is not bookmarked or shared by accident.
 * Storing it is the caller's choice (main.js asks first when another team is signed in). */
export function tokenFromUrl() {
  const match = /^#token=([^&]+)/.exec(window.location.hash);
  if (!match) return null;
  const { pathname, search } = window.location;
  window.history.replaceState(null, "", `${pathname}${search}#/editor`);
  try {
    return decodeURIComponent(match[1]).trim() || null;
  } catch {
    return null; // a malformed %-escape: not a token
  }
}
