/*
 * Starting and finishing an inspection without a connection (forms with data-outbox-form).
 * With a connection these forms post as they are: the server's checks (expired equipment,
 * something missing) answer at once on the page. Without one (navigator.onLine false) the
 * action goes into the field outbox (outbox.js):
 *  - start: the start page shows the checklist it carries (template#offline-checklist) and the
 *    inspector answers on; the outbox sends the start first, then the answers; once all of the
 *    inspection has arrived the page moves to the server's checklist. A reload (or the phone's
 *    copy of the page, offline) shows it again while the start still waits;
 *  - finish: sent only once everything before it is confirmed; when it arrives the page goes
 *    where the server says; a refusal (e.g. a required photo missing) is shown with the server's
 *    message, here or when the summary is opened again, until it is dismissed.
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

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-outbox-form]") || !window.PortalOutbox || navigator.onLine) { return; }
    event.preventDefault();
    var kind = form.dataset.outboxForm;
    if (form.dataset.refusedAction) {  // corrected after a refusal: sent again in its place
      window.PortalOutbox.retry(form.dataset.refusedAction, fieldsOf(form));
      delete form.dataset.refusedAction;
      if (kind === "start") { showChecklist(form); }
      return;
    }
    window.PortalOutbox.add({ inspection: form.dataset.inspection, kind: kind, url: form.getAttribute("action"),
                              fields: fieldsOf(form) });
    if (kind === "start") { showChecklist(form); }
  });

  document.addEventListener("outbox:change", function (event) {
    document.querySelectorAll("form[data-outbox-form]").forEach(function (form) {
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
