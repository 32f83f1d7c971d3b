// Files to and from the API: downloads (exports, trained weights) saved through a temporary link,
// and uploads sent as application/octet-stream (POST /import). Errors are ApiErrors, as for JSON.
import { API, ApiError } from "./api.js";
import { token } from "./auth.js";
import { h } from "./dom.js";

async function send(method, path, body, contentType) {
  const headers = {};
  if (contentType) headers["Content-Type"] = contentType;
  const bearer = token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  let response;
  try {
    response = await fetch(API + path, { method, headers, body });
  } catch (error) {
    throw new ApiError(0, { detail: `the server cannot be reached (${error.message})` });
  }
  if (!response.ok) {
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    throw new ApiError(response.status, data || { detail: `HTTP ${response.status}` });
  }
  return response;
}

/** Fetch a file (`body`: JSON to post, or undefined for a GET) and save it under the name the
 * server gives; returns that name. */
export async function download(method, path, body) {
  const json = body === undefined ? undefined : JSON.stringify(body);
  const response = await send(method, path, json, json === undefined ? null : "application/json");
  const match = /filename="?([^";]+)"?/.exec(response.headers.get("content-disposition") || "");
  const name = match ? match[1] : "download";
  const url = URL.createObjectURL(await response.blob());
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000); // after the browser has started saving
  return name;
}

/** Send a file as the body of a POST; returns the JSON answer. */
export async function upload(path, file) {
  const response = await send("POST", path, file, "application/octet-stream");
  return response.json();
}
