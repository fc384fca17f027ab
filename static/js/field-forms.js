/*
 * Starting and finishing an inspection (forms with data-outbox-form), safe on a weak signal.
 *  - With a connection the form is sent with fetch, carrying a client id (UUID), and waits at
 *    most TIMEOUT_MS for the answer: a success goes where the server says; a refusal (expired
 *    equipment, something missing, answers changed) shows the server's page at once. No
 *    answer in time, a network failure or a 5xx: the same action (same client id: a request
 *    that reached the server but whose answer was lost is not carried out twice) goes into the
 *    field outbox (outbox.js) and the page goes on as without signal.
 *  - Without one (navigator.onLine false), or while earlier actions of the inspection still wait
 *    in the outbox, the action goes into the outbox directly:
 *  - start: the start page shows the checklist it carries (template#offline-checklist) and the
 *    inspector answers on; the outbox sends the start first, then the answers; once all of the
 *    inspection has arrived the page moves to the server's checklist. A reload (or the phone's
 *    copy of the page, offline) shows it again while the start still waits;
 *  - finish: sent only once everything before it is confirmed; when it arrives the page goes
 *    where the server says; a refusal (e.g. a required photo missing) is shown with the server's
 *    message, here or when the summary is opened again, until it is dismissed. The summary kept
 *    on the phone shows what the server last saw: when the outbox holds every missing answer,
 *    photo or note (data-missing), the finish button is enabled and the finish says so
 *    (own_changes: the changes since that summary are the inspector's own); the server still
 *    judges whether anything is missing.
 */
