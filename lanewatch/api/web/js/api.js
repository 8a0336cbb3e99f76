// Calls to the lanewatch API as the signed-in person.
// The sign-in lives in an HttpOnly cookie (lw_session) that scripts never see: every page and tab of the
// browser shares it. Unsafe calls echo the readable lw_csrf cookie in X-CSRF-Token, which another site's
// page cannot read, so it cannot make calls in the person's name.

import { t } from "./words.js";

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export class ApiError extends Error {
  constructor(status, detail, errors) {
    super(detail);
    this.status = status;
    this.detail = detail;
    this.errors = errors || [];
  }
}

/** The value of a readable cookie, or null. */
export function cookie(name) {
  for (const part of document.cookie.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

/** Headers a call needs beyond the cookie (which the browser adds itself): the CSRF token on unsafe methods. */
export function authHeaders(method = "GET") {
  const csrf = UNSAFE.has(method.toUpperCase()) ? cookie("lw_csrf") : null;
  return csrf ? { "X-CSRF-Token": csrf } : {};
}

/** A 401 anywhere means the sign-in is missing, expired or ended: the shell sends the page to /signin. */
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
  return new ApiError(response.status, detail, errors);
}

/**
 * fetch() as the signed-in person; resolves to the response or throws ApiError (never a bare TypeError).
 * `quiet`: a 401 is only thrown, not announced (the sign-in page itself expects them).
 */
export async function request(path, { method = "GET", body, signal, quiet = false } = {}) {
  const headers = { Accept: "application/json", ...authHeaders(method) };
  const init = { method, headers, signal, cache: "no-store", credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, t("people.shell.unreachable"));
  }
  if (!response.ok) {
    const error = await errorOf(response);
    if (response.status === 401 && !quiet) signalUnauthorized(error.detail);
    throw error;
  }
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
 * A picture fetched as the signed-in person, as a blob: URL for an <img>.
 * `previous` is revoked so that a refreshing picture does not leak memory.
 */
export async function pictureUrl(path, previous) {
  const response = await request(path);
  const url = URL.createObjectURL(await response.blob());
  if (previous && previous.startsWith("blob:")) URL.revokeObjectURL(previous);
  return url;
}

let mePromise = null;

/**
 * The signed-in person: {kind, name, display_name, role, permissions, org, language, must_change_password};
 * cached until forgetMe(). `quiet`: a 401 rejects without sending the page to the sign-in page.
 */
export function me({ quiet = false } = {}) {
  if (!mePromise) mePromise = api("/api/me", { quiet }).catch((error) => { mePromise = null; throw error; });
  return mePromise;
}

export function forgetMe() { mePromise = null; }

/** Whether the signed-in person may do `permission` (e.g. "violations.handle"; see /api/me's permissions). */
export function can(who, permission) { return !!who && Array.isArray(who.permissions) && who.permissions.includes(permission); }

/** Where a page goes when nobody is signed in: /signin, coming back here afterwards. */
export function signInUrl(extra = {}) {
  const next = location.pathname + location.search + location.hash;
  return "/signin" + query({ next: next === "/signin" ? "/" : next, ...extra });
}

let channel;

/** One channel object per page: a BroadcastChannel never hears its own messages, so only other tabs react. */
function sessionChannel() {
  if (channel === undefined) {
    try { channel = new BroadcastChannel("lanewatch.session"); } catch { channel = null; /* an old browser */ }
  }
  return channel;
}

/** Sign out this browser, then show the sign-in page; the other tabs are told and go there too. */
export async function signOut() {
  try { await request("/api/session", { method: "DELETE", quiet: true }); } catch { /* signed out already */ }
  forgetMe();
  sessionChannel()?.postMessage("signed-out");
  location.assign("/signin");
}

/** Run `then` when another tab of this browser signs out (its live streams would otherwise run on). */
export function onSignedOutElsewhere(then) {
  sessionChannel()?.addEventListener("message", (event) => { if (event.data === "signed-out") then(); });
}
