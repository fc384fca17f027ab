/* Small glue for htmx: show server error fragments in the flash area. No framework. */
(function () {
  "use strict";

  function showError(html) {
    var area = document.getElementById("flash");
    if (!area) { return; }
    area.innerHTML = html;
    area.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    // The portal answers errors with a fragment (errors/_error.html); other elements handle
    // their own errors (e.g. checklist items), so only untargeted failures end up here.
    if (event.detail.elt && event.detail.elt.closest("[data-own-errors]")) { return; }
    showError(xhr.responseText || "");
  });

  document.addEventListener("htmx:sendError", function (event) {
    if (event.detail.elt && event.detail.elt.closest("[data-own-errors]")) { return; }
    var msg = document.documentElement.lang === "en"
      ? "No connection. Please check the network and try again."
      : "网络连接失败，请检查网络后重试。";
    var p = document.createElement("p");
    p.className = "flash flash-error";
    p.setAttribute("role", "alert");
    p.textContent = msg;
    var area = document.getElementById("flash");
    if (area) { area.replaceChildren(p); }
  });
})();
