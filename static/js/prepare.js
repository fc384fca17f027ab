/*
 * "Prepare offline" on today's inspections: the service worker fetches and keeps the pages an
 * inspection needs (its start form or checklist, its summary, the project's concealed-works
 * record), and the row shows "ready offline" with the time they were saved. The mark is also
 * shown on loading the list for pages kept earlier (by this button or by a visit).
 */
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function localTime(date) {
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) + " " +
      pad(date.getHours()) + ":" + pad(date.getMinutes());
  }

  function pagesOf(box) { return JSON.parse(box.dataset.pages); }

  function mark(box, text, ok) {
    var el = box.querySelector("[data-ready-mark]");
    el.textContent = text;
    el.classList.toggle("badge-ok", ok);
    el.classList.toggle("badge-bad", !ok);
    el.hidden = false;
  }

  function showReady(box, date) {
    box.dataset.readyAt = date.toISOString();
    mark(box, box.dataset.msgReady.replace("%(time)s", localTime(date)), true);
  }

  // A page kept earlier: "ready" with the time the server answered it.
  function showKept(box) {
    if (!window.caches) { return; }
    caches.open(box.dataset.pagesCache).then(function (cache) {
      return cache.match(pagesOf(box)[0]);
    }).then(function (response) {
      if (response) { showReady(box, new Date(response.headers.get("Date") || Date.now())); }
    }).catch(function () { /* nothing kept */ });
  }

  function askWorker(urls) {
    return new Promise(function (resolve, reject) {
      var worker = navigator.serviceWorker && navigator.serviceWorker.controller;
      if (!worker) { reject(new Error("no worker")); return; }
      var channel = new MessageChannel();
      channel.port1.onmessage = function (event) { resolve(event.data); };
      worker.postMessage({ type: "KEEP_PAGES", urls: urls }, [channel.port2]);
    });
  }

  function prepare(box) {
    var button = box.querySelector("[data-prepare-button]");
    button.disabled = true;
    askWorker(pagesOf(box)).then(function (results) {
      var all = results.length > 0 && results.every(function (r) { return r.kept; });
      if (all) { showReady(box, new Date()); } else { mark(box, box.dataset.msgFailed, false); }
    }).catch(function () {
      mark(box, box.dataset.msgFailed, false);
    }).then(function () { button.disabled = false; });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-prepare-button]") : null;
    if (button) { prepare(button.closest("[data-prepare]")); }
  });

  document.querySelectorAll("[data-prepare]").forEach(showKept);
})();
