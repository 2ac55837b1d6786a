// The announcement page: while the mails go out, ask the server how far it is and show it.
(function () {
  "use strict";
  var box = document.querySelector(".announcement-progress[data-status-url]");
  if (!box || !window.fetch) { return; }
  var sent = box.querySelector("[data-sent]");
  var bar = box.querySelector("progress");
  function poll() {
    fetch(box.getAttribute("data-status-url"), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (!status) { return; }
        var done = status.sent + status.failed + (status.unknown || 0);
        sent.textContent = String(done);
        bar.value = done;
        if (status.finished || status.interrupted) { window.location.reload(); } else { window.setTimeout(poll, 2000); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1500);
})();
