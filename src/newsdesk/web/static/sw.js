// newsdesk's service worker: pages a reader has opened stay readable offline.
//
// - Pages (same-origin GETs outside /static, /media and /api): network first; each good answer is
//   kept, and when the network fails the kept copy is served, else the offline page.
// - /static and /media: cache first (their addresses change when their content does: /static
//   files carry ?v=VERSION, a /media address is signed for one image URL).
// - /api and other origins: not touched.
// Caches are named for the version this worker was registered with (/sw.js?v=VERSION); activating
// a new version deletes the caches of older ones. Each cache holds a bounded number of entries.
"use strict";

const VERSION = new URL(self.location.href).searchParams.get("v") || "0";
const PREFIX = "newsdesk-";
const PAGES = PREFIX + "pages-" + VERSION;
const ASSETS = PREFIX + "assets-" + VERSION;
const OFFLINE_URL = "/static/offline.html?v=" + VERSION;
const LIMITS = { [PAGES]: 200, [ASSETS]: 400 };
// Kept at install when they exist; only the offline page is required.
const OPTIONAL_ASSETS = [
  "/static/newsdesk.css?v=" + VERSION,
  "/static/newsdesk.js?v=" + VERSION,
  "/static/htmx.min.js?v=" + VERSION,
  "/static/icons/icon-192.png",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(ASSETS);
      await cache.add(OFFLINE_URL);
      await Promise.all(OPTIONAL_ASSETS.map((url) => cache.add(url).catch(() => undefined)));
      await self.skipWaiting();
    })()
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const keep = new Set([PAGES, ASSETS]);
      for (const name of await caches.keys()) {
        if (name.startsWith(PREFIX) && !keep.has(name)) await caches.delete(name);
      }
      await self.clients.claim();
    })()
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/") || url.pathname === "/sw.js") return;
  if (url.pathname.startsWith("/static/") || url.pathname.startsWith("/media/")) {
    event.respondWith(cacheFirst(request));
  } else {
    event.respondWith(networkFirst(request));
  }
});

async function cacheFirst(request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  try {
    const response = await fetch(request);
    if (response.ok) await keep(ASSETS, request, response.clone());
    return response;
  } catch (error) {
    // Offline: another version of the file will do (the offline page asks for /static/newsdesk.css).
    const other = await caches.match(request, { ignoreSearch: true });
    if (other) return other;
    throw error;
  }
}

async function networkFirst(request) {
  try {
    const response = await fetch(request);
    if (response.ok && response.type === "basic") await keep(PAGES, request, response.clone());
    return response;
  } catch (error) {
    const cached = await caches.match(request, { cacheName: PAGES });
    if (cached) return cached;
    if (request.mode === "navigate") {
      const offline = await caches.match(OFFLINE_URL);
      if (offline) return offline;
    }
    throw error;
  }
}

async function keep(cacheName, request, response) {
  const cache = await caches.open(cacheName);
  await cache.put(request, response);
  const keys = await cache.keys();
  const excess = keys.length - LIMITS[cacheName];
  for (let i = 0; i < excess; i++) await cache.delete(keys[i]); // oldest first: keys() keeps insertion order
}
