/*
 * The page's side of the service worker (service-worker.js):
 *  - registers it, on secure contexts only (HTTPS, or localhost / 127.0.0.1);
 *  - lets a new version take over only while nothing waits in the outbox: an update never
 *    strands queued answers; until then a small "new version ready" notice shows;
 *  - on logging out, warns about answers not sent yet, and forgets the pages kept on the phone.
 * The outbox is the field outbox in IndexedDB (outbox.js announces every change with a
 * "portal:outbox" event); entries of the older localStorage outbox count too until outbox.js has
 * moved them over.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var OUTBOX_PREFIX = "portal:outbox:";

  var outboxCount = 0;
  document.addEventListener("portal:outbox", function (event) { outboxCount = event.detail.count; });

  // What waits, as far as this page knows now (the outbox's last count + the older outbox).
  function pendingCount() {
    var count = outboxCount;
    try {
      for (var i = 0; i < localStorage.length; i++) {
        var key = localStorage.key(i);
        if (key && key.indexOf(OUTBOX_PREFIX) === 0) {
          count += Object.keys(JSON.parse(localStorage.getItem(key) || "{}")).length;
        }
      }
    } catch (e) { /* unreadable storage holds nothing we could lose */ }
    return count;
  }

  // --- logging out --------------------------------------------------------------------------

  function forgetKeptPages() {
    if (!window.caches) { return Promise.resolve(); }
    return caches.delete(script.dataset.pagesCache).catch(function () { /* nothing kept */ });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-logout") || form.dataset.leaving) { return; }
    var pending = pendingCount();
    if (pending && !window.confirm(script.dataset.msgUnsent.replace("%(n)s", pending))) {
      event.preventDefault();
      return;
    }
    // The worker also empties the cache when the login page comes back; this covers a logout
    // whose answer never arrives.
    event.preventDefault();
    form.dataset.leaving = "1";
    forgetKeptPages().then(function () { form.submit(); });
  });

  // --- the worker and its updates -----------------------------------------------------------

  if (!("serviceWorker" in navigator) || !window.isSecureContext) { return; }

  function showUpdateNotice(show) {
    var notice = document.getElementById("update-notice");
    if (!show) {
      if (notice) { notice.remove(); }
      return;
    }
    if (notice) { return; }
    notice = document.createElement("p");
    notice.id = "update-notice";
    notice.className = "flash";
    notice.setAttribute("role", "status");
    notice.textContent = script.dataset.msgUpdate;
    (document.getElementById("flash") || document.body).appendChild(notice);
  }

  // The outbox's own count, read from IndexedDB (not just the last announced one).
  function pendingNow() {
    if (!window.PortalOutbox) { return Promise.resolve(pendingCount()); }
    return window.PortalOutbox.count().then(function (count) {
      outboxCount = count;
      return pendingCount();
    }, function () { return pendingCount() || 1; });  // unreadable: do not risk it
  }

  function activateWhenEmpty(registration) {
    var waiting = registration.waiting;
    if (!waiting) { showUpdateNotice(false); return; }
    pendingNow().then(function (pending) {
      if (pending > 0 || registration.waiting !== waiting) { showUpdateNotice(pending > 0); return; }
      showUpdateNotice(false);
      waiting.postMessage({ type: "SKIP_WAITING" });
    });
  }

  function watch(registration) {
    activateWhenEmpty(registration);
    registration.addEventListener("updatefound", function () {
      var installing = registration.installing;
      if (!installing) { return; }
      installing.addEventListener("statechange", function () {
        if (installing.state === "installed") { activateWhenEmpty(registration); }
      });
    });
    document.addEventListener("portal:outbox", function () { activateWhenEmpty(registration); });
    window.addEventListener("storage", function (event) {  // another tab's outbox
      if (!event.key || event.key.indexOf(OUTBOX_PREFIX) === 0) { activateWhenEmpty(registration); }
    });
  }

  // After the page has loaded: the precache downloads do not compete with the page's own.
  function register() {
    navigator.serviceWorker.register(script.dataset.worker, { scope: script.dataset.scope })
      .then(watch)
      .catch(function () { /* no worker: the portal works online as before */ });
  }
  if (document.readyState === "complete") { register(); } else { window.addEventListener("load", register); }
})();
