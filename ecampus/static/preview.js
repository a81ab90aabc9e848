// Live preview only: reload the page when the course folder changed. Polls the preview's
// own /preview/version; the page works the same without it (reload by hand).
(function () {
  "use strict";
  var script = document.currentScript;
  var shown = script.getAttribute("data-version");
  var url = script.getAttribute("data-url");
  function poll() {
    fetch(url, { cache: "no-store", credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (String(data.version) !== shown) {
          window.location.reload();
          return;
        }
        window.setTimeout(poll, 700);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 700);
})();
