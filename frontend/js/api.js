// JSON over fetch against /api/v1. Errors become ApiError with the API's field and position.
import { authEvents, token } from "./auth.js";

export const API = "/api/v1";

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.detail || `request failed (HTTP ${status})`);
    this.status = status;
    this.field = body?.field ?? null;
    this.position = body?.position ?? null;
    this.end = body?.end ?? null; // notation errors: where the quoted token ends (exclusive)
    this.errors = body?.errors ?? [];
    this.missingEndpoint = status === 404 && /^no such path/.test(body?.detail || "");
  }

  /** The message without the "field: " prefix the API puts in `detail`. */
  get plain() {
    const first = this.errors[0]?.message;
    return first || this.message;
  }
}

/** `bearer`: send this token instead of the stored one (to ask whose a token is before storing it). */
export async function request(method, path, body, { signal, bearer: given } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const bearer = given || token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  let response;
  try {
    response = await fetch(API + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, { detail: `the server cannot be reached (${error.message})` });
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data || { detail: `HTTP ${response.status}` });
    if (response.status === 401 && bearer && !given) authEvents.dispatchEvent(new CustomEvent("rejected", { detail: error }));
    throw error;
  }
  return data;
}

export const get = (path, options) => request("GET", path, undefined, options);
export const post = (path, body, options) => request("POST", path, body, options);

/** A one-line explanation of an ApiError for a message box. */
export function explain(error, what = "this") {
  if (!(error instanceof ApiError)) return `Unexpected error: ${error.message || error}`;
  if (error.missingEndpoint) return `This server does not offer ${what} yet (${error.message}).`;
  if (error.status === 401) return "Sign in with your team token to see this (the server answered 401).";
  if (error.status === 0) return `The server cannot be reached: ${error.message}.`;
  return error.message;
}

let presetCache = null;
/** GET /presets, once per page load. */
export function presets() {
  if (!presetCache) {
    presetCache = get("/presets").catch((error) => {
      presetCache = null;
      throw error;
    });
  }
  return presetCache;
}
