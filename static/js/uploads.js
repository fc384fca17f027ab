/*
 * Photo upload queue for forms.photo-upload (concealed works, checklist items). No framework.
 *
 *  - Every chosen photo becomes an entry of the form's ul.upload-queue and gets a UUID at once;
 *    the UUID makes retries safe: the server stores each UUID only once.
 *  - Photos are downscaled on the phone (photo-shrink.js: browser-image-compression, long side
 *    2048 px, JPEG 0.8, EXIF kept) unless they are small already; if that fails the original goes up.
 *  - One photo at a time is prepared; the prepared photo (the blob, with the tag fields as they
 *    were when it was chosen) is then stored in the field outbox (outbox.js, IndexedDB) under
 *    its UUID, which sends it in order with the page's other actions. Network errors, 5xx, 408
 *    and 429 are retried with the same UUID and the same bytes after 1, 2, 4 … 60 s (at once
 *    when the browser comes back online); other 4xx are final and show the server's message.
 *  - The server answers a stored photo with its <li class="photo" id="photo-UUID">, which goes
 *    to the start of the form's data-upload-list (replacing one with the same id), and the form
 *    fires "photo:uploaded" (detail: {uuid, status}).
 * Photos stored in the outbox survive a reload, a closed tab and a phone restart: their lines
 * come back (with a thumbnail and the "not saved yet" mark) until the server has them. Only a
 * photo still being prepared is in memory (leaving the page then warns).
 */
