// Matches: answer a proposal without leaving the page. Progressive enhancement only: without this file the
// forms post and the page reloads at the same proposal.
(function () {
  "use strict";
  var live = document.getElementById("match-live");

  function announce(text) {
    if (!live) { return; }
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 50);
  }

  function setPressed(form, decision) {
    form.querySelectorAll("button[data-decision]").forEach(function (button) {
      var value = button.getAttribute("data-decision");
      if (value === "undecided") {
        button.classList.toggle("d-none", decision === "undecided");
        return;
      }
      var pressed = value === decision;
      button.setAttribute("aria-pressed", pressed ? "true" : "false");
      var solid = value === "interested" ? "btn-success" : "btn-secondary";
      var outline = value === "interested" ? "btn-outline-success" : "btn-outline-secondary";
      button.classList.toggle(solid, pressed);
      button.classList.toggle(outline, !pressed);
    });
  }

  function update(form, decision, data) {
    setPressed(form, decision);
    var card = form.closest("[data-proposal]");
    if (card) {
      card.classList.toggle("is-mutual", Boolean(data.mutual));
      card.classList.toggle("is-declined", decision === "not_interested");
      var state = card.querySelector("[data-interest-state]");
      if (state) { state.textContent = data.message; }
    }
    announce(data.message);
  }

  // "Why this proposal?": the explanation is fetched when the reader first opens it (the page does not
  // compute every proposal's explanation up front). Without this file the details link to the proposal.
  document.querySelectorAll("details[data-why-url]").forEach(function (details) {
    details.addEventListener("toggle", function () {
      var target = details.querySelector("[data-why-target]");
      if (!details.open || !target || details.hasAttribute("data-why-loaded") || !window.fetch) { return; }
      details.setAttribute("data-why-loaded", "");
      target.setAttribute("aria-busy", "true");
      window.fetch(details.getAttribute("data-why-url"), {
        credentials: "same-origin",
        headers: { "Accept": "text/html" }
      }).then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      }).then(function (html) {
        target.innerHTML = html;  // our own server's fragment, escaped by its templates
      }).catch(function () {
        details.removeAttribute("data-why-loaded");  // try again at the next opening
      }).then(function () {
        target.removeAttribute("aria-busy");
      });
    });
  });

  document.querySelectorAll("form[data-interest-form]").forEach(function (form) {
    var clicked = null;
    form.querySelectorAll("button[data-decision]").forEach(function (button) {
      button.addEventListener("click", function () { clicked = button; });
    });
    form.addEventListener("submit", function (event) {
      if (!window.fetch || !window.FormData) { return; }
      var button = event.submitter || clicked;
      if (!button) { return; }
      event.preventDefault();
      var body = new FormData(form);
      body.set("decision", button.value);
      form.classList.add("is-busy");
      form.setAttribute("aria-busy", "true");
      window.fetch(form.action, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "Accept": "application/json" }
      }).then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      }).then(function (result) {
        if (result.ok) {
          update(form, button.value, result.data);
        } else {
          announce(result.data.error || result.data.status);
        }
      }).catch(function () {
        // The network or the server failed: let the browser post the form the ordinary way.
        var fallback = document.createElement("input");
        fallback.type = "hidden";
        fallback.name = "decision";
        fallback.value = button.value;
        form.appendChild(fallback);
        form.submit();
      }).then(function () {
        form.classList.remove("is-busy");
        form.removeAttribute("aria-busy");
      });
    });
  });
})();
