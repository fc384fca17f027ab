/*
 * Placing a pin on a floor plan (form.plan-pinner), with Konva (static/vendor/konva.min.js).
 *
 *  - The plan fills the width; two fingers zoom (pinch), one finger drags when zoomed, the
 *    + / − buttons zoom too. A tap (no drag) puts the pin there.
 *  - The pin is kept in plan coordinates: fractions (0..1) of the plan image's width and
 *    height, whatever the screen or zoom.
 *  - Saving is a POST (plan_id, x, y) with a fresh client_id (UUID) per placement, through the
 *    field outbox (outbox.js): without signal it waits on the phone, survives a reload (shown
 *    again) and is sent in order when the signal returns; the same client_id again changes nothing.
 */
(function () {
  "use strict";

  var MIN_SCALE = 1, MAX_SCALE = 6;

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

  function distance(a, b) { return Math.hypot(b.clientX - a.clientX, b.clientY - a.clientY); }

  function Pinner(form) {
    this.form = form;
    this.container = form.querySelector(".plan-stage");
    this.status = form.querySelector(".plan-status");
    this.lastTap = 0;
    var image = new Image();
    image.onload = this.setup.bind(this, image);
    image.src = form.dataset.image;
    form.addEventListener("submit", this.save.bind(this));
    form.querySelector("[data-action=zoom-in]").addEventListener("click", this.zoomBy.bind(this, 1.5));
    form.querySelector("[data-action=zoom-out]").addEventListener("click", this.zoomBy.bind(this, 1 / 1.5));
  }

  Pinner.prototype.setup = function (image) {
    var width = this.container.clientWidth;
    var height = Math.round(image.naturalHeight * width / image.naturalWidth);
    this.base = { w: width, h: height };
    Konva.hitOnDragEnabled = true;
    this.stage = new Konva.Stage({ container: this.container, width: width, height: height, draggable: true });
    this.stage.dragBoundFunc(this.bound.bind(this));
    this.layer = new Konva.Layer();
    this.layer.add(new Konva.Image({ image: image, width: width, height: height }));
    this.marker = new Konva.Circle({ radius: 11, fill: "#d50000", stroke: "#ffffff", strokeWidth: 3, visible: false,
                                     listening: false });
    this.layer.add(this.marker);
    this.stage.add(this.layer);
    var f = this.form.elements;
    if (f.x.value !== "" && f.y.value !== "") { this.show(parseFloat(f.x.value), parseFloat(f.y.value)); }
    this.stage.on("click tap", this.tap.bind(this));
    this.stage.on("touchmove", this.pinch.bind(this));
    this.stage.on("touchend touchcancel", function () { this.lastDist = 0; }.bind(this));
    this.container.dataset.ready = "1";
  };

  Pinner.prototype.bound = function (pos) {
    var s = this.stage.scaleX();
    return { x: Math.min(0, Math.max(this.base.w * (1 - s), pos.x)), y: Math.min(0, Math.max(this.base.h * (1 - s), pos.y)) };
  };

  Pinner.prototype.tap = function () {
    var now = Date.now();
    if (now - this.lastTap < 400) { return; }   // one finger tap fires both pointer and touch paths
    this.lastTap = now;
    var p = this.layer.getRelativePointerPosition();
    var x = Math.round(p.x / this.base.w * 100000) / 100000, y = Math.round(p.y / this.base.h * 100000) / 100000;
    if (x < 0 || x > 1 || y < 0 || y > 1) { return; }
    this.form.elements.x.value = String(x);
    this.form.elements.y.value = String(y);
    this.form.elements.client_id.value = "";    // a new placement gets a new id
    this.show(x, y);
  };

  Pinner.prototype.show = function (x, y) {
    this.marker.position({ x: x * this.base.w, y: y * this.base.h });
    this.marker.scale({ x: 1 / this.stage.scaleX(), y: 1 / this.stage.scaleY() });
    this.marker.visible(true);
    this.layer.batchDraw();
    this.container.dataset.pin = x + "," + y;
  };

  Pinner.prototype.zoomAt = function (scale, center) {
    var old = this.stage.scaleX();
    scale = Math.max(MIN_SCALE, Math.min(MAX_SCALE, scale));
    var pointTo = { x: (center.x - this.stage.x()) / old, y: (center.y - this.stage.y()) / old };
    this.stage.scale({ x: scale, y: scale });
    this.stage.position(this.bound({ x: center.x - pointTo.x * scale, y: center.y - pointTo.y * scale }));
    this.marker.scale({ x: 1 / scale, y: 1 / scale });
    this.stage.batchDraw();
  };

  Pinner.prototype.zoomBy = function (factor) {
    if (!this.stage) { return; }
    this.zoomAt(this.stage.scaleX() * factor, { x: this.base.w / 2, y: this.base.h / 2 });
  };

  Pinner.prototype.pinch = function (event) {
    var touches = event.evt.touches;
    if (!touches || touches.length < 2) { return; }
    event.evt.preventDefault();
    if (this.stage.isDragging()) { this.stage.stopDrag(); }
    var rect = this.container.getBoundingClientRect();
    var center = { x: (touches[0].clientX + touches[1].clientX) / 2 - rect.left,
                   y: (touches[0].clientY + touches[1].clientY) / 2 - rect.top };
    var dist = distance(touches[0], touches[1]);
    if (this.lastDist) { this.zoomAt(this.stage.scaleX() * dist / this.lastDist, center); }
    this.lastDist = dist;
    this.lastTap = Date.now();  // the fingers lifting is no tap
  };

  Pinner.prototype.say = function (text, bad) {
    this.status.textContent = text;
    this.status.classList.toggle("error", !!bad);
  };

  Pinner.prototype.save = function (event) {
    event.preventDefault();
    var self = this, form = this.form;
    if (form.elements.x.value === "") { this.say(form.dataset.msgTap, true); return; }
    if (!form.elements.client_id.value) { form.elements.client_id.value = newUuid(); }
    this.say(form.dataset.msgSaving);
    if (window.PortalOutbox) {
      // Through the field outbox: kept on the phone until the server has it (see outbox.js).
      window.PortalOutbox.add({ id: form.elements.client_id.value, inspection: "pin:" + form.getAttribute("action"),
                                kind: "pin", url: form.getAttribute("action"),
                                fields: [["plan_id", form.elements.plan_id.value], ["x", form.elements.x.value],
                                         ["y", form.elements.y.value]] });
      return;
    }
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

  Pinner.prototype.saved = function (body) {
    this.say(this.form.dataset.msgSaved);
    this.form.dataset.saved = body.x + "," + body.y;
  };

  Pinner.prototype.mine = function (action) {
    return action.kind === "pin" && action.url === this.form.getAttribute("action");
  };

  function field(action, name) {
    var pair = action.fields.filter(function (f) { return f[0] === name; })[0];
    return pair ? pair[1] : "";
  }

  // After a reload, the newest place still waiting in the outbox, when it is on this plan.
  Pinner.prototype.restore = function (last) {
    if (field(last, "plan_id") !== this.form.elements.plan_id.value) { return; }
    this.form.elements.x.value = field(last, "x");
    this.form.elements.y.value = field(last, "y");
    this.form.elements.client_id.value = last.id;
    if (this.marker) { this.show(parseFloat(field(last, "x")), parseFloat(field(last, "y"))); }
  };

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.plan-pinner");
    if (!form || !window.Konva) { return; }
    var pinner = window.portalPlanPinner = new Pinner(form);
    window.PortalOutbox.follow(pinner);
  });
})();
