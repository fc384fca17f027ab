/*
 * Checklist autosave: every answer is sent by htmx the moment it is given. This file makes
 * sure none is lost on a poor connection:
 *  - each request is kept in an outbox in localStorage until the server confirms it;
 *  - a failed send (no network, 5xx) is shown on the item and retried with backoff;
 *  - after a reload, answers still in the outbox are sent again.
 */
(function () {
  "use strict";

  var root = document.getElementById("checklist");
  if (!root) { return; }
  var storeKey = "portal:outbox:" + root.dataset.inspection;
  var timers = {};
  var attempts = {};

  function load() {
    try { return JSON.parse(localStorage.getItem(storeKey) || "{}"); } catch (e) { return {}; }
  }
  function store(outbox) {
    try { localStorage.setItem(storeKey, JSON.stringify(outbox)); } catch (e) { /* private mode: memory only */ }
    // offline.js lets a new version of the app take over only once the outbox is empty.
    document.dispatchEvent(new CustomEvent("portal:outbox", { detail: { count: Object.keys(outbox).length } }));
  }
  function keyFor(path) { return path; }

  function setState(itemId, state) {
    var li = document.getElementById("item-" + itemId);
    if (!li) { return; }
    var el = li.querySelector(".save-state");
    li.classList.remove("item--saving", "item--retrying", "item--pending");
    if (state) { li.classList.add("item--" + state); }
    if (el) {
      var text = { saving: root.dataset.msgSaving, retrying: navigator.onLine ? root.dataset.msgRetrying : root.dataset.msgOffline,
                   pending: root.dataset.msgPending, saved: root.dataset.msgSaved }[state] || "";
      el.textContent = text;
    }
  }

  function itemIdOf(elt) {
    var li = elt && elt.closest ? elt.closest("[data-item]") : null;
    return li ? li.dataset.item : null;
  }

  function paramsOf(detail) {
    var out = {};
    var data = detail.formData || detail.parameters;
    if (data && typeof data.forEach === "function") {
      data.forEach(function (value, name) { if (name !== "csrf_token") { out[name] = value; } });
    } else if (data) {
      Object.keys(data).forEach(function (name) { if (name !== "csrf_token") { out[name] = data[name]; } });
    }
    return out;
  }

  // Remember every item request before it leaves.
  document.body.addEventListener("htmx:configRequest", function (event) {
    var itemId = itemIdOf(event.detail.elt);
    if (!itemId) { return; }
    var outbox = load();
    outbox[keyFor(event.detail.path)] = { item: itemId, path: event.detail.path, params: paramsOf(event.detail),
                                          target: event.detail.target ? "#" + event.detail.target.id : null };
    store(outbox);
    // Show the tapped answer at once, even before the server answers.
    var params = outbox[keyFor(event.detail.path)].params;
    if (params.outcome) {
      var li = document.getElementById("item-" + itemId);
      if (li) {
        li.querySelectorAll("button[name=outcome]").forEach(function (b) {
          b.setAttribute("aria-pressed", b.value === params.outcome ? "true" : "false");
        });
      }
    }
    setState(itemId, "saving");
  });

  // The item's form is swapped out by its own response, so htmx reports the end of the request
  // from a detached element or an ancestor: find the outbox entry by the request path instead.
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var path = event.detail.pathInfo ? event.detail.pathInfo.requestPath : (event.detail.requestConfig || {}).path;
    var entry = path ? load()[keyFor(path)] : null;
    if (!entry) { return; }
    var xhr = event.detail.xhr;
    var status = xhr ? xhr.status : 0;
    // 2xx: saved. 4xx (except timeouts and throttling): the server refused it for good (the
    // item shows why); sending it again would not help.
    var final = status >= 200 && status < 500 && status !== 408 && status !== 429;
    if (final) {
      var outbox = load();
      delete outbox[keyFor(path)];
      store(outbox);
      delete attempts[path];
      clearTimeout(timers[path]);
      if (status < 300) { setState(entry.item, "saved"); }
      return;
    }
    scheduleRetry(path);
  });

  function scheduleRetry(path) {
    var entry = load()[keyFor(path)];
    if (!entry) { return; }
    attempts[path] = (attempts[path] || 0) + 1;
    var delay = Math.min(30000, 1000 * Math.pow(2, attempts[path] - 1));
    setState(entry.item, "retrying");
    clearTimeout(timers[path]);
    timers[path] = setTimeout(function () { send(path); }, delay);
  }

  function send(path) {
    var entry = load()[keyFor(path)];
    if (!entry) { return; }
    var li = document.getElementById("item-" + entry.item);
    var form = li ? li.querySelector("form[hx-post='" + path + "']") : null;
    var swapTarget = entry.target || ("#item-" + entry.item);
    htmx.ajax("POST", path, {
      source: form || root, target: swapTarget, swap: "outerHTML",
      values: entry.params,
      headers: { "HX-Target": swapTarget.slice(1) }
    });
  }

  // A photo uploaded for an item satisfies its "photo required" badge at once.
  document.addEventListener("photo:uploaded", function (event) {
    var li = event.target.closest ? event.target.closest("[data-item]") : null;
    var badge = li ? li.querySelector("[data-photo-badge]") : null;
    if (badge) { badge.classList.remove("badge-bad"); badge.classList.add("badge-ok"); }
  });

  // The response error handler of portal.js stays out of the way for items.
  root.setAttribute("data-own-errors", "");

  window.addEventListener("online", function () {
    Object.keys(load()).forEach(function (path) { clearTimeout(timers[path]); send(path); });
  });

  // After a reload: answers that never reached the server are sent again.
  document.addEventListener("DOMContentLoaded", function () {
    var outbox = load();
    Object.keys(outbox).forEach(function (path) {
      setState(outbox[path].item, "pending");
      send(path);
    });
  });
})();
