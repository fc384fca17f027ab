/*
 * Downscaling photos on the phone before they are sent, shared by the inspectors' upload queue
 * (uploads.js) and the repair request forms (repair-photos.js). No framework.
 *
 * browser-image-compression is loaded lazily from the URL a form names (data-compressor-url):
 * long side 2048 px, JPEG 0.8, EXIF (capture time, camera) copied with orientation 1. A photo
 * that is small already, is not an image, or cannot be downscaled here (e.g. HEIC the browser
 * cannot decode; the server converts it) goes up as it is.
 *
 *   PortalPhotoShrink.worthShrinking(file)  whether shrink() would try to downscale the file
 *   PortalPhotoShrink.load(url)             starts loading the library (a promise of it, or of null)
 *   PortalPhotoShrink.shrink(file, url, fallbackName)
 *       a promise (never rejected) of {blob, filename, shrunk}: the downscaled JPEG, or the file itself
 *   PortalPhotoShrink.compressorUrl(form)   the absolute library URL a form names, or ""
 */
(function () {
  "use strict";

  var SMALL_BYTES = 450 * 1024;       // smaller files go up as they are
  var COMPRESS_TIMEOUT_MS = 60000;    // then the original goes up
  var EXIF_TIMEOUT_MS = 5000;
  // preserveExif stays off in the library: in its web-worker mode it copies the EXIF twice (once
  // in the worker, once again on the page); exifCopy() below copies it once (orientation set to 1).
  var COMPRESS_OPTIONS = { maxWidthOrHeight: 2048, initialQuality: 0.8, fileType: "image/jpeg",
                           preserveExif: false, useWebWorker: true };
  var compressors = {};

  function compressorUrl(form) {
    var url = form && form.dataset ? form.dataset.compressorUrl : "";
    return url ? new URL(url, document.baseURI).href : "";
  }

  function load(url) {
    if (window.imageCompression) { return Promise.resolve(window.imageCompression); }
    if (!url) { return Promise.resolve(null); }
    if (!compressors[url]) {
      compressors[url] = new Promise(function (resolve) {
        var script = document.createElement("script");
        script.src = url;
        script.async = true;
        script.onload = function () { resolve(window.imageCompression || null); };
        script.onerror = function () { delete compressors[url]; script.remove(); resolve(null); };
        document.head.appendChild(script);
      });
    }
    return compressors[url];
  }

  function jpegName(name, fallback) {
    var base = (name || "").replace(/\.[^.\/]*$/, "") || fallback;
    return base + ".jpg";
  }

  // ``promise``, or ``fallback`` if it has not settled after ``ms`` (then ``onTimeout`` runs).
  function withTimeout(promise, ms, fallback, onTimeout) {
    var timer;
    return Promise.race([
      promise,
      new Promise(function (resolve) {
        timer = setTimeout(function () { if (onTimeout) { onTimeout(); } resolve(fallback); }, ms);
      })
    ]).then(function (value) { clearTimeout(timer); return value; },
            function (error) { clearTimeout(timer); throw error; });
  }

  // The JPEG's EXIF (capture time, camera) on the downscaled copy; without it if that fails.
  function exifCopy(lib, file, blob) {
    if (file.type !== "image/jpeg" || typeof lib.copyExifWithoutOrientation !== "function") { return blob; }
    // The library's EXIF reader can throw inside a FileReader callback and never settle.
    return withTimeout(lib.copyExifWithoutOrientation(file, blob), EXIF_TIMEOUT_MS, blob)
      .catch(function () { return blob; });
  }

  function worthShrinking(file) {
    return file.size >= SMALL_BYTES && /^image\//.test(file.type || "");
  }

  function shrink(file, url, fallbackName) {
    var original = { blob: file, filename: file.name || jpegName("", fallbackName || "photo"), shrunk: false };
    if (!worthShrinking(file)) { return Promise.resolve(original); }
    return load(url).then(function (lib) {
      if (!lib) { return null; }
      var options = Object.assign({}, COMPRESS_OPTIONS, { libURL: url });
      var abort = typeof AbortController === "function" ? new AbortController() : null;
      if (abort) { options.signal = abort.signal; }
      return withTimeout(lib(file, options), COMPRESS_TIMEOUT_MS, null, function () { if (abort) { abort.abort(); } })
        .then(function (blob) { return blob && exifCopy(lib, file, blob); });
    }).catch(function () {
      return null;
    }).then(function (blob) {
      if (blob && blob.size > 0 && blob.size < file.size) {
        return { blob: blob, filename: jpegName(file.name, fallbackName || "photo"), shrunk: true };
      }
      return original;
    });
  }

  window.PortalPhotoShrink = { worthShrinking: worthShrinking, load: load, shrink: shrink, compressorUrl: compressorUrl };
})();
