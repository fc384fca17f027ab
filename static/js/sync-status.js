/*
 * The sync indicator under the top bar of every page (base.html): "all saved", "N waiting",
 * "offline", or "N need your attention" (conflicts and refusals), from the field outbox
 * (outbox.js); "sync now" sends at once. Also says when the phone's storage is low or may be
 * cleared by the browser. Until the outbox has counted what waits, the server-rendered
 * "checking" state stays: an "all saved" shown before the count would be a false promise.
 */
(function () {
  "use strict";

  var box = document.getElementById("sync-status");
  if (!box) { return; }
  var last = null;  // what the outbox last announced; null until its first count
  var storage = null;

  function render() {
    if (!last) { return; }
    var count = last.count, failing = last.failing;
    var state, message;
    if (last.loginNeeded) {  // the session ended while offline: nothing goes until he logs in
      state = "error"; message = box.dataset.msgLogin;
    } else if (failing) {
      state = "error"; message = box.dataset.msgError.replace("{n}", failing);
    } else if (!navigator.onLine) {
      state = "offline"; message = count ? box.dataset.msgOffline.replace("{n}", count) : box.dataset.msgOfflineSaved;
    } else if (count) {
      state = "waiting"; message = box.dataset.msgWaiting.replace("{n}", count);
    } else {
      state = "saved"; message = box.dataset.msgSaved;
    }
    box.dataset.state = state;
    box.dataset.count = String(count);
    box.querySelector("[data-sync-text]").textContent = message;
    // Not persistent matters once something waits on the phone; low space always.
    var note = box.querySelector("[data-sync-storage]");
    var warn = !!storage && (storage.low || (!storage.persistent && count > 0));
    note.hidden = !warn;
    note.textContent = warn ? box.dataset.msgStorage : "";
  }

  document.addEventListener("outbox:change", function (event) {
    last = { count: event.detail.count, failing: event.detail.failing, loginNeeded: event.detail.loginNeeded };
    render();
  });
  document.addEventListener("outbox:storage", function (event) {
    storage = event.detail;
    render();
  });
  window.addEventListener("online", render);
  window.addEventListener("offline", render);
  box.querySelector("[data-sync-now]").addEventListener("click", function () {
    if (window.PortalOutbox) { window.PortalOutbox.sync(); }
  });
  // The storage answer may have come before this script ran (outbox.js runs first).
  if (window.PortalOutbox) { storage = window.PortalOutbox.storageState(); }
  // A browser without IndexedDB has no outbox: nothing can wait on it.
  if (!window.PortalOutbox) { last = { count: 0, failing: 0, loginNeeded: false }; render(); }
})();
