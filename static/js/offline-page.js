/* The offline page: list the pages this phone has kept, which open without a connection. */
(function () {
  "use strict";

  var script = document.currentScript;

  function titleOf(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    return (doc.title || "").trim();
  }

  function show(pages) {
    var list = document.querySelector("[data-kept-pages]");
    if (!list || !pages.length) { return; }
    pages.forEach(function (page) {
      var li = document.createElement("li");
      li.className = "list-item";
      var a = document.createElement("a");
      a.href = page.url;
      a.textContent = page.title || page.url;
      li.appendChild(a);
      list.appendChild(li);
    });
    document.getElementById("kept-pages").hidden = false;
  }

  if (!window.caches) { return; }
  caches.open(script.dataset.pagesCache).then(function (cache) {
    return cache.keys().then(function (requests) {
      var pages = requests.filter(function (request) {
        return new URL(request.url).pathname !== script.dataset.ownerKey;
      });
      return Promise.all(pages.map(function (request) {
        return cache.match(request).then(function (response) { return response.text(); })
          .then(function (html) { return { url: request.url, title: titleOf(html) }; });
      }));
    });
  }).then(show).catch(function () { /* nothing kept */ });
})();
