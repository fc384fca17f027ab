/*
 * Signature pads (signature_pad 5, global SignaturePad). For every [data-sigpad] inside a
 * form[data-sign-form]:
 *  - the canvas fills the form's width and is sharp on high-density screens (backing store =
 *    CSS size x devicePixelRatio, context scaled); on resize / rotation the drawing is kept;
 *  - finger and mouse both work (signature_pad listens to pointer events; touch-action: none);
 *  - [data-sig-undo] removes the last stroke, [data-sig-clear] clears;
 *  - on submit an empty pad stops the form and says so in .sigpad-error; otherwise the hidden
 *    inputs png (PNG data URL) and strokes (JSON of toData()) are filled and the normal POST goes.
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
    });
  }

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
