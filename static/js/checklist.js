/*
 * The checklist on the phone: every answer, measured value, N/A and note goes through the
 * field outbox (outbox.js, IndexedDB) instead of straight to the network.
 *  - A tap is stored first and shown at once (the pressed button, pass/fail of a measured value
 *    judged against the item's limits, "waiting to be saved" under the item);
 *  - the outbox sends it; the server's item fragment is then swapped in by htmx (with the live
 *    totals), unless a later change of the same item is still waiting;
 *  - after a reload (or with the page opened from the phone's copy, offline) what still waits
 *    is shown again on its items;
 *  - a conflict (the answer changed on another device since) shows both values on the item with
 *    "keep mine" / "take theirs"; a refusal shows the server's message on the item.
 * Without IndexedDB the forms are sent by htmx as they are.
 */
(function () {
  "use strict";

  // The checklist of the page, or the one shown on the start page once the start waits in the
  // outbox (field-forms.js fires "checklist:shown").
  var found = document.getElementById("checklist");
  if (found) {
    run(found);
  } else {
    document.addEventListener("checklist:shown", function once() {
      document.removeEventListener("checklist:shown", once);
      run(document.getElementById("checklist"));
    });
  }

function run(root) {
  var inspection = root.dataset.inspection;
  var MARKS = ["item--pending", "item--retrying", "item--conflict", "item--refused", "item--saving"];
  var recent = {};  // item → the fields last queued, to skip the change+submit pair of one tap

  root.setAttribute("data-own-errors", "");  // portal.js's error handler stays out of the way

  function itemLi(itemId) { return document.getElementById("item-" + itemId); }

  function itemIdOf(elt) {
    var li = elt && elt.closest ? elt.closest("[data-item]") : null;
    return li ? li.dataset.item : null;
  }

  function text(state, action) {
    if (state === "retrying") {
      return (navigator.onLine ? root.dataset.msgRetrying : root.dataset.msgOffline);
    }
    if (state === "refused") { return action && action.lastError ? action.lastError : ""; }
    return { pending: root.dataset.msgPending, saved: root.dataset.msgSaved,
             conflict: root.dataset.msgConflict }[state] || "";
  }

  function mark(itemId, state, action) {
    var li = itemLi(itemId);
    if (!li) { return; }
    MARKS.forEach(function (name) { li.classList.remove(name); });
    if (state && state !== "saved") { li.classList.add("item--" + state); }
    var el = li.querySelector(".save-state");
    if (el) { el.textContent = text(state, action); }
  }

  function fieldValue(fields, name) {
    for (var i = 0; i < fields.length; i++) { if (fields[i][0] === name) { return fields[i][1]; } }
    return null;
  }

  // The outcome a measured value gets against the item's limits (as the server judges it).
  function judge(li, raw) {
    var value = Number(String(raw).replace(",", ".").trim());
    if (raw === null || String(raw).trim() === "" || isNaN(value)) { return null; }
    var min = li.dataset.min, max = li.dataset.max;
    if (min !== undefined && min !== "" && value < Number(min)) { return "fail"; }
    if (max !== undefined && max !== "" && value > Number(max)) { return "fail"; }
    return "pass";
  }

  // Show a queued answer on its item as if the server had it.
  function show(action) {
    var li = itemLi(action.item);
    if (!li || action.kind === "note") {
      if (li && action.kind === "note") {
        var note = li.querySelector("textarea[name=note]");
        if (note && document.activeElement !== note) { note.value = fieldValue(action.fields, "note") || ""; }
      }
      return;
    }
    var outcome = fieldValue(action.fields, "outcome");
    var value = fieldValue(action.fields, "value");
    if (!outcome && value !== null) {
      outcome = judge(li, value);
      var input = li.querySelector("input.value");
      if (input && document.activeElement !== input) { input.value = value; }
    }
    if (!outcome) { return; }
    ["open", "pass", "fail", "na"].forEach(function (name) { li.classList.remove("item--" + name); });
    li.classList.add("item--" + outcome);
    if (outcome === "fail") { addPhotoSection(li); }
    li.querySelectorAll("button[name=outcome]").forEach(function (button) {
      button.setAttribute("aria-pressed", button.value === outcome ? "true" : "false");
    });
  }

  // A failed item takes photos: its section comes from the page's template when the server has
  // not rendered it yet (answered offline).
  function addPhotoSection(li) {
    var template = document.getElementById("item-photos-template");
    if (!template || li.querySelector(".item-photos")) { return; }
    var itemId = li.dataset.item;
    var html = template.innerHTML.replace(/\/items\/0\/photos/g, "/items/" + itemId + "/photos")
      .replace(/photos-0/g, "photos-" + itemId);
    var holder = document.createElement("template");
    holder.innerHTML = html.trim();
    var section = holder.content.firstElementChild;
    var anchor = li.querySelector("details.note");
    li.insertBefore(section, anchor);
    if (window.htmx) { window.htmx.process(section); }
  }

  function showConflict(action) {
    var li = itemLi(action.item);
    var slot = li ? li.querySelector("[data-conflict-slot]") : null;
    if (!slot || slot.dataset.action === action.id) { return; }
    slot.innerHTML = action.html;
    slot.dataset.action = action.id;
  }

  // A refusal kept for the inspector (it came while the item was not on screen): read, then dismissed.
  function showRefusal(action) {
    var li = itemLi(action.item);
    var slot = li ? li.querySelector("[data-conflict-slot]") : null;
    if (!slot || slot.dataset.action === action.id) { return; }
    var box = document.createElement("div");
    box.className = "conflict";
    box.setAttribute("role", "alert");
    var text = document.createElement("p");
    text.textContent = action.lastError;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button secondary";
    button.setAttribute("data-conflict-drop", "");
    button.textContent = root.dataset.msgDismiss;
    box.append(text, button);
    slot.replaceChildren(box);
    slot.dataset.action = action.id;
  }

  function clearConflict(itemId) {
    var li = itemLi(itemId);
    var slot = li ? li.querySelector("[data-conflict-slot]") : null;
    if (slot && slot.dataset.action) { slot.innerHTML = ""; delete slot.dataset.action; }
  }

  // --- taps go to the outbox --------------------------------------------------------------------

  document.body.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail.elt;
    var itemId = itemIdOf(elt);
    if (!window.PortalOutbox || !itemId || !root.contains(elt)) { return; }
    event.preventDefault();
    var form = elt.closest("form") || elt;
    var trigger = event.detail.triggeringEvent;
    var submitter = trigger && trigger.submitter && trigger.submitter.name ? trigger.submitter : null;
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrf_token" && typeof value === "string") { fields.push([name, value]); }
    });
    if (submitter) {
      fields = fields.filter(function (pair) { return pair[0] !== "value"; });
      fields.push([submitter.name, submitter.value]);
    }
    var path = event.detail.path;
    var kind = /\/note$/.test(path) ? "note" : (/reopen-carried$/.test(path) ? "reopen" : "answer");
    var key = kind + JSON.stringify(fields);
    if (recent[itemId] && recent[itemId].key === key && Date.now() - recent[itemId].at < 3000) { return; }
    recent[itemId] = { key: key, at: Date.now() };
    var target = event.detail.target && event.detail.target.id ? event.detail.target.id : "item-" + itemId;
    var li = itemLi(itemId);
    var action = { inspection: inspection, kind: kind, url: path, fields: fields, item: itemId, target: target,
                   baseVersion: Number(li.dataset.version || 0) };
    show(action);
    mark(itemId, "pending");
    window.PortalOutbox.add(action);
  });

  // --- what the outbox reports ------------------------------------------------------------------

  function waitingFor(actions, itemId, except) {
    return actions.some(function (a) { return a.inspection === inspection && a.item === itemId && a.id !== except; });
  }

  function swapIn(action, html) {
    var target = document.getElementById(action.target || "");
    if (!target || !html || /<html[\s>]|<!doctype/i.test(html) || !window.htmx) { return false; }
    window.htmx.swap(target, html, { swapStyle: "outerHTML" });
    return true;
  }

  document.addEventListener("outbox:result", function (event) {
    var detail = event.detail;
    var action = detail.action;
    if (action.inspection !== inspection || !action.item || !itemLi(action.item)) { return; }
    if (detail.status === 409 && action.state === "conflict") { return; }  // shown by outbox:change
    window.PortalOutbox.all().then(function (actions) {
      var later = waitingFor(actions, action.item, action.id);
      if (detail.status < 400 && !later) { swapIn(action, detail.html); }
      var li = itemLi(action.item);
      if (li && detail.version !== null && detail.version !== undefined) {
        li.dataset.version = String(Math.max(detail.version, Number(li.dataset.version || 0)));
      }
      if (!later) { mark(action.item, detail.status < 400 ? "saved" : null); }
    });
    // A refusal on an item of this page: the server's fragment shows the message there.
    if (detail.status >= 400 && detail.status !== 409 && (action.kind === "answer" || action.kind === "note" ||
                                                          action.kind === "reopen") && swapIn(action, detail.html)) {
      event.preventDefault();
    }
  });

  document.addEventListener("outbox:change", function (event) {
    var byItem = {};
    // A failed send holds back everything after it: all of it waits for the connection.
    var blocked = event.detail.actions.some(function (a) { return a.inspection === inspection && a.state === "failed"; });
    event.detail.actions.forEach(function (a) {
      if (a.inspection !== inspection || !a.item) { return; }
      byItem[a.item] = byItem[a.item] || [];
      byItem[a.item].push(a);
    });
    root.querySelectorAll("li.item").forEach(function (li) {
      var itemId = li.dataset.item;
      var actions = byItem[itemId];
      if (!actions) {
        if (MARKS.some(function (name) { return li.classList.contains(name); })) { mark(itemId, null); }
        clearConflict(itemId);
        return;
      }
      actions.forEach(show);
      var conflict = actions.filter(function (a) { return a.state === "conflict"; })[0];
      var refused = actions.filter(function (a) { return a.state === "refused"; })[0];
      var failed = blocked || actions.some(function (a) { return a.state === "failed" || a.attempts > 0; });
      if (conflict) { showConflict(conflict); mark(itemId, "conflict", conflict); return; }
      clearConflict(itemId);
      if (refused) { showRefusal(refused); mark(itemId, "refused", refused); return; }
      mark(itemId, failed ? "retrying" : "pending");
    });
  });

  // "Keep mine" / "take theirs" on a conflict.
  root.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-conflict-keep], [data-conflict-drop]") : null;
    if (!button || !window.PortalOutbox) { return; }
    var slot = button.closest("[data-conflict-slot]");
    var id = slot ? slot.dataset.action : null;
    if (!id) { return; }
    if (button.hasAttribute("data-conflict-keep")) {
      window.PortalOutbox.keep(id);
    } else {
      window.PortalOutbox.drop(id).then(function () { if (navigator.onLine) { window.location.reload(); } });
    }
  });

  // A photo uploaded for an item satisfies its "photo required" badge at once.
  document.addEventListener("photo:uploaded", function (event) {
    var li = event.target.closest ? event.target.closest("[data-item]") : null;
    var badge = li ? li.querySelector("[data-photo-badge]") : null;
    if (badge) { badge.classList.remove("badge-bad"); badge.classList.add("badge-ok"); }
  });

  if (window.PortalOutbox) { window.PortalOutbox.announce(); }  // show what already waits
}
})();
