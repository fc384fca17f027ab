/*
 * The portal's service worker (Workbox). /sw.js sets self.PORTAL_WORKER for this deployment and
 * then loads Workbox and this file. What it does:
 *  - static files: precached by their versioned URLs (the ones the pages use), served from the cache;
 *    a page kept from an earlier release, naming older versions, gets the current ones;
 *  - the pages of the inspector's day (PORTAL_WORKER.pages): network first, with a short timeout,
 *    then the copy kept from the last visit;
 *  - any other page: network, and the offline page when there is none;
 *  - the images those pages draw on (PORTAL_WORKER.images: photos, floor plans): network first,
 *    then the kept copy;
 *  - everything else (htmx requests, POSTs, uploads, signatures) is not touched: straight to the network;
 *  - "prepare offline" on today's inspections asks it to keep an inspection's pages (KEEP_PAGES).
 * The kept pages belong to one user: every HTML answer names its user (ownerHeader), and an answer
 * for another user, or for nobody (the login page after logging out), empties the cache first.
 * A new version never takes over by itself: it waits until a page, whose outbox is empty, asks
 * it to (offline.js), or until every tab of the portal is closed.
 */
/* global workbox */
(function () {
  "use strict";

  var config = self.PORTAL_WORKER;
  var pagePatterns = config.pages.map(function (pattern) { return new RegExp(pattern); });
  var imagePatterns = (config.images || []).map(function (pattern) { return new RegExp(pattern); });

  workbox.precaching.cleanupOutdatedCaches();
  // A page kept from an earlier release names older versions of the files (?v=), which this
  // precache does not hold: such a request gets the file's current version rather than nothing.
  var currentVersion = {};
  config.precache.forEach(function (entry) {
    var url = new URL(entry.url, self.location.origin);
    currentVersion[url.pathname] = url;
  });
  workbox.precaching.precacheAndRoute(config.precache, {
    urlManipulation: function (param) {
      var current = currentVersion[param.url.pathname];
      return current ? [current] : [];
    }
  });

  // --- whose pages are kept -------------------------------------------------------------------

  function keptOwner(cache) {
    return cache.match(config.ownerKey).then(function (response) { return response ? response.text() : null; });
  }

  // Make the pages cache belong to ``owner`` ("" for nobody): another user's pages are dropped.
  function claimPagesFor(owner) {
    return caches.open(config.pagesCache).then(keptOwner).then(function (current) {
      if (current === owner) { return; }
      return caches.delete(config.pagesCache).then(function () {
        if (!owner) { return; }
        return caches.open(config.pagesCache).then(function (cache) {
          return cache.put(config.ownerKey, new Response(owner, { headers: { "Content-Type": "text/plain" } }));
        });
      });
    });
  }

  var ownerPlugin = {
    fetchDidSucceed: function (param) {
      var response = param.response;
      // A redirect (to the login page, for instance) says nothing: its own answer will.
      if (response.type === "opaqueredirect") { return response; }
      return claimPagesFor(response.headers.get(config.ownerHeader) || "").then(function () { return response; });
    }
  };

  // Only a complete page of a logged-in user is kept (no error page, no redirect).
  var keepPagePlugin = {
    cacheWillUpdate: function (param) {
      var response = param.response;
      var keep = response.status === 200 && !response.redirected && response.headers.get(config.ownerHeader);
      return Promise.resolve(keep ? response : null);
    }
  };

  // --- preparing before going in ----------------------------------------------------------------

  // Fetch and keep ``urls`` (the pages an inspection needs), one after the other: each answer
  // first claims the cache for its user. Answers {url, kept, date} for each.
  function keepPages(urls) {
    var results = [];
    return urls.reduce(function (chain, url) {
      return chain.then(function () {
        return fetch(url, { credentials: "same-origin", redirect: "manual" }).then(function (response) {
          if (response.type === "opaqueredirect") { return false; }
          return claimPagesFor(response.headers.get(config.ownerHeader) || "").then(function () {
            return keepPagePlugin.cacheWillUpdate({ response: response });
          }).then(function (keep) {
            if (!keep) { return false; }
            return caches.open(config.pagesCache).then(function (cache) { return cache.put(url, keep); })
              .then(function () { return true; });
          });
        }).catch(function () { return false; }).then(function (kept) {
          results.push({ url: url, kept: kept, date: new Date().toISOString() });
        });
      });
    }, Promise.resolve()).then(function () { return results; });
  }

  // --- routes ---------------------------------------------------------------------------------

  function isDayPage(param) {
    return param.request.mode === "navigate" && param.url.origin === self.location.origin &&
      pagePatterns.some(function (pattern) { return pattern.test(param.url.pathname); });
  }

  workbox.routing.registerRoute(isDayPage, new workbox.strategies.NetworkFirst({
    cacheName: config.pagesCache,
    networkTimeoutSeconds: config.networkTimeoutSeconds,
    plugins: [ownerPlugin, keepPagePlugin]
  }));

  // The images the kept pages draw on (a photo to mark up, a floor plan): network first, then the
  // copy from the last visit. Only a complete image is kept; the cache is the pages' (one user's).
  var keepImagePlugin = {
    cacheWillUpdate: function (param) {
      var response = param.response;
      return Promise.resolve(response.status === 200 && !response.redirected &&
        /^image\//.test(response.headers.get("Content-Type") || "") ? response : null);
    }
  };

  function isDayImage(param) {
    return param.request.method === "GET" && param.request.destination === "image" &&
      param.url.origin === self.location.origin &&
      imagePatterns.some(function (pattern) { return pattern.test(param.url.pathname); });
  }

  workbox.routing.registerRoute(isDayImage, new workbox.strategies.NetworkFirst({
    cacheName: config.pagesCache,
    networkTimeoutSeconds: config.networkTimeoutSeconds,
    plugins: [keepImagePlugin]
  }));

  workbox.routing.registerRoute(function (param) { return param.request.mode === "navigate"; },
    new workbox.strategies.NetworkOnly({ plugins: [ownerPlugin] }));

  // A page that could come neither from the network nor from the cache: the offline page.
  workbox.routing.setCatchHandler(function (param) {
    if (param.request.mode !== "navigate") { return Promise.resolve(Response.error()); }
    return workbox.precaching.matchPrecache(config.offlineUrl).then(function (response) {
      return response || Response.error();
    });
  });

  // --- updates ----------------------------------------------------------------------------------

  workbox.core.clientsClaim();

  self.addEventListener("message", function (event) {
    var data = event.data || {};
    if (data.type === "SKIP_WAITING") {
      // Sent by a page that has checked that nothing waits in its outbox.
      self.skipWaiting();
    } else if (data.type === "KEEP_PAGES" && event.ports[0]) {
      event.waitUntil(keepPages(data.urls || []).then(function (results) { event.ports[0].postMessage(results); }));
    } else if (data.type === "VERSION" && event.ports[0]) {
      event.ports[0].postMessage({ version: config.version });
    }
  });
})();
