// The reporter app's service worker (served at /sw.js so its scope is the whole site):
// keeps the page, its modules and libraries so the app opens without a connection.
// The API is never cached: an alarm is only ever answered by the server.
const CACHE = "netalarm-reporter-v1";
const SHELL = [
  "/",
  "/report",
  "/manifest.webmanifest",
  "/static/common/events.js",
  "/static/common/i18n.js",
  "/static/common/times.js",
  "/static/reporter/app.js",
  "/static/reporter/api.js",
  "/static/reporter/blobs.js",
  "/static/reporter/capture.js",
  "/static/reporter/chat.js",
  "/static/reporter/fields.js",
  "/static/reporter/files.js",
  "/static/reporter/icons.js",
  "/static/reporter/locate.js",
  "/static/reporter/map.js",
  "/static/reporter/outbox.js",
  "/static/reporter/position.js",
  "/static/reporter/status.js",
  "/static/reporter/store.js",
  "/static/reporter/strings.js",
  "/static/reporter/uploads.js",
  "/static/reporter/verify.js",
  "/static/reporter/withdraw.js",
  "/static/reporter/reporter.css",
  "/static/reporter/icons/icon.svg",
  "/static/reporter/icons/icon-192.png",
  "/static/reporter/icons/icon-512.png",
  "/vendor/leaflet/dist/leaflet.css",
  "/vendor/leaflet/dist/leaflet-src.esm.js",
  "/vendor/tus-js-client/dist/tus.min.js",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => Promise.all(SHELL.map((url) => cache.add(url).catch(() => undefined))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

// The kept copy of `request` (for a page, the app's own page), or undefined.
async function kept(cache, request) {
  const copy = await cache.match(request, { ignoreSearch: true });
  if (copy || request.mode !== "navigate") return copy;
  return cache.match("/");
}

// The network first (so a new version is picked up at once), the kept copy when offline or
// when the server is down behind a proxy (a 5xx): the app then still opens, keeps an alarm
// on the device and offers the SMS link, instead of showing "502 Bad Gateway".
async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  let response;
  try {
    response = await fetch(request);
  } catch (err) {
    const copy = await kept(cache, request);
    if (copy) return copy;
    throw err;
  }
  if (response.ok) {
    cache.put(request, response.clone());
    return response;
  }
  if (response.status >= 500) return (await kept(cache, request)) || response;
  return response;
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  const ours = url.pathname === "/" || url.pathname === "/report" || url.pathname === "/manifest.webmanifest"
    || url.pathname.startsWith("/static/reporter/") || url.pathname.startsWith("/static/common/")
    || url.pathname.startsWith("/vendor/");
  if (ours) event.respondWith(networkFirst(event.request));
});
