/*
 * Signature pads (signature_pad 5, global SignaturePad). For every [data-sigpad] inside a
 * form[data-sign-form]:
 *  - the canvas fills the form's width and is sharp on high-density screens (backing store =
 *    CSS size x devicePixelRatio, context scaled); on resize / rotation the drawing is kept;
 *  - finger and mouse both work (signature_pad listens to pointer events; touch-action: none);
 *  - [data-sig-undo] removes the last stroke, [data-sig-clear] clears;
 *  - on submit an empty pad stops the form and says so in .sigpad-error; otherwise the hidden
 *    inputs png (PNG data URL) and strokes (JSON of toData()) are filled, and the signature goes
 *    into the field outbox (outbox.js: kept on the phone until the server confirms it, sent again
 *    after a reload); the page is reloaded once it is saved. Without IndexedDB the normal POST goes.
 * One pad per form; pads are independent of each other. No framework.
 */
(function () {
  "use strict";

  function setup(root) {
    var form = root.closest("form[data-sign-form]");
    var canvas = root.querySelector("canvas");
    if (!form || !canvas || root.sigpad) { return; }
    var pad = new window.SignaturePad(canvas, { penColor: "#111827", minWidth: 0.8, maxWidth: 2.8 });
    root.sigpad = pad;
    var errorBox = root.querySelector(".sigpad-error");
    var emptyText = root.dataset.msgEmpty || form.dataset.msgEmpty || "";

    function showError(text) {
      if (errorBox) { errorBox.textContent = text; }
    }

    // Backing store = CSS size x devicePixelRatio; the drawing (stroke data, in CSS pixels) is
    // redrawn at the new size. Nothing happens when the size did not change (e.g. the address
    // bar of a phone browser hiding on scroll fires resize too).
    function fit() {
      var ratio = Math.max(window.devicePixelRatio || 1, 1);
      var width = canvas.offsetWidth;
      var height = canvas.offsetHeight;
      if (!width || !height) { return; }  // not laid out (hidden): try again on the next resize
      var pixelWidth = Math.round(width * ratio);
      var pixelHeight = Math.round(height * ratio);
      if (canvas.width === pixelWidth && canvas.height === pixelHeight && canvas.sigRatio === ratio) { return; }
      var data = pad.toData().slice();
      canvas.width = pixelWidth;
      canvas.height = pixelHeight;
      canvas.sigRatio = ratio;
      canvas.getContext("2d").scale(ratio, ratio);
      pad.clear();
      if (data.length) { pad.fromData(data); }
    }

    fit();
    window.addEventListener("resize", fit);
    window.addEventListener("orientationchange", fit);
    if (typeof window.ResizeObserver === "function") {
      new window.ResizeObserver(fit).observe(canvas);
    }

    pad.addEventListener("beginStroke", function () { showError(""); });

    root.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button || !root.contains(button)) { return; }
      if (button.hasAttribute("data-sig-clear")) {
        event.preventDefault();
        pad.clear();
      } else if (button.hasAttribute("data-sig-undo")) {
        event.preventDefault();
        var data = pad.toData().slice();
        if (data.length) {
          data.pop();
          pad.fromData(data);  // clears first, then redraws the remaining strokes
        }
      }
    });

    form.addEventListener("submit", function (event) {
      var png = form.querySelector("input[name=png]");
      var strokes = form.querySelector("input[name=strokes]");
      if (pad.isEmpty()) {
        event.preventDefault();
        if (png) { png.value = ""; }
        if (strokes) { strokes.value = ""; }
        showError(emptyText);
        root.scrollIntoView({ block: "nearest" });
        return;
      }
      showError("");
      if (png) { png.value = pad.toDataURL("image/png"); }
      if (strokes) { strokes.value = JSON.stringify(pad.toData()); }
      if (!window.PortalOutbox || !form.hasAttribute("data-outbox")) { return; }
      event.preventDefault();
      var fields = [];
      new FormData(form).forEach(function (value, name) {
        if (name !== "csrf_token" && typeof value === "string") { fields.push([name, value]); }
      });
      form.classList.add("sign-form--waiting");
      form.querySelectorAll("button, input, textarea").forEach(function (el) { el.disabled = true; });
      var waiting = form.querySelector("[data-sig-waiting]") || document.createElement("p");
      waiting.setAttribute("data-sig-waiting", "");
      waiting.className = "flash flash-warning";
      waiting.textContent = form.dataset.msgWaiting || "";
      form.appendChild(waiting);
      form.dataset.outboxAction = window.PortalOutbox.uuid();
      window.PortalOutbox.add({ id: form.dataset.outboxAction, inspection: form.dataset.outboxKey || form.action,
                                kind: "signature", url: form.getAttribute("action"), fields: fields });
    });
  }

  // After a reload: a signature still waiting in the outbox keeps its form marked and closed.
  document.addEventListener("outbox:change", function (event) {
    event.detail.actions.forEach(function (action) {
      if (action.kind !== "signature" || action.state === "refused") { return; }
      var form = document.querySelector("form[data-sign-form][action='" + action.url + "']:not([data-outbox-action])");
      if (!form) { return; }
      form.dataset.outboxAction = action.id;
      form.classList.add("sign-form--waiting");
      form.querySelectorAll("button, input, textarea").forEach(function (el) { el.disabled = true; });
      if (form.querySelector("[data-sig-waiting]")) { return; }
      var waiting = document.createElement("p");
      waiting.setAttribute("data-sig-waiting", "");
      waiting.className = "flash flash-warning";
      waiting.textContent = form.dataset.msgWaiting || "";
      form.appendChild(waiting);
    });
  });

  // The server's answer to a signature of this page: saved → the page as the server has it now;
  // refused → the message under the pad, and the pad can be used again.
  document.addEventListener("outbox:result", function (event) {
    var detail = event.detail;
    if (detail.action.kind !== "signature") { return; }
    var form = document.querySelector("form[data-sign-form][data-outbox-action='" + detail.action.id + "']");
    if (detail.status < 400) {
      if (form || document.querySelector("form[data-sign-form][action='" + detail.action.url + "']")) {
        if (detail.redirect) { window.location.assign(detail.redirect); } else { window.location.reload(); }
      }
      return;
    }
    if (!form) { return; }
    var message = "";
    var page = new DOMParser().parseFromString(detail.html || "", "text/html");
    var found = page.querySelector(".sigpad-error:not(:empty), .flash-error, .error, [role=alert]:not(:empty)");
    message = found ? found.textContent.replace(/\s+/g, " ").trim() : String(detail.status);
    form.querySelectorAll("button, input, textarea").forEach(function (el) { el.disabled = false; });
    form.classList.remove("sign-form--waiting");
    var waiting = form.querySelector("[data-sig-waiting]");
    if (waiting) { waiting.remove(); }
    var box = form.querySelector(".sigpad-error");
    if (box) { box.textContent = message; }
    event.preventDefault();  // shown: it leaves the outbox
  });

  function init() {
    if (typeof window.SignaturePad !== "function") { return; }
    document.querySelectorAll("form[data-sign-form] [data-sigpad]").forEach(setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
