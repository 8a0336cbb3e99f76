// lanewatch service worker: makes the pages installable and lets the page shell open without the
// network. It never caches /api/: violations, alarms and pictures always come fresh from the server.

const CACHE = "lanewatch-shell-v3";
const SHELL = ["/", "/editor", "/phone", "/console", "/web/css/app.css", "/manifest.webmanifest", "/web/icons/icon-192.png",
  "/words/zh-CN.json", "/words/en.json", "/words/default.json"];  // the pages' words: a page without them shows nothing

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/api/")) {
    return;  // the browser handles it: no caching of API answers, events or pictures
  }
  // Network first, so an upgraded service is used at once; the cached copy only when offline.
  event.respondWith(fetch(event.request).then((response) => {
    if (response.ok && SHELL.includes(url.pathname)) {
      const copy = response.clone();
      caches.open(CACHE).then((cache) => cache.put(event.request, copy));
    }
    return response;
  }).catch(() => caches.match(event.request).then((cached) => cached || Response.error())));
});
