// Calls to the lanewatch API with the signed-in key.
// The key lives in sessionStorage: it is gone when the tab closes, and never sits in a URL or a cookie.

const KEY_NAME = "lanewatch.key";

export class ApiError extends Error {
  constructor(status, detail, errors) {
    super(detail);
    this.status = status;
    this.detail = detail;
    this.errors = errors || [];
  }
}

export function getKey() { return sessionStorage.getItem(KEY_NAME); }
export function setKey(key) { sessionStorage.setItem(KEY_NAME, key); }
export function clearKey() { sessionStorage.removeItem(KEY_NAME); }

export function authHeaders() {
  const key = getKey();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

/** A 401 anywhere means the key is missing, unknown or revoked: the shell asks for one again. */
function signalUnauthorized(detail) {
  window.dispatchEvent(new CustomEvent("lanewatch:unauthorized", { detail }));
}

async function errorOf(response) {
  let detail = `${response.status} ${response.statusText}`;
  let errors = [];
  try {
    const body = await response.json();
    if (body && typeof body.detail === "string") detail = body.detail;
    if (body && Array.isArray(body.errors)) errors = body.errors;
  } catch { /* not JSON: keep the status line */ }
  if (response.status === 401) signalUnauthorized(detail);
  return new ApiError(response.status, detail, errors);
}

/** fetch() with the key; resolves to the response or throws ApiError (never a bare TypeError). */
export async function request(path, { method = "GET", body, signal } = {}) {
  if (!getKey()) throw new ApiError(401, "not signed in");  // signed out meanwhile: send nothing
  const headers = { Accept: "application/json", ...authHeaders() };
  const init = { method, headers, signal, cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "the server cannot be reached; check the network and try again");
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

/** JSON of a call (null for 204). */
export async function api(path, options) {
  const response = await request(path, options);
  return response.status === 204 ? null : response.json();
}

/** Query string from an object, leaving out empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    for (const one of Array.isArray(value) ? value : [value]) search.append(name, String(one));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

/**
 * A picture fetched with the key, as a blob: URL for an <img> (which cannot send headers).
 * `previous` is revoked so that a refreshing picture does not leak memory.
 */
export async function pictureUrl(path, previous) {
  const response = await request(path);
  const url = URL.createObjectURL(await response.blob());
  if (previous && previous.startsWith("blob:")) URL.revokeObjectURL(previous);
  return url;
}

let mePromise = null;

/** The signed-in key's {name, role}; cached until sign-out. */
export function me() {
  if (!mePromise) mePromise = api("/api/me").catch((error) => { mePromise = null; throw error; });
  return mePromise;
}

export function forgetMe() { mePromise = null; }

const RANK = { viewer: 0, operator: 1, admin: 2 };
export function hasRole(who, role) { return !!who && (RANK[who.role] ?? -1) >= RANK[role]; }