(function () {
  "use strict";

  var DEFAULT_MAX_BYTES = 20 * 1024 * 1024;  // the server's MAX_CONTENT_LENGTH
  var MAX_DELAY_S = 60;
  var DONE_LINGER_MS = 4000;
  var TEXTS = {
    waiting: "Waiting", compressing: "Preparing…", uploading: "Uploading…", done: "Done",
    retrying: "Upload failed — retrying in {s} s", failed: "Not uploaded",
    tooLarge: "The photo is too large to upload."
  };

  var entries = [];    // every entry not yet removed, in the order chosen
  var busy = false;    // one photo is being prepared or sent
  var ticker = null;   // updates the "retrying in N s" countdowns
  var shrinker = window.PortalPhotoShrink;  // photo-shrink.js, loaded before this script

  // --- helpers ------------------------------------------------------------------------------

  function text(form, key) {
    var value = form && form.dataset ? form.dataset["msg" + key.charAt(0).toUpperCase() + key.slice(1)] : "";
    return value || TEXTS[key];
  }

  function newUuid() {
    var c = window.crypto || window.msCrypto;
    if (c && typeof c.randomUUID === "function") {
      try { return c.randomUUID(); } catch (e) { /* insecure context: below */ }
    }
    var bytes = new Uint8Array(16);
    if (c && typeof c.getRandomValues === "function") {
      c.getRandomValues(bytes);
    } else {
      for (var i = 0; i < 16; i++) { bytes[i] = Math.floor(Math.random() * 256); }
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function csrfToken(entry) {
    try {
      var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      if (headers["X-CSRFToken"]) { return headers["X-CSRFToken"]; }
    } catch (e) { /* fall back to the form's field */ }
    for (var i = 0; i < entry.fields.length; i++) {
      if (entry.fields[i][0] === "csrf_token") { return entry.fields[i][1]; }
    }
    return "";
  }

  // The tag fields of the form as they are now (the file input and buttons left out).
  function fieldsOf(form) {
    var out = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string" && name !== "uuid" && name !== "file") { out.push([name, value]); }
    });
    return out;
  }

  // The live form for an entry: htmx may have replaced the one the photo was chosen in.
  function formFor(entry) {
    if (entry.form && entry.form.isConnected) { return entry.form; }
    var forms = document.querySelectorAll("form.photo-upload");
    for (var i = 0; i < forms.length; i++) {
      if (forms[i].dataset.uploadUrl === entry.url) { return forms[i]; }
    }
    return entry.form;
  }

  function fragment(html) {
    var template = document.createElement("template");
    template.innerHTML = html || "";
    return template.content;
  }

  // --- the entry's line in the queue ----------------------------------------------------------

  function render(entry, state, message) {
    entry.state = state;
    var li = entry.li;
    li.setAttribute("data-state", state);
    var progress = li.querySelector("progress");
    progress.hidden = state !== "uploading";
    if (state === "uploading") { progress.removeAttribute("value"); }
    li.querySelector(".upload-status").textContent = message !== undefined ? message : text(formFor(entry), state);
  }

  function countdown(entry) {
    var seconds = Math.max(0, Math.ceil((entry.nextTry - Date.now()) / 1000));
    return text(formFor(entry), "retrying").replace("{s}", String(seconds));
  }

  function tick() {
    var waiting = entries.filter(function (e) { return e.state === "failed"; });
    waiting.forEach(function (e) { e.li.querySelector(".upload-status").textContent = countdown(e); });
    if (!waiting.length) { clearInterval(ticker); ticker = null; }
  }

  function add(form, file, uuid) {
    var li = document.createElement("li");
    li.className = "upload";
    var name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name || "photo";
    var progress = document.createElement("progress");
    progress.max = 100;
    var status = document.createElement("span");
    status.className = "upload-status";
    li.append(name, progress, status);
    var li0 = form.closest ? form.closest("[data-item]") : null;
    var entry = { uuid: uuid || newUuid(), file: file, item: li0 ? li0.dataset.item : null, name: file.name || "photo", blob: null, filename: null, form: form, li: li,
                  url: form.dataset.uploadUrl || form.getAttribute("action"), list: form.dataset.uploadList,
                  fields: fieldsOf(form), attempts: 0, nextTry: 0, timer: null, state: "waiting" };
    li.dataset.uuid = entry.uuid;
    var queue = form.querySelector(".upload-queue");
    if (!queue) {
      queue = document.createElement("ul");
      queue.className = "upload-queue";
      queue.setAttribute("aria-live", "polite");
      form.appendChild(queue);
    }
    queue.appendChild(li);
    render(entry, "waiting");
    entries.push(entry);
    return entry;
  }

  function forget(entry) {
    var index = entries.indexOf(entry);
    if (index >= 0) { entries.splice(index, 1); }
  }

  // Done lines leave the queue after a while; error lines stay (with the server's message).
  function finish(entry, state, message) {
    render(entry, state, message);
    entry.file = entry.blob = null;  // free the memory
    if (state === "done") {
      setTimeout(function () { entry.li.remove(); forget(entry); }, DONE_LINGER_MS);
    } else {
      forget(entry);
    }
  }

  // --- compressing ----------------------------------------------------------------------------

  // entry.blob / entry.filename: the downscaled JPEG, or the original when that is as good.
  function prepare(entry) {
    var file = entry.file;
    if (shrinker.worthShrinking(file)) { render(entry, "compressing"); }
    return shrinker.shrink(file, shrinker.compressorUrl(formFor(entry)), entry.uuid).then(function (result) {
      entry.blob = result.blob;
      entry.filename = result.filename;
    });
  }

  // --- sending (through the field outbox) ------------------------------------------------------

  // The prepared photo is stored in the phone's outbox (outbox.js, IndexedDB) under its UUID,
  // which sends it, again after a reload or a closed tab; the queue line follows its progress.
  function store(entry) {
    var fields = [["uuid", entry.uuid]].concat(entry.fields.filter(function (pair) { return pair[0] !== "csrf_token"; }));
    var form = formFor(entry);
    entry.stored = true;
    return window.PortalOutbox.add({
      id: entry.uuid, inspection: form && form.dataset.outboxKey ? form.dataset.outboxKey : entry.url, kind: "photo",
      url: entry.url, fields: fields, blobs: [["file", entry.blob, entry.filename]], item: entry.item || null,
      list: entry.list, name: entry.name
    });
  }

  function byUuid(uuid) {
    for (var i = 0; i < entries.length; i++) { if (entries[i].uuid === uuid) { return entries[i]; } }
    return null;
  }

  function errorText(entry, status, body) {
    var form = formFor(entry);
    var isPage = /<html[\s>]|<!doctype/i.test(body || "");
    var message = "";
    if (!isPage && body) {
      var content = fragment(body);
      var el = content.querySelector(".upload-error") || content.querySelector(".error-box p") ||
               content.querySelector("[role=alert]") || content;
      message = (el.textContent || "").replace(/\s+/g, " ").trim();
    }
    if (!message) {
      message = status === 413 ? text(form, "tooLarge") : text(form, "failed") + " (" + status + ")";
    }
    return message;
  }

  function placePhoto(entry, html) {
    var id = "photo-" + entry.uuid;
    var photo = fragment(html).getElementById(id);
    if (!photo) { return false; }
    var existing = document.getElementById(id);
    var list = entry.list ? document.querySelector(entry.list) : null;
    if (existing) {
      existing.replaceWith(photo);
    } else if (list) {
      list.insertBefore(photo, list.firstChild);
    }
    if (photo.isConnected && window.htmx) { window.htmx.process(photo); }
    return true;
  }

  document.addEventListener("outbox:sending", function (event) {
    var entry = byUuid(event.detail.action.id);
    if (entry) { render(entry, "uploading"); }
  });

  document.addEventListener("outbox:retry", function (event) {
    entries.forEach(function (entry) {
      if (entry.stored && (entry.state === "uploading" || entry.state === "failed")) {
        entry.nextTry = event.detail.at;
        render(entry, "failed", countdown(entry));
      }
    });
    if (!ticker) { ticker = setInterval(tick, 1000); }
  });

  document.addEventListener("outbox:result", function (event) {
    var detail = event.detail;
    if (detail.action.kind !== "photo") { return; }
    var entry = byUuid(detail.action.id);
    if (!entry) { entry = restore(detail.action); }
    if (!entry) { return; }
    var status = detail.status;
    if (status === 200 || status === 201) {
      var form = formFor(entry);
      if (placePhoto(entry, detail.html)) {
        finish(entry, "done");
        form.dispatchEvent(new CustomEvent("photo:uploaded", { bubbles: true, detail: { uuid: entry.uuid, status: status } }));
      } else {
        finish(entry, "error", text(form, "failed"));
      }
      return;
    }
    finish(entry, "error", errorText(entry, status, detail.html));
    event.preventDefault();  // shown on its line: it leaves the outbox
  });

  // After a reload: the photos still waiting in the outbox get their line back, marked as not saved yet.
  function restore(action) {
    var forms = document.querySelectorAll("form.photo-upload");
    var form = null;
    for (var i = 0; i < forms.length; i++) { if (forms[i].dataset.uploadUrl === action.url) { form = forms[i]; } }
    if (!form || byUuid(action.id)) { return byUuid(action.id); }
    var blob = action.blobs && action.blobs[0] ? action.blobs[0][1] : null;
    var entry = add(form, { name: action.name || (action.blobs[0] && action.blobs[0][2]) || "photo" }, action.id);
    entry.stored = true;
    entry.blob = blob;
    entry.list = action.list || entry.list;
    entry.li.classList.add("photo--waiting");
    if (blob && window.URL && URL.createObjectURL) {
      var img = document.createElement("img");
      img.className = "upload-thumb";
      img.alt = "";
      img.src = URL.createObjectURL(blob);
      entry.li.insertBefore(img, entry.li.firstChild);
    }
    render(entry, action.state === "failed" ? "failed" : "waiting", action.state === "refused" ? action.lastError : undefined);
    return entry;
  }

  document.addEventListener("outbox:change", function (event) {
    event.detail.actions.forEach(function (action) { if (action.kind === "photo") { restore(action); } });
  });

  function process(entry) {
    var ready = entry.blob ? Promise.resolve() : prepare(entry);
    return ready.then(function () {
      var form = formFor(entry);
      if (entry.blob.size > (Number(form.dataset.maxBytes) || DEFAULT_MAX_BYTES)) {
        finish(entry, "error", text(form, "tooLarge"));
        return null;
      }
      render(entry, "waiting");
      entry.li.classList.add("photo--waiting");
      return store(entry);
    });
  }

  // Start the next photo that is ready, unless one is on its way.
  function pump() {
    if (busy) { return; }
    var next = entries.filter(function (e) { return !e.stored && e.state === "waiting"; })[0];
    if (!next) { return; }
    busy = true;
    clearTimeout(next.timer);
    process(next).catch(function (error) {
      if (window.console) { window.console.error(error); }
      finish(next, "error", text(formFor(next), "failed"));
    }).then(function () {
      busy = false;
      pump();
    });
  }

  function enqueue(form, input) {
    var files = Array.prototype.slice.call(input.files || []);
    if (!files.length) { return; }
    files.forEach(function (file) { add(form, file); });
    input.value = "";  // the same photo can be chosen again; the File objects stay valid
    shrinker.load(shrinker.compressorUrl(form));
    pump();
  }

  // --- wiring ---------------------------------------------------------------------------------

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches(".photo-upload input[type=file]")) { return; }
    enqueue(input.closest("form.photo-upload"), input);
  });

  // Tags first: the camera opens only once the required tag fields are filled in.
  document.addEventListener("click", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches(".photo-upload input[type=file]")) { return; }
    var form = input.closest("form.photo-upload");
    var invalid = Array.prototype.filter.call(form.elements, function (el) {
      return el !== input && el.willValidate && !el.checkValidity();
    });
    if (invalid.length) {
      event.preventDefault();
      invalid[0].reportValidity();
      return;
    }
    if (form.dataset.compressorUrl) { shrinker.load(shrinker.compressorUrl(form)); }
  });

  // Deleting a photo (with its reason) waits in the outbox too: the photo is hidden at once and
  // removed once the server has it; a refusal shows the photo again with the message.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var photo = form.closest ? form.closest("li.photo") : null;
    if (!photo || !form.matches("form[action$='/delete']") || !window.PortalOutbox || !form.checkValidity()) { return; }
    event.preventDefault();
    var checklist = form.closest("#checklist");
    var itemLi = form.closest("[data-item]");
    var reason = form.querySelector("[name=reason]");
    photo.hidden = true;
    photo.classList.add("photo--deleting");
    window.PortalOutbox.add({ inspection: checklist ? checklist.dataset.inspection : form.getAttribute("action"),
                              kind: "delete", url: form.getAttribute("action"), item: itemLi ? itemLi.dataset.item : null,
                              fields: [["reason", reason ? reason.value : ""]], name: photo.id });
  });

  document.addEventListener("outbox:result", function (event) {
    var detail = event.detail;
    if (detail.action.kind !== "delete") { return; }
    var photo = document.getElementById(detail.action.name || "");
    if (!photo) { return; }
    if (detail.status < 400) { photo.remove(); return; }
    photo.hidden = false;
    photo.classList.remove("photo--deleting");
    var box = photo.querySelector(".upload-status") || document.createElement("p");
    box.className = "upload-status error";
    box.textContent = errorText({ form: null, url: "" }, detail.status, detail.html);
    photo.appendChild(box);
    event.preventDefault();  // shown on the photo: it leaves the outbox
  });

  // After a reload: photos whose deletion still waits stay hidden.
  document.addEventListener("outbox:change", function (event) {
    event.detail.actions.forEach(function (action) {
      var photo = action.kind === "delete" && action.state !== "refused" ? document.getElementById(action.name || "") : null;
      if (photo) { photo.hidden = true; photo.classList.add("photo--deleting"); }
    });
  });

  // Enter in a tag field must not post the form without a photo.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form.photo-upload")) { return; }
    event.preventDefault();
    var input = form.querySelector("input[type=file]");
    if (input) { enqueue(form, input); }
  });

  // htmx replaced a form (e.g. a checklist item re-rendered): its queue lines move to the new one.
  document.addEventListener("htmx:load", function () {
    entries.forEach(function (entry) {
      if (entry.li.isConnected) { return; }
      var form = formFor(entry);
      var queue = form && form.isConnected ? form.querySelector(".upload-queue") : null;
      if (queue) { entry.form = form; queue.appendChild(entry.li); }
    });
  });

  // Photos not yet stored in the outbox (being prepared) would be lost by leaving the page.
  window.addEventListener("beforeunload", function (event) {
    if (entries.some(function (e) { return !e.stored && e.state !== "done" && e.state !== "error"; })) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
