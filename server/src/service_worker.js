// Goodwill's service worker: keeps the shared tablet's pages usable while the network is down.
// The server fills in this build's id and its hashed asset names when it serves /sw.js, so
// every build installs a worker of its own (docs/FRONT-LINE.md, "Offline").
//
// - The build's assets (hashed names, never changed under one name) come from the cache.
// - The tablet pages (/tablet, /today, /log) come from the network while it answers, and from
//   the copy this device last received when it does not. Their copies belong to one turn:
//   the page drops them when a turn starts or ends (messages below), so nobody else's page
//   is ever shown from the cache.
// - Any other page, offline, says so and points to the pages that work offline.
// - Nothing else is touched: server functions, posts and live events go to the network.
"use strict";

const BUILD = "__GOODWILL_BUILD__";
const ASSETS = __GOODWILL_ASSETS__;
const STYLESHEET = "__GOODWILL_STYLESHEET__";
const PAGES = ["/tablet", "/today", "/log"];
const PREFIX = "goodwill-";
const CACHE = PREFIX + BUILD;

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll(ASSETS);
      // The pages as this device sees them now; any that cannot be fetched are kept the
      // next time they are visited.
      await Promise.all(PAGES.map((page) => keep(cache, page)));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      // Another build's assets and the pages that use them go together.
      for (const name of await caches.keys()) {
        if (name.startsWith(PREFIX) && name !== CACHE) {
          await caches.delete(name);
        }
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") {
    return;
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (ASSETS.includes(url.pathname)) {
    event.respondWith(fromCacheFirst(request));
  } else if (request.mode === "navigate" && PAGES.includes(url.pathname)) {
    event.respondWith(fromNetworkFirst(request, url));
  } else if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => offlinePage()));
  }
});

// From the page:
// - "turn-changed": whoever the pages are for changed (a PIN turn started or was ended by
//   hand, someone signed in or out): drop the pages kept for the last one, keep the new ones.
// - "turn-left": the tablet went back to the picker on its own: drop the turn's pages
//   (fetching them again now would count as the person still being there).
self.addEventListener("message", (event) => {
  const done = (async () => {
    const cache = await caches.open(CACHE);
    if (event.data === "turn-left") {
      await Promise.all(["/today", "/log"].map((page) => cache.delete(page)));
    } else if (event.data === "turn-changed") {
      await Promise.all(["/today", "/log"].map((page) => cache.delete(page)));
      await Promise.all(PAGES.map((page) => keep(cache, page)));
    }
    if (event.source) {
      event.source.postMessage({ done: event.data });
    }
  })();
  event.waitUntil(done);
});

async function fromCacheFirst(request) {
  const cached = await caches.match(request, { cacheName: CACHE });
  if (cached) {
    return cached;
  }
  const response = await fetch(request);
  if (response.ok) {
    const cache = await caches.open(CACHE);
    await cache.put(request, response.clone());
  }
  return response;
}

async function fromNetworkFirst(request, url) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    // Only the plain page (a receipt in the address is one moment's answer).
    if (url.search === "" && keepable(response)) {
      await cache.put(url.pathname, response.clone());
    }
    return response;
  } catch (error) {
    const cached = await cache.match(url.pathname);
    return cached || offlinePage();
  }
}

async function keep(cache, page) {
  try {
    const response = await fetch(page, { credentials: "same-origin", redirect: "follow" });
    if (keepable(response)) {
      await cache.put(page, response);
    }
  } catch (error) {
    // Offline now: kept on the next visit.
  }
}

function keepable(response) {
  return (
    response.ok &&
    !response.redirected &&
    (response.headers.get("content-type") || "").startsWith("text/html")
  );
}

function offlinePage() {
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Offline · Goodwill</title>
<link rel="stylesheet" href="${STYLESHEET}">
</head>
<body>
<header class="site-header"><a class="brand" href="/">Goodwill</a></header>
<main>
<section class="card" data-testid="offline-page">
<h1>This page needs the network</h1>
<p>The tablet is offline. Recoveries logged on this tablet wait on it and are sent as soon as the connection returns.</p>
<p class="actions"><a class="button primary big" href="/log">Log a recovery</a> <a class="button" href="/today">Today</a> <a class="button" href="/tablet">Tablet</a></p>
</section>
</main>
</body>
</html>`;
  return new Response(html, {
    status: 503,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy":
        "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    },
  });
}
