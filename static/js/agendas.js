// Agendas: progressive enhancement only; every page works without this file.
(function () {
  "use strict";
  // Print buttons (hidden without JavaScript; the browser's own print works everywhere).
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  // Copy the calendar link.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var input = document.querySelector(button.getAttribute("data-copy"));
    var status = document.querySelector("[data-copy-status]");
    if (!input || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(input.value).then(function () {
        if (status) { status.textContent = button.getAttribute("data-copied") || "Copied"; }
      }, function () { input.select(); });
    });
  });
  // Select the whole link when the field gets focus, ready to copy by hand.
  document.querySelectorAll("input[readonly][id=feed-url]").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });
})();