(function () {
  "use strict";

  function fieldsOf(form) {
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrf_token" && typeof value === "string") { fields.push([name, value]); }
    });
    return fields;
  }

  var TIMEOUT_MS = 10000;
  var FAILED = { conflict: true, refused: true };
  var known = [];   // the actions in the outbox at its last change

  function pending(actions, inspection, kind) {
    return actions.filter(function (a) { return a.inspection === inspection && (!kind || a.kind === kind); });
  }

  // --- start ------------------------------------------------------------------------------------

  function showChecklist(form) {
    var template = document.getElementById("offline-checklist");
    if (!template || document.getElementById("checklist")) { return; }
    form.hidden = true;
    var note = document.querySelector("[data-start-waiting]");
    if (note) { note.hidden = false; }
    template.parentNode.insertBefore(document.importNode(template.content, true), template);
    if (window.htmx) { window.htmx.process(document.getElementById("checklist")); }
    document.dispatchEvent(new CustomEvent("checklist:shown"));
  }

  // A start the server refused (e.g. expired equipment): the form again, with the server's
  // message; the answers given since wait behind it.
  function showStartRefusal(form, action) {
    form.hidden = false;
    form.dataset.refusedAction = action.id;
    var box = form.querySelector("[data-start-refused]");
    if (!box) {
      box = document.createElement("p");
      box.className = "flash flash-error";
      box.setAttribute("role", "alert");
      box.setAttribute("data-start-refused", "");
      form.insertBefore(box, form.firstChild);
    }
    box.textContent = action.lastError;
  }

  // --- finish -----------------------------------------------------------------------------------

  function finishBox() { return document.querySelector("[data-finish-waiting]"); }

  function showFinish(action) {
    var box = finishBox();
    if (!box) { return; }
    box.hidden = false;
    var refused = action.state === "refused";
    box.classList.toggle("flash-error", refused);
    box.classList.toggle("flash-warning", !refused);
    box.querySelector("[data-finish-text]").textContent = refused
      ? box.dataset.msgRefused + " " + action.lastError : box.dataset.msgWaiting;
    var dismiss = box.querySelector("[data-finish-dismiss]");
    dismiss.hidden = !refused;
    dismiss.dataset.action = action.id;
  }

  // --- wiring -----------------------------------------------------------------------------------

  function queue(form, kind, spec) {
    window.PortalOutbox.add({ id: spec.id, inspection: form.dataset.inspection, kind: kind, url: form.getAttribute("action"),
                              fields: spec.fields || fieldsOf(form), capturedAt: spec.capturedAt });
    if (kind === "start") { showChecklist(form); }
  }

  function setBusy(form, busy) {
    form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = busy; });
    form.setAttribute("aria-busy", String(busy));
  }

  function scriptsOf(doc) {
    return Array.prototype.map.call(doc.querySelectorAll("script[src]"), function (el) { return el.getAttribute("src"); });
  }

  // The server's refusal page in place of this one (its messages on the form); a page that needs
  // scripts this one has not loaded is asked for the ordinary way instead.
  function showPage(form, html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var main = doc.getElementById("main");
    var have = scriptsOf(document);
    var complete = scriptsOf(doc).every(function (src) { return have.indexOf(src) !== -1; });
    if (!main || !complete) { HTMLFormElement.prototype.submit.call(form); return; }
    document.getElementById("main").replaceWith(document.adoptNode(main));
    document.title = doc.title;
    if (window.htmx) { window.htmx.process(main); }
    window.scrollTo(0, 0);
    if (window.PortalOutbox) { window.PortalOutbox.announce(); }
  }

  function isLoginPage(response) {
    return response.redirected && /\/login$/.test(new URL(response.url).pathname);
  }

  // With a connection: fetch, at most TIMEOUT_MS; without an answer the outbox takes it over.
  function send(form, kind) {
    var spec = { id: window.PortalOutbox.uuid(), capturedAt: new Date().toISOString(), fields: fieldsOf(form) };
    var data = new URLSearchParams();
    spec.fields.forEach(function (pair) { data.append(pair[0], pair[1]); });
    data.append("client_id", spec.id);
    data.append("captured_at", spec.capturedAt);
    var controller = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (controller) { controller.abort(); } }, TIMEOUT_MS);
    var token = form.querySelector("input[name=csrf_token]");
    setBusy(form, true);
    fetch(form.getAttribute("action"), {
      method: "POST", body: data, credentials: "same-origin", signal: controller ? controller.signal : undefined,
      headers: { "X-CSRFToken": token ? token.value : "", "X-Phone-Clock": new Date().toISOString(), "X-Outbox": "1",
                 "Accept": "text/html" }
    }).then(function (response) {
      return response.text().then(function (text) { return { response: response, text: text }; });
    }).then(function (result) {
      clearTimeout(timer);
      var response = result.response, status = response.status;
      if (status >= 500 || status === 408 || status === 429 || isLoginPage(response)) {
        setBusy(form, false);
        queue(form, kind, spec);
      } else if (status < 400) {
        window.location.assign(response.headers.get("X-Redirect-To") || (response.redirected ? response.url : window.location.pathname));
      } else {
        showPage(form, result.text);
      }
    }, function () {
      clearTimeout(timer);
      setBusy(form, false);
      queue(form, kind, spec);
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-outbox-form]") || !window.PortalOutbox) { return; }
    event.preventDefault();
    var kind = form.dataset.outboxForm;
    if (form.dataset.refusedAction) {  // corrected after a refusal: sent again in its place
      window.PortalOutbox.retry(form.dataset.refusedAction, fieldsOf(form));
      delete form.dataset.refusedAction;
      if (kind === "start") { showChecklist(form); }
      return;
    }
    if (!navigator.onLine || pending(known, form.dataset.inspection).length) {
      queue(form, kind, {});  // behind what waits already (a finish after the answers it needs)
      return;
    }
    send(form, kind);
  });

  // --- finishing with answers the server has not seen yet ----------------------------------------

  // Each missing thing ({item, need: answer|photo|note|start}) is waiting in the outbox.
  function coveredByOutbox(form, actions) {
    var missing;
    try { missing = JSON.parse(form.dataset.missing || "[]"); } catch (e) { return false; }
    if (!missing.length) { return false; }
    var inspection = form.dataset.inspection;
    var base = "/inspections/" + inspection + "/items/";
    return missing.every(function (need) {
      return actions.some(function (a) {
        if (FAILED[a.state]) { return false; }
        if (need.need === "start") { return a.kind === "start" && a.inspection === inspection; }
        var path = a.url.split("?")[0];
        var ofItem = path === base + need.item || path.indexOf(base + need.item + "/") === 0;
        return ofItem && a.kind === need.need;
      });
    });
  }

  function enableFinish(form, actions) {
    if (!form.dataset.missing) { return; }
    var covered = coveredByOutbox(form, actions);
    var button = form.querySelector("button[type=submit]");
    if (form.getAttribute("aria-busy") !== "true") { button.disabled = !covered; }
    var own = form.querySelector("input[name=own_changes]");
    if (covered && !own) {
      own = document.createElement("input");
      own.type = "hidden";
      own.name = "own_changes";
      own.value = "1";
      form.appendChild(own);
    } else if (!covered && own) {
      own.remove();
    }
    var hint = form.querySelector("[data-finish-phone]");
    if (hint) { hint.hidden = !covered; }
  }

  document.addEventListener("outbox:change", function (event) {
    known = event.detail.actions;
    document.querySelectorAll("form[data-outbox-form]").forEach(function (form) {
      if (form.dataset.outboxForm === "finish") { enableFinish(form, event.detail.actions); }
      var mine = pending(event.detail.actions, form.dataset.inspection, form.dataset.outboxForm);
      if (form.dataset.outboxForm === "start" && mine.length) {
        showChecklist(form);
        var refused = mine.filter(function (a) { return a.state === "refused"; })[0];
        if (refused) { showStartRefusal(form, refused); }
      }
      if (form.dataset.outboxForm === "finish" && mine.length) { showFinish(mine[mine.length - 1]); }
    });
    // The start went through and nothing of the inspection waits any more: the server's checklist.
    var started = document.querySelector("form[data-outbox-form=start][data-started]");
    if (started && !pending(event.detail.actions, started.dataset.inspection).length) {
      window.location.assign(started.dataset.started);
    }
  });

  document.addEventListener("outbox:result", function (event) {
    var detail = event.detail;
    var action = detail.action;
    if (action.kind !== "start" && action.kind !== "finish") { return; }
    var form = document.querySelector("form[data-outbox-form=" + action.kind + "][data-inspection='" + action.inspection + "']");
    if (!form) { return; }
    if (detail.status < 400) {
      if (action.kind === "start") {
        form.dataset.started = detail.redirect || window.location.pathname;
      } else {
        window.location.assign(detail.redirect || window.location.pathname);
      }
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-finish-dismiss]") : null;
    if (!button || !window.PortalOutbox) { return; }
    window.PortalOutbox.drop(button.dataset.action).then(function () { finishBox().hidden = true; });
  });
})();
