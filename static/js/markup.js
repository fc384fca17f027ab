/*
 * Photo markup editor (form.markup-editor), drawn with Konva (static/vendor/konva.min.js).
 *
 *  - The unmarked display version is the background; shapes are kept as data in fractions of
 *    the photo's width and height (0..1), so they fit any screen and the server draws them
 *    at full size. Stroke widths and text sizes are fractions of the photo's long side.
 *  - Tools: ellipse, rectangle, arrow, freehand line, text; six colours; undo; clear all.
 *    Pointer events, so fingers, pen and mouse all draw; the stage has touch-action: none.
 *  - Saving is a POST of the whole markup (JSON) with a fresh client_id (UUID) per version,
 *    through the field outbox (outbox.js): without signal it waits on the phone ("waiting to be
 *    saved", counted by the sync indicator), survives a reload (the newest waiting drawing is
 *    shown again) and is sent when the signal returns, in order per photo; sending the same
 *    client_id again stores nothing new.
 */
(function () {
  "use strict";

  var STROKE = 0.008;      // stroke width, fraction of the long side
  var TEXT_SIZE = 0.045;   // text size, fraction of the long side
  var MIN_SIZE = 0.01;     // smaller drags are taps, not shapes
  var MAX_POINTS = 600;    // points of one freehand line (the server's limit)
  var MAX_SHAPES = 60;

  function newUuid() {
    var c = window.crypto;
    if (c && typeof c.randomUUID === "function") {
      try { return c.randomUUID(); } catch (e) { /* insecure context: below */ }
    }
    var b = new Uint8Array(16);
    c.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function clamp(v) { return Math.max(0, Math.min(1, Math.round(v * 10000) / 10000)); }

  function Editor(form) {
    this.form = form;
    this.container = form.querySelector(".markup-stage");
    this.status = form.querySelector(".markup-status");
    this.tool = "ellipse";
    this.colour = form.querySelector("[data-colour]").dataset.colour;
    this.draft = null;
    try { this.shapes = JSON.parse(form.elements.markup.value).shapes || []; } catch (e) { this.shapes = []; }
    this.bindControls();
    var image = new Image();
    image.onload = this.setup.bind(this, image);
    image.src = form.dataset.image;
  }

  Editor.prototype.setup = function (image) {
    var width = this.container.clientWidth;
    var height = Math.round(image.naturalHeight * width / image.naturalWidth);
    this.size = { w: width, h: height, long: Math.max(width, height) };
    this.container.style.touchAction = "none";
    this.stage = new Konva.Stage({ container: this.container, width: width, height: height });
    var base = new Konva.Layer({ listening: false });
    base.add(new Konva.Image({ image: image, width: width, height: height }));
    this.layer = new Konva.Layer({ listening: false });
    this.stage.add(base);
    this.stage.add(this.layer);
    this.stage.on("pointerdown", this.start.bind(this));
    this.stage.on("pointermove", this.move.bind(this));
    this.stage.on("pointerup pointercancel", this.end.bind(this));
    this.redraw();
    this.container.dataset.ready = "1";
  };

  Editor.prototype.bindControls = function () {
    var self = this;
    this.form.querySelectorAll("[data-tool]").forEach(function (button) {
      button.addEventListener("click", function () {
        self.tool = button.dataset.tool;
        self.form.querySelectorAll("[data-tool]").forEach(function (b) { b.setAttribute("aria-pressed", String(b === button)); });
      });
    });
    this.form.querySelectorAll("[data-colour]").forEach(function (button) {
      button.addEventListener("click", function () {
        self.colour = button.dataset.colour;
        self.form.querySelectorAll("[data-colour]").forEach(function (b) { b.setAttribute("aria-checked", String(b === button)); });
      });
    });
    this.form.querySelector("[data-action=undo]").addEventListener("click", function () { self.shapes.pop(); self.changed(); });
    this.form.querySelector("[data-action=clear]").addEventListener("click", function () { self.shapes = []; self.changed(); });
    this.form.addEventListener("submit", function (event) { event.preventDefault(); self.save(); });
  };

  Editor.prototype.point = function () {
    var p = this.stage.getPointerPosition();
    return { x: clamp(p.x / this.size.w), y: clamp(p.y / this.size.h) };
  };

  Editor.prototype.start = function (event) {
    if (this.shapes.length >= MAX_SHAPES) { return; }
    var p = this.point();
    if (this.tool === "text") {
      var text = window.prompt(this.form.dataset.msgText, "");
      if (text && text.trim()) {
        this.shapes.push({ type: "text", color: this.colour, x: p.x, y: p.y, text: text.trim().slice(0, 40), size: TEXT_SIZE });
        this.changed();
      }
      return;
    }
    event.evt.preventDefault();
    this.anchor = p;
    this.draft = { type: this.tool, color: this.colour, width: STROKE };
    if (this.tool === "line") { this.draft.points = [p.x, p.y]; }
    this.move();
  };

  Editor.prototype.move = function () {
    if (!this.draft) { return; }
    var p = this.point(), a = this.anchor, d = this.draft;
    if (d.type === "ellipse" || d.type === "rect") {
      d.x = Math.min(a.x, p.x); d.y = Math.min(a.y, p.y);
      d.w = clamp(Math.abs(p.x - a.x)); d.h = clamp(Math.abs(p.y - a.y));
    } else if (d.type === "arrow") {
      d.points = [a.x, a.y, p.x, p.y];
    } else {
      var n = d.points.length;
      var dx = p.x - d.points[n - 2], dy = p.y - d.points[n - 1];
      if (n < MAX_POINTS * 2 && dx * dx + dy * dy > 0.00001) { d.points.push(p.x, p.y); }
    }
    this.redraw();
  };

  Editor.prototype.end = function () {
    var d = this.draft;
    this.draft = null;
    if (!d) { return; }
    var big = (d.type === "ellipse" || d.type === "rect") ? d.w >= MIN_SIZE && d.h >= MIN_SIZE
      : d.type === "arrow" ? Math.abs(d.points[2] - d.points[0]) + Math.abs(d.points[3] - d.points[1]) >= MIN_SIZE * 2
        : d.points.length >= 4;
    if (big) { this.shapes.push(d); }
    this.changed();
  };

  Editor.prototype.changed = function () {
    this.form.elements.client_id.value = "";  // a new version gets a new id
    this.redraw();
  };

  Editor.prototype.node = function (s) {
    var W = this.size.w, H = this.size.h, L = this.size.long, sw = (s.width || STROKE) * L;
    var px = function (pts) { return pts.map(function (v, i) { return i % 2 ? v * H : v * W; }); };
    if (s.type === "ellipse") {
      return new Konva.Ellipse({ x: (s.x + s.w / 2) * W, y: (s.y + s.h / 2) * H, radiusX: s.w / 2 * W,
                                 radiusY: s.h / 2 * H, stroke: s.color, strokeWidth: sw });
    }
    if (s.type === "rect") {
      return new Konva.Rect({ x: s.x * W, y: s.y * H, width: s.w * W, height: s.h * H, stroke: s.color, strokeWidth: sw });
    }
    if (s.type === "arrow") {
      return new Konva.Arrow({ points: px(s.points), stroke: s.color, fill: s.color, strokeWidth: sw,
                               pointerLength: sw * 4, pointerWidth: sw * 4 });
    }
    if (s.type === "line") {
      return new Konva.Line({ points: px(s.points), stroke: s.color, strokeWidth: sw, lineCap: "round", lineJoin: "round" });
    }
    return new Konva.Text({ x: s.x * W, y: s.y * H, text: s.text, fontSize: s.size * L, fill: s.color,
                            stroke: s.color === "#000000" ? "#ffffff" : "#000000", strokeWidth: 1, fillAfterStrokeEnabled: true });
  };

  Editor.prototype.redraw = function () {
    if (!this.layer) { return; }
    var self = this;
    this.layer.destroyChildren();
    var d = this.draft;
    var drafts = d && (d.w !== undefined || (d.points && d.points.length >= 4)) ? [d] : [];
    this.shapes.concat(drafts).forEach(function (s) { self.layer.add(self.node(s)); });
    this.layer.batchDraw();
    this.form.elements.markup.value = JSON.stringify({ shapes: this.shapes });
    this.container.dataset.shapes = String(this.shapes.length);
  };

  Editor.prototype.say = function (text, bad) {
    this.status.textContent = text;
    this.status.classList.toggle("error", !!bad);
  };

  Editor.prototype.save = function () {
    var self = this, form = this.form;
    if (!form.elements.client_id.value) { form.elements.client_id.value = newUuid(); }
    if (window.PortalOutbox) {
      // Through the field outbox: kept on the phone until the server has it (see outbox.js).
      this.say(form.dataset.msgSaving);
      window.PortalOutbox.add({ id: form.elements.client_id.value, inspection: "markup:" + form.getAttribute("action"),
                                kind: "markup", url: form.getAttribute("action"),
                                fields: [["markup", form.elements.markup.value]], retryCodes: ["markup_conflict"] });
      return;
    }
    this.say(form.dataset.msgSaving);
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin",
                         headers: { "Accept": "application/json" } })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (!response.ok) { throw new Error(body.error || String(response.status)); }
          self.saved(body);
        });
      })
      .catch(function (error) {
        self.say(error instanceof TypeError ? form.dataset.msgOffline : error.message, true);
      });
  };

  Editor.prototype.saved = function (body) {
    this.say(this.form.dataset.msgSaved.replace("{n}", body.version));
    this.form.dataset.version = String(body.version);
  };

  Editor.prototype.mine = function (action) {
    return action.kind === "markup" && action.url === this.form.getAttribute("action");
  };

  // After a reload, the newest drawing still waiting in the outbox (what the server will have).
  Editor.prototype.restore = function (last) {
    try { this.shapes = JSON.parse(last.fields[0][1]).shapes || []; } catch (e) { /* keep the server's */ }
    this.form.elements.client_id.value = last.id;
    this.redraw();
  };

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.markup-editor");
    if (!form || !window.Konva) { return; }
    var editor = window.portalMarkup = new Editor(form);
    window.PortalOutbox.follow(editor);
  });
})();
