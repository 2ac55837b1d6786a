// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Move focus to an error summary so keyboard and screen-reader users hear what went wrong.
  var summary = document.querySelector("[data-autofocus]");
  if (summary) { summary.focus(); }
  // A table wider than the screen scrolls inside its box: keyboard users must be able to reach and scroll it,
  // so the box takes the focus (named after the table's caption) only while it actually scrolls.
  var scrollBoxes = document.querySelectorAll(".table-responsive");
  function updateScrollBoxes() {
    scrollBoxes.forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      var caption = box.querySelector("caption");
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("data-scroll-focus", "");
        if (caption && caption.textContent.trim()) {
          box.setAttribute("role", "region");
          box.setAttribute("aria-label", caption.textContent.trim());
        }
      } else if (!scrolls && box.hasAttribute("data-scroll-focus")) {
        ["tabindex", "data-scroll-focus", "role", "aria-label"].forEach(function (name) { box.removeAttribute(name); });
      }
    });
  }
  if (scrollBoxes.length) {
    updateScrollBoxes();
    window.addEventListener("resize", updateScrollBoxes);
  }
  // Ask before irreversible actions (forms marked data-confirm).
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
// "Share this page" and "Did you find what you were looking for?" (templates/partials/page_tools.html): the copy
// button shows where the Clipboard API exists; the answer is sent without leaving the page. Anything unexpected
// (an error page instead of JSON, no network) sends the form the ordinary way, which always works.
(function () {
  "use strict";
  var copy = document.querySelector("[data-copy]");
  if (copy && navigator.clipboard && window.isSecureContext) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      var field = document.getElementById(copy.getAttribute("data-copy"));
      var status = document.getElementById("share-status");
      navigator.clipboard.writeText(field.value).then(function () {
        status.textContent = copy.getAttribute("data-copied");
      }, function () { field.select(); });
    });
  }
  var form = document.querySelector("form[data-page-feedback]");
  var status = form && form.parentNode.querySelector(".page-feedback-status");
  if (!form || !status || !window.fetch || !window.FormData) { return; }
  var plain = false;
  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (plain || !button) { return; }
    event.preventDefault();
    var data = new FormData(form);
    data.append(button.name, button.value);
    form.setAttribute("aria-busy", "true");
    fetch(form.action, { method: "POST", body: data, headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (answer) {
          if (typeof answer.message !== "string") { throw new Error("no message"); }
          return answer;
        });
      })
      .then(function (answer) {
        form.removeAttribute("aria-busy");
        status.textContent = answer.message;
        status.classList.toggle("text-danger", !answer.ok);
        if (answer.ok) { form.hidden = true; status.focus(); }
      })
      .catch(function () {
        plain = true;
        form.removeAttribute("aria-busy");
        if (form.requestSubmit) { form.requestSubmit(button); } else { button.click(); }
      });
  });
})();
