// Schedules: follow a running scheduler on the schedule page. Without this file the page offers a refresh link.
(function () {
  "use strict";
  var box = document.getElementById("run-status");
  if (!box || box.getAttribute("data-active") !== "true" || !window.fetch) { return; }
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("run-progress-bar");
  var meter = document.getElementById("run-progress");
  var message = document.getElementById("run-message");
  var state = document.getElementById("run-state");
  var refresh = document.getElementById("run-refresh");
  if (refresh) { refresh.parentNode.hidden = true; }

  function show(data) {
    var percent = Math.round((data.progress || 0) * 100);
    bar.className = "progress-bar run-progress-bar";
    bar.style.width = percent + "%";
    meter.setAttribute("aria-valuenow", String(percent));
    message.textContent = percent + "%" + (data.message ? " · " + data.message : "");
  }

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (data) {
        show(data);
        if (data.active) { window.setTimeout(poll, 700); return; }
        state.textContent = box.getAttribute(data.status === "done" ? "data-label-done" : "data-label-failed");
        // The finished schedule: reload the page so its statistics and links are current.
        window.setTimeout(function () { window.location.reload(); }, 400);
      })
      .catch(function () { if (refresh) { refresh.parentNode.hidden = false; } });
  }
  window.setTimeout(poll, 300);
})();
