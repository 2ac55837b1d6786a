// A job's page: ask the server for the job's state every few seconds, show it in the progress bar and the
// status line, and load the page again when the job has finished (it then shows the result and the files).
// Without this script the page offers a link to refresh it.
(function () {
  "use strict";

  var section = document.querySelector("[data-job-status-url]");
  if (!section || section.getAttribute("data-job-finished") === "true") {
    return;
  }
  var url = section.getAttribute("data-job-status-url");
  var interval = parseInt(section.getAttribute("data-poll-interval"), 10) || 1500;
  var progress = section.querySelector("progress");
  var fields = {};
  section.querySelectorAll("[data-job-field]").forEach(function (element) {
    fields[element.getAttribute("data-job-field")] = element;
  });
  var progressTemplate = fields.progress ? fields.progress.textContent : "";
  var lastStatus = null;
  var failures = 0;

  function show(state) {
    if (progress) {
      progress.value = state.progress;
      progress.textContent = state.progress + " %";
    }
    if (fields.progress) {
      // The server's text with its number replaced keeps the page's language.
      fields.progress.textContent = progressTemplate.replace(/\d+/, String(state.progress));
    }
    // The status line is a live region: change it only when something a person should hear changed.
    if (fields.status_label && state.status !== lastStatus) {
      fields.status_label.textContent = state.status_label;
      lastStatus = state.status;
    }
    if (fields.message) {
      fields.message.textContent = state.message && !state.finished ? " – " + state.message : "";
    }
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (state) {
        failures = 0;
        show(state);
        if (state.finished) {
          window.location.reload();
        } else {
          window.setTimeout(poll, interval);
        }
      })
      .catch(function () {
        // A network hiccup: try again, more slowly; after a few failures leave it to the refresh link.
        failures += 1;
        if (failures < 5) {
          window.setTimeout(poll, interval * 2 * failures);
        }
      });
  }

  window.setTimeout(poll, interval);
})();
