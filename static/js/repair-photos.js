/*
 * Repair request forms with photos (form[data-photo-form]: the owner's page, office's phone entry).
 * Without this script (or without fetch) the form posts as it is. With it:
 *  - the photos picked, at once or one after another, are listed with a thumbnail, their count and
 *    a button to remove each;
 *  - on sending, every photo is downscaled on the phone first (photo-shrink.js, as the inspectors'
 *    uploads are): 3–8 MB camera photos become a few hundred KB, so 6 of them fit into the
 *    request limit. The form goes up by fetch with the same field names (the CSRF token is its
 *    hidden field), all photos in one request, as the server files them all or none;
 *  - the answer replaces the page: a redirect (filed) is followed; a refusal (the form again,
 *    with its message) replaces <main>, and the photos picked stay listed for the next try.
 */
(function () {
  "use strict";

  if (!window.fetch || !window.FormData || !window.DOMParser || !window.PortalPhotoShrink) { return; }

  var FORM = "form[data-photo-form]";
  var DEFAULT_MAX_BYTES = 20 * 1024 * 1024;  // the server's MAX_CONTENT_LENGTH
  var FORM_FIELDS_BYTES = 64 * 1024;         // room for the text fields and the multipart headers
  var TEXTS = {
    chosen: "Photos chosen: {n}", remove: "Remove", sending: "Sending…", tooMany: "Up to 6 photos.",
    tooLarge: "The photos are too large together. Choose fewer photos.",
    failed: "Nothing was sent: no connection to the server. Please try again."
  };
  var shrinker = window.PortalPhotoShrink;
  var picked = {};  // form id -> [{file, thumb}], kept when a refusal replaces the form

  function text(form, key) {
    return form.dataset["msg" + key.charAt(0).toUpperCase() + key.slice(1)] || TEXTS[key];
  }

  function photosOf(form) {
    if (!picked[form.id]) { picked[form.id] = []; }
    return picked[form.id];
  }

  function fileInput(form) {
    return form.querySelector("input[type=file]");
  }

  function maxPhotos(form) {
    return Number(form.dataset.maxPhotos) || 6;
  }

  // The list below the picker (made on first use).
  function box(form) {
    var found = form.querySelector(".picked-photos");
    if (found) { return found; }
    var div = document.createElement("div");
    div.className = "picked-photos";
    div.setAttribute("aria-live", "polite");
    var input = fileInput(form);
    var anchor = input.closest(".actions, .field") || input;
    anchor.insertAdjacentElement("afterend", div);
    return div;
  }

  function say(form, message) {
    var status = box(form).querySelector(".picked-error");
    if (!status) {
      status = document.createElement("p");
      status.className = "error picked-error";
      status.setAttribute("role", "alert");
      box(form).appendChild(status);
    }
    status.textContent = message || "";
    status.hidden = !message;
  }

  function render(form) {
    var photos = photosOf(form);
    var div = box(form);
    div.textContent = "";
    if (!photos.length) { return; }
    var count = document.createElement("p");
    count.className = "picked-count" + (photos.length > maxPhotos(form) ? " error" : "");
    count.textContent = text(form, "chosen").replace("{n}", String(photos.length)) +
      (photos.length > maxPhotos(form) ? " " + text(form, "tooMany") : "");
    var list = document.createElement("ul");
    list.className = "picked-list";
    photos.forEach(function (photo, index) {
      var li = document.createElement("li");
      li.className = "picked";
      if (photo.thumb) {
        var img = document.createElement("img");
        img.className = "picked-thumb";
        img.alt = "";
        img.src = photo.thumb;
        li.appendChild(img);
      }
      var name = document.createElement("span");
      name.className = "picked-name";
      name.textContent = photo.file.name || "photo";
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "button secondary picked-remove";
      remove.dataset.index = String(index);
      remove.textContent = text(form, "remove");
      li.append(name, remove);
      list.appendChild(li);
    });
    div.append(count, list);
  }

  function add(form, input) {
    var photos = photosOf(form);
    Array.prototype.forEach.call(input.files || [], function (file) {
      var thumb = /^image\/(jpeg|png|gif|webp)$/.test(file.type) && window.URL && URL.createObjectURL ?
        URL.createObjectURL(file) : "";
      photos.push({ file: file, thumb: thumb });
    });
    input.value = "";  // the photos are kept here: picking again adds to them
    render(form);
    shrinker.load(shrinker.compressorUrl(form));  // ready by the time the form is sent
  }

  function remove(form, index) {
    var photo = photosOf(form).splice(index, 1)[0];
    if (photo && photo.thumb) { URL.revokeObjectURL(photo.thumb); }
    render(form);
  }

  // --- sending ---------------------------------------------------------------------------------

  function busy(form, on) {
    var button = form.querySelector("button[type=submit]");
    if (!button) { return; }
    if (on) {
      button.dataset.label = button.dataset.label || button.textContent;
      button.textContent = text(form, "sending");
    } else if (button.dataset.label) {
      button.textContent = button.dataset.label;
    }
    button.disabled = on;
    form.dataset.sending = on ? "1" : "";
  }

  // The photos one after another (a phone has little memory for several 12-megapixel images).
  function shrinkAll(form) {
    var url = shrinker.compressorUrl(form);
    return photosOf(form).reduce(function (done, photo) {
      return done.then(function (results) {
        return shrinker.shrink(photo.file, url, "photo").then(function (result) { return results.concat([result]); });
      });
    }, Promise.resolve([]));
  }

  function body(form, results) {
    var input = fileInput(form);
    var data = new FormData(form);
    data.delete(input.name);
    results.forEach(function (result) { data.append(input.name, result.blob, result.filename); });
    return data;
  }

  // A refusal: the page's <main> from the answer (the form with its message), the photos listed again.
  function show(html) {
    var answer = new DOMParser().parseFromString(html, "text/html");
    var main = answer.querySelector("main");
    var current = document.querySelector("main");
    if (!main || !current) { return false; }
    var fresh = document.importNode(main, true);
    current.replaceWith(fresh);
    if (answer.title) { document.title = answer.title; }
    Array.prototype.forEach.call(fresh.querySelectorAll(FORM), render);
    if (window.htmx) { window.htmx.process(fresh); }
    var alert = fresh.querySelector(".flash-error, .has-error, .error");
    if (alert) { alert.scrollIntoView({ block: "center" }); }
    return true;
  }

  function send(form) {
    var photos = photosOf(form);
    if (photos.length > maxPhotos(form)) { say(form, text(form, "tooMany")); return; }
    busy(form, true);
    say(form, "");
    shrinkAll(form).then(function (results) {
      var total = results.reduce(function (sum, r) { return sum + r.blob.size; }, 0);
      if (total + FORM_FIELDS_BYTES > (Number(form.dataset.maxBytes) || DEFAULT_MAX_BYTES)) {
        busy(form, false);
        say(form, text(form, "tooLarge"));
        return null;
      }
      return fetch(form.action, { method: "POST", body: body(form, results), credentials: "same-origin",
                                  headers: { Accept: "text/html" } }).then(function (response) {
        if (response.redirected && response.ok) {
          window.location.assign(response.url);
          return null;
        }
        return response.text().then(function (html) {
          if (!show(html)) { busy(form, false); say(form, text(form, "failed")); }
        });
      });
    }).catch(function () {
      busy(form, false);
      say(form, text(form, "failed"));
    });
  }

  // --- wiring ----------------------------------------------------------------------------------

  document.addEventListener("change", function (event) {
    var input = event.target;
    var form = input.closest ? input.closest(FORM) : null;
    if (form && input.type === "file") { add(form, input); }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest(".picked-remove") : null;
    var form = button ? button.closest(FORM) : null;
    if (form && !form.dataset.sending) { remove(form, Number(button.dataset.index)); }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches(FORM)) { return; }
    event.preventDefault();
    if (!form.dataset.sending) { send(form); }
  });

  // Back to a page kept in the browser's memory after sending: the form is usable again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    Array.prototype.forEach.call(document.querySelectorAll(FORM), function (form) { busy(form, false); });
  });
})();
