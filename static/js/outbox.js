/*
 * The field outbox: every action an inspector takes on site is stored in IndexedDB (the idb
 * library) before it is sent, and stays there until the server has confirmed it. Nothing
 * entered is lost by a basement, a reload, a closed tab or a phone restart.
 *
 * An action is {id (client UUID), inspection, seq, kind, url, fields, blobs, item, baseVersion,
 * capturedAt, state, attempts, lastError, html, retryCodes}. "inspection" is the key that orders
 * actions: an inspection's id, or e.g. "markup:<url>" for one photo's markup saves. Replay:
 *  - strictly in seq order per inspection: a network failure or a 5xx stops the inspection's
 *    later actions until the next try (1, 2, 4 … 60 s, at once when the browser comes online,
 *    on "sync now", and on loading any page);
 *  - every copy carries client_id, captured_at and the X-Phone-Clock header: the server carries
 *    out each client id once and answers copies with the stored answer;
 *  - a 409 conflict (the answer changed elsewhere since this phone's version) is kept with both
 *    values until the inspector keeps his or takes theirs; any other refusal (4xx) is kept with
 *    the server's message (a JSON answer's "error" too) unless the page shows it at once; a
 *    refusal whose JSON "code" is in the action's retryCodes is tried again like a 5xx; a
 *    finish is sent only once every earlier action of its inspection is confirmed;
 *  - a confirmed answer version is passed on to the later queued changes of the same item, so
 *    the phone's own changes never conflict with each other;
 *  - a 400 after a long time offline is usually a stale CSRF token: a fresh one is fetched and
 *    the action sent once more;
 *  - an action is sent only while the user who made it is logged in (a phone may be shared).
 * Pages listen to "outbox:change" (detail: {count, failing, actions}), "outbox:sending",
 * "outbox:retry" and "outbox:result" (detail: {action, status, html, version, redirect}: a
 * redirect of the server comes as 200 with its target, X-Outbox / X-Redirect-To) on document.
 * Exposed as window.PortalOutbox.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var DB_NAME = "portal-outbox";
  var STORE = "actions";
  var LEGACY_PREFIX = "portal:outbox:";
  var MAX_DELAY_S = 60;
  var FAIL_STATES = { conflict: true, refused: true };
  var dbPromise = null;
  var syncing = null;
  var again = false;
  var retryTimer = null;
  var failures = 0;
  var lastSeq = 0;
  var csrf = null;
  var storageState = null;  // the last answer of checkStorage, for a listener that came later

  function db() {
    if (!dbPromise) {
      dbPromise = window.idb.openDB(DB_NAME, 1, {
        upgrade: function (database) {
          var store = database.createObjectStore(STORE, { keyPath: "id" });
          store.createIndex("seq", "seq");
        }
      });
    }
    return dbPromise;
  }

  function uuid() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  // Strictly increasing in this tab, and across reloads (the clock moves on).
  function nextSeq() {
    lastSeq = Math.max(lastSeq + 1, Date.now() * 1000);
    return lastSeq;
  }

  function all() {
    return db().then(function (database) { return database.getAllFromIndex(STORE, "seq"); });
  }

  function put(action) {
    return db().then(function (database) { return database.put(STORE, action); });
  }

  function remove(id) {
    return db().then(function (database) { return database.delete(STORE, id); });
  }

  function isMine(action) { return !action.user || action.user === (script.dataset.user || ""); }

  // Tells the page what waits: the logged-in user's actions (another user's wait for him).
  function announce() {
    return all().then(function (every) {
      var actions = every.filter(isMine);
      var failing = actions.filter(function (a) { return FAIL_STATES[a.state]; }).length;
      var loginNeeded = actions.some(function (a) { return a.state === "failed" && a.lastError === script.dataset.msgLogin; });
      var detail = { count: actions.length, failing: failing, loginNeeded: loginNeeded, actions: actions };
      document.dispatchEvent(new CustomEvent("outbox:change", { detail: detail }));
      document.dispatchEvent(new CustomEvent("portal:outbox", { detail: { count: actions.length } }));
      return detail;
    });
  }

  // --- adding -------------------------------------------------------------------------------

  // spec: {inspection, kind, url, fields: [[name, value]], blobs: [[name, blob, filename]], item, target,
  //        baseVersion, id (optional: a UUID given earlier, e.g. a photo's)}
  function add(spec) {
    var action = {
      id: spec.id || uuid(), user: script.dataset.user || "", inspection: String(spec.inspection || ""),
      seq: nextSeq(), kind: spec.kind,
      url: spec.url, fields: spec.fields || [], blobs: spec.blobs || [], item: spec.item || null,
      target: spec.target || null, list: spec.list || null, name: spec.name || null, baseVersion: spec.baseVersion === undefined ? null : spec.baseVersion,
      retryCodes: spec.retryCodes || [],
      capturedAt: spec.capturedAt || new Date().toISOString(), state: "queued", attempts: 0, lastError: "",
      html: ""
    };
    return put(action).then(announce).then(function () {
      // A photo takes real space: whether the phone still has room is asked again now.
      if (action.blobs.length) { checkStorage(); }
      sync();
      return action;
    });
  }

  // --- sending ------------------------------------------------------------------------------

  function currentToken() {
    if (csrf) { return csrf; }
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; } catch (e) { return ""; }
  }

  function freshToken() {
    return fetch(script.dataset.home, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      return r.text();
    }).then(function (html) {
      var match = /"X-CSRFToken":\s*"([^"]+)"/.exec(html);
      if (match) { csrf = match[1]; }
      return !!match;
    }).catch(function () { return false; });
  }

  // Form-encoded like a plain form post; multipart only when a file goes along.
  function body(action) {
    var data = action.blobs && action.blobs.length ? new FormData() : new URLSearchParams();
    action.fields.forEach(function (pair) { if (pair[0] !== "csrf_token") { data.append(pair[0], pair[1]); } });
    data.append("client_id", action.id);
    data.append("captured_at", action.capturedAt);
    if (action.baseVersion !== null && action.baseVersion !== undefined) { data.append("base_version", String(action.baseVersion)); }
    (action.blobs || []).forEach(function (blob) { data.append(blob[0], blob[1], blob[2]); });
    return data;
  }

  function post(action) {
    var headers = { "X-CSRFToken": currentToken(), "X-Phone-Clock": new Date().toISOString(), "HX-Request": "true",
                    "X-Outbox": "1", "Accept": "text/html" };
    if (action.target) { headers["HX-Target"] = action.target; }
    return fetch(action.url, { method: "POST", body: body(action), headers: headers, credentials: "same-origin" })
      .then(function (response) { return response.text().then(function (text) { return { response: response, text: text }; }); });
  }

  // A JSON answer ({"error", "code"}) of the markup and pin endpoints, or null.
  function jsonOf(text) {
    if (!/^\s*\{/.test(text || "")) { return null; }
    try { return JSON.parse(text); } catch (e) { return null; }
  }

  function messageOf(text, status) {
    var json = jsonOf(text);
    if (json && json.error) { return String(json.error); }
    var template = document.createElement("template");
    template.innerHTML = /<html[\s>]|<!doctype/i.test(text) ? "" : text;
    var el = template.content.querySelector(".item-error:not(:empty), .error, .upload-error, .flash-error, [role=alert]");
    var message = el ? el.textContent.replace(/\s+/g, " ").trim() : "";
    if (!message && /<html[\s>]|<!doctype/i.test(text)) {
      var page = new DOMParser().parseFromString(text, "text/html");
      var found = page.querySelector(".flash-error, .error-box p, .finish-error, [role=alert]:not(:empty), main p");
      message = found ? found.textContent.replace(/\s+/g, " ").trim() : "";
    }
    return message || (script.dataset.msgRefused + " (" + status + ")");
  }

  function isLoginPage(response) {
    return response.redirected && /\/login(\?|$)/.test(new URL(response.url).pathname + new URL(response.url).search);
  }

  // One action: "done", "kept" (conflict or refusal, kept for the inspector) or "retry".
  function sendOne(action, tokenRetried) {
    action.state = "sending";
    document.dispatchEvent(new CustomEvent("outbox:sending", { detail: { action: action } }));
    return post(action).then(function (result) {
      var response = result.response;
      var status = response.status;
      if (status === 400 && !tokenRetried) {
        return freshToken().then(function (ok) { return ok ? sendOne(action, true) : fail(action, "400"); });
      }
      if (isLoginPage(response)) { return fail(action, script.dataset.msgLogin); }
      if (status >= 200 && status < 400) { return confirmed(action, result); }
      if (status === 409 && response.headers.get("X-Conflict")) {
        action.state = "conflict";
        action.html = result.text;
        action.serverVersion = Number(response.headers.get("X-Answer-Version"));
        return put(action).then(function () { report(action, status, result.text); return "kept"; });
      }
      if (status >= 500 || status === 408 || status === 429) { return fail(action, String(status)); }
      // A refusal the action names as passing (e.g. two markup saves racing): sent again later.
      var json = jsonOf(result.text);
      if (json && json.code && (action.retryCodes || []).indexOf(json.code) !== -1) { return fail(action, messageOf(result.text, status)); }
      return refuse(action, status, result.text);
    }, function () {
      return fail(action, navigator.onLine ? script.dataset.msgNoAnswer : script.dataset.msgOffline);
    });
  }

  function fail(action, message) {
    action.state = "failed";
    action.attempts += 1;
    action.lastError = message;
    return put(action).then(function () { return "retry"; });
  }

  function refuse(action, status, text) {
    action.state = "refused";
    action.lastError = messageOf(text, status);
    action.html = text;
    var shown = report(action, status, text);
    // Shown at once on the page it was made on (the item shows the server's message): done.
    return (shown ? remove(action.id) : put(action)).then(function () { return shown ? "done" : "kept"; });
  }

  function confirmed(action, result) {
    var version = result.response.headers.get("X-Answer-Version");
    return remove(action.id).then(function () {
      if (version === null || !action.item) { return null; }
      return rebase(action, Number(version));
    }).then(function () {
      report(action, result.response.status, result.text, version === null ? null : Number(version),
             result.response.headers.get("X-Redirect-To"));
      return "done";
    });
  }

  // The later queued changes of the same item were based on the version this one was based on:
  // they are now based on the version it made.
  function rebase(action, version) {
    return all().then(function (actions) {
      return Promise.all(actions.filter(function (a) {
        return a.inspection === action.inspection && a.item === action.item && a.state !== "conflict" &&
          (a.baseVersion === null || a.baseVersion <= action.baseVersion);
      }).map(function (a) { a.baseVersion = version; return put(a); }));
    });
  }

  // Tells the page; true when something on it showed the result (see checklist.js).
  function report(action, status, html, version, redirect) {
    var event = new CustomEvent("outbox:result", { cancelable: true,
      detail: { action: action, status: status, html: html, version: version, redirect: redirect || null } });
    return !document.dispatchEvent(event);
  }

  // --- the replay loop ----------------------------------------------------------------------

  function runOnce() {
    return all().then(function (actions) {
      var stopped = {};   // inspection → a network failure stops its later actions
      var held = {};      // inspection → something before is not confirmed: no finish yet
      var retry = false;
      return actions.reduce(function (chain, listed) {
        // Read again: an earlier send may have rebased it, the inspector may have resolved it.
        return chain.then(function () { return get(listed.id); }).then(function (action) {
          if (!action) { return; }
          var key = action.inspection;
          // Only the user who made it sends it (another one may log in on the same phone).
          if (!isMine(action)) { return; }
          if (stopped[key]) { held[key] = true; return; }
          // Nothing of an inspection goes before its start has arrived.
          if (FAIL_STATES[action.state]) { held[key] = true; stopped[key] = action.kind === "start"; return; }
          if (action.kind === "finish" && held[key]) { return; }
          return sendOne(action).then(function (outcome) {
            if (outcome === "retry") { stopped[key] = true; retry = true; }
            if (outcome === "kept") { held[key] = true; stopped[key] = action.kind === "start"; }
          });
        });
      }, Promise.resolve()).then(function () { return retry; });
    });
  }

  function schedule(retry) {
    clearTimeout(retryTimer);
    if (!retry) { failures = 0; return; }
    failures += 1;
    var delay = Math.min(MAX_DELAY_S, Math.pow(2, failures - 1));
    retryTimer = setTimeout(sync, delay * 1000);
    document.dispatchEvent(new CustomEvent("outbox:retry", { detail: { at: Date.now() + delay * 1000 } }));
  }

  function withLock(work) {
    if (navigator.locks && navigator.locks.request) {
      return navigator.locks.request("portal-outbox", work);  // one tab sends at a time
    }
    return work();
  }

  function sync() {
    if (syncing) { again = true; return syncing; }
    document.documentElement.classList.add("outbox-syncing");
    syncing = withLock(runOnce).then(schedule, function (error) {
      if (window.console) { window.console.error(error); }
      schedule(true);
    }).then(function () {
      syncing = null;
      document.documentElement.classList.remove("outbox-syncing");
      return announce();
    }).then(function (detail) {
      if (again) { again = false; return sync(); }
      return detail;
    });
    return syncing;
  }

  // --- conflicts and refusals ---------------------------------------------------------------

  function get(id) { return db().then(function (database) { return database.get(STORE, id); }); }

  // "Keep mine": the same change again, on the server's current version.
  function keep(id) {
    return get(id).then(function (action) {
      if (!action) { return null; }
      action.baseVersion = action.serverVersion;
      action.state = "queued";
      action.html = "";
      return put(action).then(announce).then(sync);
    });
  }

  // A refused action sent again with corrected fields, in its place (e.g. a start whose
  // equipment was refused: the answers queued after it still follow it).
  function retry(id, fields) {
    return get(id).then(function (action) {
      if (!action) { return null; }
      action.fields = fields;
      action.state = "queued";
      action.lastError = "";
      action.html = "";
      return put(action).then(announce).then(sync);
    });
  }

  // "Take theirs" or "dismiss": the action leaves the outbox.
  function drop(id) { return remove(id).then(announce).then(function () { sync(); }); }

  // --- older outbox (localStorage, one entry per item request) -------------------------------

  function migrateLegacy() {
    var found = [];
    if (!script.dataset.user) { return Promise.resolve(); }  // moved over for the user logged in
    try {
      for (var i = 0; i < localStorage.length; i++) {
        var key = localStorage.key(i);
        if (key && key.indexOf(LEGACY_PREFIX) === 0) { found.push(key); }
      }
    } catch (e) { return Promise.resolve(); }
    return found.reduce(function (chain, key) {
      return chain.then(function () {
        var entries = {};
        try { entries = JSON.parse(localStorage.getItem(key) || "{}"); } catch (e) { entries = {}; }
        var inspection = key.slice(LEGACY_PREFIX.length);
        return Object.keys(entries).reduce(function (inner, path) {
          return inner.then(function () {
            var entry = entries[path];
            var fields = Object.keys(entry.params || {}).map(function (name) { return [name, entry.params[name]]; });
            return put({ id: uuid(), user: script.dataset.user || "", inspection: inspection, seq: nextSeq(), kind: /\/note$/.test(path) ? "note" : "answer",
                         url: path, fields: fields, blobs: [], item: entry.item || null,
                         target: entry.target ? entry.target.replace(/^#/, "") : null, baseVersion: null,
                         capturedAt: new Date().toISOString(), state: "queued", attempts: 0, lastError: "", html: "" });
          });
        }, Promise.resolve()).then(function () { localStorage.removeItem(key); });
      });
    }, Promise.resolve());
  }

  // --- storage ------------------------------------------------------------------------------

  // Asks for persistent storage (once per page load and after each queued photo); warns when it
  // is refused or space runs low (see sync-status.js).
  function checkStorage() {
    var storage = navigator.storage;
    if (!storage || !storage.persist || !storage.estimate) { return Promise.resolve(null); }
    return storage.persisted().then(function (already) { return already || storage.persist(); }).then(function (persistent) {
      return storage.estimate().then(function (estimate) {
        var free = (estimate.quota || 0) - (estimate.usage || 0);
        var low = estimate.quota ? (free < 50 * 1024 * 1024 || free < estimate.quota * 0.1) : false;
        var detail = { persistent: persistent, low: low, free: free };
        storageState = detail;
        document.dispatchEvent(new CustomEvent("outbox:storage", { detail: detail }));
        return detail;
      });
    }).catch(function () { return null; });
  }

  if (!window.idb || !window.indexedDB) { return; }

  // One page's queued saves of its own form (the markup editor, the pin page): ``owner`` has
  // ``form`` (with a client_id field), ``mine(action)``, ``say(text, bad)``, ``saved(body)`` and
  // ``restore(lastAction)``. While saves wait the form says so; after a reload the newest queued
  // one is shown again (it is what the server will have); a refusal is shown and leaves the outbox.
  function follow(owner) {
    var restored = false;
    document.addEventListener("outbox:change", function (event) {
      var mine = event.detail.actions.filter(function (a) { return owner.mine(a); });
      var first = !restored;
      restored = true;
      if (!mine.length) { return; }
      if (first) { owner.restore(mine[mine.length - 1]); }
      var refused = mine.filter(function (a) { return a.state === "refused"; })[0];
      if (refused) {
        owner.say(refused.lastError, true);
        drop(refused.id);  // read here: it leaves the outbox
      } else {
        owner.say(owner.form.dataset.msgWaiting);
      }
      owner.form.dataset.waiting = String(mine.length);
    });
    document.addEventListener("outbox:result", function (event) {
      var detail = event.detail;
      if (!owner.mine(detail.action)) { return; }
      var body = {};
      try { body = JSON.parse(detail.html || "{}"); } catch (e) { body = {}; }
      owner.form.dataset.waiting = "0";
      if (detail.status < 400) {
        restored = true;
        if (detail.action.id === owner.form.elements.client_id.value) { owner.saved(body); }
      } else {
        owner.say(body.error || String(detail.status), true);
        event.preventDefault();  // shown here: the refusal leaves the outbox
      }
    });
  }

  window.PortalOutbox = { add: add, all: all, sync: sync, keep: keep, drop: drop, retry: retry, uuid: uuid, announce: announce,
                          follow: follow,
                          count: function () { return all().then(function (a) { return a.length; }); },
                          storage: checkStorage, storageState: function () { return storageState; } };

  window.addEventListener("online", function () { failures = 0; sync(); });
  // Resume on every page: what a closed tab or a restarted phone left is sent now.
  var start = function () { migrateLegacy().then(announce).then(sync); checkStorage(); };
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
